"""Measure save_block and bytes on disk per transaction (not a test; run it by hand).

    .venv/bin/python tests/storage/bench_save_block.py [--blocks 20] [--txs 3000]
                                                       [--accounts 2000] [--dir D]
                                                       [--chain-cache FILE]

Builds a realistic chain first (bank_chain.py: real signed ~170-byte bank transfers among
`accounts` funded accounts, executed by the ledger, so receipts and state changes are what a
node saves), then saves it into a fresh SQLite book whose state table holds the genesis state,
as a node's does. Prints:
- save_block time per block (median and worst wall clock, fsync included; and the CPU time of
  this process, what the node's CPU profile counts), and the same for the memory store;
- the largest -wal file seen between blocks;
- bytes on disk per committed tx: (book.sqlite + -wal after the store is closed, which
  checkpoints) minus the same for the empty book holding only the genesis state, divided by
  the txs saved; and the growth in used pages (page_count - freelist_count) the same way,
  which is what docs/BENCHMARKS.md reports;
- bytes per tx by table and index (SQLite's dbstat: payload + unused space of every page).
"""

from __future__ import annotations

import argparse
import os
import pickle
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bank_chain import build_bank_chain  # noqa: E402
from storage_chain import SavedBlock, save  # noqa: E402

from chainbook.ledger.state import LedgerState  # noqa: E402
from chainbook.storage import BlockStore, MemoryBlockStore, SqliteBlockStore  # noqa: E402


def file_bytes(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def used_page_bytes(path: Path) -> int:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)
    finally:
        db.close()


def table_bytes(path: Path) -> list[tuple[str, int]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
        ).fetchall()
        return [(str(name), int(size)) for name, size in rows]
    finally:
        db.close()


def save_timed(
    store: BlockStore, chain: list[SavedBlock], wal: Path | None
) -> tuple[list[float], list[float], int]:
    """Wall-clock and CPU (this process, user + system) ms of each save_block, max -wal bytes."""
    times_ms: list[float] = []
    cpu_ms: list[float] = []
    wal_bytes_max = 0
    for saved in chain:
        c0 = time.process_time()
        t0 = time.perf_counter()
        save(store, saved)
        times_ms.append((time.perf_counter() - t0) * 1000)
        cpu_ms.append((time.process_time() - c0) * 1000)
        if wal is not None and wal.exists():
            wal_bytes_max = max(wal_bytes_max, wal.stat().st_size)
    return times_ms, cpu_ms, wal_bytes_max


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--txs", type=int, default=3_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--dir", default=None)
    parser.add_argument(
        "--chain-cache",
        default=None,
        help="pickle file: load the chain from it if present, else build and write it (to "
        "compare two versions of the store on the very same chain)",
    )
    args = parser.parse_args()
    directory = Path(args.dir or tempfile.mkdtemp())
    t0 = time.perf_counter()
    cache = Path(args.chain_cache) if args.chain_cache else None
    if cache is not None and cache.exists():
        genesis, chain = pickle.loads(cache.read_bytes())
    else:
        genesis, chain = build_bank_chain(args.blocks, args.txs, args.accounts)
        if cache is not None:
            cache.write_bytes(pickle.dumps((genesis, chain)))
    txs_total = sum(len(s.block.txs) for s in chain)
    tx_bytes_mean = sum(len(tx) for s in chain for tx in s.block.txs) / txs_total
    changes_mean = statistics.mean(len(s.state_changes) for s in chain)
    print(
        f"chain: {len(chain)} blocks x {len(chain[0].block.txs)} bank transfers among "
        f"{args.accounts} "
        f"accounts, {tx_bytes_mean:.1f} signed bytes per tx, {changes_mean:.0f} state changes "
        f"per block, block {len(chain[0].block_bytes) // 1024} KiB "
        f"(built in {time.perf_counter() - t0:.1f} s)"
    )

    path = directory / "book.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    genesis_state = LedgerState.from_genesis(genesis)
    store = SqliteBlockStore(path)
    store.replace_state(genesis_state.kv, 0, genesis_state.app_hash)
    store.close()
    empty_file, empty_used = file_bytes(path), used_page_bytes(path)
    store = SqliteBlockStore(path)
    times_ms, cpu_ms, wal_bytes_max = save_timed(store, chain, Path(f"{path}-wal"))
    store.close()  # the last connection to close checkpoints and removes the -wal file
    full_file, full_used = file_bytes(path), used_page_bytes(path)
    print(
        f"sqlite: save_block median {statistics.median(times_ms):.1f} ms, "
        f"max {max(times_ms):.1f} ms over {len(times_ms)} blocks (CPU median "
        f"{statistics.median(cpu_ms):.1f} ms, total {sum(cpu_ms):.0f} ms); -wal max "
        f"{wal_bytes_max / 2**20:.1f} MiB"
    )
    print(
        f"sqlite: bytes on disk per tx {(full_file - empty_file) / txs_total:.0f} "
        f"(file {full_file / 2**20:.1f} MiB after checkpoint, genesis-only "
        f"{empty_file / 2**10:.0f} KiB); used pages per tx "
        f"{(full_used - empty_used) / txs_total:.0f}"
    )
    print(
        "sqlite: by table, bytes per tx: "
        + ", ".join(f"{name} {size / txs_total:.1f}" for name, size in table_bytes(path))
    )

    memory = MemoryBlockStore()
    memory.replace_state(genesis_state.kv, 0, genesis_state.app_hash)
    times_ms, cpu_ms, _ = save_timed(memory, chain, None)
    print(
        f"memory: save_block median {statistics.median(times_ms):.1f} ms "
        f"(CPU {statistics.median(cpu_ms):.1f} ms), "
        f"max {max(times_ms):.1f} ms"
    )
    if not args.dir:
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.rmdir(directory)


if __name__ == "__main__":
    main()
