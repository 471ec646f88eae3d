// The For You page without reloads: "Not interested" and "Hide topic" post their form with
// fetch, take the card(s) away and offer "Undo" in a toast; the endless scroll itself is htmx
// (an IntersectionObserver on the "More" link, see recsys/_more.html). Without JavaScript the
// same forms post normally and the page comes back.
(() => {
  "use strict";
  const toast = document.getElementById("feed-toast");
  const feed = document.getElementById("feed");
  if (!toast || !feed) {
    return;
  }
  let hideTimer = 0;

  const say = (text, undo) => {
    clearTimeout(hideTimer);
    toast.replaceChildren();
    const message = document.createElement("p");
    message.textContent = text;
    toast.append(message);
    if (undo) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = toast.dataset.undo;
      button.addEventListener("click", undo, { once: true });
      toast.append(button);
    }
    hideTimer = setTimeout(() => toast.replaceChildren(), 10000);
  };

  const post = (url, data) =>
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then((response) => {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.json();
    });

  const cardsFor = (item, topic) =>
    [...feed.querySelectorAll("article.feed-card")].filter((card) =>
      item ? card.dataset.feedItem === item : card.dataset.feedTopic === topic,
    );

  // Where focus goes when the focused card disappears: the next card left, else the heading.
  const focusAfter = (removed) => {
    const last = removed[removed.length - 1];
    let next = last.nextElementSibling;
    while (next && removed.includes(next)) {
      next = next.nextElementSibling;
    }
    const link = next && next.querySelector("h3 a");
    (link || document.getElementById("feed-heading")).focus();
  };

  feed.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-feed-control]");
    if (!form) {
      return;
    }
    event.preventDefault();
    const data = new FormData(form);
    const button = form.querySelector("button");
    button.disabled = true;
    post(form.action, data)
      .then((answer) => {
        const cards = cardsFor(answer.item, answer.topic);
        const places = cards.map((card) => ({ card, next: card.nextElementSibling }));
        if (cards.length) {
          focusAfter(cards);
        }
        cards.forEach((card) => card.remove());
        say(answer.message, () => {
          const again = new FormData();
          again.append("csrfmiddlewaretoken", data.get("csrfmiddlewaretoken"));
          again.append(answer.item ? "item" : "topic", answer.item || answer.topic);
          post(toast.dataset.showAgainUrl, again)
            .then(() => {
              // Back where they were, in the original order.
              for (const { card, next } of places.slice().reverse()) {
                feed.insertBefore(card, next && next.isConnected ? next : null);
                card.querySelector("details").open = false;
                card.querySelectorAll("button").forEach((b) => { b.disabled = false; });
              }
              if (places.length) {
                places[0].card.querySelector("h3 a").focus();
              }
              say(toast.dataset.undone);
            })
            .catch(() => say(toast.dataset.failed));
        });
      })
      .catch(() => {
        button.disabled = false;
        say(toast.dataset.failed);
      });
  });

  // Tell assistive technology while the next page loads.
  document.body.addEventListener("htmx:beforeRequest", () => feed.setAttribute("aria-busy", "true"));
  document.body.addEventListener("htmx:afterSettle", () => feed.removeAttribute("aria-busy"));
})();
