// One module: a form for each of its queries, built from the parameter schemas of GET /apps,
// and its actions, error codes and limits.

import { facts, h, message, section, table } from "../dom.js";

function inputFor(param) {
  const s = param.schema || {};
  const attrs = { name: param.name, required: param.required, spellcheck: "false", autocomplete: "off" };
  if (s.enum) return h("select", attrs, (param.required ? [] : [""]).concat(s.enum).map((v) => h("option", { value: v }, v || "(any)")));
  if (s.type === "boolean") return h("select", attrs, ["", "true", "false"].map((v) => h("option", { value: v }, v || "(default)")));
  if (s.type === "integer") Object.assign(attrs, { inputmode: "numeric", pattern: "[0-9]*", placeholder: "integer" });
  else if (s.pattern) Object.assign(attrs, { placeholder: s.pattern.includes("{40}") ? "40 hex" : s.pattern.includes("{64}") ? "64 hex" : "hex" });
  else Object.assign(attrs, { placeholder: "text" });
  return h("input", attrs);
}

export function queryForm(ctx, module, q) {
  const form = h("form", { class: "query", dataset: { query: q.name } },
    h("h3", {}, q.name), h("p", { class: "muted" }, q.summary || ""),
    q.parameters.map((p) => h("label", {}, `${p.name}${p.required ? "" : " (optional)"} `, inputFor(p))),
    h("button", { type: "submit" }, "Ask"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (String(value) !== "") params.set(key, String(value));
    ctx.go(`#/apps/${module}/${q.name}?${params}`);
  });
  return form;
}

export async function render(ctx, [name]) {
  const m = ctx.modules.find((x) => x.name === name);
  if (!m) return h("div", {}, message("error", `this node has no module ${JSON.stringify(name)}; modules: ${ctx.modules.map((x) => x.name).join(", ")}`));
  return h("div", { dataset: { title: `Module ${name}` } },
    section(`Module ${name}`, h("p", {}, m.summary), facts([
      ["actions", m.actions.join(", ") || "—"],
      ["errors", m.errors.join(", ") || "—"],
    ])),
    section("Queries", h("div", { class: "forms" }, (m.query_schemas || []).map((q) => queryForm(ctx, name, q)))),
    section("Limits", table(["limit", "value"], Object.entries(m.limits).map(([k, v]) => [k, String(v)]), { empty: "none" })));
}
