// Creator Academy's event tracker: impressions, clicks, nothing sent to third parties.
//
// Any element with data-track-item-kind and data-track-item-id is a tracked card:
// - an impression is recorded once per page view when at least half of it has been visible for
//   one second without interruption;
// - a click on it (or on a link inside it) is recorded before the browser follows the link.
// Events carry a uuid made here, so a retried batch is never counted twice. They are batched,
// sent every few seconds, retried with back-off when the network fails, and flushed with
// `keepalive` when the page is hidden or left.
(() => {
  "use strict";
  const script = document.currentScript;
  const endpoint = (script && script.dataset.endpoint) || "/api/v1/events";
  const FLUSH_EVERY_MS = 5000;
  const VISIBLE_FOR_MS = 1000;
  const MAX_BATCH = 200;
  const MAX_QUEUE = 1000;
  const queue = [];
  let backoffUntil = 0;
  let failures = 0;

  const cookie = (name) => {
    const match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  };
  const newId = () =>
    (window.crypto && crypto.randomUUID)
      ? crypto.randomUUID()
      : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
          (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
  const anonymousId = (() => {
    try {
      let id = localStorage.getItem("academy-anonymous-id");
      if (!id) {
        id = newId();
        localStorage.setItem("academy-anonymous-id", id);
      }
      return id;
    } catch (error) {
      return newId();
    }
  })();
  const sessionId = (() => {
    try {
      let id = sessionStorage.getItem("academy-session-id");
      if (!id) {
        id = newId();
        sessionStorage.setItem("academy-session-id", id);
      }
      return id;
    } catch (error) {
      return newId();
    }
  })();

  const record = (name, card) => {
    const data = card.dataset;
    const event = {
      uuid: newId(),
      name: name,
      timestamp: new Date().toISOString(),
      anonymous_id: anonymousId,
      session_id: sessionId,
      entry_point: data.trackEntryPoint || "direct",
      item_kind: data.trackItemKind,
      item_id: data.trackItemId,
      context: { language: document.documentElement.lang || "", platform: "web" },
    };
    if (data.trackPosition !== undefined && data.trackPosition !== "") {
      event.position = parseInt(data.trackPosition, 10);
    }
    if (data.trackRequestId) {
      event.request_id = data.trackRequestId;
    }
    if (queue.length >= MAX_QUEUE) {
      queue.shift(); // keep the newest when the network has been down for long
    }
    queue.push(event);
    if (queue.length >= MAX_BATCH) {
      flush(false);
    }
  };

  const flush = (leaving) => {
    if (!queue.length || (!leaving && Date.now() < backoffUntil)) {
      return;
    }
    const batch = queue.splice(0, MAX_BATCH);
    fetch(endpoint, {
      method: "POST",
      credentials: "same-origin",
      keepalive: leaving,
      headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
      body: JSON.stringify({ events: batch }),
    })
      .then((response) => {
        if (response.status >= 500 || response.status === 429 || response.status === 0) {
          throw new Error("retry");
        }
        failures = 0; // 202 or a 4xx we cannot fix by retrying: either way, done with it
      })
      .catch(() => {
        queue.unshift(...batch);
        failures += 1;
        backoffUntil = Date.now() + Math.min(60000, 1000 * 2 ** failures);
      });
  };

  const seen = new WeakSet();
  const timers = new WeakMap();
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        const card = entry.target;
        if (seen.has(card)) {
          continue;
        }
        if (entry.intersectionRatio >= 0.5) {
          if (!timers.has(card)) {
            timers.set(
              card,
              setTimeout(() => {
                seen.add(card);
                observer.unobserve(card);
                record("impression", card);
              }, VISIBLE_FOR_MS),
            );
          }
        } else if (timers.has(card)) {
          clearTimeout(timers.get(card));
          timers.delete(card);
        }
      }
    },
    { threshold: [0, 0.5, 1] },
  );

  const watch = (root) => {
    root.querySelectorAll("[data-track-item-kind][data-track-item-id]").forEach((card) => {
      if (!seen.has(card)) {
        observer.observe(card);
      }
    });
  };

  document.addEventListener(
    "click",
    (event) => {
      const card = event.target.closest && event.target.closest("[data-track-item-kind]");
      if (card) {
        record("click", card);
        if (event.target.closest("a")) {
          flush(true); // the page is about to change
        }
      }
    },
    true,
  );
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      flush(true);
    }
  });
  window.addEventListener("pagehide", () => flush(true));
  document.body.addEventListener("htmx:afterSwap", (event) => watch(event.target));
  setInterval(() => flush(false), FLUSH_EVERY_MS);
  watch(document);
})();
