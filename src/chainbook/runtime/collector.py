"""The cycle collector's settings in a booted node process (runtime/node.py run_node)."""

from __future__ import annotations

import gc

GC_THRESHOLDS = (50_000, 20, 100)
"""gc.set_threshold of a booted node: allocations between young collections (CPython's
default 700), then young collections per middle one and middle per full (defaults 10, 10)."""


def tune_garbage_collector() -> None:
    """Keep the cycle collector off the hot path of a booted node.

    What the node holds once booted (modules, the API app, the ledger state and its tree)
    lives as long as the process, and a loaded node allocates hundreds of thousands of
    short-lived objects a second, nearly all freed by reference counting. With CPython's
    defaults the collector runs every 700 allocations and its full collections walk every
    object the node holds. So: what exists after boot is frozen (never scanned again; it is
    freed normally if released), and collections run less often (GC_THRESHOLDS).
    `chainbook bench stages` with the node's modules imported: 142.5 -> 135.7 us per
    transaction (minimum of four runs each, docs/BENCHMARKS.md).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


__all__ = ["GC_THRESHOLDS", "tune_garbage_collector"]
