// The network page: the chain's state, its validators (power; up and signing, read from who
// signed the last commits), charts of the last minutes (height, block time, tx/s), and the
// blocks and transactions arriving live.
//
// How signing is read: a block's commit certificate lists the validators whose precommits it
// holds (more than 2/3 of the power suffices, so an up validator may miss some). A validator
// is "signing" when it is in the latest commit, "up" when it is in at least one of the last
// SIGN_WINDOW commits, "down" when it is in none. Commit signatures name validators by their
// index in the set of their height; the page maps them on the current set (a set changed by
// governance within the window is shown on the new one: good enough for a glance, the
// block pages show each commit exactly).

import * as api from "../api.js";
import { barChart, lineChart } from "../charts.js";
import {
  accountLink, blockLink, clear, facts, formatAge, h, message, mono, okBadge, section, table, txLink,
} from "../dom.js";

export const WINDOW_MS = 5 * 60 * 1000;
export const SIGN_WINDOW = 10;
const BLOCK_PAGES_MAX = 3;
const LIST_BLOCKS = 10;
const LIST_TXS = 15;
const TPS_BUCKET_MS = 10_000;
const BLOCK_TIME_BARS = 60;
const RENDER_MS_MIN = 500;

async function loadBlocks() {
  const blocks = [];
  let cursor = null;
  const since = Date.now() - WINDOW_MS;
  for (let page = 0; page < BLOCK_PAGES_MAX; page++) {
    const answer = await api.get(`/blocks?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    blocks.push(...answer.blocks);
    cursor = answer.next_cursor;
    const oldest = answer.blocks[answer.blocks.length - 1];
    if (!cursor || !oldest || oldest.time_ms < since) break;
  }
  return blocks.sort((a, b) => a.height - b.height);
}

async function loadSigners(height) {
  const block = await api.find(`/blocks/${height}`);
  if (!block || !block.commit) return null;
  return new Set(block.commit.signatures.map((s) => s.validator_index));
}

function chartsOf(blocks, now) {
  const recent = blocks.filter((b) => b.time_ms >= now - WINDOW_MS);
  const heights = recent.map((b) => [b.time_ms, b.height]);
  const times = [];
  for (let i = Math.max(1, blocks.length - BLOCK_TIME_BARS); i < blocks.length; i++) {
    const seconds = (blocks[i].time_ms - blocks[i - 1].time_ms) / 1000;
    times.push({ label: `#${blocks[i].height}`, value: seconds, title: `block ${blocks[i].height}: ${seconds.toFixed(2)} s` });
  }
  const bucketCount = WINDOW_MS / TPS_BUCKET_MS;
  const firstBucket = Math.floor(now / TPS_BUCKET_MS) - bucketCount + 1;
  const counts = new Array(bucketCount).fill(0);
  for (const b of recent) {
    const i = Math.floor(b.time_ms / TPS_BUCKET_MS) - firstBucket;
    if (i >= 0 && i < bucketCount) counts[i] += b.tx_count;
  }
  const minutes = (i) => `-${((bucketCount - i) * TPS_BUCKET_MS) / 60000} min`;
  const tps = recent.length ? counts.map((c, i) => ({
    label: i === bucketCount - 1 ? "now" : minutes(i), value: c / (TPS_BUCKET_MS / 1000),
    title: `${(c / (TPS_BUCKET_MS / 1000)).toFixed(2)} tx/s`,
  })) : [];
  const clock = (ms) => new Date(ms).toISOString().slice(11, 19);
  return [
    h("figure", { class: "chart-box", id: "chart-height" }, h("figcaption", {}, "Height"),
      lineChart("height over the last minutes", heights, { xFormat: clock })),
    h("figure", { class: "chart-box", id: "chart-block-time" }, h("figcaption", {}, "Block time (s)"),
      barChart("seconds between blocks", times)),
    h("figure", { class: "chart-box", id: "chart-tps" }, h("figcaption", {}, "Transactions per second"),
      barChart("transactions per second, 10 s buckets", tps)),
  ];
}

function validatorRows(validators, signers, totalPower) {
  const heights = [...signers.keys()].sort((a, b) => b - a).slice(0, SIGN_WINDOW);
  const latest = heights[0];
  return validators.map((v, index) => {
    const signed = heights.filter((height) => signers.get(height).has(index)).length;
    const inLatest = latest !== undefined && signers.get(latest).has(index);
    const state = !heights.length ? "unknown" : signed ? "up" : "down";
    return [
      v.name || "—",
      accountLink(v.address),
      `${v.power} (${((100 * v.power) / totalPower).toFixed(1)}%)`,
      h("span", { class: `badge ${state}` }, state),
      h("span", { class: inLatest ? "yes" : "no" }, inLatest ? "yes" : "no"),
      `${signed} of ${heights.length}`,
    ];
  });
}

export async function render(ctx) {
  const status = await api.get("/status");
  const validators = status.validators;
  const totalPower = validators.reduce((sum, v) => sum + v.power, 0) || 1;
  const names = new Map(validators.map((v) => [v.address, v.name]));
  const blocks = await loadBlocks();
  const signers = new Map();
  const first = Math.max(1, status.height - SIGN_WINDOW + 1);
  const heights = [];
  for (let height = first; height <= status.height; height++) heights.push(height);
  await Promise.all(heights.map(async (height) => {
    const set = await loadSigners(height);
    if (set) signers.set(height, set);
  }));
  const recentTxs = await api.get(`/txs?limit=${LIST_TXS}`).then((page) => page.txs).catch(() => []);
  const liveTxs = recentTxs.map((t) => ({ ...t }));

  const summary = h("div", { class: "stats" });
  const validatorsBox = h("div", { id: "validators" });
  const charts = h("div", { class: "charts" });
  const blocksBox = h("div", { id: "live-blocks" });
  const txsBox = h("div", { id: "live-txs" });
  let latest = { height: status.height, time_ms: status.latest_block_time_ms, hash: status.latest_block_hash };

  const stat = (label, value, id) => h("div", { class: "stat", id }, h("span", { class: "label" }, label), h("span", { class: "value" }, value));
  const draw = () => {
    const now = Date.now();
    const recent = blocks.filter((b) => b.time_ms >= now - 60_000);
    const txsMinute = recent.reduce((sum, b) => sum + b.tx_count, 0);
    clear(summary).append(
      stat("chain", status.chain_id),
      stat("height", String(latest.height), "stat-height"),
      stat("latest block", latest.time_ms ? formatAge(latest.time_ms, now) : "none"),
      stat("validators", `${validators.length} · power ${totalPower}`),
      stat("tx/s (1 min)", (txsMinute / 60).toFixed(2), "stat-tps"),
      stat("peers of this node", String(status.peers.length)),
    );
    clear(validatorsBox).appendChild(table(
      ["name", "address", "power", "state", "in latest commit", `signed (last ${SIGN_WINDOW})`],
      validatorRows(validators, signers, totalPower), { empty: "no validators", cls: "validators" }));
    clear(charts).append(...chartsOf(blocks, now));
    const lastBlocks = blocks.slice(-LIST_BLOCKS).reverse();
    clear(blocksBox).appendChild(table(["height", "time", "txs", "proposer", "hash"], lastBlocks.map((b) => [
      blockLink(b.height), formatAge(b.time_ms, now), String(b.tx_count),
      names.get(b.proposer) || mono(b.proposer), h("a", { href: `#/block/${b.height}` }, mono(b.hash)),
    ]), { empty: "no block yet" }));
    clear(txsBox).appendChild(table(["tx", "height", "action", "sender", "outcome"], liveTxs.slice(0, LIST_TXS).map((t) => [
      txLink(t.hash), blockLink(t.height), t.action, accountLink(t.sender), okBadge(t.ok, t.code),
    ]), { empty: "no transaction yet" }));
  };

  let drawTimer = null;
  let lastDrawMs = 0;
  const scheduleDraw = () => {
    if (drawTimer) return;
    const wait = Math.max(0, RENDER_MS_MIN - (Date.now() - lastDrawMs));
    drawTimer = setTimeout(() => { drawTimer = null; lastDrawMs = Date.now(); draw(); }, wait);
  };
  ctx.onLeave(() => clearTimeout(drawTimer));
  const ageTimer = setInterval(scheduleDraw, 5000);
  ctx.onLeave(() => clearInterval(ageTimer));

  ctx.onHeight(async (msg) => {
    if (!msg.block) return;
    const last = blocks.length ? blocks[blocks.length - 1].height : msg.height - 1;
    if (msg.height > last) {
      if (msg.height > last + 1) {
        // Heights committed between the page's first load and its listener: fetch them.
        const gap = await api.get(`/blocks?limit=${Math.min(100, msg.height - last - 1)}&cursor=${msg.height - 1}`).catch(() => null);
        for (const b of (gap?.blocks || []).reverse()) if (b.height > blocks[blocks.length - 1]?.height) blocks.push(b);
      }
      if (!blocks.length || msg.height > blocks[blocks.length - 1].height) {
        blocks.push({ height: msg.height, hash: msg.block.hash, time_ms: msg.block.time_ms, proposer: msg.block.proposer, tx_count: msg.block.tx_count });
      }
      while (blocks.length && blocks[0].time_ms < Date.now() - 2 * WINDOW_MS) blocks.shift();
    }
    latest = { height: msg.height, time_ms: msg.block.time_ms, hash: msg.block.hash };
    for (const tx of [...msg.txs].reverse()) liveTxs.unshift({ ...tx, height: msg.height });
    liveTxs.length = Math.min(liveTxs.length, LIST_TXS);
    scheduleDraw();
    const set = await loadSigners(msg.height).catch(() => null);
    if (set) {
      signers.set(msg.height, set);
      for (const height of [...signers.keys()]) if (height <= msg.height - SIGN_WINDOW) signers.delete(height);
      scheduleDraw();
    }
  });

  draw();
  const page = h("div", { dataset: { title: "Network" } },
    section("Network", summary),
    section("Validators", validatorsBox),
    section("The last minutes", charts),
    h("div", { class: "columns" },
      section("Latest blocks", blocksBox),
      section("Latest transactions", txsBox)),
  );
  if (status.syncing) page.prepend(message("warn", `this node is syncing (at height ${status.height}): what it shows lags the chain`));
  return page;
}
