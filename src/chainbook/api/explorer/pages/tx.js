// A committed transaction: its outcome and events, its decoded fields beside its hex, where it
// is (block, index, proof), and its receipt file, verified in the browser on request.

import * as api from "../api.js";
import {
  accountLink, blockLink, clear, facts, h, isHash, message, mono, okBadge, section, table, valueNode,
} from "../dom.js";
import { downloadLink, fetchReceiptText, verifyReceiptText } from "../receipts.js";

// A module view may draw its actions' fields (views/<module>.js fields.<action tag>).
function drawFields(ctx, decoded) {
  const draw = ctx.views.get(decoded.module)?.fields?.[decoded.action];
  return draw ? draw(ctx, decoded.fields) : valueNode(decoded.fields);
}

function verifyBox(ctx, hash) {
  const out = h("div", { id: "receipt-check" });
  const run = async () => {
    clear(out).appendChild(message("muted", "verifying…"));
    try {
      const text = await fetchReceiptText(hash);
      const result = await verifyReceiptText(text);
      clear(out).append(
        message("ok", `verified: included at height ${result.height}, index ${result.index}, under a header signed by more than 2/3 of the validators (${result.validatorChanges} validator-set changes followed from the genesis file)`),
        downloadLink(ctx, text, `receipt-${hash.slice(0, 16)}.json`));
    } catch (err) {
      clear(out).appendChild(message("error", `not verified: ${err.message}`));
    }
  };
  return h("div", {}, h("button", { type: "button", onclick: run, id: "receipt-verify" }, "Verify the receipt in this browser"), out);
}

export async function render(ctx, [hash]) {
  if (!isHash(hash)) return h("div", {}, message("error", `${JSON.stringify(hash)} is not a 64-hex transaction hash`));
  const tx = await api.find(`/txs/${hash}`);
  if (!tx) {
    const pending = await api.get("/mempool?limit=1000").catch(() => null);
    const waiting = pending?.hashes?.includes(hash);
    return h("div", { dataset: { title: "Transaction" } }, section("Transaction", message(waiting ? "warn" : "error",
      waiting ? `${hash} is pending in this node's mempool; this page shows it once committed` : `no committed transaction ${hash}`)));
  }
  const d = tx.decoded;
  const r = tx.receipt;
  return h("div", { dataset: { title: `Tx ${hash.slice(0, 8)}` } },
    section("Transaction", facts([
      ["hash", mono(hash, { whole: true })],
      ["outcome", h("span", {}, okBadge(r.ok, r.code), r.error ? ` ${r.error}` : "")],
      ["block", h("span", {}, blockLink(tx.height), ` · index ${tx.index}`)],
      d && ["action", d.action],
      d && ["signer", accountLink(d.signer, { whole: true })],
      d && ["nonce", String(d.nonce)],
    ])),
    d ? section("Fields", drawFields(ctx, d)) : null,
    section("Events", table(["event", "attributes"], r.events.map((e) => [
      `${e.module}.${e.kind}`, facts(e.attributes.map(([k, v]) => [k, valueNode(v)])),
    ]), { empty: "none" })),
    section("Receipt", verifyBox(ctx, hash),
      tx.proof ? facts([
        ["txs root", mono(tx.proof.txs_root, { whole: true })],
        ["audit path", `${tx.proof.audit_path.length} hashes (tree of ${tx.proof.tree_size})`],
        ["block hash", mono(tx.proof.block_hash, { whole: true })],
      ]) : null,
      h("details", {}, h("summary", {}, "signed bytes (hex)"), h("pre", { class: "hex-block" }, tx.tx))),
  );
}
