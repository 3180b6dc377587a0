// Governance's view: a proposal with its votes and tally (weighted by validator power).

import { accountLink, blockLink, facts, h, section, table, valueNode } from "../dom.js";
import { rowChart } from "../charts.js";

function proposalView(ctx, params, detail) {
  const p = detail.proposal;
  const t = detail.tally;
  const share = (x) => (t.power_total ? `${((100 * x) / t.power_total).toFixed(1)}%` : "—");
  return h("div", { class: "proposal" },
    facts([
      ["proposal", `#${p.id} · ${p.title}`],
      ["status", h("span", { class: `badge ${p.status}` }, p.status)],
      ["proposer", accountLink(p.proposer, { whole: true })],
      ["submitted", blockLink(p.submitted_height)],
      ["voting until", blockLink(p.deadline_height)],
      p.effective_height ? ["takes effect", blockLink(p.effective_height)] : null,
      p.reason ? ["reason", p.reason] : null,
    ]),
    section("Change", valueNode(p.change)),
    section(`Tally at height ${t.height} (power ${t.power_total}; more than 2/3 passes)`,
      rowChart("votes by power", [
        { label: `yes ${share(t.yes)}`, value: t.yes },
        { label: `no ${share(t.no)}`, value: t.no },
        { label: `abstain ${share(t.abstain)}`, value: t.abstain },
      ], { highlight: (row) => row.label.startsWith("yes") && 3 * t.yes > 2 * t.power_total })),
    section("Votes", table(["voter", "choice", "height"], detail.votes.map((v) => [
      accountLink(v.voter), v.choice, blockLink(v.height),
    ]), { empty: "no vote yet" })));
}

export default {
  module: "governance",
  answers: { proposal: proposalView },
};
