// An account: its nonce, what each module view shows of it (the bank's balance, ...), and its
// history (the transactions it signed or that named it), newest first, a page at a time.

import * as api from "../api.js";
import { blockLink, clear, facts, h, isAddress, message, mono, okBadge, section, table, txLink } from "../dom.js";

const PAGE_TXS = 20;

function historyBox(address) {
  const box = h("div", { id: "account-history" });
  const rows = [];
  let cursor = null;
  const more = h("button", { type: "button", id: "history-more" }, "Older transactions");
  const load = async () => {
    more.disabled = true;
    try {
      const page = await api.get(`/accounts/${address}/txs?limit=${PAGE_TXS}${cursor ? `&cursor=${cursor}` : ""}`);
      rows.push(...page.txs.map((t) => [
        txLink(t.hash), blockLink(t.height), t.action,
        t.sender === address ? "sent" : "named", okBadge(t.ok, t.code),
      ]));
      cursor = page.next_cursor;
      clear(box).append(table(["tx", "height", "action", "role", "outcome"], rows, { empty: "no transaction" }));
      if (cursor) { more.disabled = false; box.appendChild(more); }
    } catch (err) {
      clear(box).appendChild(message("error", `history: ${err.message}`));
    }
  };
  more.addEventListener("click", load);
  load();
  return box;
}

export async function render(ctx, [address]) {
  if (!isAddress(address)) return h("div", {}, message("error", `${JSON.stringify(address)} is not a 40-hex address`));
  const account = await api.get(`/accounts/${address}`);
  const extra = [];
  for (const view of ctx.views.values()) {
    if (!view.account || !ctx.modules.some((m) => m.name === view.module)) continue;
    try {
      const part = await view.account(ctx, address);
      if (part) extra.push(part);
    } catch (err) {
      extra.push(section(view.module, message("error", `${view.module}: ${err.message}`)));
    }
  }
  return h("div", { dataset: { title: `Account ${address.slice(0, 8)}` } },
    section("Account", facts([
      ["address", mono(address, { whole: true })],
      ["next nonce", `${account.nonce} (${account.pending_nonce} counting its pending transactions)`],
    ])),
    ...extra,
    section("History", historyBox(address)),
  );
}
