// Building the page's elements, and formatting chain values for people.
//
// Rule kept: text from the chain (memos, titles, any field) only ever reaches the page as
// text (textContent, attribute values), never as HTML: a transaction cannot inject markup or
// script into the explorer. Together with the Content-Security-Policy (no inline script)
// this is what keeps a hostile memo inert.

export const COIN_DECIMALS = 6;
export const COIN_SYMBOL = "CBK";

// h("a", {href: "#/", class: "x"}, "text", child, [more, children]): an element.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

// The same for SVG elements (charts).
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

// A two-column table of [label, value] rows; a value may be an element.
export function facts(rows) {
  return h("table", { class: "facts" },
    h("tbody", {}, rows.filter(Boolean).map(([label, value]) => h("tr", {}, h("th", {}, label), h("td", {}, value)))));
}

// A table with a header row; `rows` are arrays of cells (text or elements).
export function table(headers, rows, { empty = "nothing yet", cls = "" } = {}) {
  if (!rows.length) return h("p", { class: "muted empty" }, empty);
  return h("table", { class: `list ${cls}` },
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))));
}

export function message(kind, text) {
  return h("p", { class: `note ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

// --- values --------------------------------------------------------------------------------

const HEX_64 = /^[0-9a-f]{64}$/;
const HEX_40 = /^[0-9a-f]{40}$/;

export function isHash(text) { return typeof text === "string" && HEX_64.test(text); }
export function isAddress(text) { return typeof text === "string" && HEX_40.test(text); }

export function short(hex, keep = 8) {
  if (typeof hex !== "string" || hex.length <= 2 * keep + 1) return hex ?? "";
  return `${hex.slice(0, keep)}…${hex.slice(-4)}`;
}

// A monospace hash or address, shortened, whole in its title and copied whole on select.
export function mono(hex, { keep = 8, whole = false } = {}) {
  return h("code", { class: "hex", title: hex }, whole ? hex : short(hex, keep));
}

export function link(href, ...children) { return h("a", { href }, ...children); }
export function blockLink(height) { return link(`#/block/${height}`, String(height)); }
export function txLink(hash, opts) { return link(`#/tx/${hash}`, mono(hash, opts)); }
export function accountLink(address, opts) { return link(`#/account/${address}`, mono(address, opts)); }

// A value from a module answer, linked when it names something the explorer can show.
export function valueNode(value) {
  if (isAddress(value)) return accountLink(value, { whole: true });
  if (isHash(value)) return link(`#/search?q=${value}`, mono(value, { whole: true }));
  if (value === null || value === undefined) return h("span", { class: "muted" }, "—");
  if (typeof value === "boolean") return h("span", { class: value ? "yes" : "no" }, value ? "yes" : "no");
  if (Array.isArray(value)) {
    if (!value.length) return h("span", { class: "muted" }, "[]");
    if (value.every((v) => v === null || typeof v !== "object")) return h("span", {}, value.map((v, i) => [i ? ", " : "", valueNode(v)]));
    return h("ol", { class: "tree" }, value.map((v) => h("li", {}, valueNode(v))));
  }
  if (typeof value === "object") return facts(Object.entries(value).map(([k, v]) => [k, valueNode(v)]));
  return h("span", {}, String(value));
}

// An amount in base units for people: "1,234.5 CBK"; a token passes its decimals and symbol.
export function formatAmount(amount, decimals = COIN_DECIMALS, symbol = COIN_SYMBOL) {
  let value;
  try { value = BigInt(amount); } catch { return String(amount); }
  const negative = value < 0n;
  if (negative) value = -value;
  const scale = 10n ** BigInt(decimals);
  const whole = (value / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = (value % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? "." + fraction : ""} ${symbol}`;
}

export function formatTime(ms) {
  if (!ms) return "genesis";
  const d = new Date(Number(ms));
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

export function formatAge(ms, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - Number(ms)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

export function okBadge(ok, code = "") {
  return h("span", { class: ok ? "badge ok" : "badge failed", title: code || undefined }, ok ? "ok" : code || "failed");
}
