"""The SQLite book's schema: its tables, its version, the connection settings, and meta.

    meta(key TEXT PRIMARY KEY, value)            schema_version, latest_height, state_height,
                                                 app_hash, genesis_hash (absent until recorded),
                                                 pruned_below (absent: 1; storage/pruning.py),
                                                 book_base, state_sync_hops (absent: 1, none;
                                                 a book started by state sync, restore_snapshot)
    blocks(height INTEGER PRIMARY KEY, hash BLOB, "commit" BLOB, receipts BLOB, block BLOB)
    txs(key INTEGER PRIMARY KEY, height INTEGER, idx INTEGER)    key: tx_key(tx hash)
    tx_collisions(hash BLOB PRIMARY KEY, height INTEGER, idx INTEGER) WITHOUT ROWID
    state(key BLOB PRIMARY KEY, value BLOB) WITHOUT ROWID

Rules kept:
- A file is read only if it holds exactly SCHEMA_VERSION; another version is refused with a
  StorageError naming both versions (no migration: re-sync), a foreign SQLite file (tables but
  no meta) likewise. Neither is damage: they are left alone, never salvaged.
- Heights in `blocks` are contiguous from book_base (1 unless the book was started from a
  state snapshot: then from the snapshot's height) and end at meta's latest_height: save_block and
  truncate_from change both in one transaction. A row above latest_height cannot come from us
  (storage/sqlite/damage.py treats it as damage).
- The consensus record is not in the book: it has its own file beside the node key
  (storage/consensus_record_file.py), so that losing or rolling back the book cannot roll it
  back (schema 3 kept it in a consensus_wal table).

Bytes on disk (schema 3; tests/storage/bench_save_block.py, 170-byte bank transfers in
3,000-tx blocks, heights 1-20): per transaction ~173 bytes in `blocks` (the block; its commit
and receipts add <1 here: these transfers emit no events) and ~20 of tx index (an ~18-byte
row in a B-tree of random keys; ~22 at heights around a million, which take 2 more bytes):
~194 in all. Schema 2 keyed the tx index by the whole 32-byte hash: ~47 bytes per tx, ~221 in
all. Schema 1 kept every receipt, with its tx hash and height, in its tx index row, plus an
index on height: ~463.
- `receipts` is the block's receipts once (storage/stored_format.py), zlib compressed.
- Column order matters: SQLite reaches a column by walking the overflow pages of the columns
  before it, so the large block blob comes last and reading a commit or receipts does not read
  the block.
- No index on txs.height: see storage/sqlite/tx_index.py.

Connection settings (configure):
- journal_mode=WAL: readers (the API, an operator's sqlite3 shell) never block the writer.
- synchronous=FULL: every COMMIT fsyncs the WAL, so a transaction that returned is on disk
  (NORMAL would be crash-consistent but could lose the last commits on power loss).
- cache_size 64 MiB (default 2 MiB): the tx index and state B-trees take random keys
  (hashes), so a block's inserts touch pages all over them.
- wal_autocheckpoint: see _WAL_AUTOCHECKPOINT_PAGES; journal_size_limit: _WAL_BYTES_LIMIT.
"""

from __future__ import annotations

import sqlite3

from chainbook.errors import StorageError
from chainbook.storage.block_store import StateMeta
from chainbook.types import Height

SCHEMA_VERSION = 5
"""1: a receipt per tx index row. 2: receipts once per block, in blocks.receipts. 3: the tx
index keyed by a 7-byte hash prefix (txs.key), full hashes only in tx_collisions. 4: no
consensus_wal table (the consensus record has its own file). 5: receipts carry their error
code; headers carry receipts_root and the state tree root."""

TABLES = ("meta", "blocks", "txs", "tx_collisions", "state")

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
"""

SET_META = (
    "INSERT INTO meta(key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)

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


def configure(db: sqlite3.Connection, path: str) -> None:
    """The connection settings of the module docstring."""
    mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode != "wal":
        raise StorageError(f"{path!r}: SQLite refused WAL mode (got {mode!r})")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA cache_size=-65536")
    db.execute(f"PRAGMA wal_autocheckpoint={_WAL_AUTOCHECKPOINT_PAGES}")
    db.execute(f"PRAGMA journal_size_limit={_WAL_BYTES_LIMIT}")


def is_chainbook_file(db: sqlite3.Connection) -> bool | None:
    """True if the file has our meta table, None if it has no table at all (a new file),
    False if it is some other SQLite database."""
    has_meta = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if has_meta is not None:
        return True
    tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    return None if tables == 0 else False


def create_schema(db: sqlite3.Connection) -> None:
    """The tables of an empty book (inside the caller's transaction)."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.executemany(
        SET_META,
        [
            ("schema_version", SCHEMA_VERSION),
            ("latest_height", 0),
            ("state_height", 0),
            ("app_hash", b""),
        ],
    )


def check_schema_version(db: sqlite3.Connection, path: str) -> None:
    """StorageError unless the file says SCHEMA_VERSION (a file of ours, another version)."""
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    version = None if row is None else row[0]
    if version != SCHEMA_VERSION:
        raise StorageError(
            f"{path!r} has schema version {version!r}; this chainbook reads "
            f"version {SCHEMA_VERSION} only (upgrade chainbook or export and re-sync)"
        )


def read_genesis_hash(db: sqlite3.Connection) -> bytes | None | str:
    """The recorded genesis hash, None if none is recorded, or what is wrong with it."""
    row = db.execute("SELECT value FROM meta WHERE key = 'genesis_hash'").fetchone()
    if row is None:
        return None
    value = row[0]
    if not isinstance(value, bytes) or len(value) != 32:
        return f"the meta table's genesis_hash is damaged: {value!r}"
    return value


PRUNED_BELOW = "(SELECT value FROM meta WHERE key = 'pruned_below')"
"""The pruned height as an SQL expression (NULL when nothing was ever pruned), for reads that
must see it in the same statement as the rows (storage/pruning.py)."""


def read_pruned_below(db: sqlite3.Connection) -> Height | str:
    """Blocks below this height are pruned (1: none), or what is wrong with the meta row."""
    row = db.execute("SELECT value FROM meta WHERE key = 'pruned_below'").fetchone()
    if row is None:
        return 1
    if not isinstance(row[0], int) or row[0] < 1:
        return f"the meta table's pruned_below is damaged: {row[0]!r}"
    return row[0]


def read_book_base(db: sqlite3.Connection) -> Height | str:
    """The first height the book holds (1 unless state-synced), or what is wrong with it."""
    row = db.execute("SELECT value FROM meta WHERE key = 'book_base'").fetchone()
    if row is None:
        return 1
    if not isinstance(row[0], int) or row[0] < 1:
        return f"the meta table's book_base is damaged: {row[0]!r}"
    return row[0]


def read_meta(db: sqlite3.Connection) -> tuple[Height, StateMeta] | str:
    """(latest height, state meta), or what is wrong with the meta table."""
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    latest, state_height, app_hash = (
        meta.get("latest_height"),
        meta.get("state_height"),
        meta.get("app_hash"),
    )
    if not (
        isinstance(latest, int)
        and isinstance(state_height, int)
        and isinstance(app_hash, bytes)
        and latest >= 0
        and state_height >= 0
    ):
        return f"the meta table is damaged: {meta!r}"
    return latest, StateMeta(height=state_height, app_hash=app_hash)


__all__ = [
    "PRUNED_BELOW",
    "SCHEMA_VERSION",
    "SET_META",
    "TABLES",
    "check_schema_version",
    "configure",
    "create_schema",
    "is_chainbook_file",
    "read_book_base",
    "read_genesis_hash",
    "read_meta",
    "read_pruned_below",
]
