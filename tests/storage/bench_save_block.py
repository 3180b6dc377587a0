"""Measure save_block for a 3,000-transaction block (not a test; run it by hand).

    .venv/bin/python tests/storage/bench_save_block.py [directory]

Saves 20 consecutive 3,000-tx blocks (each with its 3,000 tx index rows and 3,003 state
changes, then again with 3,000 more balance-like updates) into a fresh SQLite store and prints
the median and worst save_block time, fsync included.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from storage_chain import build_chain  # noqa: E402

from chainbook.storage import MemoryBlockStore, SqliteBlockStore  # noqa: E402

BLOCKS = 20
TXS = 3_000


def main() -> None:
    directory = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
    chain = build_chain(BLOCKS, TXS)
    for name, store, extra in [
        ("sqlite", SqliteBlockStore(Path(directory) / "bench1.sqlite"), 0),
        ("sqlite", SqliteBlockStore(Path(directory) / "bench2.sqlite"), TXS),
        ("memory", MemoryBlockStore(), TXS),
    ]:
        times_ms = []
        for saved in chain:
            changes = dict(saved.state_changes)
            for i in range(extra):  # a transfer touches the sender and a recipient account
                changes[b"acct/%d" % i] = saved.height.to_bytes(8, "big") * 2
            t0 = time.perf_counter()
            store.save_block(
                saved.block_bytes,
                saved.block,
                saved.commit,
                saved.receipts,
                changes,
                saved.app_hash,
            )
            times_ms.append((time.perf_counter() - t0) * 1000)
        store.close()
        print(
            f"{name}: save_block of a {TXS}-tx block ({len(changes)} state changes): "
            f"median {statistics.median(times_ms):.1f} ms, max {max(times_ms):.1f} ms "
            f"over {BLOCKS} blocks ({len(chain[0].block_bytes) // 1024} KiB each)"
        )


if __name__ == "__main__":
    main()
