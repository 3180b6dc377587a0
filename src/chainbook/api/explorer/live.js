// A part of a page redrawn as the chain commits what concerns it: its own WebSocket /events
// subscription (api.subscribe with a filter: module, item...) asks again at every committed
// height that matches, and the box shows the new drawing, without reload.
//
// Rules kept: one drawing at a time, and a height that arrives while one is being drawn makes
// one more drawing after it, so the box always ends on an answer asked after the last height
// it was told of (never an older answer over a newer one, never a height missed); the
// subscription ends when the person leaves the page (ctx.onLeave); a failed drawing shows
// the error in the box, and the next height tries again.

import * as api from "./api.js";
import { h, message } from "./dom.js";

export function liveBox(ctx, filter, first, draw, { what = "this part" } = {}) {
  const box = h("div", { class: "live-box" }, first);
  let drawing = false;
  let again = false;
  const redraw = async () => {
    if (drawing) { again = true; return; }
    drawing = true;
    try {
      do {
        again = false;
        try {
          box.replaceChildren(await draw());
        } catch (err) {
          box.replaceChildren(message("error", `${what}: ${err.code ? `${err.code}: ` : ""}${err.message}`));
        }
      } while (again);
    } finally {
      drawing = false;
    }
  };
  ctx.onLeave(api.subscribe({ kinds: "txs,events", ...filter }, redraw));
  return box;
}
