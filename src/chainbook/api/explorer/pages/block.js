// A block, by height or by hash: its header, who signed its commit, its transactions with
// their outcomes, and its block-level events (the bank's mint reward).

import * as api from "../api.js";
import {
  accountLink, facts, formatTime, h, isHash, link, message, mono, okBadge, section, table, txLink,
} from "../dom.js";

function eventsText(events) {
  return events.map((e) => `${e.module}.${e.kind}`).join(", ") || "—";
}

export async function render(ctx, [id]) {
  const byHash = isHash(id);
  if (!byHash && !/^[0-9]{1,19}$/.test(id)) {
    return h("div", {}, message("error", `${JSON.stringify(id)} is neither a height nor a 64-hex block hash`));
  }
  const block = await api.get(byHash ? `/blocks/hash/${id}` : `/blocks/${id}`);
  const header = block.header;
  const [results, validators] = await Promise.all([
    api.find(`/blocks/${header.height}/results`),
    api.get("/validators").then((v) => v.validators).catch(() => []),
  ]);
  const name = (address) => validators.find((v) => v.address === address)?.name;
  const signers = (block.commit?.signatures || []).map((s) => {
    const v = validators[s.validator_index];
    return v ? `${v.name || v.address.slice(0, 8)}` : `#${s.validator_index}`;
  });
  const receipts = results?.receipts || [];
  const nav = h("p", { class: "pager" },
    header.height > 1 ? link(`#/block/${header.height - 1}`, "← previous") : null, " ",
    link(`#/block/${header.height + 1}`, "next →"));
  return h("div", { dataset: { title: `Block ${header.height}` } },
    section(`Block ${header.height}`, nav, facts([
      ["hash", mono(block.hash, { whole: true })],
      ["time", formatTime(header.time_ms)],
      ["proposer", h("span", {}, name(header.proposer) ? `${name(header.proposer)} ` : "", accountLink(header.proposer, { whole: true }))],
      ["transactions", String(header.tx_count)],
      ["previous", header.height > 1 ? link(`#/block/${header.height - 1}`, mono(header.prev_block_hash, { whole: true })) : "—"],
      ["txs root", mono(header.txs_root, { whole: true })],
      ["receipts root", mono(header.receipts_root, { whole: true })],
      ["app hash", mono(header.app_hash, { whole: true })],
      ["validators hash", mono(header.validators_hash, { whole: true })],
      ["commit", block.commit ? `round ${block.commit.round}, signed by ${signers.join(", ")}` : "not stored"],
    ])),
    section("Transactions", table(["#", "tx", "outcome", "events"], receipts.map((r) => [
      String(r.index), txLink(r.tx_hash), okBadge(r.ok, r.code), eventsText(r.events),
    ]), { empty: "an empty block" })),
    section("Block events", results?.events === null || results === null
      ? message("muted", "not recorded by this node's index")
      : table(["event", "attributes"], results.events.map((e) => [
        `${e.module}.${e.kind}`, e.attributes.map(([k, v]) => `${k}=${v}`).join(" "),
      ]), { empty: "none" })),
    h("p", {}, link(`/blocks/${header.height}`, "JSON"), " · ",
      link(`/blocks/${header.height}/raw`, "raw bytes")),
  );
}
