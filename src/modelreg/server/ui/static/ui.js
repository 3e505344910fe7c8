// modelreg web UI: the only script of the pages (CSP forbids inline scripts).
// 1. MLflow's client prints run links as "/#/experiments/<id>/runs/<id>": the fragment
//    never reaches the server, so "/" sends it on to the run's page from here.
// 2. Charts: each <script type="application/json" id="chart-N"> data block (not run)
//    holds {title, labels, x, ys}; a uPlot chart is drawn into its [data-chart] div.
(function () {
  "use strict";

  var ROUTES = [
    [/^#\/experiments\/([^/?#]+)\/runs\/([^/?#]+)/, function (m) {
      return "/experiments/" + encodeURIComponent(decodeURIComponent(m[1])) +
        "/runs/" + encodeURIComponent(decodeURIComponent(m[2]));
    }],
    [/^#\/experiments\/([^/?#]+)\/?$/, function (m) {
      return "/experiments/" + encodeURIComponent(decodeURIComponent(m[1]));
    }],
    [/^#\/models\/([^/?#]+)\/versions\/([^/?#]+)/, function (m) {
      return "/models/" + encodeURIComponent(decodeURIComponent(m[1])) +
        "/versions/" + encodeURIComponent(decodeURIComponent(m[2]));
    }],
    [/^#\/models\/([^/?#]+)\/?$/, function (m) {
      return "/models/" + encodeURIComponent(decodeURIComponent(m[1]));
    }]
  ];

  function redirectFragment() {
    if (window.location.pathname !== "/" || !window.location.hash) return false;
    for (var i = 0; i < ROUTES.length; i++) {
      var m = window.location.hash.match(ROUTES[i][0]);
      if (m) {
        try {
          window.location.replace(ROUTES[i][1](m));
          return true;
        } catch (e) {
          return false; // a malformed escape: stay on the models page
        }
      }
    }
    return false;
  }

  var COLORS = ["#2457c5", "#c5572a", "#2a8f4f", "#8a2ac5", "#c52a7a", "#6b6b6b"];

  function drawCharts(root) {
    if (typeof window.uPlot === "undefined") return;
    var boxes = root.querySelectorAll("[data-chart]");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      if (box.getAttribute("data-drawn")) continue;
      var source = document.getElementById(box.getAttribute("data-chart"));
      if (!source) continue;
      var spec = JSON.parse(source.textContent);
      if (spec.x.length < 2) {
        // One point is no curve: its value is in the table next to the chart.
        box.textContent = spec.x.length ? "One step logged: see the table." : "No points logged.";
        box.setAttribute("data-drawn", "1");
        continue;
      }
      var series = [{ label: "step" }];
      for (var j = 0; j < spec.labels.length; j++) {
        series.push({ label: spec.labels[j], stroke: COLORS[j % COLORS.length], width: 2, spanGaps: true });
      }
      var width = Math.max(240, Math.min(box.clientWidth || 600, 900));
      new window.uPlot(
        { width: width, height: 220, series: series, scales: { x: { time: false } },
          axes: [{ label: "step" }, {}] },
        [spec.x].concat(spec.ys),
        box
      );
      box.setAttribute("data-drawn", "1");
    }
  }

  // htmx swaps nothing on a 4xx/5xx answer: show the error page's message in place.
  function showError(event) {
    var xhr = event.detail.xhr;
    var message = "The change was refused (HTTP " + xhr.status + ").";
    try {
      var found = new DOMParser().parseFromString(xhr.responseText, "text/html").querySelector(".error");
      if (found) message = found.textContent;
    } catch (e) { /* keep the generic message */ }
    var box = document.createElement("p");
    box.className = "error";
    box.setAttribute("role", "alert");
    box.textContent = message;
    event.detail.target.insertBefore(box, event.detail.target.firstChild);
  }

  if (redirectFragment()) return;
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawCharts(event.target); });
})();
