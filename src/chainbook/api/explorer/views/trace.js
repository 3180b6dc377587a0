// The trace module's view: an item's provenance timeline with its gaps marked, and its
// product type, verdict and history.
//
// The timeline is the item's own history and that of every lot it came from (split from,
// merged from), walked back to the manufacturer's creation, each lot up to the entry where
// this item's line left it (a parent's later life is not this item's provenance), in height
// order, ancestors first within a height. LOTS_SHOWN_MAX lots at most; every page of each
// history (the module keeps at most 256 entries an item).
//
// What a gap is, is the module's verdict (`verdict`, apps/trace/verdict.py), never recounted
// here; the page only places each gap the verdict lists where it happened:
// - unregistered_holder, quantity_mismatch: recorded by an acceptance, so marked right after
//   the `accepted` entry of that lot at that height (the lot may be an ancestor: its gaps are
//   the item's too);
// - handoff_not_accepted: marked after the `handed_over` entry at that height, which nobody
//   accepted (custody is in doubt from there);
// - missing_step: a required step nobody recorded: it has no place in time, so it is marked
//   at the end of the timeline, where the item stands now;
// - a gap whose entry is not in the timeline (past LOTS_SHOWN_MAX lots) is listed at the end.
// The score (the number of gaps) is the verdict's; past the module's 32 detailed gaps the
// rest are counted only, and the page says so. Time between entries is not a gap: the
// module does not judge it, and nor does the page.
//
// The page is live (live.js: module trace, item = this item): it is drawn again at every
// committed height that carries one of its transactions or events, so an acceptance, a record
// or a split appears (and a gap it closes disappears) without reload.

import * as api from "../api.js";
import {
  accountLink, blockLink, facts, formatTime, h, link, message, section, table, txLink,
} from "../dom.js";
import { liveBox } from "../live.js";
import { Registry } from "../registry.js";

export const LOTS_SHOWN_MAX = 16;
const HISTORY_PAGES_MAX = 8; // entries_per_item_max (256) / history_page_entries_max (32)

const GAP_TITLES = {
  unregistered_holder: "custody taken by an account that was no registered institution",
  quantity_mismatch: "the quantity counted is not the quantity handed over",
  handoff_not_accepted: "handed over, never accepted: custody is in doubt",
  missing_step: "a required step was never recorded",
};

function itemHref(item) { return `#/apps/trace/item?${new URLSearchParams({ item })}`; }
function productHref(product) { return `#/apps/trace/product?${new URLSearchParams({ product })}`; }
function itemLink(item) { return link(itemHref(item), item); }

async function getHistory(item) {
  const entries = [];
  let start = 0;
  for (let pages = 0; start !== null && pages < HISTORY_PAGES_MAX; pages += 1) {
    const page = await api.query("trace", "history", { item, start });
    entries.push(...page.entries);
    start = page.next;
  }
  return entries;
}

function isLeftFor(entry, children) {
  return (entry.kind === "split_into" || entry.kind === "merged_into")
    && entry.related.some((r) => children.has(r));
}

// [{item, depth, info, entries}] of the item and the lots it came from, nearest first; each
// ancestor's entries cut after the last one where a lot of this line left it.
export async function collectLineage(item) {
  const lots = new Map();
  let level = [item];
  const childrenOf = new Map([[item, new Set()]]);
  for (let depth = 0; level.length && lots.size < LOTS_SHOWN_MAX; depth += 1) {
    const names = level.filter((name) => !lots.has(name)).slice(0, LOTS_SHOWN_MAX - lots.size);
    const found = await Promise.all(names.map(async (name) => {
      const [info, entries] = await Promise.all([api.query("trace", "item", { item: name }), getHistory(name)]);
      return { item: name, depth, info, entries };
    }));
    level = [];
    for (const lot of found) {
      if (!lot.info.found) continue;
      lots.set(lot.item, lot);
      for (const parent of lot.info.parents) {
        if (!childrenOf.has(parent)) childrenOf.set(parent, new Set());
        childrenOf.get(parent).add(lot.item);
        level.push(parent);
      }
    }
  }
  for (const lot of lots.values()) {
    if (lot.item === item) continue;
    const children = childrenOf.get(lot.item);
    let last = -1;
    lot.entries.forEach((e, i) => { if (isLeftFor(e, children)) last = i; });
    if (last >= 0) lot.entries = lot.entries.slice(0, last + 1);
  }
  return [...lots.values()];
}

// The timeline's rows in order: entries, each followed by the gaps it opened; then the gaps
// with no place in time.
export function placeGaps(lots, gaps) {
  const rows = [];
  for (const lot of lots) for (const entry of lot.entries) rows.push({ lot, entry, gaps: [] });
  rows.sort((a, b) => a.entry.height - b.entry.height || b.lot.depth - a.lot.depth || a.entry.number - b.entry.number);
  const after = (kind, gap) => {
    for (let i = rows.length - 1; i >= 0; i -= 1) {
      const { lot, entry } = rows[i];
      if (lot.item === gap.item && entry.kind === kind && entry.height === gap.height) return rows[i];
    }
    return null;
  };
  const unplaced = [];
  for (const gap of gaps) {
    const kind = { unregistered_holder: "accepted", quantity_mismatch: "accepted", handoff_not_accepted: "handed_over" }[gap.kind];
    const row = kind ? after(kind, gap) : null;
    if (row) row.gaps.push(gap);
    else unplaced.push(gap);
  }
  return { rows, unplaced };
}

// --- drawing ---------------------------------------------------------------------------------

async function describeEntry(e, registry) {
  const party = (address) => registry.party(address, { unregistered: "unregistered account" });
  switch (e.kind) {
    case "created": return [e.quantity === 1 ? "created (a single item)" : `created: a lot of ${e.quantity}`];
    case "handed_over": return [`handed over ${e.quantity} to `, await party(e.party)];
    case "accepted": return [`accepted, ${e.quantity} counted`];
    case "cancelled": return ["hand-off cancelled by the holder"];
    case "recorded": return ["recorded ", h("strong", {}, e.step), e.note ? [" · ", h("q", {}, e.note)] : null];
    case "split_from": return [`split off `, itemLink(e.related[0]), `: ${e.quantity}`];
    case "split_into": return [`split ${e.quantity} into `, e.related.map((r, i) => [i ? ", " : "", itemLink(r)])];
    case "merged_from": return ["made of the lots ", e.related.map((r, i) => [i ? ", " : "", itemLink(r)])];
    case "merged_into": return ["merged into ", itemLink(e.related[0])];
    default: return [e.kind];
  }
}

function gapMark(item, gap) {
  return h("li", { class: "gap", dataset: { kind: gap.kind } },
    h("div", { class: "when" }, gap.height ? `block ${gap.height}` : "never recorded"),
    h("div", { class: "what" },
      h("span", { class: "badge failed" }, `gap: ${gap.kind.replaceAll("_", " ")}`), " ",
      GAP_TITLES[gap.kind] || "",
      h("div", { class: "muted detail" }, gap.item === item ? gap.detail : `of the lot ${gap.item} it came from: ${gap.detail}`)));
}

async function timeline(item, lots, verdict, registry) {
  const { rows, unplaced } = placeGaps(lots, verdict.gaps);
  const several = lots.length > 1;
  const items = [];
  for (const { lot, entry, gaps } of rows) {
    items.push(h("li", { class: `entry ${entry.kind}`, dataset: { kind: entry.kind, lot: lot.item, height: entry.height } },
      h("div", { class: "when" }, "block ", blockLink(entry.height), h("div", { class: "muted" }, formatTime(entry.time_ms))),
      h("div", { class: "what" },
        several ? h("span", { class: lot.item === item ? "lot self" : "lot" }, lot.item) : null,
        ...(await describeEntry(entry, registry)),
        h("div", { class: "muted by" }, "by ", await registry.party(entry.by, { unregistered: "unregistered account" }), " · ", txLink(entry.tx_hash)))));
    for (const gap of gaps) items.push(gapMark(item, gap));
  }
  for (const gap of unplaced) items.push(gapMark(item, gap));
  const counted = verdict.score - verdict.gaps.length;
  return h("div", {},
    h("ol", { id: "trace-timeline", class: "timeline", dataset: { entries: rows.length, gaps: verdict.gaps.length, score: verdict.score } }, items),
    counted > 0 ? message("warn", `and ${counted} more gaps of the lots it came from, counted in the score but not detailed by the module`) : null);
}

function verdictNote(verdict) {
  if (!verdict.found) return message("error", `unknown: no item ${JSON.stringify(verdict.item)} on this chain: most likely a fake`);
  if (verdict.verdict === "complete") return message("ok", "complete: score 0. Every hand-off was accepted by a registered institution with the quantity handed over, and every required step was recorded.");
  return message("error", `${verdict.score} ${verdict.score === 1 ? "gap" : "gaps"} (score ${verdict.score}; 0 is complete): the chain of custody has missing links, marked below.`);
}

function stepsNode(verdict) {
  if (!verdict.steps_required.length) return h("span", { class: "muted" }, "none required");
  const done = new Set(verdict.steps_done);
  return h("span", { class: "steps" }, verdict.steps_required.map((s) =>
    h("span", { class: done.has(s) ? "badge ok" : "badge failed", dataset: { step: s, done: String(done.has(s)) } }, `${done.has(s) ? "✓" : "✗"} ${s}`)));
}

async function itemBody(item) {
  const verdict = await api.query("trace", "verdict", { item });
  if (!verdict.found) return h("div", { id: "trace-item", dataset: { verdict: "unknown" } }, verdictNote(verdict));
  const registry = new Registry();
  const lots = await collectLineage(item);
  const info = lots[0].info;
  const holder = await registry.party(info.holder, { unregistered: "unregistered account" });
  return h("div", { id: "trace-item", dataset: { verdict: verdict.verdict, score: verdict.score } },
    verdictNote(verdict),
    facts([
      ["item", h("span", {}, h("strong", {}, item), info.quantity === 1 && !info.parents.length ? " · a single item" : ` · a lot of ${info.quantity} now`)],
      ["product", link(productHref(info.product), info.product)],
      ["manufacturer", await registry.institution(info.manufacturer)],
      ["holder", holder],
      info.pending_to ? ["waiting", h("span", {}, "handed over to ", await registry.party(info.pending_to, { unregistered: "unregistered account" }), " at height ", blockLink(info.pending_height), ", not accepted yet")] : null,
      ["required steps", stepsNode(verdict)],
      info.parents.length ? ["came from", h("span", {}, info.parents.map((p, i) => [i ? ", " : "", itemLink(p)]))] : null,
      info.consumed_into.length ? ["went into", h("span", {}, info.consumed_into.map((p, i) => [i ? ", " : "", itemLink(p)]))] : null,
      info.metadata ? ["metadata", h("code", {}, info.metadata)] : null,
      ["created", h("span", {}, "at height ", blockLink(info.created_height), ` · ${formatTime(info.created_time_ms)} · `, txLink(info.tx_hash))],
    ]),
    section(`Provenance timeline (${lots.length} ${lots.length === 1 ? "lot" : "lots"}${lots.length >= LOTS_SHOWN_MAX ? ", the nearest shown" : ""}; live)`,
      await timeline(item, lots, verdict, registry)));
}

async function itemView(ctx, params, info) {
  if (!info.found) return verdictNote({ found: false, item: params.item });
  return liveBox(ctx, { module: "trace", item: info.item }, await itemBody(info.item),
    () => itemBody(info.item), { what: "trace" });
}

function historyTable(page) {
  return table(["#", "block", "time", "entry", "by", "party", "quantity", "step", "note", "lots"], page.entries.map((e) => [
    String(e.number), blockLink(e.height), formatTime(e.time_ms), e.kind, accountLink(e.by),
    e.party ? accountLink(e.party) : "", e.quantity ? String(e.quantity) : "", e.step, e.note,
    h("span", {}, e.related.map((r, i) => [i ? ", " : "", itemLink(r)])),
  ]), { empty: "no entry" });
}

export default {
  module: "trace",
  answers: {
    item: itemView,
    verdict: (ctx, params, verdict) => h("div", {},
      verdictNote(verdict),
      verdict.found ? [
        table(["gap", "lot", "height", "detail"], verdict.gaps.map((g) => [g.kind, itemLink(g.item), g.height ? blockLink(g.height) : "never", g.detail]), { empty: "no gap" }),
        h("p", {}, link(itemHref(verdict.item), "the provenance timeline")),
      ] : null),
    product: async (ctx, params, p) => {
      if (!p.found) return message("warn", `no product type ${JSON.stringify(params.product)} on this chain`);
      return facts([
        ["product", h("span", {}, h("strong", {}, p.product), ` · ${p.name}`)],
        ["manufacturer", await new Registry().institution(p.manufacturer)],
        ["required steps", p.steps.length ? h("ol", { class: "tree" }, p.steps.map((s) => h("li", {}, s.name, s.role ? h("span", { class: "muted" }, ` (only an institution holding ${s.role})`) : h("span", { class: "muted" }, " (the holder, a logistics operator or customs)")))) : "none"],
        ["registered", h("span", {}, "at height ", blockLink(p.height), " · ", txLink(p.tx_hash))],
      ]);
    },
    history: (ctx, params, page) => (page.found
      ? h("div", {}, h("p", {}, `entries ${params.start || 0}.. of ${page.total} of `, itemLink(page.item),
        page.next !== null ? [" · ", link(`#/apps/trace/history?${new URLSearchParams({ item: page.item, start: page.next })}`, "next page")] : null),
      historyTable(page))
      : verdictNote({ found: false, item: params.item })),
  },
};
