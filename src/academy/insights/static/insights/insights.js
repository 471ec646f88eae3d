/* Insights dashboards: draw each tile's Vega-Lite chart with vega-embed (SVG), again whenever
 * htmx swaps new tiles in, and show only the filters that apply to the choices made.
 * Without JavaScript the page still works: the tables hold every number and the filter form is a
 * plain GET form.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js-on");

  function draw(root) {
    if (typeof window.vegaEmbed !== "function") {
      return;
    }
    root.querySelectorAll(".vega-chart[data-spec]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-spec"));
      if (!source || element.getAttribute("data-drawn") === "1") {
        return;
      }
      element.setAttribute("data-drawn", "1");
      var spec = JSON.parse(source.textContent);
      window
        .vegaEmbed(element, spec, {
          renderer: "svg",
          actions: false,
          tooltip: true,
          // The tile's heading already names the chart; the title stays in the spec for export.
          patch: function (vgSpec) {
            delete vgSpec.title;
            return vgSpec;
          },
        })
        .then(function () {
          // One labelled image for assistive technology; the table after it has the numbers.
          var svg = element.querySelector("svg");
          if (svg) {
            svg.setAttribute("role", "img");
            svg.setAttribute("aria-label", spec.description || "");
          }
        })
        .catch(function (error) {
          element.removeAttribute("data-drawn");
          element.textContent = "";
          if (window.console) {
            window.console.error(error);
          }
        });
    });
  }

  function syncFilters(form) {
    var range = form.querySelector("[name=range]");
    var breakdown = form.querySelector("[name=breakdown]");
    form.setAttribute("data-range", range ? range.value : "");
    form.setAttribute("data-breakdown", breakdown ? breakdown.value : "");
  }

  // A 400 carries the form's errors: swap it in like any answer.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:load", function (event) {
    draw(event.detail.elt);
  });
  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
    document.querySelectorAll(".insights-filters").forEach(function (form) {
      syncFilters(form);
      form.addEventListener("change", function () {
        syncFilters(form);
      });
    });
  });
})();
