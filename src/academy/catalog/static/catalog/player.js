/* The lesson player: reports a creator's progress to the learning API while they watch or read.
 *
 * Videos send the playback position every 10 s while playing and on pause, end and leaving the
 * page; articles send how far down the text the reader got (throttled). A failed report is
 * dropped silently: the next one carries the newer position, so nothing needs queueing.
 * Also lets htmx swap the quiz's 400 answer (unanswered questions) like a normal one.
 */
(function () {
  "use strict";

  var HEARTBEAT_MS = 10000;
  var SCROLL_THROTTLE_MS = 2000;
  var ARTICLE_DWELL_MS = 15000;
  var PERCENT_STEP = 10;

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  var lesson = document.querySelector("[data-progress-url]");
  if (!lesson) {
    return;
  }
  var url = lesson.getAttribute("data-progress-url");

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return headers["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function showDone(courseCompleted) {
    var status = lesson.querySelector("[data-lesson-status]");
    var template = lesson.querySelector("template[data-done-template]");
    if (status && template && !status.hasAttribute("data-done")) {
      status.setAttribute("data-done", "");
      status.replaceChildren(template.content.cloneNode(true));
    }
    var form = lesson.querySelector(".done-form");
    if (form) {
      form.hidden = true;
    }
    if (courseCompleted) {
      var note = lesson.querySelector("[data-course-complete]");
      if (note) {
        note.hidden = false;
      }
    }
  }

  /* POST one report; resolves true when the server took it. Never throws. */
  function report(payload, leaving) {
    var request;
    try {
      request = fetch(url, {
        method: "POST",
        credentials: "same-origin",
        keepalive: Boolean(leaving),
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
        },
        body: JSON.stringify(payload),
      });
    } catch (error) {
      return Promise.resolve(false);
    }
    return request
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data) {
          return false;
        }
        if (data.completed) {
          showDone(Boolean(data.course_completed));
        }
        return true;
      })
      .catch(function () {
        return false;
      });
  }

  var video = lesson.querySelector("video");
  if (video) {
    var timer = null;
    var lastSent = -1;
    var heartbeat = function (leaving) {
      var position = Math.floor(video.currentTime || 0);
      if (position === lastSent && !leaving) {
        return;
      }
      report({ position_seconds: position }, leaving).then(function (ok) {
        if (ok) {
          lastSent = position;
        }
      });
    };
    var stop = function () {
      if (timer !== null) {
        clearInterval(timer);
        timer = null;
      }
      heartbeat(false);
    };
    video.addEventListener("play", function () {
      if (timer === null) {
        timer = setInterval(function () {
          heartbeat(false);
        }, HEARTBEAT_MS);
      }
    });
    video.addEventListener("pause", stop);
    video.addEventListener("ended", stop);
    video.addEventListener("error", function () {
      var note = document.querySelector("[data-video-error]");
      if (note) {
        note.hidden = false;
      }
    });
    window.addEventListener("pagehide", function () {
      if (video.currentTime > 0 && Math.floor(video.currentTime) !== lastSent) {
        heartbeat(true);
      }
    });
  }

  var text = lesson.querySelector("[data-read-progress]");
  if (text) {
    var sentPercent = 0;
    var pending = null;
    var percentRead = function () {
      var box = text.getBoundingClientRect();
      if (box.height <= 0) {
        return 0;
      }
      var seen = window.innerHeight - box.top;
      return Math.max(0, Math.min(100, Math.round((100 * seen) / box.height)));
    };
    var send = function (leaving) {
      var percent = percentRead();
      var worthIt = percent >= sentPercent + PERCENT_STEP || (percent === 100 && sentPercent < 100);
      if (!worthIt && !(leaving && percent > sentPercent)) {
        return;
      }
      report({ percent: percent }, leaving).then(function (ok) {
        if (ok && percent > sentPercent) {
          sentPercent = percent;
        }
      });
    };
    window.addEventListener(
      "scroll",
      function () {
        if (pending === null) {
          pending = setTimeout(function () {
            pending = null;
            send(false);
          }, SCROLL_THROTTLE_MS);
        }
      },
      { passive: true }
    );
    // A short article may fit on the screen: count it as read once the reader stayed a while.
    setTimeout(function () {
      send(false);
    }, ARTICLE_DWELL_MS);
    window.addEventListener("pagehide", function () {
      send(true);
    });
  }
})();
