"""The full re-verification of a node's book, beside the running node, at a bounded CPU share.

A node starts from its state checkpoint (core/book.py), so it trusts the blocks below the
checkpoint as it verified them when it committed them. This module re-verifies the whole book
as the design asks: the hash chain from genesis, every commit certificate, every block
replayed with its app hash compared, and the state table against the replay at its height.

Rules kept:
- It runs in a child process (`python -m chainbook.runtime.background_verify`), so its work
  never holds the node's GIL or event loop. The child reads the book through a read-only
  connection (storage: no lock, no write), and the state table together with the height it
  reflects in one snapshot, so a checkpoint the node writes meanwhile cannot raise a false
  alarm.
- Bounded CPU: after each block read the child sleeps long enough that its CPU time stays
  within `cpu_share` of the wall time (compute_pause_s, over windows of PACING_WINDOW_S so an
  idle spell does not buy a burst later), and it runs at the lowest scheduling priority, so it
  also yields to the node on a busy machine.
- The child exits when the node that started it is gone (its parent process changes): a
  SIGKILLed node leaves no verifier behind. The node kills it when it stops or repairs.
- It runs FIRST_RUN_DELAY_S after the node starts, then every `interval_s`.
- It verifies blocks 1..T, T the book's latest height when it starts (at least the
  snapshot's height); blocks the node commits meanwhile were verified as they were committed.
- What it finds goes to the node (`on_report`): a damaged block, or a state table that
  disagrees with the replay, is repaired there (runtime/node.py _repair_book: truncate at the
  damaged height and re-sync from peers, the state rebuilt by a full replay); a clean book is
  logged as `book_verified`.

The child writes JSON lines on stdout: {"progress": ratio} (0..1, the share of its block reads
done: it reads each block twice, for the chain walk and for the replay) every
PROGRESS_EVERY_READS reads, and one {"report": <core.book.BookReport>} at the end; an error it
cannot verify past (an unreadable file) is {"error": "..."}. `chainbook verify` runs the same
`verify_book` on demand, unpaced.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.block import Block, Header
from chainbook.chain.commit import Commit
from chainbook.chain.genesis import Genesis
from chainbook.core.book import BookReport, open_book
from chainbook.errors import ChainbookError
from chainbook.ledger.genesis import load_genesis
from chainbook.storage import SqliteBlockStore, StateMeta
from chainbook.types import Hash, Height

log = logging.getLogger("chainbook.runtime.background_verify")

FIRST_RUN_DELAY_S = 10.0
"""The first verification starts this long after the node: not while it starts and catches up
(the child's own start costs ~0.5 s of CPU)."""
PACING_WINDOW_S = 10.0
"""The CPU share is kept over windows this long (then counted afresh)."""
PROGRESS_EVERY_READS = 1_000
CHILD_STOP_TIMEOUT_S = 2.0
PRUNED_MEANWHILE_RETRIES_MAX = 3
"""Walks of a book the node keeps pruning, before what is missing counts as damage."""
LINE_BYTES_MAX = 1 << 20
"""A line from the child longer than this is not ours: the verification is abandoned."""

Pace = Callable[[], None]


def compute_pause_s(cpu_used_s: float, wall_elapsed_s: float, cpu_share: float) -> float:
    """How long to sleep so that `cpu_used_s` is at most `cpu_share` of the wall time."""
    assert 0.0 < cpu_share <= 1.0
    return max(0.0, cpu_used_s / cpu_share - wall_elapsed_s)


class CpuPacer:
    """Called once per unit of work; sleeps to keep the process within its CPU share."""

    def __init__(
        self,
        cpu_share: float,
        *,
        cpu_clock: Callable[[], float] = time.process_time,
        wall_clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        assert 0.0 < cpu_share <= 1.0
        self.cpu_share = cpu_share
        self._cpu_clock, self._wall_clock, self._sleep = cpu_clock, wall_clock, sleep
        self._start_window()
        self.slept_s = 0.0

    def _start_window(self) -> None:
        self._cpu_start, self._wall_start = self._cpu_clock(), self._wall_clock()

    def __call__(self) -> None:
        cpu = self._cpu_clock() - self._cpu_start
        wall = self._wall_clock() - self._wall_start
        pause = compute_pause_s(cpu, wall, self.cpu_share)
        if pause > 0:
            self._sleep(pause)
            self.slept_s += pause
        if wall + pause >= PACING_WINDOW_S:
            self._start_window()


class _BookSnapshot:
    """The book as the verification reads it: blocks up to `target`, the state table of one
    snapshot, and `pace` before every block read."""

    def __init__(
        self,
        store: SqliteBlockStore,
        target: Height,
        meta: StateMeta,
        kv: dict[bytes, bytes],
        pace: Pace | None,
    ) -> None:
        self.store, self.target, self.meta, self.kv, self.pace = store, target, meta, kv, pace

    def latest_height(self) -> Height:
        return self.target

    def load_block_bytes(self, height: Height) -> bytes | None:
        if self.pace is not None:
            self.pace()
        return self.store.load_block_bytes(height)

    def load_block(self, height: Height) -> Block | None:
        if self.pace is not None:
            self.pace()
        return self.store.load_block(height)

    def load_commit(self, height: Height) -> Commit | None:
        return self.store.load_commit(height)

    def load_state(self) -> dict[bytes, bytes]:
        return self.kv

    def load_state_meta(self) -> StateMeta:
        return self.meta

    def load_genesis_hash(self) -> Hash | None:
        return self.store.load_genesis_hash()

    def load_pruned_below(self) -> Height:
        return self.store.load_pruned_below()

    def load_book_base(self) -> Height:
        return self.store.load_book_base()

    def load_state_sync_hops(self) -> list[tuple[bytes, bytes, bytes]]:
        return self.store.load_state_sync_hops()

    def load_header_and_last_commit(self, height: Height) -> tuple[Header, Commit | None] | None:
        if self.pace is not None:
            self.pace()
        return self.store.load_header_and_last_commit(height)

    # Never called: the verification opens the book with repair=False.
    def replace_state(self, kv: dict[bytes, bytes], height: Height, app_hash: Hash) -> None:
        raise AssertionError("verification never writes")

    def advance_state(
        self, changes: dict[bytes, bytes | None], height: Height, app_hash: Hash
    ) -> None:
        raise AssertionError("verification never writes")

    def truncate_from(self, height: Height) -> None:
        raise AssertionError("verification never writes")

    def save_genesis_hash(self, genesis_hash: Hash) -> None:
        raise AssertionError("verification never writes")


def verify_book(
    store: SqliteBlockStore,
    genesis: Genesis,
    *,
    pace: Pace | None = None,
    registry: Registry = REGISTRY,
) -> BookReport:
    """Re-verify the whole book in `store` (read-only or held: it writes nothing).

    Raises GenesisMismatch for a book of another genesis, StorageError for an unreadable one.
    """
    for _ in range(PRUNED_MEANWHILE_RETRIES_MAX):
        meta, kv = store.load_state_snapshot()
        target = max(store.latest_height(), meta.height)
        snapshot = _BookSnapshot(store, target, meta, kv, pace)
        opened = open_book(snapshot, genesis, repair=False, registry=registry, book=store.path)
        report = opened.report
        # A block the node pruned during the walk reads as missing: walk again, as pruned.
        if report.corrupt_height is None or report.corrupt_height >= store.load_pruned_below():
            return report
    return report


# --- the child process ------------------------------------------------------------------------


def _emit(message: dict[str, object]) -> None:
    sys.stdout.buffer.write(msgspec.json.encode(message) + b"\n")
    sys.stdout.buffer.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chainbook.runtime.background_verify")
    parser.add_argument("--book", type=Path, required=True)
    parser.add_argument("--genesis", type=Path, required=True)
    parser.add_argument("--cpu-share", type=float, required=True)
    parser.add_argument(
        "--parent-pid", type=int, default=None, help="exit once this is no longer the parent"
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(OSError):
        os.nice(19)
    # Given by the node: read here, the parent may already be gone (and ours be init).
    parent = os.getppid() if args.parent_pid is None else args.parent_pid
    pacer = CpuPacer(args.cpu_share)
    reads = 0
    reads_total = 1
    every = PROGRESS_EVERY_READS

    def pace() -> None:
        nonlocal reads
        if os.getppid() != parent:
            raise SystemExit(0)  # the node is gone
        pacer()
        reads += 1
        if reads % every == 0:
            _emit({"progress": min(1.0, reads / reads_total)})

    try:
        genesis = load_genesis(args.genesis.read_bytes())
        store = SqliteBlockStore(args.book, read_only=True)
        try:
            # One block read per height (the walk replays each block as it verifies it).
            reads_total = max(1, store.latest_height())
            every = max(1, min(PROGRESS_EVERY_READS, reads_total // 20))  # >= 20 lines a walk
            report = verify_book(store, genesis, pace=pace)
        finally:
            store.close()
    except (ChainbookError, OSError) as exc:
        _emit({"error": str(exc)})
        return 1
    _emit({"report": msgspec.to_builtins(report)})
    return 0


# --- the node's side --------------------------------------------------------------------------


class BackgroundVerification:
    """Runs the child after start and every `interval_s`, and hands each report to the node.

    `on_report(report)` is called in the event loop; `on_progress(ratio)` as the child
    advances (the node's metrics).
    """

    def __init__(
        self,
        book_path: Path,
        genesis_path: Path,
        *,
        cpu_share: float,
        interval_s: float,
        on_report: Callable[[BookReport], None],
        on_progress: Callable[[float], None] = lambda ratio: None,
    ) -> None:
        assert 0.0 < cpu_share <= 1.0
        self.book_path, self.genesis_path = book_path, genesis_path
        self.cpu_share, self.interval_s = cpu_share, interval_s
        self.on_report, self.on_progress = on_report, on_progress
        self.runs = 0
        self._child: asyncio.subprocess.Process | None = None

    async def run_forever(self, first_delay_s: float = FIRST_RUN_DELAY_S) -> None:
        await asyncio.sleep(first_delay_s)
        while True:
            report = await self.run_once()
            if report is not None:
                self.on_report(report)
            await asyncio.sleep(self.interval_s)

    async def run_once(self) -> BookReport | None:
        """One verification of the whole book; None if it could not run to its end."""
        self.runs += 1
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "chainbook.runtime.background_verify",
            "--book",
            str(self.book_path),
            "--genesis",
            str(self.genesis_path),
            "--cpu-share",
            repr(self.cpu_share),
            "--parent-pid",
            str(os.getpid()),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            limit=LINE_BYTES_MAX,
        )
        self._child = child
        report: BookReport | None = None
        try:
            assert child.stdout is not None
            while line := await child.stdout.readline():
                message = msgspec.json.decode(line)
                if "progress" in message:
                    self.on_progress(float(message["progress"]))
                elif "report" in message:
                    report = msgspec.convert(message["report"], BookReport)
                elif "error" in message:
                    log.warning("book_verify_failed", extra={"reason": message["error"]})
            await child.wait()
        except (ValueError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.warning("book_verify_failed", extra={"reason": f"unreadable answer: {exc}"})
            await self.aclose()
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            raise
        finally:
            self._child = None
        return report

    async def aclose(self) -> None:
        """Stop a running child (the node stops, or repairs the book under it)."""
        child = self._child
        if child is None or child.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(child.wait(), CHILD_STOP_TIMEOUT_S)


__all__ = [
    "BackgroundVerification",
    "CpuPacer",
    "compute_pause_s",
    "main",
    "verify_book",
]


if __name__ == "__main__":
    raise SystemExit(main())
