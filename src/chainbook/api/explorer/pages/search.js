// Search: one box for a tx hash, a block height or hash, an account, and anything a module
// query finds by one value (a document hash, a ballot, a proposal id, an asset, an item, a
// case...). The node answers what the text names (GET /search, api/lookup_routes.py: every
// module query with one key parameter is tried, so a module that lands later is searchable
// with no change here); a module view may add hits of its own (view.search). One hit opens
// it, several are listed.

import * as api from "../api.js";
import { h, link, message, section, table } from "../dom.js";

export const SEARCH_TEXT_CHARS_MAX = 200;

export function hrefOf(hit) {
  switch (hit.kind) {
    case "block": return `#/block/${hit.height}`;
    case "tx": return `#/tx/${hit.hash}`;
    case "account": return `#/account/${hit.address}`;
    default: return `#/apps/${hit.module}/${hit.query}?${new URLSearchParams({ [hit.parameter]: hit.value })}`;
  }
}

function describe(hit) {
  switch (hit.kind) {
    case "block": return ["block", `height ${hit.height}`];
    case "tx": return ["transaction", `at height ${hit.height}`];
    case "account": return ["account", hit.address];
    default: return [`${hit.module} ${hit.query}`, `${hit.parameter} = ${hit.value}`];
  }
}

export async function render(ctx, _args, params) {
  const text = (params.get("q") || "").trim();
  if (!text) return h("div", {}, message("muted", "type a tx hash, a block height or hash, an account, a document hash or an id"));
  if (text.length > SEARCH_TEXT_CHARS_MAX) return h("div", {}, message("error", `search text of ${text.length} characters, at most ${SEARCH_TEXT_CHARS_MAX}`));
  const answer = await api.get(`/search?${new URLSearchParams({ q: text })}`);
  const hits = answer.hits.map((hit) => ({ href: hrefOf(hit), what: describe(hit) }));
  for (const view of ctx.views.values()) {
    if (view.search) for (const hit of (await view.search(ctx, text)) || []) hits.push({ href: hit.href, what: [hit.label, hit.detail] });
  }
  if (hits.length === 1) {
    ctx.go(hits[0].href);
    return h("div", {}, message("muted", `opening ${hits[0].what[0]}…`));
  }
  return h("div", { dataset: { title: "Search" } }, section(`Search: ${text}`,
    hits.length ? table(["what", "", ""], hits.map((hit) => [hit.what[0], hit.what[1], link(hit.href, "open")]))
      : message("warn", `nothing on this chain matches ${JSON.stringify(text)}`)));
}
