// The vote module's view: a ballot with its live tally chart. The tally is asked again each
// time a committed height carries a vote transaction or event of this ballot (its own
// WebSocket /events subscription, filtered by module and item), so the chart moves as votes
// are committed, without reload.

import * as api from "../api.js";
import { rowChart } from "../charts.js";
import { accountLink, blockLink, clear, facts, h, message, section } from "../dom.js";

function tallyBox(tally) {
  if (!tally.found) return message("warn", "no tally");
  const leading = new Set(tally.leading);
  return h("div", { id: "vote-tally", dataset: { counted: tally.counted_voters } },
    h("p", {}, `phase ${tally.phase}`, tally.final ? " (final)" : "",
      ` · ${tally.counted_voters} of ${tally.eligible_voters} voters counted (weight ${tally.counted_weight} of ${tally.eligible_weight})`,
      tally.unrevealed_voters ? ` · ${tally.unrevealed_voters} not revealed yet` : ""),
    rowChart("tally by option", tally.options.map((o) => ({ label: o.text, value: o.weight, option: o.option })),
      { highlight: (row) => leading.has(row.option) }));
}

async function ballotView(ctx, params, ballot) {
  if (!ballot.found) return message("warn", `no ballot ${JSON.stringify(params.ballot)}`);
  const box = h("div", {}, tallyBox(await api.query("vote", "tally", { ballot: ballot.ballot })));
  const refresh = async () => {
    try {
      clear(box).appendChild(tallyBox(await api.query("vote", "tally", { ballot: ballot.ballot })));
    } catch (err) {
      clear(box).appendChild(message("error", `tally: ${err.message}`));
    }
  };
  ctx.onLeave(api.subscribe({ kinds: "txs,events", module: "vote", item: ballot.ballot }, refresh));
  return h("div", {},
    facts([
      ["ballot", `${ballot.ballot} · ${ballot.title}`],
      ["created by", accountLink(ballot.creator, { whole: true })],
      ["options", ballot.options.join(" · ")],
      ["votes count at", h("span", {}, blockLink(ballot.open_height), " to ", blockLink(ballot.close_height), " (excluded)")],
      ["rules", `${ballot.weighting} weighting${ballot.secret ? `, secret (reveal within ${ballot.reveal_blocks} blocks)` : ""}${ballot.revote ? ", revoting allowed" : ""}`],
      ["voters", `${ballot.voters} (weight ${ballot.voters_weight})`],
    ]),
    section("Tally (live)", box));
}

export default {
  module: "vote",
  answers: {
    ballot: ballotView,
    tally: (ctx, params, tally) => tallyBox(tally),
  },
};
