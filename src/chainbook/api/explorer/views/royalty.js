// The royalty module's view: a work's royalty flows. The split table (each holder's share now)
// beside who received how much from the work (a row chart over its payees, past holders
// included), the totals and the latest payments. It is live: its own WebSocket /events
// subscription (module royalty, item = the work id) asks the work and its payees again each
// time a committed height carries a payment, a split change or a price change of the work.
// An account's page lists the works it holds shares in.

import * as api from "../api.js";
import { rowChart } from "../charts.js";
import {
  accountLink, blockLink, clear, facts, formatAmount, h, link, message, mono, section, short, table,
} from "../dom.js";

const LATEST_PAYMENTS = 10;

function percent(bps) {
  return `${(Number(bps) / 100).toFixed(2).replace(/\.?0+$/, "")} %`;
}

function count(n, one, many = `${one}s`) {
  return `${n} ${Number(n) === 1 ? one : many}`;
}

function workLink(work) {
  return link(`#/apps/royalty/work?work=${encodeURIComponent(work)}`, work);
}

// Amounts of the native coin in CBK; of an issued token in its decimals and symbol.
async function amountFormat(token) {
  if (token === "") return (value) => formatAmount(value);
  let decimals = 0;
  try {
    const info = await api.query("assets", "token", { token });
    if (info.found) decimals = Number(info.decimals);
  } catch { /* shown in base units */ }
  return (value) => {
    let units;
    try { units = BigInt(value); } catch { return `${value} ${token}`; }
    const scale = 10n ** BigInt(decimals);
    const fraction = decimals ? `.${(units % scale).toString().padStart(decimals, "0")}` : "";
    return `${(units / scale).toString()}${fraction} ${token}`;
  };
}

async function flowsBox(work) {
  const [info, payees] = await Promise.all([
    api.query("royalty", "work", { work }),
    api.query("royalty", "payees", { work }),
  ]);
  if (!info.found) return message("warn", `no work ${JSON.stringify(work)}`);
  const format = await amountFormat(info.token);
  const start = Math.max(0, info.payments - LATEST_PAYMENTS);
  const payments = info.payments ? await api.query("royalty", "payments", { work, start }) : { payments: [] };
  const rows = payees.payees.map((p) => ({
    label: short(p.holder, 6), value: Number(p.received), holder: p.holder, share: p.share,
  }));
  return h("div", { id: "royalty-flows", dataset: { payments: info.payments, paid: info.paid, version: info.version } },
    h("p", {}, `${count(info.payments, "payment")} · ${count(info.uses, "use")} · ${format(info.paid)} paid to ${count(payees.total, "holder")}`,
      payees.next !== null ? ` (the first ${payees.payees.length} shown)` : ""),
    rowChart("received by holder", rows, {
      valueFormat: (v) => format(v), highlight: (row) => Number(row.share) > 0,
    }),
    h("h3", {}, `Split table (version ${info.version})`),
    table(["holder", "share", "received"], info.split.map((line) => {
      const payee = payees.payees.find((p) => p.holder === line.holder);
      return [accountLink(line.holder, { whole: true }), percent(line.share), payee ? format(payee.received) : "—"];
    }), { cls: "royalty-split" }),
    h("h3", {}, "Latest payments"),
    table(["#", "payer", "use", "uses", "amount", "reference", "height"],
      payments.payments.slice().reverse().map((p) => [
        String(p.number), accountLink(p.payer), p.use, String(p.uses), format(p.amount),
        p.reference || h("span", { class: "muted" }, "—"), blockLink(p.height),
      ]), { empty: "no payment yet", cls: "royalty-payments" }));
}

async function workView(ctx, params, info) {
  if (!info.found) return message("warn", `no work ${JSON.stringify(params.work)}`);
  const box = h("div", {}, await flowsBox(info.work));
  const refresh = async () => {
    try {
      clear(box).appendChild(await flowsBox(info.work));
    } catch (err) {
      clear(box).appendChild(message("error", `royalty flows: ${err.message}`));
    }
  };
  ctx.onLeave(api.subscribe({ kinds: "txs,events", module: "royalty", item: info.work }, refresh));
  const format = await amountFormat(info.token);
  return h("div", {},
    facts([
      ["work", `${info.work} · ${info.title}`],
      ["rights manager", link(`#/apps/governance/institution?id=${encodeURIComponent(info.institution)}`, info.institution)],
      ["registered", info.height ? h("span", {}, "at ", blockLink(info.height), " by ", accountLink(info.registrant)) : "imported by the genesis file"],
      ["token", info.token === "" ? "the native coin" : info.token],
      ["prices", info.prices.map((p) => `${p.use} ${format(p.price)}`).join(" · ")],
      ["metadata", mono(info.metadata_hash, { whole: true })],
      ["history", link(`#/apps/royalty/split_history?work=${encodeURIComponent(info.work)}`, count(info.version + 1, "split table"))],
    ]),
    section("Royalty flows (live)", box));
}

export default {
  module: "royalty",
  answers: {
    work: workView,
    payees: async (ctx, params, page) => {
      if (!page.found) return message("warn", `no work ${JSON.stringify(params.work)}`);
      const format = await amountFormat(page.token);
      return rowChart("received by holder", page.payees.map((p) => ({
        label: short(p.holder, 6), value: Number(p.received), share: p.share,
      })), { valueFormat: (v) => format(v), highlight: (row) => Number(row.share) > 0 });
    },
  },
  fields: {
    "royalty.pay": (ctx, fields) => facts([
      ["work", workLink(fields.work)],
      ["use", `${fields.uses} × ${fields.use}`],
      ["amount", String(fields.amount)],
      ["reference", fields.reference || h("span", { class: "muted" }, "none")],
    ]),
  },
  async account(ctx, address) {
    const page = await api.query("royalty", "works_of", { holder: address });
    if (!page.total) return null;
    return section("Royalties", table(["work", "share now", "received"], page.works.map((w) => [
      workLink(w.work), percent(w.share), w.token === "" ? formatAmount(w.received) : `${w.received} ${w.token} (base units)`,
    ]), { cls: "royalty-works" }));
  },
};
