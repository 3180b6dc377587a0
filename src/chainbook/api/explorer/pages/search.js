// Search: one box for a tx hash, a block height or hash, an account, and anything a module
// query finds by one value (a document hash, a ballot, a proposal id, an asset, an item, a
// case...). Every candidate is asked at once; one hit opens it, several are listed.
//
// Module candidates come from GET /apps: every query with exactly one required parameter
// whose schema accepts the text (integer, a hex pattern, a string within its length), so a
// module that lands later is searchable without a change here. An answer counts as a hit
// unless it is a 404 or says found: false. A module view may add its own (view.search).

import * as api from "../api.js";
import { h, isAddress, isHash, link, message, section, table } from "../dom.js";

export const SEARCH_TEXT_CHARS_MAX = 200;

export function acceptsText(schema, text) {
  if (!schema) return false;
  if (schema.enum) return schema.enum.includes(text);
  if (schema.type === "integer") {
    if (!/^[0-9]{1,19}$/.test(text)) return false;
    const value = Number(text);
    return !(schema.minimum !== undefined && value < schema.minimum) && !(schema.maximum !== undefined && value > schema.maximum);
  }
  if (schema.type !== "string") return false;
  if (schema.pattern && !new RegExp(schema.pattern).test(text)) return false;
  if (schema.maxLength !== undefined && text.length > schema.maxLength) return false;
  if (schema.minLength !== undefined && text.length < schema.minLength) return false;
  return true;
}

export function moduleCandidates(modules, text) {
  const found = [];
  for (const m of modules) {
    for (const q of m.query_schemas || []) {
      const required = q.parameters.filter((p) => p.required);
      if (required.length !== 1) continue;
      if (acceptsText(required[0].schema, text)) found.push({ module: m.name, query: q.name, param: required[0].name });
    }
  }
  return found;
}

async function tryModule({ module, query, param }, text) {
  try {
    const answer = await api.query(module, query, { [param]: text });
    if (answer && answer.found === false) return null;
    return { label: `${module} ${query}`, detail: `${param} = ${text}`, href: `#/apps/${module}/${query}?${new URLSearchParams({ [param]: text })}` };
  } catch (err) {
    if (err instanceof api.ApiError && (err.status === 404 || err.status === 400)) return null;
    throw err;
  }
}

export async function findAll(ctx, text) {
  const lookups = [];
  if (/^[0-9]{1,19}$/.test(text)) {
    lookups.push(api.find(`/blocks/${text}`).then((b) => b && { label: "block", detail: `height ${text}`, href: `#/block/${text}` }));
  }
  if (isHash(text)) {
    lookups.push(api.find(`/txs/${text}`).then((t) => t && { label: "transaction", detail: `at height ${t.height}`, href: `#/tx/${text}` }));
    lookups.push(api.find(`/blocks/hash/${text}`).then((b) => b && { label: "block", detail: `height ${b.header.height}`, href: `#/block/${text}` }));
  }
  if (isAddress(text)) lookups.push(Promise.resolve({ label: "account", detail: text, href: `#/account/${text}` }));
  for (const candidate of moduleCandidates(ctx.modules, text)) lookups.push(tryModule(candidate, text));
  for (const view of ctx.views.values()) if (view.search) lookups.push(view.search(ctx, text).then((hits) => hits || []));
  const settled = await Promise.allSettled(lookups);
  const hits = settled.filter((s) => s.status === "fulfilled").flatMap((s) => s.value ?? []).filter(Boolean);
  const errors = settled.filter((s) => s.status === "rejected").map((s) => s.reason.message);
  const seen = new Set();
  return { hits: hits.filter((hit) => !seen.has(hit.href) && seen.add(hit.href)), errors };
}

export async function render(ctx, _args, params) {
  const raw = (params.get("q") || "").trim();
  const text = /^0x[0-9a-fA-F]+$/.test(raw) ? raw.slice(2).toLowerCase() : /^[0-9a-fA-F]{40,64}$/.test(raw) ? raw.toLowerCase() : raw;
  if (!text) return h("div", {}, message("muted", "type a tx hash, a block height or hash, an account, a document hash or an id"));
  if (text.length > SEARCH_TEXT_CHARS_MAX) return h("div", {}, message("error", `search text of ${text.length} characters, at most ${SEARCH_TEXT_CHARS_MAX}`));
  const { hits, errors } = await findAll(ctx, text);
  if (hits.length === 1 && !errors.length) {
    ctx.go(hits[0].href);
    return h("div", {}, message("muted", `opening ${hits[0].label}…`));
  }
  return h("div", { dataset: { title: "Search" } }, section(`Search: ${text}`,
    hits.length ? table(["what", "", ""], hits.map((hit) => [hit.label, hit.detail, link(hit.href, "open")]))
      : message("warn", `nothing on this chain matches ${JSON.stringify(text)}`),
    errors.length ? message("error", `some lookups failed: ${errors.join("; ")}`) : null));
}
