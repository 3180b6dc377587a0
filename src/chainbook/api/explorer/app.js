// The explorer's shell: the router (#/...), the live connection to WebSocket /events, the
// search box, and the module views (one file each in views/, listed by the node).
//
// Routes:
//   #/                       the network: validators, charts, live blocks and transactions
//   #/block/<height|hash>    a block          #/tx/<hash>         a transaction
//   #/account/<address>      an account       #/search?q=<text>   search
//   #/verify                 verify a document against the chain, in the browser
//   #/apps                   the modules      #/apps/<module>     one module's queries
//   #/apps/<module>/<query>?<params>         a query's answer (a module view draws it when it
//                                             has one for that query, else a generic table)
//
// A module view (views/<module>.js) exports default {module, account?(ctx, address),
// answers?: {<query>: (ctx, params, answer) => element}, fields?: {<action tag>: (ctx,
// fields) => element}, search?(ctx, text) => [{label, detail, href}]}; see
// views/bank.js. Rules kept: a page's subscriptions and timers end when the person leaves
// it (ctx.onLeave); a page that fails shows the API's error, never a blank screen.

import * as api from "./api.js";
import { clear, h, message } from "./dom.js";

const PAGES = [
  [/^\/?$/, "network"],
  [/^\/block\/([^/?]+)$/, "block"],
  [/^\/tx\/([^/?]+)$/, "tx"],
  [/^\/account\/([^/?]+)$/, "account"],
  [/^\/search$/, "search"],
  [/^\/verify$/, "verify"],
  [/^\/apps$/, "modules"],
  [/^\/apps\/([^/?]+)$/, "module"],
  [/^\/apps\/([^/?]+)\/([^/?]+)$/, "query"],
];

export const moduleViews = new Map();
const heightListeners = new Set();
let leaveCallbacks = [];
let renderCount = 0;

async function loadModuleViews() {
  const { views } = await api.get("/explorer/views/index.json");
  await Promise.all(views.map(async (file) => {
    try {
      const view = (await import(`./views/${file}`)).default;
      moduleViews.set(view.module, view);
    } catch (err) {
      console.warn(`module view ${file} did not load: ${err.message}`);
    }
  }));
}

function parseHash() {
  const raw = decodeURIComponent(location.hash.replace(/^#/, "")) || "/";
  const [path, query = ""] = raw.split("?", 2);
  return { path, params: new URLSearchParams(query) };
}

function makeContext(modules) {
  return {
    modules,
    views: moduleViews,
    onLeave(fn) { leaveCallbacks.push(fn); },
    onHeight(fn) { heightListeners.add(fn); leaveCallbacks.push(() => heightListeners.delete(fn)); },
    go(href) { location.hash = href.replace(/^#/, ""); },
  };
}

async function render() {
  const ticket = ++renderCount;
  for (const fn of leaveCallbacks) { try { fn(); } catch { /* leaving anyway */ } }
  leaveCallbacks = [];
  const view = document.getElementById("view");
  delete view.dataset.state; // "ok" or "error" once this render is done (the tests wait on it)
  const { path, params } = parseHash();
  const match = PAGES.map(([re, name]) => [name, path.match(re)]).find(([, m]) => m);
  if (!match) {
    clear(view).appendChild(message("error", `no page ${path}; try the search box`));
    view.dataset.state = "error";
    return;
  }
  const [name, found] = match;
  try {
    const modules = await api.getModules();
    const page = await import(`./pages/${name}.js`);
    const element = await page.render(makeContext(modules), found.slice(1), params);
    if (ticket !== renderCount) return; // the person went elsewhere meanwhile
    clear(view).appendChild(element);
    view.dataset.page = name;
    view.dataset.state = "ok";
    document.title = `${element.dataset.title || name} · chainbook explorer`;
  } catch (err) {
    if (ticket !== renderCount) return;
    console.warn(err);
    clear(view).appendChild(h("section", { class: "card" }, h("h2", {}, "Could not show this page"),
      message("error", `${err.code ? `${err.code}: ` : ""}${err.message}`)));
    view.dataset.page = name;
    view.dataset.state = "error";
  }
}

function startLiveStream() {
  const badge = document.getElementById("live");
  api.subscribe({ kinds: "blocks,txs" }, (msg) => {
    badge.textContent = `live · height ${msg.height}`;
    for (const fn of heightListeners) {
      try { fn(msg); } catch (err) { console.warn(err); }
    }
  }, (state) => {
    badge.className = `live ${state === "live" ? "on" : "off"}`;
    if (state !== "live") badge.textContent = state;
  });
}

async function showChain() {
  try {
    const status = await api.get("/status");
    document.getElementById("footer-chain").textContent =
      `${status.chain_id} · node ${status.moniker || status.node_id.slice(0, 8)} · chainbook ${status.node_version}`;
  } catch { /* the page itself reports an unreachable node */ }
}

document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = document.getElementById("search-input").value.trim();
  if (text) location.hash = `/search?q=${encodeURIComponent(text)}`;
});
window.addEventListener("hashchange", render);

await loadModuleViews().catch((err) => console.warn(`module views: ${err.message}`));
showChain();
startLiveStream();
render();
