"""SqliteBlockStore: the node's book in one SQLite file (stdlib sqlite3).

Why SQLite: embedded (nothing to install), crash-safe transactions, and a file anyone can open
with the `sqlite3` shell to look at the book. The schema is plain on purpose:

    meta(key TEXT PRIMARY KEY, value)            schema_version, latest_height, state_height,
                                                 app_hash
    blocks(height INTEGER PRIMARY KEY, hash BLOB, "commit" BLOB, receipts BLOB, block BLOB)
    txs(key INTEGER PRIMARY KEY, height INTEGER, idx INTEGER)    key: tx_key(tx hash)
    tx_collisions(hash BLOB PRIMARY KEY, height INTEGER, idx INTEGER) WITHOUT ROWID
    state(key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID
    consensus_wal(id INTEGER PRIMARY KEY CHECK (id = 1), record BLOB)

Bytes on disk (schema 3; tests/storage/bench_save_block.py, 170-byte bank transfers in
3,000-tx blocks, heights 1-20): per transaction ~173 bytes in `blocks` (the block; its commit
and receipts add <1 here: these transfers emit no events) and ~20 of tx index (an ~18-byte
row in a B-tree of random keys; ~22 at heights around a million, which take 2 more bytes):
~194 in all. Schema 2 keyed the tx index by the whole 32-byte hash: ~47 bytes per tx, ~221 in
all. Schema 1 kept every receipt, with its tx hash and height, in its tx index row, plus an
index on height: ~463.
- `receipts` is the block's receipts once (storage/base.py encode_block_receipts), zlib
  compressed. `load_tx` reads the block's receipts and rebuilds the one it needs (~1 ms for a
  3,000-tx block; the API's tx lookups pay it, the commit path does not).
- Column order matters: SQLite reaches a column by walking the overflow pages of the columns
  before it, so the large block blob comes last and reading a commit or receipts does not read
  the block.
- The tx index is keyed by tx_key(hash), the hash's first 7 bytes as an integer: the rowid of
  a plain table, so a row holds no hash (`SELECT * FROM txs WHERE key = 0x` followed by the
  hash's first 14 hex digits finds one in the sqlite3 shell). A tx whose prefix is already
  taken by a different tx (rare by chance, or one ground by an attacker) goes to
  tx_collisions, under its full hash. Why the index stays exact:
  - save_block inserts the txs rows of a block in block order and keeps the row already there
    on a conflict (rowcount tells). Only then (the rare path) it reads the tx at the location
    that holds the key: the same hash is the same tx included again, which keeps its first
    location as before; another hash goes to tx_collisions (there too the first location
    wins). So every stored tx is in tx_collisions, or owns the txs row of its key.
  - load_tx looks in tx_collisions first (exact), then in txs by key, and confirms a row found
    by key against the hash of the tx at that location in the stored block (~0.2 ms to decode
    a 3,000-tx block): a hash not in the book that shares a stored prefix is not found.
  - Every row depends only on the blocks up to its height, so deleting by height from both
    tables (truncate_from) leaves the index that saving the remaining blocks would build.
  The cost of a collision is a read of one stored block per height in the rare path, and a
  tx_collisions row of ~47 bytes, as every row was in schema 2.
- No index on txs.height: truncate_from (rare: a repair at start-up) scans the tx index
  instead. Deleting by the hashes of the truncated blocks' txs would be cheaper, but the block
  being truncated is often the damaged one, whose bytes no longer give the hashes that were
  indexed; a scan (of txs and of the small tx_collisions) leaves no row behind.

Durability and atomicity:
- journal_mode=WAL: readers (the API, an operator's sqlite3 shell) never block the writer.
- synchronous=FULL: every COMMIT fsyncs the WAL, so a transaction that returned is on disk
  (NORMAL would be crash-consistent but could lose the last commits on power loss; the
  consensus WAL must not lose its last record, or a restarted validator could double-sign).
- The connection runs in autocommit mode and every write is an explicit BEGIN IMMEDIATE ...
  COMMIT, rolled back on any exception. One save_block is one transaction: a kill -9 at any
  instant leaves the file with the block wholly present or wholly absent.

Speed: a 3,000-transaction block is one transaction with `executemany` for the tx index (and,
at a state checkpoint, the state rows; storage/base.py StateCheckpoints) -- the statements are
prepared once and cached by sqlite3 -- and one fsync. Encoding
and compressing the receipts happens before the lock and the transaction. (Inserting rows
sorted by key measured no faster with the 64 MiB page cache, so they go in block order.)
- wal_autocheckpoint: see _WAL_AUTOCHECKPOINT_PAGES; journal_size_limit: _WAL_BYTES_LIMIT.

One connection, used from one thread at a time (a lock serialises callers, so the node may call
it from a worker thread). A file written by another schema version is refused with a
StorageError naming both versions rather than misread.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from chainbook import codec
from chainbook.chain.block import Block
from chainbook.chain.commit import Commit
from chainbook.chain.tx import tx_hash as compute_tx_hash
from chainbook.chain.verify import compute_header_hash
from chainbook.errors import CorruptBook, StorageError
from chainbook.ledger.receipts import Receipt
from chainbook.storage.base import (
    StateMeta,
    TxLocation,
    check_load_blocks_bytes_args,
    check_save_block_args,
    compress_block_receipts,
    decode_stored_block,
    decode_stored_commit,
    decode_stored_receipts,
    decode_stored_tx_location,
    decompress_block_receipts,
    encode_block_receipts,
    take_contiguous,
)
from chainbook.types import Hash, Height

SCHEMA_VERSION = 4
"""1: a receipt per tx index row. 2: receipts once per block, in blocks.receipts. 3: the tx
index keyed by a 7-byte hash prefix (txs.key), full hashes only in tx_collisions. 4: receipts
carry their error code; headers carry receipts_root and the state tree root."""

_SCHEMA = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value
);
CREATE TABLE blocks (
    height   INTEGER PRIMARY KEY,
    hash     BLOB NOT NULL,
    "commit" BLOB NOT NULL,
    receipts BLOB NOT NULL,
    block    BLOB NOT NULL
);
CREATE INDEX blocks_by_hash ON blocks(hash);
CREATE TABLE txs (
    key    INTEGER PRIMARY KEY,
    height INTEGER NOT NULL,
    idx    INTEGER NOT NULL
);
CREATE TABLE tx_collisions (
    hash   BLOB PRIMARY KEY,
    height INTEGER NOT NULL,
    idx    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE state (
    key   BLOB PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE consensus_wal (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    record BLOB NOT NULL
);
"""

_SET_META = (
    "INSERT INTO meta(key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
_UPSERT_STATE = (
    "INSERT INTO state(key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
# First location wins in both tables (rows go in block order).
_INSERT_TX = "INSERT INTO txs(key, height, idx) VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING"
_INSERT_TX_COLLISION = "INSERT OR IGNORE INTO tx_collisions(hash, height, idx) VALUES (?, ?, ?)"


def tx_key(tx_hash: Hash) -> int:
    """The txs row key of a transaction: the first 7 bytes of its hash, as an unsigned integer.

    7 bytes because SQLite stores a rowid below 2**56 in at most 8 bytes (an 8-byte or
    negative one takes 9), and 56 bits make a shared prefix rare (~7 pairs among a billion
    transactions); the rare pair is kept apart by tx_collisions (see the module docstring).
    """
    return int.from_bytes(tx_hash[:7], "big")


_WAL_AUTOCHECKPOINT_PAGES = 1000
"""SQLite's default, kept: a 3,000-tx block's transaction already writes ~1,700 pages (the
-wal peaks at 6.7 MiB in bench_save_block.py), so each such commit checkpoints anyway. A
larger value would batch checkpoints over several blocks at the price of a larger -wal file;
not measured yet."""

_WAL_BYTES_LIMIT = 16 * 2**20
"""After a checkpoint, the -wal file is cut back to this size, so one exceptionally large
block does not leave a large -wal file behind for good. Not smaller: a file cut below the size
of a usual block's transaction regrows every block, and growing a file costs a metadata fsync
on top of the data fsync."""


class SqliteBlockStore:
    """A BlockStore in one SQLite file; see the module docstring for the guarantees."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open block store {self.path!r}: {exc}") from None
        try:
            self._configure()
            self._open_schema()
            self._latest_height, self._state_meta = self._read_meta()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StorageError(f"{self.path!r} is not a usable chainbook store: {exc}") from None
        except StorageError:
            self._db.close()
            raise

    # ---------------------------------------------------------------- opening

    def _configure(self) -> None:
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise StorageError(f"{self.path!r}: SQLite refused WAL mode (got {mode!r})")
        self._db.execute("PRAGMA synchronous=FULL")
        # 64 MiB of page cache (default 2 MiB): the tx index and state B-trees take random
        # keys (hashes), so a block's inserts touch pages all over them.
        self._db.execute("PRAGMA cache_size=-65536")
        self._db.execute(f"PRAGMA wal_autocheckpoint={_WAL_AUTOCHECKPOINT_PAGES}")
        self._db.execute(f"PRAGMA journal_size_limit={_WAL_BYTES_LIMIT}")

    def _open_schema(self) -> None:
        with self._transaction():
            has_meta = self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
            ).fetchone()
            if has_meta is None:
                tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if tables:
                    raise StorageError(
                        f"{self.path!r} is an SQLite file but not a chainbook store (no meta table)"
                    )
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.executemany(
                    _SET_META,
                    [
                        ("schema_version", SCHEMA_VERSION),
                        ("latest_height", 0),
                        ("state_height", 0),
                        ("app_hash", b""),
                    ],
                )
                return
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = None if row is None else row[0]
            if version != SCHEMA_VERSION:
                raise StorageError(
                    f"{self.path!r} has schema version {version!r}; this chainbook reads "
                    f"version {SCHEMA_VERSION} only (upgrade chainbook or export and re-sync)"
                )

    def _read_meta(self) -> tuple[Height, StateMeta]:
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        latest, state_height, app_hash = (
            meta.get("latest_height"),
            meta.get("state_height"),
            meta.get("app_hash"),
        )
        if not (
            isinstance(latest, int)
            and isinstance(state_height, int)
            and isinstance(app_hash, bytes)
        ):
            raise StorageError(f"{self.path!r}: meta table is damaged: {meta!r}")
        return latest, StateMeta(height=state_height, app_hash=app_hash)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (then re-raised)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
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
        tx_rows = [(tx_key(r.tx_hash), height, r.index) for r in receipts]
        changes = state_changes or {}
        upserts = [(k, v) for k, v in changes.items() if v is not None]
        deletes = [(k,) for k, v in changes.items() if v is None]
        meta: list[tuple[str, object]] = [("latest_height", height)]
        if state_changes is not None:
            meta += [("state_height", height), ("app_hash", app_hash)]
        with self._lock:
            check_save_block_args(
                self._latest_height, self._state_meta.height, block_bytes, block, commit, receipts
            )
            with self._transaction():
                self._db.execute(
                    'INSERT INTO blocks(height, hash, "commit", receipts, block) '
                    "VALUES (?, ?, ?, ?, ?)",
                    (
                        height,
                        compute_header_hash(block.header),
                        commit_bytes,
                        receipts_blob,
                        block_bytes,
                    ),
                )
                # In block order: a tx included twice keeps its first location. A row left
                # out had its key taken: by that same tx, or by another with the same prefix.
                inserted = self._db.executemany(_INSERT_TX, tx_rows).rowcount
                if inserted != len(tx_rows):
                    self._index_collisions(block)
                self._db.executemany(_UPSERT_STATE, upserts)
                self._db.executemany("DELETE FROM state WHERE key = ?", deletes)
                self._db.executemany(_SET_META, meta)
            self._latest_height = height
            if state_changes is not None:
                self._state_meta = StateMeta(height=height, app_hash=app_hash)

    def _index_collisions(self, block: Block) -> None:
        """save_block's rare path: put each tx of `block` whose key is held by another tx's row
        into tx_collisions. Runs inside save_block's transaction, after its txs rows."""
        height = block.header.height
        txs_at = {height: block.txs}  # each stored block read and decoded once
        for index, tx_hash in enumerate(block.tx_hashes):
            row = self._db.execute(
                "SELECT height, idx FROM txs WHERE key = ?", (tx_key(tx_hash),)
            ).fetchone()
            held_height, held_index = _check_tx_row(row, tx_hash)
            if (held_height, held_index) == (height, index):
                continue  # its own row went in
            if held_height not in txs_at:
                cell = self._db.execute(
                    "SELECT block FROM blocks WHERE height = ?", (held_height,)
                ).fetchone()
                txs_at[held_height] = _stored_txs(None if cell is None else cell[0], held_height)
            # The same hash is the same tx included again: it keeps its first location.
            if _tx_hash_at(txs_at[held_height], held_height, held_index) != tx_hash:
                self._db.execute(_INSERT_TX_COLLISION, (tx_hash, height, index))

    def replace_state(self, kv: dict[bytes, bytes], height: Height, app_hash: Hash) -> None:
        with self._lock:
            assert 0 <= height <= self._latest_height, (
                f"replace_state at {height}, blocks end at {self._latest_height}"
            )
            with self._transaction():
                self._db.execute("DELETE FROM state")
                self._db.executemany("INSERT INTO state(key, value) VALUES (?, ?)", kv.items())
                self._db.executemany(_SET_META, [("state_height", height), ("app_hash", app_hash)])
            self._state_meta = StateMeta(height=height, app_hash=app_hash)

    def truncate_from(self, height: Height) -> None:
        with self._lock:
            assert height >= 1, f"truncate_from({height}): heights start at 1"
            new_latest = min(self._latest_height, height - 1)
            with self._transaction():
                self._db.execute("DELETE FROM blocks WHERE height >= ?", (height,))
                # A scan of the tx index (no index on height; see the module docstring).
                self._db.execute("DELETE FROM txs WHERE height >= ?", (height,))
                self._db.execute("DELETE FROM tx_collisions WHERE height >= ?", (height,))
                self._db.execute(_SET_META, ("latest_height", new_latest))
            self._latest_height = new_latest

    def save_consensus_state(self, record: bytes) -> None:
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT INTO consensus_wal(id, record) VALUES (1, ?) "
                "ON CONFLICT(id) DO UPDATE SET record = excluded.record",
                (record,),
            )

    # ---------------------------------------------------------------- reads

    def latest_height(self) -> Height:
        return self._latest_height

    def load_state_meta(self) -> StateMeta:
        return self._state_meta

    def load_block_bytes(self, height: Height) -> bytes | None:
        return _blob(
            self._one("SELECT block FROM blocks WHERE height = ?", height), "block", height
        )

    def load_block(self, height: Height) -> Block | None:
        data = self.load_block_bytes(height)
        if data is None:
            return None
        return decode_stored_block(data, height)

    def load_commit(self, height: Height) -> Commit | None:
        data = _blob(
            self._one('SELECT "commit" FROM blocks WHERE height = ?', height), "commit", height
        )
        if data is None:
            return None
        return decode_stored_commit(data, height)

    def load_blocks_bytes(
        self, from_height: Height, count_max: int, bytes_max: int
    ) -> list[tuple[bytes, bytes]]:
        check_load_blocks_bytes_args(from_height, count_max, bytes_max)
        with self._lock:
            rows = self._db.execute(
                'SELECT height, block, "commit" FROM blocks WHERE height >= ? '
                "ORDER BY height LIMIT ?",
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
        with self._lock:
            # tx_collisions (keyed by the full hash, usually empty) first: there the hash is
            # exact; a txs row found by key may be another tx's with the same prefix.
            row = self._db.execute(
                "SELECT c.height, c.idx, b.receipts, NULL FROM tx_collisions AS c "
                "LEFT JOIN blocks AS b ON b.height = c.height WHERE c.hash = ?",
                (tx_hash,),
            ).fetchone()
            by_key = row is None
            if by_key:
                row = self._db.execute(
                    "SELECT t.height, t.idx, b.receipts, b.block FROM txs AS t "
                    "LEFT JOIN blocks AS b ON b.height = t.height WHERE t.key = ?",
                    (tx_key(tx_hash),),
                ).fetchone()
        if row is None:
            return None
        height, index = _check_tx_row(row[:2], tx_hash)
        receipts_blob, block_blob = row[2:]
        if receipts_blob is None:
            raise CorruptBook(
                f"tx {tx_hash.hex()} is indexed at height {height}, which has no block",
                height=height,
            )
        if by_key and _tx_hash_at(_stored_txs(block_blob, height), height, index) != tx_hash:
            return None  # another tx's row: the asked one is not in the book
        data = _blob(receipts_blob, "receipts", height)
        assert data is not None
        return decode_stored_tx_location(
            tx_hash, height, index, decompress_block_receipts(data, height)
        )

    def load_receipts(self, height: Height) -> list[Receipt] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT receipts, block FROM blocks WHERE height = ?", (height,)
            ).fetchone()
        if row is None:
            return None
        data = _blob(row[0], "receipts", height)
        assert data is not None
        block = decode_stored_block(_stored_block_bytes(row[1], height), height)
        encoded = decompress_block_receipts(data, height)
        return decode_stored_receipts(height, block.tx_hashes, encoded)

    def load_state(self) -> dict[bytes, bytes]:
        with self._lock:
            return dict(self._db.execute("SELECT key, value FROM state").fetchall())

    def get_state(self, key: bytes) -> bytes | None:
        return _blob(self._one("SELECT value FROM state WHERE key = ?", key), "state value", 0)

    def load_consensus_state(self) -> bytes | None:
        return _blob(self._one("SELECT record FROM consensus_wal WHERE id = ?", 1), "wal", 0)

    def _one(self, sql: str, param: object) -> object | None:
        with self._lock:
            row = self._db.execute(sql, (param,)).fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SqliteBlockStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _blob(value: object | None, what: str, height: Height) -> bytes | None:
    """A stored BLOB read back; another SQL type there means someone edited the file."""
    if value is None or isinstance(value, bytes):
        return value
    raise CorruptBook(
        f"stored {what} (height {height}) is {type(value).__name__}, not a blob", height=height
    )


def _stored_block_bytes(cell: object | None, height: Height) -> bytes:
    data = _blob(cell, "block", height)
    if data is None:
        raise CorruptBook(f"block {height} has receipts but no block bytes", height=height)
    return data


def _check_tx_row(row: tuple[object, ...] | None, tx_hash: Hash) -> tuple[Height, int]:
    """The (height, idx) of the tx index row read for `tx_hash`; CorruptBook if damaged."""
    if row is not None:
        height, index = row
        if isinstance(height, int) and isinstance(index, int):
            return height, index
    raise CorruptBook(f"tx index row of {tx_hash.hex()} is damaged: {row!r}", height=0)


def _stored_txs(block_cell: object | None, height: Height) -> list[bytes]:
    """The txs of the stored block at `height` (`block_cell`: its block column, None when no
    such row), for a tx index row there; CorruptBook if there is no such block."""
    data = _blob(block_cell, "block", height)
    if data is None:
        raise CorruptBook(f"a tx is indexed at height {height}, which has no block", height=height)
    return decode_stored_block(data, height).txs


def _tx_hash_at(txs: list[bytes], height: Height, index: int) -> Hash:
    """The hash of the tx a tx index row (height, index) points at; CorruptBook if none."""
    if not 0 <= index < len(txs):
        raise CorruptBook(
            f"a tx is indexed at index {index} of block {height}, which has {len(txs)} txs",
            height=height,
        )
    return compute_tx_hash(txs[index])


__all__ = ["SCHEMA_VERSION", "SqliteBlockStore", "tx_key"]
