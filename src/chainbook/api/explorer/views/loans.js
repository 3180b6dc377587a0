// The loans module's view: a loan with its terms, its schedule (each instalment met or not),
// its repayment history and its status and figures now, redrawn at every committed height
// (interest accrues per block and a due height can pass without any transaction); a party's
// credit record (on its account page, and the loans_of and credit answers); an offer; the
// loan actions' fields in words. Chain text reaches the page only as text (dom.js).

import * as api from "../api.js";
import { rowChart } from "../charts.js";
import {
  accountLink, blockLink, clear, facts, formatAmount, h, link, message, mono, section, table, txLink,
} from "../dom.js";

const HISTORY_PAGES_MAX = 4; // 200 entries drawn; the history query pages the rest
const BADGES = { active: "", overdue: "expired", repaid: "passed", forgiven: "executed", defaulted: "failed" };
const NOTES = { active: "ok", overdue: "warn", repaid: "ok", forgiven: "ok", defaulted: "error" };

function amount(token, value) {
  return token === "" ? formatAmount(value) : `${value} ${token} (smallest units)`;
}

function rate(bps, period) {
  return `${bps} bps (${(bps / 100).toLocaleString("en")} %) per ${period.toLocaleString("en")} blocks`;
}

function badge(status) {
  return h("span", { class: `badge ${BADGES[status] ?? ""}`, dataset: { status } }, status);
}

function loanLink(id) {
  return link(`#/apps/loans/loan?loan_id=${encodeURIComponent(id)}`, id);
}

function collateralNode(collateral) {
  if (!collateral) return h("span", { class: "muted" }, "none");
  if (collateral.type === "asset") {
    return h("span", {}, "asset ", link(`#/apps/assets/asset?asset_id=${encodeURIComponent(collateral.asset_id)}`, collateral.asset_id));
  }
  return amount(collateral.token, collateral.amount);
}

function figuresFacts(token, now) {
  return facts([
    ["status", badge(now.status)],
    ["owed", h("span", { id: "loan-owed", dataset: { owed: now.outstanding } }, amount(token, now.outstanding))],
    ["of which interest", amount(token, now.interest)],
    ["principal outstanding", amount(token, now.principal)],
    ["to be current now", amount(token, now.due_now)],
    now.next_due_height !== null ? ["next instalment due", blockLink(now.next_due_height)] : null,
    now.overdue_since !== null ? ["overdue since", blockLink(now.overdue_since)] : null,
    now.default_height !== null ? ["default may be declared from", blockLink(now.default_height)] : null,
    ["at height", blockLink(now.height)],
  ]);
}

function statusLine(loan) {
  const now = loan.now;
  const text = {
    active: "active: on schedule",
    overdue: `overdue since height ${now.overdue_since}`,
    repaid: `repaid in full at height ${loan.closed_height}`,
    forgiven: `forgiven at height ${loan.closed_height}`,
    defaulted: `declared in default at height ${loan.closed_height}`,
  }[now.status] ?? now.status;
  return h("p", { class: `note ${NOTES[now.status] ?? ""}`, id: "loan-status", dataset: { status: now.status } }, text);
}

function scheduleTable(loan) {
  return table(["due at", "principal", "met"], loan.schedule.map((s) => [
    blockLink(s.due_height), amount(loan.token, s.principal),
    h("span", { class: s.met ? "yes" : "no" }, s.met ? "met" : "not yet"),
  ]), { cls: "loan-schedule" });
}

function progressChart(loan) {
  const principal = Number(loan.principal);
  return rowChart("where the principal is", [
    { label: "repaid", value: Number(loan.principal_repaid) },
    { label: "forgiven", value: Number(loan.principal_forgiven) },
    { label: "outstanding", value: Number(loan.now.principal) },
  ], { valueFormat: (v) => `${principal ? Math.round((100 * v) / principal) : 0} %`, highlight: (row) => row.label === "repaid" });
}

async function historyEntries(loanId) {
  const entries = [];
  let start = 0;
  for (let page = 0; page < HISTORY_PAGES_MAX && start !== null; page++) {
    const answer = await api.query("loans", "history", { loan_id: loanId, start });
    entries.push(...answer.entries);
    start = answer.next;
  }
  return { entries, more: start !== null };
}

function historyTable(token, entries) {
  return table(["height", "step", "by", "amount", "to interest", "to principal", "owed after", "tx"],
    entries.map((e) => [
      blockLink(e.height), e.kind, accountLink(e.payer), e.kind === "default" ? "—" : amount(token, e.amount),
      amount(token, e.interest), amount(token, e.principal),
      amount(token, BigInt(e.principal_outstanding) + BigInt(e.interest_owed)), txLink(e.tx_hash),
    ]), { empty: "no repayment yet", cls: "loan-history" });
}

async function loanBody(loan) {
  const history = await historyEntries(loan.loan_id);
  return h("div", { id: "loan", dataset: { status: loan.now.status, entries: loan.entries, height: loan.now.height } },
    statusLine(loan),
    h("div", { class: "columns" },
      section("Agreement", facts([
        ["loan", loan.loan_id],
        ["lender", accountLink(loan.lender, { whole: true })],
        ["borrower", accountLink(loan.borrower, { whole: true })],
        ["principal", amount(loan.token, loan.principal)],
        ["interest", rate(loan.rate_bps, loan.period_blocks)],
        ["grace after a missed due height", `${loan.grace_blocks} blocks`],
        ["collateral", h("span", {}, collateralNode(loan.collateral), ` · ${loan.collateral_state}`)],
        ["disbursed", h("span", {}, "height ", blockLink(loan.height), " in ", txLink(loan.tx_hash))],
        loan.offer_tx_hash ? ["offered in", txLink(loan.offer_tx_hash)] : ["signed by", "lender and borrower, in one transaction"],
        loan.memo ? ["memo", loan.memo] : null,
        loan.terms_hash ? ["written agreement (SHA-256)", mono(loan.terms_hash, { whole: true })] : null,
      ])),
      section("Now (live)", figuresFacts(loan.token, loan.now), progressChart(loan))),
    section("Schedule", scheduleTable(loan)),
    section(`Repayment history (${loan.entries})`, historyTable(loan.token, history.entries),
      history.more ? h("p", { class: "muted" }, "older entries: the history query, with start") : null));
}

async function loanView(ctx, params, loan) {
  const box = h("div", {}, await loanBody(loan));
  let drawing = false;
  ctx.onHeight(async () => {
    if (drawing) return; // one redraw at a time; the next height catches up
    drawing = true;
    try {
      clear(box).appendChild(await loanBody(await api.query("loans", "loan", { loan_id: loan.loan_id })));
    } catch (err) {
      clear(box).appendChild(message("error", `loan: ${err.message}`));
    } finally {
      drawing = false;
    }
  });
  return box;
}

function countsTable(credit) {
  const row = (role, c) => [role, String(c.total), String(c.active), String(c.repaid), String(c.forgiven), String(c.defaulted)];
  return table(["as", "loans", "active", "repaid", "forgiven", "defaulted"],
    [row("borrower", credit.as_borrower), row("lender", credit.as_lender)], { cls: "loan-counts" });
}

function partyTable(page) {
  const other = page.role === "lender" ? "borrower" : "lender";
  return table(["loan", other, "principal", "since", "status", "owed", "repaid", "steps"],
    page.loans.map((l) => [
      loanLink(l.loan_id), accountLink(l[other]), amount(l.token, l.principal), blockLink(l.height),
      badge(l.status), amount(l.token, l.outstanding), amount(l.token, BigInt(l.principal_repaid) + BigInt(l.interest_repaid)),
      String(l.entries),
    ]), { empty: `no loan as ${page.role}`, cls: `loans-as-${page.role}` });
}

function partyPage(page) {
  return h("div", {},
    partyTable(page),
    page.next !== null
      ? h("p", { class: "muted" }, link(`#/apps/loans/loans_of?address=${page.address}&role=${page.role}&start=${page.next}`, "more loans"))
      : null);
}

async function creditRecord(address) {
  const credit = await api.query("loans", "credit", { address });
  if (!credit.as_borrower.total && !credit.as_lender.total) return null;
  const pages = await Promise.all(["borrower", "lender"]
    .filter((role) => credit[`as_${role}`].total)
    .map((role) => api.query("loans", "loans_of", { address, role })));
  return section("Loans: credit record",
    h("div", { id: "credit-record" }, countsTable(credit),
      ...pages.map((page) => h("div", {}, h("h3", {}, `As ${page.role}`), partyPage(page)))));
}

function termsFacts(fields, lender) {
  return facts([
    ["loan", fields.loan_id],
    lender ? ["lender", accountLink(lender, { whole: true })] : null,
    ["borrower", accountLink(fields.borrower, { whole: true })],
    ["principal", amount(fields.token, fields.principal)],
    ["interest", rate(fields.rate_bps, fields.period_blocks)],
    ["instalments", fields.instalments.map((i) => `${amount(fields.token, i.principal)} due ${i.due_blocks} blocks after the disbursement`).join("; ")],
    ["grace", `${fields.grace_blocks} blocks`],
    ["collateral", collateralNode(fields.collateral)],
    fields.open_blocks !== undefined ? ["open for", `${fields.open_blocks} blocks`] : null,
    fields.memo ? ["memo", fields.memo] : null,
  ]);
}

function offerView(ctx, params, offer) {
  return h("div", { id: "loan-offer", dataset: { status: offer.status } },
    h("p", { class: `note ${offer.status === "open" ? "ok" : "warn"}` },
      offer.status === "accepted" ? h("span", {}, "accepted: ", loanLink(offer.loan_id)) : offer.status),
    facts([
      ["offer", offer.loan_id],
      ["lender", accountLink(offer.lender, { whole: true })],
      ["borrower", accountLink(offer.borrower, { whole: true })],
      ["principal (in escrow while open)", amount(offer.token, offer.principal)],
      ["interest", rate(offer.rate_bps, offer.period_blocks)],
      ["instalments", offer.due_blocks.map((d, i) => `${amount(offer.token, offer.instalment_principals[i])} at +${d}`).join("; ")],
      ["collateral", collateralNode(offer.collateral)],
      ["made", h("span", {}, "height ", blockLink(offer.height), " in ", txLink(offer.tx_hash))],
      ["open until", blockLink(offer.expires_height)],
    ]));
}

async function tokenOf(loanId) {
  return (await api.query("loans", "loan", { loan_id: loanId })).token;
}

export default {
  module: "loans",
  account: (ctx, address) => creditRecord(address),
  answers: {
    loan: loanView,
    outstanding: async (ctx, params, now) => figuresFacts(await tokenOf(params.loan_id), now),
    history: async (ctx, params, page) => historyTable(await tokenOf(params.loan_id), page.entries),
    loans_of: (ctx, params, page) => partyPage(page),
    credit: (ctx, params, credit) => countsTable(credit),
    offered: offerView,
  },
  fields: {
    "loans.create": (ctx, fields) => termsFacts(fields, fields.lender),
    "loans.offer": (ctx, fields) => termsFacts(fields, null),
    "loans.repay": (ctx, fields) => facts([["loan", loanLink(fields.loan_id)], ["amount", String(fields.amount)]]),
    "loans.repay_in_full": (ctx, fields) => facts([["loan", loanLink(fields.loan_id)], ["at most", String(fields.amount_max)]]),
  },
};
