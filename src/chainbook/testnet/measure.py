"""Measurements of a node's bounds on start-up and disk (docs/BENCHMARKS.md, "Start-up and
disk"):

    python -m chainbook.testnet.measure start --dir D --node node4
        start one node of testnet D (e.g. the synthetic book's full node) and time until its
        API answers /status at its book's height; then stop it
    python -m chainbook.testnet.measure idle-growth --dir D --minutes M [--validators 4]
        [--empty-block-interval-ms 30000]
        create a testnet in D (which must not exist), run it idle for M minutes, and
        extrapolate each node's book growth to a day, linearly. Growth is the book's logical
        size (pages in use, as a reader sees them: the -wal's pages counted once, free pages
        not at all), sampled after the first block so the fixed cost of an empty book is not
        counted as growth; the files' own size is reported beside it (the -wal is bounded by
        SQLite's checkpoints, storage/sqlite/schema.py, not by the book).

Both print one JSON object (the numbers and how they were taken) on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from chainbook.client.http import Client, ClientError
from chainbook.testnet.create import init_testnet
from chainbook.testnet.layout import load_testnet
from chainbook.testnet.observe import wait_until_height, wait_until_ready
from chainbook.testnet.processes import down, up

POLL_S = 0.05
DAY_S = 86_400


def book_bytes(book: Path) -> int:
    """The book file and its -wal (what the node's disk holds for it)."""
    total = 0
    for path in (book, book.with_name(book.name + "-wal")):
        if path.exists():
            total += path.stat().st_size
    return total


def book_logical_bytes(book: Path) -> int:
    """Pages in use times the page size, through a read-only connection (a consistent view)."""
    import sqlite3

    db = sqlite3.connect(f"{book.resolve().as_uri()}?mode=ro", uri=True)
    try:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)
    finally:
        db.close()


def measure_start(root: Path, node: str, timeout_s: float = 120.0) -> dict[str, object]:
    testnet = load_testnet(root)
    entry = next(e for e in testnet.nodes if e.name == node)
    home = testnet.home(node)
    from chainbook.storage import SqliteBlockStore

    with SqliteBlockStore(home.book_path, read_only=True) as store:
        height = store.latest_height()
    started = time.monotonic()
    up(root, [node])
    answered_s: float | None = None
    try:
        deadline = started + timeout_s
        with Client(entry.api_url, timeout_s=1.0) as client:
            while time.monotonic() < deadline:
                try:
                    if client.status().height >= height:
                        answered_s = time.monotonic() - started
                        break
                except ClientError:
                    pass
                time.sleep(POLL_S)
    finally:
        down(root, [node])
    return {
        "measure": "start",
        "node": node,
        "book_height": height,
        "book_bytes": book_bytes(home.book_path),
        "seconds_to_serve_status": None if answered_s is None else round(answered_s, 2),
        "how": "process start (`chainbook node start`) to the first /status at the book's height",
    }


def measure_idle_growth(
    root: Path, minutes: float, validators: int, empty_block_interval_ms: int
) -> dict[str, object]:
    testnet = init_testnet(
        root, validators=validators, empty_block_interval_ms=empty_block_interval_ms
    )
    names = [e.name for e in testnet.nodes]
    up(root)
    try:
        wait_until_ready(root, timeout_s=60)
        first = wait_until_height(root, 1, timeout_s=60)
        start_height = min(first.values())
        books = {n: testnet.home(n).book_path for n in names}
        start_logical = {n: book_logical_bytes(b) for n, b in books.items()}
        start_files = {n: book_bytes(b) for n, b in books.items()}
        started = time.monotonic()
        time.sleep(minutes * 60)
        elapsed = time.monotonic() - started
        heights = wait_until_height(root, 1, timeout_s=60)
        end_logical = {n: book_logical_bytes(b) for n, b in books.items()}
        end_files = {n: book_bytes(b) for n, b in books.items()}
    finally:
        down(root)
    growth = {n: end_logical[n] - start_logical[n] for n in names}
    blocks = min(heights.values()) - start_height
    return {
        "measure": "idle-growth",
        "validators": validators,
        "empty_block_interval_ms": empty_block_interval_ms,
        "seconds_measured": round(elapsed),
        "blocks_measured": blocks,
        "blocks_per_day_extrapolated": round(blocks * DAY_S / elapsed),
        "logical_bytes_grown": growth,
        "bytes_per_block": {n: round(g / blocks) if blocks else None for n, g in growth.items()},
        "bytes_per_day_extrapolated": {n: round(g * DAY_S / elapsed) for n, g in growth.items()},
        "file_bytes_grown": {n: end_files[n] - start_files[n] for n in names},
        "how": "logical book size (pages in use) after block 1 and after the interval; linear",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chainbook.testnet.measure")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start")
    start.add_argument("--dir", type=Path, required=True)
    start.add_argument("--node", required=True)
    idle = commands.add_parser("idle-growth")
    idle.add_argument("--dir", type=Path, required=True)
    idle.add_argument("--minutes", type=float, required=True)
    idle.add_argument("--validators", type=int, default=4)
    idle.add_argument("--empty-block-interval-ms", type=int, default=30_000)
    args = parser.parse_args(argv)
    if args.command == "start":
        result = measure_start(args.dir, args.node)
    else:
        result = measure_idle_growth(
            args.dir, args.minutes, args.validators, args.empty_block_interval_ms
        )
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


__all__ = ["book_bytes", "book_logical_bytes", "main", "measure_idle_growth", "measure_start"]


if __name__ == "__main__":
    raise SystemExit(main())
