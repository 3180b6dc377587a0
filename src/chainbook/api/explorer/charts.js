// Small SVG charts drawn by the explorer itself (no library): a line over time and bars.
//
// Each chart is an <svg class="chart"> whose data-points attribute counts what it draws (the
// browser tests read it); with nothing to draw it says so in the chart. Values are plain
// numbers; the caller turns amounts or times into them.

import { svg } from "./dom.js";

const WIDTH = 360;
const HEIGHT = 150;
const PAD = { left: 44, right: 8, top: 10, bottom: 22 };

function frame(title, count) {
  return svg("svg", {
    class: "chart", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img",
    "aria-label": title, "data-points": count, preserveAspectRatio: "xMidYMid meet",
  }, svg("title", {}, title));
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

function formatNumber(value) {
  if (Math.abs(value) >= 1000) return `${Math.round(value / 100) / 10}k`;
  return String(Math.round(value * 100) / 100);
}

function axes(el, yMin, yMax, xLeftText, xRightText, yFormat) {
  const x0 = PAD.left, x1 = WIDTH - PAD.right, y0 = HEIGHT - PAD.bottom, y1 = PAD.top;
  for (const [value, y] of [[yMin, y0], [(yMin + yMax) / 2, (y0 + y1) / 2], [yMax, y1]]) {
    el.appendChild(svg("line", { x1: x0, x2: x1, y1: y, y2: y, class: "grid" }));
    el.appendChild(svg("text", { x: x0 - 4, y: y + 3, class: "tick", "text-anchor": "end" }, yFormat(value)));
  }
  el.appendChild(svg("text", { x: x0, y: HEIGHT - 6, class: "tick" }, xLeftText));
  el.appendChild(svg("text", { x: x1, y: HEIGHT - 6, class: "tick", "text-anchor": "end" }, xRightText));
}

function empty(el, text) {
  el.appendChild(svg("text", { x: WIDTH / 2, y: HEIGHT / 2, class: "empty", "text-anchor": "middle" }, text));
  return el;
}

// points: [[x, y], ...] sorted by x. xFormat labels the first and last x.
export function lineChart(title, points, { xFormat = String, yFormat = formatNumber, yFromZero = false } = {}) {
  const el = frame(title, points.length);
  if (points.length < 2) return empty(el, points.length ? "one point so far" : "no data yet");
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const xMin = xs[0], xMax = xs[xs.length - 1];
  let yMin = yFromZero ? 0 : Math.min(...ys), yMax = Math.max(...ys);
  if (yMax === yMin) { yMax += 1; if (!yFromZero) yMin = Math.max(0, yMin - 1); }
  if (yFromZero) yMax = niceMax(yMax);
  axes(el, yMin, yMax, xFormat(xMin), xFormat(xMax), yFormat);
  const sx = (x) => PAD.left + ((x - xMin) / Math.max(1, xMax - xMin)) * (WIDTH - PAD.left - PAD.right);
  const sy = (y) => HEIGHT - PAD.bottom - ((y - yMin) / (yMax - yMin)) * (HEIGHT - PAD.top - PAD.bottom);
  const path = points.map(([x, y], i) => `${i ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ");
  el.appendChild(svg("path", { d: path, class: "line" }));
  return el;
}

// bars: [{label, value, title?}], drawn left to right; the first and last labels are shown.
export function barChart(title, bars, { yFormat = formatNumber, highlight = () => false } = {}) {
  const el = frame(title, bars.length);
  if (!bars.length) return empty(el, "no data yet");
  const yMax = niceMax(Math.max(...bars.map((b) => b.value)));
  axes(el, 0, yMax, bars[0].label, bars[bars.length - 1].label, yFormat);
  const span = (WIDTH - PAD.left - PAD.right) / bars.length;
  const gap = span > 4 ? 1 : 0;
  bars.forEach((bar, i) => {
    const height = (bar.value / yMax) * (HEIGHT - PAD.top - PAD.bottom);
    el.appendChild(svg("rect", {
      x: (PAD.left + i * span + gap / 2).toFixed(1), y: (HEIGHT - PAD.bottom - height).toFixed(1),
      width: Math.max(0.5, span - gap).toFixed(1), height: Math.max(0, height).toFixed(1),
      class: highlight(bar) ? "bar lead" : "bar",
    }, svg("title", {}, bar.title ?? `${bar.label}: ${yFormat(bar.value)}`)));
  });
  return el;
}

// Horizontal bars with their labels written out (a ballot's tally): one row per option.
export function rowChart(title, rows, { valueFormat = formatNumber, highlight = () => false } = {}) {
  const rowHeight = 26;
  const height = Math.max(1, rows.length) * rowHeight + 8;
  const el = svg("svg", { class: "chart rows", viewBox: `0 0 ${WIDTH} ${height}`, role: "img", "aria-label": title, "data-points": rows.length }, svg("title", {}, title));
  if (!rows.length) return empty(el, "no data yet");
  const max = Math.max(1, ...rows.map((r) => r.value));
  const labelWidth = 110, barMax = WIDTH - labelWidth - 70;
  rows.forEach((row, i) => {
    const y = 4 + i * rowHeight;
    const label = row.label.length > 18 ? `${row.label.slice(0, 17)}…` : row.label;
    el.appendChild(svg("text", { x: 0, y: y + 16, class: "tick" }, svg("title", {}, row.label), label));
    el.appendChild(svg("rect", { x: labelWidth, y: y + 3, width: ((row.value / max) * barMax).toFixed(1), height: rowHeight - 8, class: highlight(row) ? "bar lead" : "bar" }));
    el.appendChild(svg("text", { x: labelWidth + (row.value / max) * barMax + 6, y: y + 16, class: "tick" }, valueFormat(row.value)));
  });
  return el;
}
