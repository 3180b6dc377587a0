// The assets module's view: a token (its issuer, symbol, decimals, cap, supply, whether it is
// freezable, and its holders with the frozen ones marked), a unique asset with its whole
// ownership history, and on an account's page the tokens it holds and the assets it owns.
//
// Rules kept:
// - Amounts are drawn in the token's own decimals and symbol, never the native coin's: the
//   decimals come from the token's record (fixed at creation, so asked once per page load).
// - Holders and histories are the module's pages (20 items); the next page is asked for when
//   the person wants it (paging.js), so a token with many holders costs one request a page.
// - Frozen accounts are only queryable holder by holder (`holders` says `frozen`), so the
//   token page lists the frozen ones among the holders loaded and says how many it looked at.
// - A symbol is upper case by the module's rule, so the search box also finds "cnyx" as CNYX
//   (the node's GET /search already finds the exact symbol and an asset id).

import * as api from "../api.js";
import {
  accountLink, blockLink, facts, formatAmount, formatTime, h, link, message, mono, section, txLink,
} from "../dom.js";
import { pagedTable } from "../paging.js";
import { Registry } from "../registry.js";

const SYMBOL = /^[A-Z][A-Z0-9]{1,11}$/;
const decimalsOf = new Map(); // token -> Promise<decimals | null>; fixed at creation

function tokenHref(token) { return `#/apps/assets/token?${new URLSearchParams({ token })}`; }
function assetHref(assetId) { return `#/apps/assets/asset?${new URLSearchParams({ asset_id: assetId })}`; }
export function tokenLink(token) { return link(tokenHref(token), token); }
export function assetLink(assetId) { return link(assetHref(assetId), assetId); }

function getDecimals(token) {
  if (!decimalsOf.has(token)) {
    decimalsOf.set(token, api.query("assets", "token", { token })
      .then((t) => (t.found && !t.native ? t.decimals : null), () => { decimalsOf.delete(token); return null; }));
  }
  return decimalsOf.get(token);
}

// An amount of a token: its base units at once, its display units once the decimals are known.
export function tokenAmount(token, amount) {
  const el = h("span", { class: "amount", title: `${amount} base units` }, `${amount} base units of ${token}`);
  getDecimals(token).then((decimals) => {
    if (decimals !== null) el.textContent = formatAmount(amount, decimals, token);
  });
  return el;
}

function share(part, whole) {
  if (!whole) return "—";
  const percent = (100 * Number(part)) / Number(whole);
  return `${percent < 0.01 && part > 0 ? "< 0.01" : percent.toFixed(2)}%`;
}

function frozenBadge(frozen) {
  return frozen ? h("span", { class: "badge failed" }, "frozen") : h("span", { class: "muted" }, "no");
}

// --- a token ---------------------------------------------------------------------------------

function holdersTable(token, info) {
  const frozenSeen = [];
  const frozenBox = h("div", { id: "assets-frozen" });
  const drawFrozen = (loaded, total) => {
    frozenBox.replaceChildren(
      frozenSeen.length
        ? h("p", {}, `${frozenSeen.length} frozen: `, frozenSeen.map((a, i) => [i ? ", " : "", accountLink(a)]))
        : h("p", { class: "muted" }, "none frozen"),
      ...(loaded < total ? [h("p", { class: "muted" }, `among the first ${loaded} of ${total} holders (load more holders to see the rest)`)] : []));
    frozenBox.dataset.frozen = String(frozenSeen.length);
  };
  let loaded = 0;
  const holders = pagedTable(["account", "balance", "share of supply", "frozen"], async (start) => {
    const page = await api.query("assets", "holders", { token, start });
    loaded += page.holders.length;
    for (const x of page.holders) if (x.frozen) frozenSeen.push(x.address);
    if (info.freezable) drawFrozen(loaded, page.total);
    return {
      total: page.total, next: page.next,
      rows: page.holders.map((x) => Object.assign([
        accountLink(x.address), formatAmount(x.balance, info.decimals, token), share(x.balance, info.supply), frozenBadge(x.frozen),
      ], { dataset: { address: x.address, frozen: String(x.frozen) } })),
    };
  }, { id: "assets-holders", empty: "nobody holds it yet", moreText: "More holders" });
  return { holders, frozen: info.freezable ? frozenBox : h("p", { class: "muted" }, "not freezable: no account can ever be frozen in it") };
}

async function tokenView(ctx, params, info) {
  if (!info.found) return message("warn", `no token ${JSON.stringify(params.token)} on this chain (symbols are 2 to 12 of A-Z 0-9, upper case)`);
  if (info.native) return h("div", {}, message("muted", "token id \"\" is the chain's native coin: its supply is the bank's"), link("#/apps/bank/supply", "bank supply"));
  const t = info.symbol || params.token;
  const registry = new Registry();
  const amount = (x) => h("span", {}, formatAmount(x, info.decimals, t), h("span", { class: "muted" }, ` (${x} base units)`));
  const { holders, frozen } = holdersTable(t, info);
  await holders.ready;
  return h("div", { id: "assets-token", dataset: { token: t, supply: info.supply } },
    facts([
      ["token", h("span", {}, h("strong", {}, t), ` · ${info.name}`)],
      ["issuer", await registry.institution(info.institution)],
      ["created by", accountLink(info.creator, { whole: true })],
      ["created", info.height ? h("span", {}, "at height ", blockLink(info.height), info.tx_hash ? [" · ", txLink(info.tx_hash)] : null) : "by the genesis file"],
      ["decimals", `${info.decimals} (1 ${t} = ${10n ** BigInt(info.decimals)} base units)`],
      ["supply", h("span", { id: "assets-supply" }, amount(info.supply))],
      ["cap", info.supply_max ? h("span", {}, amount(info.supply_max), ` · ${share(info.supply, info.supply_max)} issued`) : "none"],
      ["minted", amount(info.minted)],
      ["burned", amount(info.burned)],
      ["freezable", info.freezable ? h("span", {}, h("span", { class: "yes" }, "yes"), ": its issuer may freeze an account") : h("span", { class: "no" }, "no")],
    ]),
    section(`Holders (${info.holders})`, holders),
    section("Frozen accounts", frozen));
}

// --- a unique asset --------------------------------------------------------------------------

function historyTable(assetId, start = 0) {
  return pagedTable(["#", "block", "time", "event", "from", "to", "signed by", "tx"], async (from) => {
    const page = await api.query("assets", "asset_history", { asset_id: assetId, start: from });
    return {
      total: page.total, next: page.next,
      rows: page.entries.map((e) => Object.assign([
        String(e.number), blockLink(e.height), formatTime(e.time_ms),
        e.kind === "registered" ? "registered" : e.module ? `moved by ${e.module}` : "transfer",
        e.previous_owner ? accountLink(e.previous_owner) : h("span", { class: "muted" }, "—"),
        accountLink(e.owner),
        e.by ? accountLink(e.by) : h("span", { class: "muted" }, "genesis"),
        e.tx_hash ? txLink(e.tx_hash) : h("span", { class: "muted" }, "—"),
      ], { dataset: { kind: e.kind, owner: e.owner } })),
    };
  }, { id: "asset-history", empty: "no entry", moreText: "More history", start });
}

async function assetView(ctx, params, a) {
  if (!a.found) return message("warn", `no asset ${JSON.stringify(params.asset_id)} is registered on this chain`);
  const registry = new Registry();
  const history = historyTable(a.asset_id);
  await history.ready;
  return h("div", { id: "assets-asset", dataset: { owner: a.owner } },
    facts([
      ["asset", h("strong", {}, a.asset_id)],
      ["owner", accountLink(a.owner, { whole: true })],
      ["metadata hash", h("span", {}, mono(a.metadata_hash, { whole: true }), h("span", { class: "muted" }, " (SHA-256 of its document, kept off chain)"))],
      ["registered by", a.registrant ? accountLink(a.registrant, { whole: true }) : "imported by the genesis file"],
      ["registrar", a.institution ? h("span", {}, await registry.institution(a.institution), " (an issuer when it registered)")
        : h("span", { class: "muted" }, "none: the registrant was no registered issuer (a private claim)")],
      ["registered", h("span", {}, a.height ? ["at height ", blockLink(a.height), " · "] : "genesis · ", formatTime(a.time_ms), a.tx_hash ? [" · ", txLink(a.tx_hash)] : null)],
      ["transfers", String(Math.max(0, a.entries - 1))],
    ]),
    section(`Ownership history (${a.entries} entries)`, history));
}

// --- an account ------------------------------------------------------------------------------

function balancesTable(address) {
  return pagedTable(["token", "balance", "frozen"], async (start) => {
    const page = await api.query("assets", "balances", { address, start });
    const decimals = await Promise.all(page.balances.map((b) => getDecimals(b.token)));
    return {
      total: page.total, next: page.next,
      rows: page.balances.map((b, i) => Object.assign([
        tokenLink(b.token), decimals[i] === null ? `${b.balance} base units` : formatAmount(b.balance, decimals[i], b.token), frozenBadge(b.frozen),
      ],
        { dataset: { token: b.token, frozen: String(b.frozen) } })),
    };
  }, { id: "assets-balances", empty: "holds no token", moreText: "More tokens" });
}

function ownedTable(owner) {
  return pagedTable(["asset"], async (start) => {
    const page = await api.query("assets", "assets_of", { owner, start });
    return { total: page.total, next: page.next, rows: page.asset_ids.map((id) => Object.assign([assetLink(id)], { dataset: { asset: id } })) };
  }, { id: "assets-owned", empty: "owns no registered asset", moreText: "More assets" });
}

function tokensTable(start) {
  return pagedTable(["token"], async (from) => {
    const page = await api.query("assets", "tokens", { start: from });
    return { total: page.total, next: page.next, rows: page.tokens.map((t) => [tokenLink(t)]) };
  }, { id: "assets-tokens", empty: "no token yet", moreText: "More tokens", start });
}

async function accountPart(ctx, address) {
  const [held, owned] = [balancesTable(address), ownedTable(address)];
  await Promise.all([held.ready, owned.ready]);
  if (held.dataset.total === "0" && owned.dataset.total === "0") return null;
  return section("Tokens and assets", h("h3", {}, "Token balances"), held, h("h3", {}, "Registered assets owned"), owned);
}

// --- transactions ----------------------------------------------------------------------------

function amountFields(fields) {
  return facts([
    ["token", tokenLink(fields.token)],
    fields.to ? ["to", accountLink(fields.to, { whole: true })] : null,
    ["amount", tokenAmount(fields.token, fields.amount)],
    fields.memo ? ["memo", fields.memo] : null,
  ]);
}

export default {
  module: "assets",
  account: accountPart,
  answers: {
    token: tokenView,
    tokens: async (ctx, params) => { const t = tokensTable(Number(params.start || 0)); await t.ready; return t; },
    asset: assetView,
    asset_history: async (ctx, params, page) => {
      if (!page.found) return message("warn", `no asset ${JSON.stringify(params.asset_id)} is registered on this chain`);
      const t = historyTable(page.asset_id, Number(params.start || 0));
      await t.ready;
      return h("div", {}, h("p", {}, "of ", assetLink(page.asset_id)), t);
    },
    holders: async (ctx, params, page) => {
      if (!page.found) return message("warn", `no token ${JSON.stringify(params.token)} on this chain`);
      const { holders } = holdersTable(page.token, await api.query("assets", "token", { token: page.token }));
      await holders.ready;
      return h("div", {}, h("p", {}, "of ", tokenLink(page.token)), holders);
    },
    balance: (ctx, params, b) => facts([
      ["account", accountLink(b.address, { whole: true })],
      ["token", tokenLink(b.token)],
      ["balance", tokenAmount(b.token, b.balance)],
      ["frozen", frozenBadge(b.frozen)],
      ["ever held", b.exists ? "yes" : "never"],
    ]),
    balances: async (ctx, params) => { const t = balancesTable(params.address); await t.ready; return t; },
    assets_of: async (ctx, params) => { const t = ownedTable(params.owner); await t.ready; return t; },
  },
  fields: {
    "assets.transfer": (ctx, fields) => amountFields(fields),
    "assets.mint": (ctx, fields) => amountFields(fields),
    "assets.burn": (ctx, fields) => amountFields(fields),
  },
  async search(ctx, text) {
    const symbol = text.toUpperCase();
    if (symbol === text || !SYMBOL.test(symbol)) return []; // the node found the exact text
    const info = await api.query("assets", "token", { token: symbol }).catch(() => null);
    return info?.found ? [{ label: "assets token", detail: `token = ${symbol}`, href: tokenHref(symbol) }] : [];
  },
};
