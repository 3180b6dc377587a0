"""Salvage: turn a damaged book file into a healthy book holding every block still readable.

    open_sqlite_book(path) -> (SqliteBlockStore, SalvageReport | None)   what the node opens
    get_book_height_seen(store, report) -> Height         what the signing rule judges by
    salvage_book(path) -> SalvageReport                   the same salvage, by hand
    check_book_file(path) -> problem | None               (damage.py) the read-only judgement

Rules kept:
- Only damage is salvaged (damage.py says what damage is); a healthy file, another schema
  version or a foreign SQLite file is opened or refused as it is, never moved.
- Nothing is deleted: the damaged file and its -wal and -shm are moved aside, the two side
  files first, as `<book>.damaged-<n>`, `<book>.damaged-<n>-wal`,
  `<book>.damaged-<n>-shm` (n: the first number none of the three uses), so SQLite still
  finds the -wal beside its file and the moved copy can be opened and inspected. Side files
  first: a crash after the main file moved but before its -wal did would leave that -wal
  where the fresh book is made (damage.py reports such an orphan, so it would be moved aside
  in turn, but with the blocks it held lost to the salvage).
- The fresh book receives the blocks of the damaged one in height order, byte for byte (block,
  commit, receipts; the tx index rebuilt from the blocks, as save_block builds it), from height
  1 up to the first block that cannot be read, is missing (non-contiguous), or does not decode
  (block, commit, receipts: the checks a load makes). Everything above it is reported lost and
  comes back by block sync; the node re-verifies what was kept as it verifies any book
  (core/book.py). If not even the schema can be read, the fresh book is empty: a full re-sync.
- The damaged file is only read, through a read-only connection (SQLite does not checkpoint its
  -wal into it), so what is kept aside is what was found. The reader sets writable_schema,
  which lets SQLite read the pages of a file cut short instead of refusing the whole file.
- Crash safety: each batch of copied blocks is one transaction, so a crash in the middle
  leaves a healthy, shorter book (the next start opens it as it is; the blocks not yet copied
  are still in the moved file, and come back by sync).
- A salvage holds the book's lock (lock.py): never beside a running node.

The state table is not copied: the node rebuilds it by its replay (core/book.py) and writes
it with replace_state. The consensus record is not in the book (storage/consensus_record_file.py)
and is left alone.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import msgspec

from chainbook.errors import CorruptBook, DamagedBookFile, StorageError
from chainbook.storage.sqlite.damage import check_book_file
from chainbook.storage.sqlite.lock import BookLock
from chainbook.storage.sqlite.store import SqliteBlockStore, StoredBlockRow
from chainbook.storage.stored_format import (
    decode_stored_block,
    decode_stored_commit,
    decode_stored_receipts,
    decompress_block_receipts,
)
from chainbook.types import Height

SALVAGE_BATCH_BLOCKS = 256
"""Blocks copied per transaction (one fsync each)."""
SALVAGE_BATCH_BYTES = 64 * 2**20
"""Bytes of blocks copied per transaction, at most (one block may exceed it alone)."""
DAMAGED_COPIES_MAX = 10_000
"""How many `<book>.damaged-<n>` names are tried; past it the salvage refuses (an operator
should look at why this book keeps getting damaged, and delete old copies)."""

_SIDE_SUFFIXES = ("-wal", "-shm")


class SalvageReport(msgspec.Struct, frozen=True):
    """What a salvage found, moved, kept and lost."""

    book_path: str
    problem: str
    """The damage that made the book be salvaged."""
    damaged_path: str
    """Where the damaged file is now (its -wal and -shm beside it, if it had them)."""
    moved: list[str]
    """Every file moved aside, by its new name."""
    kept_height: Height
    """Blocks 1..kept_height are in the fresh book (0: none)."""
    stopped: str
    """Why the copy stopped after kept_height."""
    last_height_seen: Height | None
    """The highest height the damaged file claimed (its meta, or its largest block row); None
    when neither could be read."""

    @property
    def lost(self) -> str:
        """What was not kept, for a person."""
        if self.last_height_seen is None:
            return "unknown: the damaged file does not say how far it went"
        if self.last_height_seen <= self.kept_height:
            return "nothing"
        return (
            f"blocks {self.kept_height + 1}..{self.last_height_seen} "
            f"({self.last_height_seen - self.kept_height} blocks; block sync fetches them again)"
        )


def open_sqlite_book(path: str | os.PathLike[str]) -> tuple[SqliteBlockStore, SalvageReport | None]:
    """The book at `path` opened for the node: as it is when healthy, else salvaged first.

    Runs check_book_file (a full read of the file, ~1 ms per MiB: damage.py) under the book's
    lock; on damage, salvages and opens the fresh book. Raises BookInUse if another process
    holds the book, StorageError for a file that is not ours (another schema version, a foreign
    SQLite file), which is never salvaged.
    """
    book = os.fspath(path)
    lock = BookLock(book)
    try:
        problem = check_book_file(book)
        if problem is None:
            try:
                return SqliteBlockStore(book, lock=lock), None
            except DamagedBookFile as exc:  # found by the open itself
                problem = exc.problem
        return _salvage(book, problem, lock)
    except BaseException:
        lock.release()
        raise


def get_book_height_seen(store: SqliteBlockStore, salvage: SalvageReport | None) -> Height:
    """How far this book had got before anything repaired it: the height the signing rule
    (storage/consensus_record.py check_signing_allowed) must judge by, taken right after
    open_sqlite_book and before open_book truncates anything.

    A salvaged book counts as at least 1, whatever it kept: a book that was there to be
    damaged was not a fresh validator's, so a missing record beside it is a lost record.
    """
    if salvage is None:
        return store.latest_height()
    return max(store.latest_height(), salvage.kept_height, salvage.last_height_seen or 0, 1)


def salvage_book(path: str | os.PathLike[str], problem: str = "salvage asked for") -> SalvageReport:
    """Salvage the book at `path` whatever its state (see the module docstring); the fresh book
    is closed when this returns."""
    book = os.fspath(path)
    if not (Path(book).exists() or any(Path(book + s).exists() for s in _SIDE_SUFFIXES)):
        raise StorageError(f"no book at {book!r} to salvage")
    lock = BookLock(book)
    try:
        store, report = _salvage(book, problem, lock)
    except BaseException:
        lock.release()
        raise
    store.close()
    return report


def _salvage(book: str, problem: str, lock: BookLock) -> tuple[SqliteBlockStore, SalvageReport]:
    damaged, moved = _move_aside(book)
    store = SqliteBlockStore(book, lock=lock)
    kept, stopped, last_seen = _copy_readable_prefix(damaged, store)
    _fsync_directory(book)
    report = SalvageReport(
        book_path=book,
        problem=problem,
        damaged_path=damaged,
        moved=moved,
        kept_height=kept,
        stopped=stopped,
        last_height_seen=last_seen,
    )
    assert store.latest_height() == kept
    return store, report


def _move_aside(book: str) -> tuple[str, list[str]]:
    """Rename the book's files to the first free `.damaged-<n>` names (side files first)."""
    for number in range(1, DAMAGED_COPIES_MAX + 1):
        damaged = f"{book}.damaged-{number}"
        if not any(Path(damaged + s).exists() for s in ("", *_SIDE_SUFFIXES)):
            break
    else:
        raise StorageError(
            f"{book!r}: {DAMAGED_COPIES_MAX} damaged copies are already kept beside it; "
            "delete the old ones (and find out why this book keeps being damaged)"
        )
    moved = []
    for suffix in (*_SIDE_SUFFIXES, ""):
        if Path(book + suffix).exists():
            os.replace(book + suffix, damaged + suffix)
            moved.append(damaged + suffix)
    _fsync_directory(book)
    return damaged, moved


def _copy_readable_prefix(
    damaged: str, store: SqliteBlockStore
) -> tuple[Height, str, Height | None]:
    """(kept height, why the copy stopped, last height seen)."""
    if not Path(damaged).exists():
        return 0, "there was no book file (only its -wal or -shm)", None
    try:
        reader = sqlite3.connect(f"{Path(damaged).resolve().as_uri()}?mode=ro", uri=True)
        # A file cut short has fewer pages than its header says, and SQLite then refuses to
        # read any of it; with writable_schema it reads the pages that are there (it writes
        # nothing: the connection is read-only).
        reader.execute("PRAGMA writable_schema=ON")
    except sqlite3.Error as exc:
        return 0, f"the damaged file cannot be opened: {exc}", None
    try:
        last_seen = _last_height_seen(reader)
        kept, stopped = _copy_blocks(reader, store)
    finally:
        reader.close()
    return kept, stopped, last_seen


def _last_height_seen(reader: sqlite3.Connection) -> Height | None:
    seen: list[int] = []
    for sql in (
        "SELECT value FROM meta WHERE key = 'latest_height'",
        "SELECT max(height) FROM blocks",
    ):
        try:
            row = reader.execute(sql).fetchone()
        except sqlite3.Error:
            continue
        if row is not None and isinstance(row[0], int):
            seen.append(row[0])
    return max(seen) if seen else None


def _copy_blocks(reader: sqlite3.Connection, store: SqliteBlockStore) -> tuple[Height, str]:
    batch: list[StoredBlockRow] = []
    batch_bytes = 0
    height = 1
    while True:
        read = _read_block_row(reader, height)
        if isinstance(read, str):
            stopped = read
            break
        batch.append(read)
        batch_bytes += len(read.block_bytes)
        if len(batch) >= SALVAGE_BATCH_BLOCKS or batch_bytes >= SALVAGE_BATCH_BYTES:
            store.append_stored_blocks(batch)
            batch, batch_bytes = [], 0
        height += 1
    store.append_stored_blocks(batch)
    return height - 1, stopped


def _read_block_row(reader: sqlite3.Connection, height: Height) -> StoredBlockRow | str:
    """The row at `height`, checked as a load would check it; or why it cannot be kept."""
    try:
        row = reader.execute(
            'SELECT "commit", receipts, block FROM blocks WHERE height = ?', (height,)
        ).fetchone()
    except sqlite3.Error as exc:
        return f"block {height} cannot be read: {exc}"
    if row is None:
        return f"there is no block {height} in the damaged file"
    commit_bytes, receipts_blob, block_bytes = row
    if not all(isinstance(cell, bytes) for cell in row):
        return f"block {height}'s cells are not all blobs"
    try:
        block = decode_stored_block(block_bytes, height)
        decode_stored_commit(commit_bytes, height)
        receipts = decode_stored_receipts(decompress_block_receipts(receipts_blob, height), height)
    except CorruptBook as exc:
        return str(exc)
    if len(receipts.shapes) != len(block.txs):
        return f"block {height} has {len(block.txs)} txs but {len(receipts.shapes)} receipts"
    return StoredBlockRow(height, commit_bytes, receipts_blob, block_bytes, block)


def _fsync_directory(book: str) -> None:
    directory = os.open(Path(book).parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


__all__ = [
    "DAMAGED_COPIES_MAX",
    "get_book_height_seen",
    "SALVAGE_BATCH_BLOCKS",
    "SALVAGE_BATCH_BYTES",
    "SalvageReport",
    "open_sqlite_book",
    "salvage_book",
]
