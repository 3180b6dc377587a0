// The settlement module's view: an offer or a hashed time-lock with its legs (who pays whom,
// how much of which token) and its status, refreshed live: the record is asked again each time
// a committed height carries a settlement transaction or event naming its id (its own
// WebSocket /events subscription, filtered by module and item), so an accept, a claim or a
// refund shows without reload. Also: the lists (by maker, by status, by party) as tables, an
// account's offers and locks on its page, and the legs of swap / make_offer / make_lock
// transactions on their page.

import * as api from "../api.js";
import {
  accountLink, blockLink, clear, facts, formatAmount, h, isAddress, message, mono, section, table,
  txLink,
} from "../dom.js";

const decimalsCache = new Map();

// The decimals of a token ("" the native coin, whose are the explorer's); null when unknown.
async function decimalsOf(token) {
  if (token === "") return undefined;
  if (!decimalsCache.has(token)) {
    decimalsCache.set(token, api.query("assets", "token", { token })
      .then((t) => (t.found ? t.decimals : null)).catch(() => null));
  }
  return decimalsCache.get(token);
}

// "1,085.00 HKDHK (108500 base units)"; the native coin as the bank shows it.
function amountText(token, amount, decimals) {
  if (token === "") return `${formatAmount(amount)} (${amount} base units)`;
  if (decimals === null || decimals === undefined) return `${amount} base units of ${token}`;
  return `${formatAmount(amount, decimals).replace(/ \S+$/, "")} ${token} (${amount} base units)`;
}

// A party: an address (linked) or a role in words ("the sender", "whoever accepts").
function party(who) {
  return isAddress(who) ? accountLink(who) : h("span", { class: "muted" }, who);
}

// One leg, drawn at once in base units; the token's decimals fill in when known.
function leg(from, to, token, amount, note = "") {
  const shown = h("strong", { class: "leg-amount" }, amountText(token, amount, null));
  if (token !== "") decimalsOf(token).then((d) => { shown.textContent = amountText(token, amount, d); });
  return h("li", { class: "leg", dataset: { from, to, token, amount: String(amount) } },
    party(from), " pays ", party(to), " ", shown,
    note ? h("span", { class: "muted" }, ` ${note}`) : null);
}

function statusBadge(status, expired) {
  const text = status === "open" && expired ? "open, expired" : status;
  return h("span", { class: `badge ${status === "open" && !expired ? "ok" : status}`, id: "settlement-status" }, text);
}

function closedFacts(r, verb) {
  if (!r.closed_height) return [];
  return [
    [verb, h("span", {}, "at ", blockLink(r.closed_height), " by ", accountLink(r.closed_by, { whole: true }))],
    ["closing transaction", txLink(r.closed_tx, { whole: true })],
  ];
}

function offerBody(o) {
  const taker = o.status === "accepted" || o.restricted ? o.taker : "whoever accepts";
  return h("div", { id: "settlement-record", dataset: { kind: "offer", id: String(o.offer_id), status: o.status } },
    section("Legs", h("ol", { class: "legs" },
      leg(o.maker, taker, o.give_token, o.give_amount,
        o.status === "open" ? "(held in escrow until accepted)" : ""),
      leg(taker, o.maker, o.want_token, o.want_amount))),
    facts([
      ["offer", `#${o.offer_id}`],
      ["status", statusBadge(o.status, o.expired)],
      ["maker", accountLink(o.maker, { whole: true })],
      ["taker", o.restricted || o.status === "accepted" ? accountLink(o.taker, { whole: true }) : "anyone"],
      ["may be accepted until", h("span", {}, "height ", blockLink(o.expiry_height), o.expired ? " (passed: anyone may reclaim it)" : "")],
      ["made", h("span", {}, "at ", blockLink(o.height), " in ", txLink(o.tx_hash))],
      o.memo ? ["memo", o.memo] : null,
      ...closedFacts(o, o.status),
    ]));
}

function lockBody(l) {
  return h("div", { id: "settlement-record", dataset: { kind: "lock", id: String(l.lock_id), status: l.status } },
    section("Leg", h("ol", { class: "legs" },
      leg(l.sender, l.status === "refunded" ? l.sender : l.recipient, l.token, l.amount,
        l.status === "open" ? "(held in escrow until claimed or refunded)" : l.status === "refunded" ? "(refunded)" : ""))),
    facts([
      ["lock", `#${l.lock_id}`],
      ["status", statusBadge(l.status, l.expired)],
      ["sender", accountLink(l.sender, { whole: true })],
      ["recipient", accountLink(l.recipient, { whole: true })],
      ["hash lock (SHA-256)", mono(l.hash_lock, { whole: true })],
      ["claimable until", h("span", {}, "height ", blockLink(l.deadline_height), l.expired ? " (passed: anyone may refund it)" : "")],
      l.preimage ? ["preimage", h("code", { class: "hex", id: "settlement-preimage" }, l.preimage)] : null,
      ["made", h("span", {}, "at ", blockLink(l.height), " in ", txLink(l.tx_hash))],
      l.memo ? ["memo", l.memo] : null,
      ...closedFacts(l, l.status),
    ]));
}

// A record drawn now and again whenever a committed height names it.
function liveRecord(ctx, kind, id, first) {
  const query = kind === "offer" ? "offer" : "lock";
  const param = kind === "offer" ? { offer_id: id } : { lock_id: id };
  const draw = kind === "offer" ? offerBody : lockBody;
  const box = h("div", { class: "live-record" }, draw(first));
  const refresh = async () => {
    try {
      clear(box).appendChild(draw(await api.query("settlement", query, param)));
    } catch (err) {
      clear(box).appendChild(message("error", `${query}: ${err.message}`));
    }
  };
  ctx.onLeave(api.subscribe({ kinds: "txs,events", module: "settlement", item: String(id) }, refresh));
  return box;
}

function offerRow(o) {
  return [
    h("a", { href: `#/apps/settlement/offer?offer_id=${o.offer_id}` }, `#${o.offer_id}`),
    o.expired && o.status === "open" ? "open, expired" : o.status,
    accountLink(o.maker),
    `${o.give_amount} ${o.give_token || "native"} for ${o.want_amount} ${o.want_token || "native"}`,
    blockLink(o.expiry_height),
  ];
}

function lockRow(l) {
  return [
    h("a", { href: `#/apps/settlement/lock?lock_id=${l.lock_id}` }, `#${l.lock_id}`),
    l.expired && l.status === "open" ? "open, expired" : l.status,
    accountLink(l.sender), accountLink(l.recipient),
    `${l.amount} ${l.token || "native"}`,
    blockLink(l.deadline_height),
  ];
}

function more(page) {
  return page.next === null || page.next === undefined ? null
    : h("p", { class: "muted" }, `${page.total} in all; the next page starts at ${page.next}`);
}

const OFFER_HEADERS = ["offer", "status", "maker", "legs (base units)", "expiry"];
const LOCK_HEADERS = ["lock", "status", "sender", "recipient", "amount (base units)", "deadline"];

function offersTable(page) {
  return h("div", {}, table(OFFER_HEADERS, page.offers.map(offerRow), { empty: "no offer", cls: "settlement-offers" }), more(page));
}

function locksTable(page) {
  return h("div", {}, table(LOCK_HEADERS, page.locks.map(lockRow), { empty: "no lock", cls: "settlement-locks" }), more(page));
}

function legsOf(pairs) {
  return h("ol", { class: "legs" }, pairs.map(([from, to, token, amount]) => leg(from, to, token, amount)));
}

export default {
  module: "settlement",
  answers: {
    offer: (ctx, params, o) => (o.found ? liveRecord(ctx, "offer", o.offer_id, o)
      : message("warn", `no offer ${params.offer_id}`)),
    lock: (ctx, params, l) => (l.found ? liveRecord(ctx, "lock", l.lock_id, l)
      : message("warn", `no lock ${params.lock_id}`)),
    offers_by_maker: (ctx, params, page) => offersTable(page),
    offers_by_status: (ctx, params, page) => offersTable(page),
    locks_by_party: (ctx, params, page) => locksTable(page),
  },
  fields: {
    "settlement.swap": (ctx, f) => h("div", {},
      h("p", {}, "Payment versus payment: both legs in this one transaction, or neither."),
      legsOf([["the sender", f.counterparty, f.give_token, f.give_amount],
        [f.counterparty, "the sender", f.get_token, f.get_amount]])),
    "settlement.make_offer": (ctx, f) => h("div", {},
      legsOf([["the maker", f.taker || "whoever accepts", f.give_token, f.give_amount],
        [f.taker || "whoever accepts", "the maker", f.want_token, f.want_amount]]),
      facts([["may be accepted until", blockLink(f.expiry_height)], f.memo ? ["memo", f.memo] : null])),
    "settlement.make_lock": (ctx, f) => h("div", {},
      legsOf([["the sender", f.recipient, f.token, f.amount]]),
      facts([["hash lock (SHA-256)", mono(f.hash_lock, { whole: true })],
        ["claimable until", blockLink(f.deadline_height)], f.memo ? ["memo", f.memo] : null])),
  },
  async account(ctx, address) {
    const [offers, locks] = await Promise.all([
      api.query("settlement", "offers_by_maker", { maker: address }),
      api.query("settlement", "locks_by_party", { party: address }),
    ]);
    if (!offers.total && !locks.total) return null;
    return section("Settlement", h("h3", {}, "Offers made"), offersTable(offers),
      h("h3", {}, "Hash locks sent or received"), locksTable(locks));
  },
};
