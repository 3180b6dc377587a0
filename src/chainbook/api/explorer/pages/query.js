// A module query's answer: drawn by the module's own view when it has one for this query
// (views/<module>.js answers.<query>), else as a generic table of the answer's fields, with
// hashes and addresses linked. The query's form stays above it to ask again.

import * as api from "../api.js";
import { h, link, message, section, valueNode } from "../dom.js";
import { queryForm } from "./module.js";

export async function render(ctx, [module, name], params) {
  const m = ctx.modules.find((x) => x.name === module);
  const q = m && (m.query_schemas || []).find((x) => x.name === name);
  if (!q) return h("div", {}, message("error", `no query ${module}.${name} on this node`));
  const wanted = Object.fromEntries(params);
  const form = queryForm(ctx, module, q);
  for (const [key, value] of params) { const field = form.elements.namedItem(key); if (field) field.value = value; }
  const answer = await api.query(module, name, wanted);
  const view = ctx.views.get(module);
  const draw = view?.answers?.[name];
  const body = draw ? await draw(ctx, wanted, answer) : valueNode(answer);
  return h("div", { dataset: { title: `${module} ${name}` } },
    section(`${module} · ${name}`, h("p", { class: "muted" }, link(`#/apps/${module}`, `all ${module} queries`),
      " · ", link(`/apps/${module}/${name}?${params}`, "JSON"), " · ", link(`/apps/${module}/${name}?${params}&prove=true`, "state proof")), body),
    section("Ask again", form));
}
