// Draws the forecast page's Monte Carlo chart from the JSON the page carries (json_script):
// per month a band from P10 to P90, P50 as a line and the weighted amount as a dashed line.
// Drawn after the first load and after every HTMX swap of the figures; the table below the
// chart gives the same figures as text.
(function () {
  "use strict";

  const BAND = "rgba(33, 86, 217, 0.16)";
  const BAND_EDGE = "rgba(33, 86, 217, 0.35)";  // the legend's swatch of the band
  const MEDIAN = "#2156d9";
  const WEIGHTED = "#a15c00";

  function language() {
    return document.documentElement.lang || undefined;
  }

  function moneyFormat(currency) {
    try {
      return new Intl.NumberFormat(language(), { style: "currency", currency: currency });
    } catch (error) {
      return new Intl.NumberFormat(language(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
  }

  function compactFormat() {
    return new Intl.NumberFormat(language(), { notation: "compact", maximumFractionDigits: 1 });
  }

  // The band is two stacked series: an invisible base at P10 and the P90 − P10 spread on top.
  // One month has no area to fill between points, so the band is then a floating bar.
  function forecastOption(data) {
    const money = moneyFormat(data.currency);
    const compact = compactFormat();
    const single = data.labels.length < 2;
    const spread = data.p90.map(function (high, index) { return high - data.p10[index]; });
    const bandType = single ? "bar" : "line";
    const names = data.names;
    return {
      legend: { top: 0, data: [{ name: names.band, icon: "roundRect" }, names.p50, names.weighted] },
      grid: { left: 16, right: 32, top: 40, bottom: 8, containLabel: true },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          const index = items[0].dataIndex;
          const lines = [
            [names.p90, data.p90[index]],
            [names.p50, data.p50[index]],
            [names.p10, data.p10[index]],
            [names.weighted, data.weighted[index]],
          ];
          return data.labels[index] + lines.map(function (line) {
            return "<br>" + line[0] + ": " + money.format(line[1]);
          }).join("");
        },
      },
      xAxis: { type: "category", data: data.labels, boundaryGap: single, axisLabel: { fontSize: 11 } },
      yAxis: {
        type: "value", min: 0,
        axisLabel: { formatter: function (value) { return compact.format(value); } },
      },
      series: [
        {
          name: names.p10, type: bandType, stack: "band", data: data.p10, silent: true,
          symbol: "none", lineStyle: { opacity: 0 }, itemStyle: { color: "transparent" },
          barMaxWidth: 80, tooltip: { show: false },
        },
        {
          name: names.band, type: bandType, stack: "band", data: spread, silent: true,
          symbol: "none", lineStyle: { opacity: 0 }, itemStyle: { color: single ? BAND : BAND_EDGE },
          areaStyle: single ? undefined : { color: BAND }, barMaxWidth: 80,
        },
        {
          name: names.p50, type: "line", data: data.p50, color: MEDIAN,
          symbolSize: 7, lineStyle: { width: 2 },
        },
        {
          name: names.weighted, type: "line", data: data.weighted, color: WEIGHTED,
          symbol: "diamond", symbolSize: 8, lineStyle: { width: 2, type: "dashed" },
        },
      ],
    };
  }

  function charts() {
    return document.querySelectorAll("[data-forecast-chart]");
  }

  function drawAll() {
    if (!window.echarts) return;
    charts().forEach(function (element) {
      const source = document.getElementById(element.dataset.source);
      if (!source) return;
      const existing = window.echarts.getInstanceByDom(element);
      if (existing) existing.dispose();
      const chart = window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(forecastOption(JSON.parse(source.textContent)));
    });
  }

  function resizeAll() {
    charts().forEach(function (element) {
      const chart = window.echarts && window.echarts.getInstanceByDom(element);
      if (chart) chart.resize();
    });
  }

  // A chart about to be swapped out lets go of its canvas and listeners first.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    if (!window.echarts || !target) return;
    target.querySelectorAll("[data-forecast-chart]").forEach(function (element) {
      const chart = window.echarts.getInstanceByDom(element);
      if (chart) chart.dispose();
    });
  });
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
  window.addEventListener("resize", resizeAll);
})();
