"""SqliteBlockStore: the node's book in one SQLite file (stdlib sqlite3).

Why SQLite: embedded (nothing to install), crash-safe transactions, and a file anyone can open
with the `sqlite3` shell to look at the book. The schema and its settings are in schema.py,
the tx index in tx_index.py, damage detection in damage.py, salvage in salvage.py.

Rules kept:
- One save_block is one transaction: the connection runs in autocommit mode and every write is
  an explicit BEGIN IMMEDIATE ... COMMIT, rolled back on any exception; with synchronous=FULL a
  COMMIT that returned is on disk. A kill -9 at any instant leaves the block wholly present or
  wholly absent.
- A damaged file never leaks a sqlite3 exception: every method runs under RaiseDamage, so the
  caller gets DamagedBookFile naming the file and what to do; opening also refuses a file whose
  blocks run past its recorded latest height (that would make save_block collide with a row it
  did not write). Other SQLite errors (busy, disk full) pass through unchanged: they are not
  damage and must never lead to a salvage.
- One process at a time (BookLock on `<book>.lock`); within it one connection, used from one
  thread at a time (a lock serialises callers, so the node may call it from a worker thread).

Speed: a 3,000-transaction block is one transaction with `executemany` for the tx index (and,
at a state checkpoint, the state rows; storage/checkpoints.py) -- the statements are prepared
once and cached by sqlite3 -- and one fsync. Encoding and compressing the receipts happens
before the lock and the transaction. (Inserting rows sorted by key measured no faster with the
64 MiB page cache, so they go in block order.)

One file a little past 550 lines because it is one idea, the book's one connection and its
transactions: every method is a read or a write under the same lock and RaiseDamage, and the
pieces that are not (schema, tx index, damage, salvage) are modules of their own already.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chainbook import codec
from chainbook.chain.block import Block, Header, compute_header_hash
from chainbook.chain.commit import Commit
from chainbook.errors import DamagedBookFile, StorageError
from chainbook.ledger.receipts import Receipt
from chainbook.storage.block_store import (
    StateMeta,
    TxLocation,
    check_load_blocks_bytes_args,
    check_restore_snapshot_args,
    check_save_block_args,
    take_contiguous,
)
from chainbook.storage.pruning import compute_prune_range, compute_pruned_block
from chainbook.storage.sqlite import tx_index
from chainbook.storage.sqlite.cells import blob
from chainbook.storage.sqlite.damage import RaiseDamage, find_inconsistency, is_damage
from chainbook.storage.sqlite.lock import BookLock
from chainbook.storage.sqlite.schema import (
    PRUNED_BELOW,
    SET_META,
    check_schema_version,
    configure,
    create_schema,
    is_chainbook_file,
    read_book_base,
    read_genesis_hash,
    read_meta,
    read_pruned_below,
)
from chainbook.storage.stored_format import (
    compress_block_receipts,
    decode_stored_block,
    decode_stored_commit,
    decode_stored_hops,
    decode_stored_receipt_list,
    decode_stored_tx_location,
    decompress_block_receipts,
    encode_block_receipts,
)
from chainbook.types import Hash, Height

_UPSERT_STATE = (
    "INSERT INTO state(key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
_INSERT_BLOCK = 'INSERT INTO blocks(height, hash, "commit", receipts, block) VALUES (?, ?, ?, ?, ?)'


class StoredBlockRow:
    """A block's row as stored, for copying between books (salvage.py): `block` is decoded
    from `block_bytes` by the caller, which has checked that it says `height`."""

    __slots__ = ("height", "commit_bytes", "receipts_blob", "block_bytes", "block")

    def __init__(
        self, height: Height, commit_bytes: bytes, receipts_blob: bytes, block_bytes: bytes,
        block: Block,
    ) -> None:  # fmt: skip
        self.height = height
        self.commit_bytes = commit_bytes
        self.receipts_blob = receipts_blob
        self.block_bytes = block_bytes
        self.block = block


class SqliteBlockStore:
    """A BlockStore in one SQLite file; see the module docstring for the guarantees.

    `lock`: a BookLock already held for `path` (open_sqlite_book passes the one it took for
    the salvage); the store releases it on close. Without it the store takes its own.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        lock: BookLock | None = None,
        read_only: bool = False,
        immutable: bool = False,
    ) -> None:
        self.path = os.fspath(path)
        self.read_only = read_only or immutable
        """A reader beside the node that holds the book (the background verifier, `chainbook
        verify` of a running node): no lock, a read-only connection, never a write. SQLite's
        WAL locking gives each of its reads a consistent snapshot."""
        self.immutable = immutable
        """A read-only look at a book no process writes (no -wal beside it: closed cleanly),
        that leaves no -wal or -shm behind (SQLite's immutable=1); for a node's look before it
        opens its book (runtime/book_start.py)."""
        # A lock passed in stays the caller's if opening fails (to salvage under it).
        owns_lock = lock is None
        self._book_lock: BookLock | None = None
        if not read_only:
            self._book_lock = BookLock(self.path) if lock is None else lock
            assert self._book_lock.held and self._book_lock.book_path == self.path
        self._lock = threading.Lock()
        try:
            self._db = self._connect()
        except sqlite3.Error as exc:
            if owns_lock and self._book_lock is not None:
                self._book_lock.release()
            raise StorageError(f"cannot open block store {self.path!r}: {exc}") from None
        try:
            with RaiseDamage(self.path, "opening it"):
                if not read_only:
                    configure(self._db, self.path)
                self._open_schema()
                self._latest_height, self._state_meta = self._read_meta()
                self._genesis_hash = self._read_genesis_hash()
        except sqlite3.DatabaseError as exc:
            self._close_connection(release_lock=owns_lock)
            raise StorageError(f"{self.path!r} is not a usable chainbook store: {exc}") from None
        except BaseException:
            self._close_connection(release_lock=owns_lock)
            raise

    def _connect(self) -> sqlite3.Connection:
        if not self.read_only:
            return sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        if not os.path.isfile(self.path):
            raise sqlite3.OperationalError("no such file")
        uri = f"{Path(self.path).resolve().as_uri()}?mode=ro"
        if self.immutable:
            uri += "&immutable=1"
        return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)

    # ---------------------------------------------------------------- opening

    def _open_schema(self) -> None:
        with self._transaction():
            kind = is_chainbook_file(self._db)
            if kind is None and self.read_only:
                raise StorageError(f"{self.path!r} holds no book yet")
            if kind is None:
                create_schema(self._db)
            elif kind is False:
                raise StorageError(
                    f"{self.path!r} is an SQLite file but not a chainbook store (no meta table)"
                )
            else:
                check_schema_version(self._db, self.path)

    def _read_meta(self) -> tuple[Height, StateMeta]:
        meta = read_meta(self._db)
        if isinstance(meta, str):
            raise DamagedBookFile(self.path, meta)
        problem = find_inconsistency(self._db, meta[0], thorough=False)
        if problem is not None:
            raise DamagedBookFile(self.path, problem)
        return meta

    def _read_genesis_hash(self) -> Hash | None:
        found = read_genesis_hash(self._db)
        if isinstance(found, str):
            raise DamagedBookFile(self.path, found)
        return found

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (then re-raised); a
        read-only store reads in a deferred transaction (one snapshot)."""
        self._db.execute("BEGIN" if self.read_only else "BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            # On a damaged file SQLite may have ended the transaction itself, or fail the
            # ROLLBACK too; the first error is the one to report.
            if self._db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ---------------------------------------------------------------- writes

    def save_block(
        self,
        block_bytes: bytes,
        block: Block,
        commit: Commit,
        receipts: list[Receipt],
        state_changes: dict[bytes, bytes | None] | None,
        app_hash: Hash,
    ) -> None:
        # Everything that does not need the store first, outside the lock (API reads wait
        # on it) and the transaction; an exception here writes nothing.
        receipts_blob = compress_block_receipts(encode_block_receipts(receipts))
        commit_bytes = codec.encode(commit)
        height = block.header.height
        tx_hashes = block.tx_hashes
        tx_rows = tx_index.compute_tx_rows(height, tx_hashes)
        changes = state_changes or {}
        upserts = [(k, v) for k, v in changes.items() if v is not None]
        deletes = [(k,) for k, v in changes.items() if v is None]
        meta: list[tuple[str, object]] = [("latest_height", height)]
        if state_changes is not None:
            meta += [("state_height", height), ("app_hash", app_hash)]
        block_row = (height, compute_header_hash(block.header), commit_bytes, receipts_blob,
                     block_bytes)  # fmt: skip
        with self._lock, RaiseDamage(self.path, f"saving block {height}"):
            assert not self.read_only, "a read-only store never writes"
            check_save_block_args(
                self._latest_height, self._state_meta.height, block_bytes, block, commit, receipts
            )
            with self._transaction():
                self._insert_block_row(block_row)
                tx_index.insert_block_txs(self._db, height, tx_rows, tx_hashes, block.txs)
                self._db.executemany(_UPSERT_STATE, upserts)
                self._db.executemany("DELETE FROM state WHERE key = ?", deletes)
                self._db.executemany(SET_META, meta)
            self._latest_height = height
            if state_changes is not None:
                self._state_meta = StateMeta(height=height, app_hash=app_hash)

    def _insert_block_row(self, row: tuple[Height, Hash, bytes, bytes, bytes]) -> None:
        try:
            self._db.execute(_INSERT_BLOCK, row)
        except sqlite3.IntegrityError as exc:
            # Opening refused a file with rows past the latest height, so someone wrote this
            # row behind the store's back since.
            raise DamagedBookFile(
                self.path,
                f"a block row at height {row[0]} is already there, past the latest height "
                f"{self._latest_height} this store recorded ({exc})",
            ) from None

    def append_stored_blocks(self, rows: list[StoredBlockRow]) -> None:
        """Append rows copied from another book of this schema (salvage.py), byte for byte,
        in one transaction, with their tx index rebuilt from the blocks; meta moves to the
        last row. The state table is left alone (the node rebuilds it by replay)."""
        if not rows:
            return
        with self._lock, RaiseDamage(self.path, "copying blocks into it"):
            assert not self.read_only, "a read-only store never writes"
            assert rows[0].height == self._latest_height + 1, "rows continue the book"
            with self._transaction():
                for expected, row in enumerate(rows, start=rows[0].height):
                    assert row.height == expected == row.block.header.height
                    header_hash = compute_header_hash(row.block.header)
                    self._insert_block_row(
                        (row.height, header_hash, row.commit_bytes, row.receipts_blob,
                         row.block_bytes)
                    )  # fmt: skip
                    tx_hashes = row.block.tx_hashes
                    tx_rows = tx_index.compute_tx_rows(row.height, tx_hashes)
                    tx_index.insert_block_txs(
                        self._db, row.height, tx_rows, tx_hashes, row.block.txs
                    )
                self._db.execute(SET_META, ("latest_height", rows[-1].height))
            self._latest_height = rows[-1].height

    def replace_state(self, kv: dict[bytes, bytes], height: Height, app_hash: Hash) -> None:
        with self._lock, RaiseDamage(self.path, "rewriting the state table"):
            assert not self.read_only, "a read-only store never writes"
            assert 0 <= height <= self._latest_height, (
                f"replace_state at {height}, blocks end at {self._latest_height}"
            )
            with self._transaction():
                self._db.execute("DELETE FROM state")
                self._db.executemany("INSERT INTO state(key, value) VALUES (?, ?)", kv.items())
                self._db.executemany(SET_META, [("state_height", height), ("app_hash", app_hash)])
            self._state_meta = StateMeta(height=height, app_hash=app_hash)

    def advance_state(
        self, changes: dict[bytes, bytes | None], height: Height, app_hash: Hash
    ) -> None:
        upserts = [(k, v) for k, v in changes.items() if v is not None]
        deletes = [(k,) for k, v in changes.items() if v is None]
        with self._lock, RaiseDamage(self.path, f"moving the state table to height {height}"):
            assert not self.read_only, "a read-only store never writes"
            assert self._state_meta.height <= height <= self._latest_height, (
                f"advance_state to {height}: table at {self._state_meta.height}, "
                f"blocks end at {self._latest_height}"
            )
            with self._transaction():
                self._db.executemany(_UPSERT_STATE, upserts)
                self._db.executemany("DELETE FROM state WHERE key = ?", deletes)
                self._db.executemany(SET_META, [("state_height", height), ("app_hash", app_hash)])
            self._state_meta = StateMeta(height=height, app_hash=app_hash)

    def restore_snapshot(
        self,
        block_bytes: bytes,
        block: Block,
        commit: Commit,
        kv: dict[bytes, bytes],
        app_hash: Hash,
        hops: list[tuple[bytes, bytes, bytes]],
    ) -> None:
        """Start an empty book from a verified state snapshot (storage/snapshots.py), in one
        transaction: block C's row in its pruned form (`block`: header and last_commit), its
        commit, the state after C as the checkpoint, and the validator-set hops that prove
        it; blocks below C are absent (book_base = C, pruned_below = C + 1)."""
        height = block.header.height
        check_restore_snapshot_args(self._latest_height, block_bytes, block, commit)
        commit_bytes = codec.encode(commit)
        receipts_blob = compress_block_receipts(encode_block_receipts([]))
        row = (height, compute_header_hash(block.header), commit_bytes, receipts_blob, block_bytes)
        meta: list[tuple[str, object]] = [
            ("latest_height", height),
            ("state_height", height),
            ("app_hash", app_hash),
            ("pruned_below", height + 1),
            ("book_base", height),
            ("state_sync_hops", codec.encode(hops)),
        ]
        with self._lock, RaiseDamage(self.path, f"restoring a snapshot of height {height}"):
            assert not self.read_only, "a read-only store never writes"
            assert self._latest_height == 0, "a snapshot is restored into an empty book only"
            with self._transaction():
                self._db.execute("DELETE FROM state")
                self._insert_block_row(row)
                self._db.executemany("INSERT INTO state(key, value) VALUES (?, ?)", kv.items())
                self._db.executemany(SET_META, meta)
            self._latest_height = height
            self._state_meta = StateMeta(height=height, app_hash=app_hash)

    def load_book_base(self) -> Height:
        """The first height the book holds: 1, or the height of the snapshot it was started
        from by state sync (nothing below it is stored)."""
        with self._lock, RaiseDamage(self.path, "reading it"):
            found = read_book_base(self._db)
        if isinstance(found, str):
            raise DamagedBookFile(self.path, found)
        return found

    def load_state_sync_hops(self) -> list[tuple[bytes, bytes, bytes]]:
        """The validator-set hops a state-synced book was started with (empty otherwise)."""
        data = self._one("SELECT value FROM meta WHERE key = ?", "state_sync_hops")
        if data is None:
            return []
        return decode_stored_hops(blob(data, "state_sync_hops", 0) or b"")

    def truncate_from(self, height: Height) -> None:
        with self._lock, RaiseDamage(self.path, f"truncating it from height {height}"):
            assert not self.read_only, "a read-only store never writes"
            assert height >= 1, f"truncate_from({height}): heights start at 1"
            new_latest = min(self._latest_height, height - 1)
            with self._transaction():
                self._db.execute("DELETE FROM blocks WHERE height >= ?", (height,))
                tx_index.delete_from(self._db, height)
                self._db.execute(SET_META, ("latest_height", new_latest))
            self._latest_height = new_latest

    def save_genesis_hash(self, genesis_hash: Hash) -> None:
        with self._lock, RaiseDamage(self.path, "recording its genesis hash"):
            assert not self.read_only, "a read-only store never writes"
            assert len(genesis_hash) == 32
            assert self._genesis_hash in (None, genesis_hash), "a book never changes chain"
            if self._genesis_hash == genesis_hash:
                return
            with self._transaction():
                self._db.execute(SET_META, ("genesis_hash", genesis_hash))
            self._genesis_hash = genesis_hash

    # ---------------------------------------------------------------- reads

    def load_genesis_hash(self) -> Hash | None:
        return self._genesis_hash

    def latest_height(self) -> Height:
        return self._latest_height

    def load_state_meta(self) -> StateMeta:
        return self._state_meta

    def load_block_bytes(self, height: Height) -> bytes | None:
        """None for a height that has no block, or whose block is pruned (read with it)."""
        with self._lock, RaiseDamage(self.path, "reading it"):
            row = self._db.execute(
                f"SELECT block, {PRUNED_BELOW} FROM blocks WHERE height = ?", (height,)
            ).fetchone()
        if row is None or (isinstance(row[1], int) and height < row[1]):
            return None
        return blob(row[0], "block", height)

    def load_header_and_last_commit(self, height: Height) -> tuple[Header, Commit | None] | None:
        """The header and last_commit stored at `height`, pruned or not (storage/pruning.py)."""
        data = blob(self._one("SELECT block FROM blocks WHERE height = ?", height), "block", height)
        if data is None:
            return None
        block = decode_stored_block(data, height)
        return block.header, block.last_commit

    def load_pruned_below(self) -> Height:
        with self._lock, RaiseDamage(self.path, "reading it"):
            found = read_pruned_below(self._db)
        if isinstance(found, str):
            raise DamagedBookFile(self.path, found)
        return found

    def prune_blocks(self, below: Height, blocks_max: int) -> Height:
        """Prune the blocks below `below` (storage/pruning.py), at most `blocks_max` of them in
        one transaction, never from the state checkpoint's height on; the new pruned_below."""
        with self._lock, RaiseDamage(self.path, f"pruning it below height {below}"):
            assert not self.read_only, "a read-only store never writes"
            found = read_pruned_below(self._db)
            if isinstance(found, str):
                raise DamagedBookFile(self.path, found)
            heights = compute_prune_range(found, below, self._state_meta.height, blocks_max)
            if not heights:
                return found
            rows = self._db.execute(
                "SELECT height, block FROM blocks WHERE height >= ? AND height < ? ORDER BY height",
                (heights.start, heights.stop),
            ).fetchall()
            assert [r[0] for r in rows] == list(heights), "blocks are contiguous"
            empty_receipts = compress_block_receipts(encode_block_receipts([]))
            with self._transaction():
                for height, data in rows:
                    block = decode_stored_block(blob(data, "block", height) or b"", height)
                    tx_index.delete_block_txs(self._db, height, block.tx_hashes)
                    self._db.execute(
                        "UPDATE blocks SET block = ?, receipts = ? WHERE height = ?",
                        (compute_pruned_block(block), empty_receipts, height),
                    )
                self._db.execute(SET_META, ("pruned_below", heights.stop))
            return heights.stop

    def load_block(self, height: Height) -> Block | None:
        data = self.load_block_bytes(height)
        if data is None:
            return None
        return decode_stored_block(data, height)

    def load_commit(self, height: Height) -> Commit | None:
        data = blob(
            self._one('SELECT "commit" FROM blocks WHERE height = ?', height), "commit", height
        )
        if data is None:
            return None
        return decode_stored_commit(data, height)

    def load_blocks_bytes(
        self, from_height: Height, count_max: int, bytes_max: int
    ) -> list[tuple[bytes, bytes]]:
        check_load_blocks_bytes_args(from_height, count_max, bytes_max)
        with self._lock, RaiseDamage(self.path, f"reading blocks from height {from_height}"):
            rows = self._db.execute(
                'SELECT height, block, "commit" FROM blocks WHERE height >= ? '
                f"AND height >= coalesce({PRUNED_BELOW}, 1) ORDER BY height LIMIT ?",
                (from_height, count_max),
            )
            return take_contiguous(rows, from_height, bytes_max)

    def find_block_height(self, block_hash: Hash) -> Height | None:
        height = self._one(
            "SELECT height FROM blocks WHERE hash = ? ORDER BY height LIMIT 1", block_hash
        )
        assert height is None or isinstance(height, int), "blocks.height is an INTEGER PRIMARY KEY"
        return height

    def load_tx(self, tx_hash: Hash) -> TxLocation | None:
        with self._lock, RaiseDamage(self.path, f"looking up tx {tx_hash.hex()}"):
            found = tx_index.find_tx(self._db, tx_hash)
        if found is None:
            return None
        height, index, receipts_blob = found
        return decode_stored_tx_location(
            tx_hash, height, index, decompress_block_receipts(receipts_blob, height)
        )

    def load_receipts(self, height: Height) -> list[Receipt] | None:
        with self._lock, RaiseDamage(self.path, f"reading the receipts of block {height}"):
            row = self._db.execute(
                "SELECT receipts, block FROM blocks WHERE height = ?", (height,)
            ).fetchone()
        if row is None:
            return None
        receipts_blob = blob(row[0], "receipts", height)
        block_bytes = blob(row[1], "block", height)
        assert receipts_blob is not None and block_bytes is not None, "NOT NULL columns"
        block = decode_stored_block(block_bytes, height)
        encoded = decompress_block_receipts(receipts_blob, height)
        return decode_stored_receipt_list(height, block.tx_hashes, encoded)

    def load_state(self) -> dict[bytes, bytes]:
        with self._lock, RaiseDamage(self.path, "reading the state table"):
            return dict(self._db.execute("SELECT key, value FROM state").fetchall())

    def load_state_snapshot(self) -> tuple[StateMeta, dict[bytes, bytes]]:
        """The state table and the height it reflects, read in one transaction (one snapshot,
        even while the node holding the book writes a new checkpoint)."""
        with self._lock, RaiseDamage(self.path, "reading the state table"), self._transaction():
            meta = read_meta(self._db)
            if isinstance(meta, str):
                raise DamagedBookFile(self.path, meta)
            kv = dict(self._db.execute("SELECT key, value FROM state").fetchall())
        return meta[1], kv

    def get_state(self, key: bytes) -> bytes | None:
        return blob(self._one("SELECT value FROM state WHERE key = ?", key), "state value", 0)

    def _one(self, sql: str, param: object) -> object | None:
        with self._lock, RaiseDamage(self.path, "reading it"):
            row = self._db.execute(sql, (param,)).fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        with self._lock:
            self._close_connection()

    def _close_connection(self, *, release_lock: bool = True) -> None:
        try:
            self._db.close()
        except sqlite3.Error as exc:
            if not is_damage(exc):
                raise
        finally:
            if release_lock and self._book_lock is not None:
                self._book_lock.release()

    def __enter__(self) -> SqliteBlockStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


__all__ = ["SqliteBlockStore", "StoredBlockRow"]
