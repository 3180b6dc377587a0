// The notary's view: an anchored document (who recorded it, when, in which transaction) with
// a link to check a file against it in the browser (#/verify).

import { accountLink, blockLink, facts, formatTime, h, link, message, mono, txLink } from "../dom.js";

export default {
  module: "notary",
  answers: {
    anchored: (ctx, params, a) => a.found
      ? h("div", {},
        message("ok", `anchored at height ${a.height || "0 (genesis)"}`),
        facts([
          ["hash", mono(a.hash, { whole: true })],
          ["kind", a.kind === "batch" ? `batch root of ${a.hashes} documents` : "document"],
          ["title", a.title || "—"],
          a.metadata ? ["metadata", a.metadata] : null,
          ["recorded by", accountLink(a.signer, { whole: true })],
          ["block", a.height ? blockLink(a.height) : "the genesis file"],
          ["time", formatTime(a.time_ms)],
          a.tx_hash ? ["transaction", txLink(a.tx_hash, { whole: true })] : null,
        ]),
        h("p", {}, link("#/verify", "Verify a file against the chain")))
      : message("warn", `not anchored: ${params.hash}`),
  },
};
