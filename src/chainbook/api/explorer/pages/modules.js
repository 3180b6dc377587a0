// The node's modules (GET /apps): what each does, its actions, queries and error codes.

import { h, link, section, table } from "../dom.js";

export async function render(ctx) {
  return h("div", { dataset: { title: "Modules" } }, section("Modules", table(
    ["module", "summary", "actions", "queries", "view"],
    ctx.modules.map((m) => [
      link(`#/apps/${m.name}`, m.name), m.summary, String(m.actions.length),
      h("span", {}, m.queries.map((q, i) => [i ? ", " : "", link(`#/apps/${m.name}/${q}`, q)])),
      ctx.views.has(m.name) ? "its own" : "generic",
    ]), { empty: "this node runs no module" })));
}
