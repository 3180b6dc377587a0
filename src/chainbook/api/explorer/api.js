// The node's public API as the page uses it: JSON GETs and the WebSocket /events stream.
//
// Rules kept:
// - Every failure is an ApiError with the API's code and message (or "unreachable"), shown
//   to the person as it is; a 404 is `null` where the caller asked for find().
// - The stream resumes where it stopped: after a drop it reconnects with
//   from_height = last height received + 1 (the server sends each height once, whole), with a
//   growing pause (STREAM_RETRY_MS_MIN .. STREAM_RETRY_MS_MAX); a 4400 close (bad filter) is
//   final.
// - The page runs on the node that served it: every path is relative to its origin.

export const STREAM_RETRY_MS_MIN = 500;
export const STREAM_RETRY_MS_MAX = 10_000;
const CLOSE_BAD_REQUEST = 4400;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function get(path) {
  let response;
  try {
    response = await fetch(path, { headers: { accept: "application/json" } });
  } catch (err) {
    throw new ApiError(0, "unreachable", `the node did not answer ${path}: ${err.message}`);
  }
  if (!response.ok) {
    let body = {};
    try { body = await response.json(); } catch { /* not JSON: keep the status */ }
    throw new ApiError(response.status, body.error || `http_${response.status}`, body.message || response.statusText);
  }
  return response.json();
}

// The answer, or null when the node says there is no such thing (404).
export async function find(path) {
  try {
    return await get(path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export function query(module, name, params) {
  return get(`/apps/${encodeURIComponent(module)}/${encodeURIComponent(name)}?${new URLSearchParams(params)}`);
}

let modulesPromise = null;
// GET /apps once per page load: the modules with their queries' parameters and answer schemas.
export function getModules() {
  modulesPromise ??= get("/apps").catch((err) => { modulesPromise = null; throw err; });
  return modulesPromise;
}

let genesisPromise = null;
export function getGenesis() {
  genesisPromise ??= get("/genesis").catch((err) => { genesisPromise = null; throw err; });
  return genesisPromise;
}

// subscribe({kinds: "blocks,txs", module, ...}, onHeight, onState) -> unsubscribe function.
// onHeight(message) gets each {"type": "height"} message once; onState("live" | "reconnecting"
// | "closed: ...") tells the connection's state.
export function subscribe(params, onHeight, onState = () => {}) {
  let nextHeight = params.from_height ?? null;
  let socket = null;
  let stopped = false;
  let retryMs = STREAM_RETRY_MS_MIN;
  let timer = null;

  const open = () => {
    const wanted = { ...params };
    delete wanted.from_height;
    if (nextHeight !== null) wanted.from_height = nextHeight;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}/events?${new URLSearchParams(wanted)}`);
    socket.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      if (msg.type === "subscribed") {
        retryMs = STREAM_RETRY_MS_MIN;
        onState("live");
        return;
      }
      if (msg.type !== "height") return;
      if (nextHeight !== null && msg.height < nextHeight) return; // already shown
      nextHeight = msg.height + 1;
      onHeight(msg);
    };
    socket.onclose = (event) => {
      if (stopped) return;
      if (event.code === CLOSE_BAD_REQUEST) {
        onState(`closed: ${event.reason}`);
        return;
      }
      onState("reconnecting");
      timer = setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, STREAM_RETRY_MS_MAX);
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (socket && socket.readyState <= 1) socket.close(1000, "page left");
  };
}
