// The invoice module's view: an invoice with its payment. The invoice's fields and status, the
// lines read from its paying transaction (the chain keeps only their hash; the amounts are
// recomputed here with the module's rounding rule and must give the recorded total), the
// payment transaction linked, and its reimbursement or void. The status follows the chain
// live (live.js: its own WebSocket /events subscription, module invoice, item = the invoice
// id, asks the invoice again when a committed height carries one of its events).
// Also: the lines of an `invoice.pay` on its transaction's page, an account's invoices as a
// buyer, the pages by seller, buyer and period, and a period's totals.

import * as api from "../api.js";
import {
  accountLink, blockLink, facts, formatAmount, formatTime, h, link, message, mono, section, table,
  txLink,
} from "../dom.js";
import { liveBox } from "../live.js";
import { pagedTable } from "../paging.js";

const BPS = 10_000n;

// The tax of one line, rounded half up to the base unit (apps/invoice/offer.py).
function lineTax(amount, rateBps) {
  return (amount * BigInt(rateBps) + BPS / 2n) / BPS;
}

function computeLines(lines) {
  let amount = 0n;
  let tax = 0n;
  const rows = lines.map((line) => {
    const lineAmount = BigInt(line.quantity) * BigInt(line.unit_price);
    const taxed = lineTax(lineAmount, line.tax_rate_bps);
    amount += lineAmount;
    tax += taxed;
    return { ...line, amount: lineAmount, tax: taxed };
  });
  return { rows, amount, tax, total: amount + tax };
}

const tokenDecimals = new Map();

// How to show amounts of a token: the native coin's decimals and symbol, or the assets
// token's (asked once per page load).
async function tokenFormat(token) {
  if (!token) return (units) => formatAmount(units);
  if (!tokenDecimals.has(token)) {
    const info = await api.query("assets", "token", { token }).catch(() => null);
    tokenDecimals.set(token, info?.found ? info.decimals : 0);
  }
  const decimals = tokenDecimals.get(token);
  return (units) => formatAmount(units, decimals).replace(/ \S+$/, ` ${token}`);
}

function statusBadge(status) {
  const cls = status === "voided" ? "failed" : status === "reimbursed" ? "passed" : "ok";
  return h("span", { class: `badge ${cls}`, id: "invoice-status", dataset: { status } }, status);
}

function sellerLink(seller) {
  return link(`#/apps/invoice/by_seller?seller=${encodeURIComponent(seller)}`, seller);
}

function invoiceLink(id) {
  return link(`#/apps/invoice/invoice?id=${encodeURIComponent(id)}`, id);
}

function linesTable(computed, money) {
  return table(["description", "quantity", "unit price", "tax rate", "amount", "tax"],
    computed.rows.map((row) => [
      row.description, String(row.quantity), money(row.unit_price),
      `${(row.tax_rate_bps / 100).toFixed(2)} %`, money(row.amount), money(row.tax),
    ]), { cls: "invoice-lines" });
}

// The payment: the transaction that issued and paid the invoice, with the lines it carried.
async function paymentSection(invoice, money) {
  const tx = await api.find(`/txs/${invoice.tx_hash}`);
  const rows = [
    ["transaction", txLink(invoice.tx_hash, { whole: true })],
    ["block", h("span", {}, blockLink(invoice.height), ` · ${formatTime(invoice.time_ms)}`)],
    ["from (buyer)", accountLink(invoice.buyer, { whole: true })],
    ["to (paid to)", accountLink(invoice.pay_to, { whole: true })],
    ["total paid", h("span", { id: "invoice-paid" }, money(invoice.total))],
  ];
  const offer = tx?.decoded?.fields?.offer;
  if (!offer) {
    return section("Payment", facts(rows), message("warn", "the paying transaction is not on this node"));
  }
  const computed = computeLines(offer.lines);
  const agrees = computed.total === BigInt(invoice.total) && computed.tax === BigInt(invoice.tax);
  return section("Payment", facts(rows),
    h("h3", {}, "Lines (from the paying transaction)"),
    linesTable(computed, money),
    agrees
      ? message("ok", `the lines add up to the total paid: ${money(computed.amount)} + tax ${money(computed.tax)}`)
      : message("error", `the lines add up to ${money(computed.total)}, not the recorded ${money(invoice.total)}`));
}

function claimSection(invoice, money) {
  if (invoice.status === "voided") {
    return section("Void", facts([
      ["voided by", accountLink(invoice.signer, { whole: true })],
      ["reason", invoice.reason || h("span", { class: "muted" }, "none given")],
      ["block", h("span", {}, blockLink(invoice.height), ` · ${formatTime(invoice.time_ms)}`)],
      ["transaction", txLink(invoice.tx_hash, { whole: true })],
    ]), message("muted", "a voided number is never paid"));
  }
  if (invoice.status !== "reimbursed") {
    return section("Reimbursement", message("muted", "not reimbursed yet (once at most)"));
  }
  return section("Reimbursement", facts([
    ["claimed by", accountLink(invoice.claimant, { whole: true })],
    ["institution", invoice.claimant_institution || h("span", { class: "muted" }, "none")],
    ["paid back", money(invoice.reimbursed_amount)],
    ["block", blockLink(invoice.reimbursed_height)],
    ["transaction", txLink(invoice.reimbursed_tx, { whole: true })],
  ]));
}

async function invoiceBox(invoice) {
  const money = await tokenFormat(invoice.token);
  const head = facts([
    ["invoice", mono(invoice.id, { whole: true })],
    ["status", statusBadge(invoice.status)],
    ["seller", sellerLink(invoice.seller)],
    ["number", invoice.number],
    invoice.status !== "voided" && ["buyer", accountLink(invoice.buyer, { whole: true })],
    invoice.status !== "voided" && ["token", invoice.token || "the native coin"],
    invoice.status !== "voided" && ["amount", money(invoice.amount)],
    invoice.status !== "voided" && ["tax", money(invoice.tax)],
    invoice.status !== "voided" && ["total", h("strong", {}, money(invoice.total))],
    invoice.status !== "voided" && ["authorised by", h("span", {},
      accountLink(invoice.signer, { whole: true }),
      invoice.authorisation === "cosigned" ? " (co-signed the payment)" : " (signed the offer)")],
    invoice.status !== "voided" && ["lines", `${invoice.lines} (hash ${invoice.lines_hash.slice(0, 16)}…)`],
  ]);
  const parts = [section("Invoice", head)];
  if (invoice.status !== "voided") parts.push(await paymentSection(invoice, money));
  parts.push(claimSection(invoice, money));
  return h("div", { id: "invoice", dataset: { status: invoice.status } }, ...parts);
}

async function invoiceView(ctx, params, invoice) {
  if (!invoice.found) return message("warn", `no invoice ${JSON.stringify(params.id)} on this chain`);
  const redraw = async () => invoiceBox(await api.query("invoice", "invoice", { id: invoice.id }));
  return liveBox(ctx, { module: "invoice", item: invoice.id }, await invoiceBox(invoice), redraw,
    { what: "invoice" });
}

function invoiceRow(i) {
  const row = [
    invoiceLink(i.id), statusBadge(i.status), blockLink(i.height),
    i.buyer ? accountLink(i.buyer) : h("span", { class: "muted" }, "—"),
    i.status === "voided" ? "—" : `${i.total} ${i.token || "(native)"}`,
  ];
  row.dataset = { invoice: i.id, status: i.status };
  return row;
}

// A list (by seller, buyer or period) over the asked heights, a page at a time with its
// cursor: the first page is the answer already asked; "More" asks the next.
function pageView(ctx, query, params, first) {
  const load = async (cursor) => {
    const page = cursor ? await api.query("invoice", query, { ...params, cursor }) : first;
    return { rows: page.invoices.map(invoiceRow), next: page.next, total: page.entries };
  };
  return h("div", {},
    h("p", { class: "muted" }, `${first.entries} in this list, every height; in height order`),
    pagedTable(["invoice", "status", "height", "buyer", "total (base units)"], load,
      { id: "invoice-list", empty: "no invoice in this range" }));
}

async function totalsView(ctx, params, totals) {
  const money = await tokenFormat(totals.token);
  return facts([
    ["seller", sellerLink(totals.seller)],
    ["token", totals.token || "the native coin"],
    ["heights", `${totals.from_height} to ${totals.to_height || "the latest"}`],
    ["paid invoices", h("span", { id: "invoice-totals-count" }, String(totals.invoices))],
    ["amount", money(totals.amount)],
    ["tax", money(totals.tax)],
    ["total", h("strong", {}, money(totals.total))],
  ]);
}

function offerFields(ctx, fields) {
  const offer = fields.offer;
  const computed = computeLines(offer.lines);
  const money = (units) => `${units} ${offer.token || "(native, base units)"}`;
  return h("div", {},
    facts([
      ["invoice", invoiceLink(`${offer.seller}/${offer.number}`)],
      ["seller", sellerLink(offer.seller)],
      ["seller key", mono(offer.seller_key, { whole: true })],
      ["buyer", offer.buyer ? accountLink(offer.buyer, { whole: true }) : "whoever pays it"],
      ["paid to", accountLink(offer.pay_to, { whole: true })],
      ["valid until height", String(offer.valid_until_height)],
      ["authorised by", fields.signature ? "the seller's signature of the offer" : "the seller's co-signature"],
      ["total", money(computed.total)],
    ]),
    linesTable(computed, money));
}

export default {
  module: "invoice",
  fields: {
    "invoice.pay": offerFields,
  },
  async account(ctx, address) {
    const page = await api.query("invoice", "by_buyer", { buyer: address });
    if (!page.found) return null;
    return section("Invoices (as buyer)", pageView(ctx, "by_buyer", { buyer: address }, page));
  },
  answers: {
    invoice: invoiceView,
    by_seller: (ctx, params, page) => pageView(ctx, "by_seller", params, page),
    by_buyer: (ctx, params, page) => pageView(ctx, "by_buyer", params, page),
    by_period: (ctx, params, page) => pageView(ctx, "by_period", params, page),
    totals: totalsView,
  },
};
