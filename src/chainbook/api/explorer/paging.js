// A table filled a page at a time from a module's paged query (`start` in, `next` out):
// the first page at once, the next one when the person asks ("More"), so a record with
// thousands of entries costs one request a page, never all of them.
//
// load(start) -> Promise<{rows: [[cell, ...], ...], next: number | null, total: number}>;
// rows are arrays of cells (text or elements), each row may carry `row.dataset` for the tests.

import { clear, h, message, table } from "./dom.js";

export function pagedTable(headers, load, { id, empty = "nothing yet", moreText = "More", start = 0 } = {}) {
  const box = h("div", { id, class: "paged" });
  const rows = [];
  let next = start;
  const more = h("button", { type: "button", class: "more" }, moreText);
  const fetchPage = async () => {
    more.disabled = true;
    try {
      const page = await load(next);
      rows.push(...page.rows);
      next = page.next;
      const drawn = table(headers, rows, { empty });
      drawn.querySelectorAll("tbody tr").forEach((tr, i) => Object.assign(tr.dataset, rows[i].dataset || {}));
      clear(box).appendChild(drawn);
      box.dataset.rows = String(rows.length);
      box.dataset.total = String(page.total);
      if (next !== null && next !== undefined) {
        more.disabled = false;
        box.appendChild(h("p", { class: "pager" }, more, h("span", { class: "muted" }, ` ${rows.length} of ${page.total} shown`)));
      }
    } catch (err) {
      clear(box).appendChild(message("error", `${err.code ? `${err.code}: ` : ""}${err.message}`));
    }
  };
  more.addEventListener("click", fetchPage);
  box.ready = fetchPage();
  return box;
}
