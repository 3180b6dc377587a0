// Verify a document: the person picks a file; its SHA-256 is computed here, in the browser
// (the file never leaves it); the notary module is asked whether that hash is anchored; if so
// the anchoring transaction's receipt file is verified here with the project's verifier, and
// checked to anchor exactly this hash, and offered for download.
//
// Verdicts: "recorded" only when the receipt verifies from the genesis file AND its verified
// transaction is a successful notary.anchor of this very hash (so a node that answered the
// query wrongly cannot make a file pass). "not recorded" when the notary has no such hash
// (a document anchored inside a batch is found by its batch root, which its notary receipt
// holds: `chainbook notary verify` checks those). A record imported by the genesis file has no
// receipt: it is shown as such.

import * as api from "../api.js";
import { accountLink, blockLink, clear, facts, formatTime, h, message, mono, section, txLink } from "../dom.js";
import {
  cryptoMissingReason, downloadLink, fetchReceiptText, isCryptoAvailable, sha256Hex, verifyReceiptText,
} from "../receipts.js";

export const DOCUMENT_BYTES_MAX = 512 * 1024 * 1024;

export async function checkDocument(ctx, hash) {
  const anchor = await api.query("notary", "anchored", { hash });
  if (!anchor.found) {
    return { verdict: "not-recorded", parts: [message("warn", `not recorded: no anchoring of ${hash} on this chain`)] };
  }
  const rows = [
    ["document hash", mono(hash, { whole: true })],
    ["title", anchor.title || "—"],
    anchor.metadata ? ["metadata", anchor.metadata] : null,
    ["recorded by", accountLink(anchor.signer, { whole: true })],
    ["block", anchor.height ? blockLink(anchor.height) : "the genesis file"],
    ["time", formatTime(anchor.time_ms)],
    anchor.tx_hash ? ["transaction", txLink(anchor.tx_hash, { whole: true })] : null,
  ];
  if (!anchor.height || !anchor.tx_hash) {
    return { verdict: "genesis", parts: [message("ok", "recorded by the genesis file (no transaction, so no receipt)"), facts(rows)] };
  }
  const text = await fetchReceiptText(anchor.tx_hash);
  let result;
  try {
    result = await verifyReceiptText(text);
  } catch (err) {
    return { verdict: "receipt-invalid", parts: [message("error", `the node says it is recorded, but its receipt does not verify: ${err.message}`), facts(rows)] };
  }
  const action = result.action;
  if (!result.ok || action.type !== "notary.anchor" || action.fields[0] !== hash) {
    return { verdict: "receipt-mismatch", parts: [message("error", `the verified receipt is not a successful anchoring of this hash (it is ${action.type}, ok=${result.ok})`), facts(rows)] };
  }
  rows.push(["receipt", `verified in this browser: height ${result.height}, block ${result.blockHash.slice(0, 16)}…, signed by more than 2/3 of the validators, ${result.validatorChanges} validator-set changes followed from the genesis file`]);
  return {
    verdict: "recorded",
    parts: [message("ok", `recorded at height ${result.height}, ${formatTime(result.timeMs)}`), facts(rows),
      downloadLink(ctx, text, `receipt-${hash.slice(0, 16)}.json`)],
  };
}

export async function render(ctx) {
  const out = h("div", { id: "verify-result", "aria-live": "polite" });
  const genesis = await api.get("/status").then((s) => s.genesis_hash).catch(() => "");
  const input = h("input", { type: "file", id: "verify-file" });
  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    out.dataset.verdict = "working";
    clear(out).appendChild(message("muted", `hashing ${file.name} (${file.size} bytes)…`));
    try {
      if (!isCryptoAvailable()) throw new Error(cryptoMissingReason());
      if (file.size > DOCUMENT_BYTES_MAX) throw new Error(`${file.name} is ${file.size} bytes; this page hashes files up to ${DOCUMENT_BYTES_MAX} bytes (the CLI has no limit)`);
      const hash = await sha256Hex(await file.arrayBuffer());
      const { verdict, parts } = await checkDocument(ctx, hash);
      clear(out).append(h("p", {}, h("strong", {}, file.name), " · SHA-256 ", mono(hash, { whole: true })), ...parts);
      out.dataset.verdict = verdict;
      out.dataset.hash = hash;
    } catch (err) {
      out.dataset.verdict = "error";
      clear(out).appendChild(message("error", err.message));
    }
  });
  return h("div", { dataset: { title: "Verify a document" } },
    section("Verify a document",
      h("p", {}, "Pick a file: its SHA-256 is computed in this browser (the file is not sent anywhere), looked up in the notary module, and the receipt of its anchoring is verified here from the genesis file."),
      h("label", { class: "file" }, "File ", input),
      out,
      genesis ? h("p", { class: "muted" }, "Trust root: the genesis file of hash ", mono(genesis, { whole: true }), " (compare it with yours)") : null));
}
