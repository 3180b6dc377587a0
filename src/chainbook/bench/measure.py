"""From raw records (one row per transaction, one per block) to the numbers a report states.

Definitions (the ones docs/BENCHMARKS.md states):
- measurement window: from `warmup_s` after the load starts to the end of the schedule; the
  warm-up excludes the first blocks, which are small while the pipeline fills.
- committed tx/s: our transactions whose block was first seen inside the window, divided by
  the window's length (sustained, not the burst of a drain).
- offered tx/s: transactions submitted inside the window, divided by its length.
- latency: commit time minus submit time, for transactions submitted inside the window.
- block time: differences of consecutive header times (the proposers' clocks) in the window.
- CPU seconds per committed tx: each node's user + system CPU from `go` to the end of the drain,
  divided by the transactions committed in that time (so it includes consensus, empty blocks
  and the API work of admission: everything a transaction costs a node).
- bytes on disk per tx: growth of node0's book (used SQLite pages) over the step, divided by the
  transactions committed in it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from chainbook.bench.load import NOT_SENT, LoadRecords

PERCENTILES = (50, 95, 99)


def summarize_latency(latencies_s: np.ndarray) -> dict[str, float | None]:
    if latencies_s.size == 0:
        return {"p50": None, "p95": None, "p99": None, "mean": None, "max": None}
    values = np.percentile(latencies_s, PERCENTILES)
    summary: dict[str, float | None] = {
        f"p{p}": round(float(v), 4) for p, v in zip(PERCENTILES, values, strict=True)
    }
    summary["mean"] = round(float(latencies_s.mean()), 4)
    summary["max"] = round(float(latencies_s.max()), 4)
    return summary


def get_window(records: LoadRecords, duration_s: float, warmup_s: float) -> tuple[float, float]:
    start = records.t_go + warmup_s
    end = max(records.t_go + duration_s, start + 1e-3)
    return start, end


def summarize_blocks(records: LoadRecords, start: float, end: float) -> dict[str, Any]:
    blocks = [b for b in records.blocks if start <= b.seen_s <= end]
    times_ms = np.array([b.time_ms for b in blocks], dtype=float)
    intervals_s = np.diff(times_ms) / 1000 if len(blocks) > 1 else np.array([])
    counts = np.array([b.tx_count for b in blocks], dtype=float)
    return {
        "blocks": len(blocks),
        "block_time_s_mean": round(float(intervals_s.mean()), 4) if intervals_s.size else None,
        "block_time_s_p50": round(float(np.median(intervals_s)), 4) if intervals_s.size else None,
        "txs_per_block_mean": round(float(counts.mean()), 1) if counts.size else None,
        "txs_per_block_max": int(counts.max()) if counts.size else None,
    }


def summarize_cpu(
    cpu_before: dict[str, float], cpu_after: dict[str, float], committed: int, elapsed_s: float
) -> dict[str, Any]:
    per_node = {name: cpu_after[name] - cpu_before[name] for name in cpu_before}
    return {
        "cpu_s": {n: round(s, 3) for n, s in per_node.items()},
        "cpu_utilisation": {n: round(s / elapsed_s, 3) for n, s in per_node.items()},
        "cpu_us_per_tx_per_node": {
            n: (round(s / committed * 1e6, 1) if committed else None) for n, s in per_node.items()
        },
        "cpu_us_per_tx_all_nodes": round(sum(per_node.values()) / committed * 1e6, 1)
        if committed else None,
    }


def summarize_step(
    records: LoadRecords,
    *,
    offered_tps: float,
    duration_s: float,
    warmup_s: float,
    cpu_before: dict[str, float],
    cpu_after: dict[str, float],
    load_cpu_s: float,
    book_bytes_before: int,
    book_bytes_after: int,
) -> dict[str, Any]:
    """The numbers of one step (one offered rate) as a JSON-ready dict."""
    submit = np.array(records.submit_s)
    commit = np.array(records.commit_s)
    scheduled = np.array(records.scheduled_s)
    sent = submit != NOT_SENT
    committed = commit != NOT_SENT
    start, end = get_window(records, duration_s, warmup_s)
    in_window = sent & (submit >= start) & (submit <= end)
    window_s = end - start
    measured = in_window & committed
    errors = Counter(e for e in records.error if e)
    txs_in_blocks = sum(b.tx_count for b in records.blocks)
    elapsed_s = max(records.t_drain_end - records.t_go, 1e-3)
    committed_count = int(committed.sum())
    return {
        "offered_tps": offered_tps,
        "offered_tps_measured": round(float(in_window.sum()) / window_s, 1),
        "committed_tps": round(float(((commit >= start) & (commit <= end)).sum()) / window_s, 1),
        "window_s": round(window_s, 2),
        "submitted": int(sent.sum()),
        "accepted": int(sent.sum()) - sum(errors.values()),
        "refused": dict(errors),
        "committed": committed_count,
        "all_committed": records.drained and committed_count == int(sent.sum()) - sum(
            errors.values()),
        "drain_s": round(records.t_drain_end - records.t_load_end, 2),
        "latency_s": summarize_latency(commit[measured] - submit[measured]),
        "schedule_lag_s_p99": round(float(np.percentile(submit[sent] - scheduled[sent], 99)), 4)
        if sent.any() else None,
        **summarize_blocks(records, start, end),
        **summarize_cpu(cpu_before, cpu_after, committed_count, elapsed_s),
        "load_process_cpu_s": round(load_cpu_s, 3),
        "book_bytes_growth": book_bytes_after - book_bytes_before,
        "txs_in_blocks": txs_in_blocks,
        "bytes_on_disk_per_tx": round((book_bytes_after - book_bytes_before) / txs_in_blocks, 1)
        if txs_in_blocks else None,
        "submit_mode": records.submit_mode,
        "tx_bytes": round(records.tx_bytes_mean, 1),
    }


def compute_timeline(records: LoadRecords) -> dict[str, list[float]]:
    """Per second since `go`: committed tx/s and latency p50/p99 of the txs submitted then."""
    submit = np.array(records.submit_s)
    commit = np.array(records.commit_s)
    done = (submit != NOT_SENT) & (commit != NOT_SENT)
    if not done.any():
        return {"second": [], "committed": [], "p50": [], "p99": []}
    last = int(max(commit[done].max(), submit[done].max()) - records.t_go) + 1
    seconds, committed_per_s, p50, p99 = [], [], [], []
    for second in range(last):
        lo, hi = records.t_go + second, records.t_go + second + 1
        seconds.append(float(second))
        committed_per_s.append(float(((commit >= lo) & (commit < hi)).sum()))
        latencies = (commit - submit)[done & (submit >= lo) & (submit < hi)]
        p50.append(float(np.percentile(latencies, 50)) if latencies.size else float("nan"))
        p99.append(float(np.percentile(latencies, 99)) if latencies.size else float("nan"))
    return {"second": seconds, "committed": committed_per_s, "p50": p50, "p99": p99}


def find_saturation(steps: list[dict[str, Any]], follow_ratio_min: float = 0.9) -> dict[str, Any]:
    """The highest committed rate, and the first offered rate it stopped following."""
    best = max((s["committed_tps"] for s in steps), default=0.0)
    stopped = next(
        (s["offered_tps"] for s in steps
         if s["committed_tps"] < follow_ratio_min * s["offered_tps"]),
        None,
    )
    return {"committed_tps_max": best, "saturated_at_offered_tps": stopped,
            "follow_ratio_min": follow_ratio_min}


__all__ = ["compute_timeline", "find_saturation", "summarize_latency", "summarize_step"]
