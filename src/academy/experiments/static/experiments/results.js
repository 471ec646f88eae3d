/* Experiment results: draw each metric's cumulative-effect chart (Vega-Lite, SVG) with
 * vega-embed. The table of the same numbers stays on the page; once the chart is drawn it is
 * folded away (one click opens it). Without JavaScript the tables are open and hold every number.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js-on");

  function draw() {
    if (typeof window.vegaEmbed !== "function") {
      return;
    }
    document.querySelectorAll(".vega-chart[data-spec]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-spec"));
      if (!source) {
        return;
      }
      var spec = JSON.parse(source.textContent);
      window
        .vegaEmbed(element, spec, { renderer: "svg", actions: false, tooltip: true })
        .then(function () {
          element.setAttribute("data-drawn", "1");
          var table = document.getElementById(element.getAttribute("data-table"));
          if (table) {
            table.removeAttribute("open");
          }
        })
        .catch(function (error) {
          element.textContent = "";
          if (window.console) {
            window.console.error(error);
          }
        });
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
