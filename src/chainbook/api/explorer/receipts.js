// Receipt files checked in the browser with the project's JavaScript verifier (js/verifier,
// served at /explorer/verifier/): the inclusion and outcome proofs, the header, the commit's
// signatures and the validator-set changes, trusting only the genesis file.
//
// Rule kept: the trust root is the genesis file, whose hash the person can compare with the
// one they hold (shown beside every verdict); the node that serves the page is not trusted for
// the verdict itself, only for delivering the bytes.

import * as api from "./api.js";
import { h } from "./dom.js";

let rootPromise = null;

export function isCryptoAvailable() {
  return Boolean(globalThis.crypto && globalThis.crypto.subtle);
}

export function cryptoMissingReason() {
  return "this browser gives no WebCrypto to this page: it is not a secure context (open the " +
    "explorer over https, or at http://127.0.0.1 / localhost, e.g. through an SSH tunnel)";
}

async function getTrustRoot() {
  rootPromise ??= (async () => {
    const verifier = await import("./verifier/verify.js");
    const genesis = await api.getGenesis();
    return { verifier, root: await verifier.trustRootFromGenesis(genesis, "the node's /genesis") };
  })().catch((err) => { rootPromise = null; throw err; });
  return rootPromise;
}

// The receipt file of a committed transaction, as text (what is verified and downloaded).
export async function fetchReceiptText(txHash) {
  const response = await fetch(`/txs/${txHash}/receipt`, { headers: { accept: "application/json" } });
  if (!response.ok) {
    let body = {};
    try { body = await response.json(); } catch { /* keep the status */ }
    throw new api.ApiError(response.status, body.error || `http_${response.status}`, body.message || response.statusText);
  }
  return response.text();
}

// The verifier's result for a receipt file (throws the verifier's ProofError when it fails).
export async function verifyReceiptText(text) {
  if (!isCryptoAvailable()) throw new Error(cryptoMissingReason());
  const { verifier, root } = await getTrustRoot();
  return verifier.verifyReceiptFile(text, root);
}

export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

// A link that saves `text` as a file; the object URL lives until the page is left.
export function downloadLink(ctx, text, filename, label = "Download the receipt file") {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  ctx.onLeave(() => URL.revokeObjectURL(url));
  return h("a", { href: url, download: filename, class: "button", id: "receipt-download" }, label);
}
