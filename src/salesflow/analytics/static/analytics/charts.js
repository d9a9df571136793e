// Draws the analytics charts from the JSON each page carries (json_script), after the first
// load and after every HTMX swap of the figures. The tables beside the charts are their text.
(function () {
  "use strict";

  function formatter() {
    return new Intl.NumberFormat(document.documentElement.lang || undefined);
  }

  function percentText(value) {
    if (value === null || value === undefined) return "–";
    return new Intl.NumberFormat(document.documentElement.lang || undefined, {
      minimumFractionDigits: 1, maximumFractionDigits: 1,
    }).format(value) + "%";
  }

  // Blues dark enough for white labels, getting lighter down the funnel; won is green.
  const OPEN = ["#173f9e", "#1d4cc0", "#2156d9", "#3566dc", "#4673de", "#5580e0", "#5f87df"];
  const WON = "#137a3a";

  function coloured(items) {
    let open = 0;
    return items.map(function (item) {
      const colour = item.won ? WON : OPEN[Math.min(open++, OPEN.length - 1)];
      return { name: item.name, value: item.value, itemStyle: { color: colour } };
    });
  }

  // One funnel fills the card with its labels inside; two share one scale, side by side, with
  // the stage names left of the first and only the counts right of the second.
  function funnelOption(data) {
    const numbers = formatter();
    const pair = data.series.length > 1;
    const max = Math.max.apply(null, data.series.reduce(function (all, series) {
      return all.concat(series.data.map(function (d) { return d.value; }));
    }, [1]));
    const layout = pair
      ? [{ left: 26, width: 30, position: "left", names: true }, { left: 58, width: 30, position: "right", names: false }]
      : [{ left: 10, width: 80, position: "inside", names: true }];
    return {
      tooltip: {
        trigger: "item",
        formatter: function (item) {
          return item.seriesName + "<br>" + item.name + ": " + numbers.format(item.value) + " " + data.deals;
        },
      },
      title: data.series.map(function (series, index) {
        return {
          text: series.name, left: (layout[index].left + layout[index].width / 2) + "%", top: 0,
          textAlign: "center", textStyle: { fontSize: 12, fontWeight: "normal", color: "#667085" },
        };
      }),
      series: data.series.map(function (series, index) {
        const place = layout[index];
        const inside = place.position === "inside";
        return {
          name: series.name,
          type: "funnel",
          sort: "none",
          min: 0,
          max: max,
          minSize: inside ? "8%" : "2%",
          left: place.left + "%",
          width: place.width + "%",
          top: 28,
          bottom: 8,
          gap: 2,
          label: {
            show: true, position: place.position, fontSize: 12,
            color: inside ? "#fff" : "#1d2330",
            formatter: function (item) {
              const value = numbers.format(item.value);
              return place.names ? item.name + "  " + value : value;
            },
          },
          labelLine: { show: !inside, length: 8, lineStyle: { color: "#c8cdd6" } },
          itemStyle: { borderColor: "#fff", borderWidth: 1 },
          data: coloured(series.data),
        };
      }),
    };
  }

  function trendOption(data, element) {
    const numbers = formatter();
    const crowded = element.clientWidth / Math.max(data.labels.length, 1) < 90;
    const bars = data.bars.map(function (series) {
      return { name: series.name, type: "bar", yAxisIndex: 0, data: series.data, barMaxWidth: 22 };
    });
    const lines = data.lines.map(function (series) {
      return {
        name: series.name, type: "line", yAxisIndex: 1, data: series.data,
        connectNulls: false, symbolSize: 6, smooth: false,
      };
    });
    return {
      color: ["#98b7ff", "#137a3a", "#c4321c", "#a15c00"],
      legend: { top: 0 },
      grid: { left: 48, right: 56, top: 40, bottom: crowded ? 64 : 32 },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (value) { return value === null ? "–" : numbers.format(value); },
      },
      xAxis: {
        type: "category", data: data.labels,
        axisLabel: { interval: 0, rotate: crowded ? 35 : 0, fontSize: 11 },
      },
      yAxis: [
        { type: "value", name: data.count, minInterval: 1, axisLabel: { formatter: function (v) { return numbers.format(v); } } },
        { type: "value", name: data.percent, min: 0, max: 100, axisLabel: { formatter: percentText }, splitLine: { show: false } },
      ],
      series: bars.concat(lines.map(function (line) {
        line.tooltip = { valueFormatter: percentText };
        return line;
      })),
    };
  }

  const options = { funnel: funnelOption, trend: trendOption };

  function drawAll() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      const source = document.getElementById(element.dataset.source);
      const build = options[element.dataset.chart];
      if (!source || !build) return;
      const existing = window.echarts.getInstanceByDom(element);
      if (existing) existing.dispose();
      const chart = window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(build(JSON.parse(source.textContent), element));
    });
  }

  function resizeAll() {
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      const chart = window.echarts && window.echarts.getInstanceByDom(element);
      if (chart) chart.resize();
    });
  }

  // Charts about to be swapped out let go of their canvas and listeners first.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    if (!window.echarts || !target) return;
    target.querySelectorAll("[data-chart]").forEach(function (element) {
      const chart = window.echarts.getInstanceByDom(element);
      if (chart) chart.dispose();
    });
  });
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
  window.addEventListener("resize", resizeAll);
})();
