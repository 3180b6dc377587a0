// The evidence module's view: a case with its records (name and SHA-256; the records stay
// off chain), its policy ("k of these n": each entry and the institution meeting it), its
// endorsements (institution, the roles it held then, signer, statement, height, its registry
// status now) and whether the policy is met.
//
// Rules kept:
// - Whether the policy is met, and by whom, is the module's answer (`policy`: a maximum
//   matching of entries to distinct endorsers); the page draws it, it never recounts.
// - The case page is live (live.js: module evidence, item = the case id): `policy` is asked
//   again at each committed height that carries one of the case's transactions or events, so
//   an endorsement appears, and the policy turns met, without reload. A case never changes,
//   so only the policy box is redrawn.

import * as api from "../api.js";
import {
  accountLink, blockLink, facts, formatTime, h, message, mono, section, table, txLink,
} from "../dom.js";
import { liveBox } from "../live.js";
import { Registry } from "../registry.js";

const ROLE_NAMES = {
  court: "a court",
  notary_office: "a notary office",
  forensic_centre: "a forensic centre",
  certificate_authority: "a certificate authority",
};

function roleName(role) { return ROLE_NAMES[role] || `a ${role.replaceAll("_", " ")}`; }

function metNote(policy) {
  const counted = `${policy.met_count} ${policy.met_count === 1 ? "entry" : "entries"} met by distinct institutions, ${policy.required} needed`;
  return policy.met
    ? message("ok", `policy met at height ${policy.met_height}: ${counted}`)
    : message("warn", `policy not met: ${counted}`);
}

async function policyBox(policy) {
  const registry = new Registry();
  const entries = await Promise.all(policy.entries.map(async (e) => [
    e.kind === "role" ? `any institution that is ${roleName(e.name)}` : h("span", {}, "the institution ", await registry.institution(e.name)),
    e.met_by ? await registry.institution(e.met_by) : h("span", { class: "muted" }, "not yet"),
  ]));
  const endorsements = await Promise.all(policy.endorsements.map(async (e) => Object.assign([
    await registry.institution(e.institution),
    e.roles.join(", "),
    accountLink(e.signer),
    e.statement || h("span", { class: "muted" }, "—"),
    blockLink(e.height),
    formatTime(e.time_ms),
    txLink(e.tx_hash),
    e.status_now === "active" ? h("span", { class: "badge ok" }, "active")
      : h("span", { class: "badge failed" }, `revoked at ${e.revoked_height}`),
  ], { institution: e.institution })));
  const drawn = table(["institution", "roles then", "signer", "statement", "block", "time", "tx", "registry now"], endorsements, { empty: "no endorsement yet", cls: "endorsements" });
  drawn.querySelectorAll?.("tbody tr").forEach((tr, i) => { tr.dataset.institution = endorsements[i].institution; });
  return h("div", {
    id: "evidence-policy",
    dataset: { met: String(policy.met), metCount: policy.met_count, endorsements: policy.endorsements.length },
  },
  metNote(policy),
  section(`Policy: ${policy.required} of these ${policy.entries.length}`, table(["entry", "met by"], entries)),
  section(`Endorsements (${policy.endorsements.length})`, drawn));
}

async function caseView(ctx, params, c) {
  if (!c.found) return message("warn", `no case ${JSON.stringify(params.case)} on this chain`);
  const first = await policyBox(await api.query("evidence", "policy", { case: c.case }));
  return h("div", { id: "evidence-case", dataset: { case: c.case } },
    facts([
      ["case", h("span", {}, h("strong", {}, c.case), ` · ${c.title}`)],
      c.description ? ["description", c.description] : null,
      ["submitted by", accountLink(c.submitter, { whole: true })],
      ["submitted", h("span", {}, "at height ", blockLink(c.height), ` · ${formatTime(c.time_ms)} · `, txLink(c.tx_hash))],
      ["digest", h("span", {}, mono(c.digest, { whole: true }), h("span", { class: "muted" }, " (what every endorsement signs)"))],
    ]),
    section(`Records (${c.documents.length})`, h("p", { class: "muted" }, "The records themselves stay with the parties; the chain keeps their SHA-256."),
      table(["record", "SHA-256"], c.documents.map((d) => [d.name, mono(d.hash, { whole: true })]), { cls: "records" })),
    section("Endorsements and policy (live)", liveBox(ctx, { module: "evidence", item: c.case }, first,
      async () => policyBox(await api.query("evidence", "policy", { case: c.case })), { what: "policy" })));
}

async function endorsementView(ctx, params, a) {
  if (!a.found) return message("warn", `${params.institution} has not endorsed case ${params.case}`);
  const e = a.endorsement;
  const registry = new Registry();
  return facts([
    ["case", h("a", { href: `#/apps/evidence/case?${new URLSearchParams({ case: a.case })}` }, a.case)],
    ["institution", await registry.institution(a.institution)],
    ["roles then", e.roles.join(", ")],
    ["signer", accountLink(e.signer, { whole: true })],
    ["statement", e.statement || "—"],
    ["block", blockLink(e.height)],
    ["time", formatTime(e.time_ms)],
    ["transaction", txLink(e.tx_hash, { whole: true })],
  ]);
}

export default {
  module: "evidence",
  answers: {
    case: caseView,
    policy: async (ctx, params, policy) => (policy.found
      ? h("div", {}, h("p", {}, "of case ", h("a", { href: `#/apps/evidence/case?${new URLSearchParams({ case: policy.case })}` }, policy.case)), await policyBox(policy))
      : message("warn", `no case ${JSON.stringify(params.case)} on this chain`)),
    endorsement: endorsementView,
  },
};
