// The bank's view: an account's balance (on its page) and the coin's supply. A module view is
// one file like this one: export default {module, account?, answers?, search?} (app.js).

import * as api from "../api.js";
import { accountLink, facts, formatAmount, h, section } from "../dom.js";

function balanceFacts(answer) {
  return facts([
    ["address", accountLink(answer.address, { whole: true })],
    ["balance", h("span", { class: "amount", id: "bank-balance" }, formatAmount(answer.balance))],
    ["in smallest units", String(answer.balance)],
    ["credited ever", answer.exists ? "yes" : "never"],
  ]);
}

function transferFacts(fields) {
  return facts([
    ["to", accountLink(fields.to, { whole: true })],
    ["amount", `${formatAmount(fields.amount)} (${fields.amount} smallest units)`],
    ["memo", fields.memo === "" ? h("span", { class: "muted" }, "none") : fields.memo],
  ]);
}

export default {
  module: "bank",
  fields: {
    "bank.transfer": (ctx, fields) => transferFacts(fields),
  },
  async account(ctx, address) {
    return section("Balance", balanceFacts(await api.query("bank", "balance", { address })));
  },
  answers: {
    balance: (ctx, params, answer) => balanceFacts(answer),
    supply: (ctx, params, answer) => facts([
      ["total", formatAmount(answer.total, answer.decimals)],
      ["minted by rewards", formatAmount(answer.minted, answer.decimals)],
      ["cap", answer.max ? formatAmount(answer.max, answer.decimals) : "none"],
      ["symbol", answer.symbol],
    ]),
  },
};
