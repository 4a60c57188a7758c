/* Draws the dashboards' and reports' charts with ECharts from the JSON blocks the page rendered
   (json_script), so no chart makes a request of its own. Without JavaScript the tables carry the figures. */
(function () {
  "use strict";

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source || !window.echarts) { return; }
    var spec = JSON.parse(source.textContent);
    // Money arrives as exact decimal strings; a chart only needs their approximate size.
    var series = spec.series.map(function (one) {
      return { name: one.name, data: one.data.map(Number) };
    });
    element.classList.add("an-ready");
    var narrow = element.clientWidth < 480;
    var option;
    if (spec.kind === "pie") {
      option = {
        tooltip: { trigger: "item" },
        legend: { type: "scroll", bottom: 0 },
        series: [{
          type: "pie", radius: narrow ? ["30%", "60%"] : ["35%", "65%"], center: ["50%", "45%"],
          data: spec.labels.map(function (label, index) { return { name: label, value: series[0].data[index] }; }),
          label: { show: !narrow }
        }]
      };
    } else {
      var twoAxes = series.length > 1;
      option = {
        tooltip: { trigger: "axis" },
        legend: { show: twoAxes, top: 0 },
        grid: { left: 8, right: 8, top: twoAxes ? 30 : 10, bottom: 8, containLabel: true },
        xAxis: {
          type: "category", data: spec.labels,
          // Store names are long: on a phone they lean, so each bar keeps its label.
          axisLabel: { hideOverlap: true, rotate: narrow && spec.labels.some(function (l) { return l.length > 4; }) ? 35 : 0 }
        },
        yAxis: twoAxes ? [{ type: "value" }, { type: "value", splitLine: { show: false } }] : [{ type: "value" }],
        series: series.map(function (one, index) {
          return {
            name: one.name, data: one.data, yAxisIndex: twoAxes ? index : 0,
            type: spec.kind === "bar" || index > 0 ? "bar" : "line", smooth: true,
            showSymbol: false, barMaxWidth: 28
          };
        })
      };
      if (twoAxes) { option.series[1].itemStyle = { opacity: 0.45 }; }
    }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    var elements = document.querySelectorAll("[data-chart]");
    for (var i = 0; i < elements.length; i += 1) { draw(elements[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
