"""A node's side store of private data: record contents that never enter the replicated state.

    data/private.sqlite      table content(collection, record, hash, salt, content, height,
                             purge_at_height), primary key (collection, record)

Rules kept:
- A file of its own, beside the book (data/book.sqlite), never inside it: the book is what a
  node serves to anyone who syncs, re-verifies and may hand to an auditor; private data is
  for members only, so no book operation (sync, salvage, re-verification, checkpoint, prune,
  copy) can carry it. A non-member node has no such file at all (it is created on the first
  write).
- The store only carries out what the node core decided (core/private_data.py): `save`
  (idempotent: the same record always has the same bytes, since the core checked them
  against the on-chain hash) and `purge(height)` (delete every content whose non-zero purge
  height is <= height). It checks the hash again when it reads a row back (assert in pairs).
- secure_delete is on, so a purged content is overwritten in the file, not only unlinked
  from its pages; the WAL is checkpointed after a purge, so no copy of it stays in the -wal
  file either.
- `MemoryPrivateStore` is the same in a dict, for tests.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from chainbook.apps.private.content import compute_record_hash
from chainbook.core.private_data import StoredContent
from chainbook.core.private_wire import PurgePrivateData, SavePrivateData
from chainbook.types import Height

PRIVATE_STORE_FILE_NAME = "private.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS content (
    collection TEXT NOT NULL,
    record TEXT NOT NULL,
    hash BLOB NOT NULL,
    salt BLOB NOT NULL,
    content BLOB NOT NULL,
    height INTEGER NOT NULL,
    purge_at_height INTEGER NOT NULL,
    PRIMARY KEY (collection, record)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS content_purge ON content (purge_at_height) WHERE purge_at_height > 0;
"""


def _row_to_content(row: tuple[str, str, bytes, bytes, bytes, int, int]) -> StoredContent:
    stored = StoredContent(*row)
    assert compute_record_hash(stored.salt, stored.content) == stored.hash, (
        f"private store row {stored.collection}/{stored.record} does not match its hash"
    )
    return stored


class SqlitePrivateStore:
    """The side store in its own SQLite file (opened lazily: no write, no file)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._earliest_purge: Height | None = None
        if self.path.exists():
            self._earliest_purge = self._query_earliest_purge()

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA secure_delete=ON")
            db.executescript(_SCHEMA)
            self._db = db
        return self._db

    def _query_earliest_purge(self) -> Height | None:
        row = self._connection().execute(
            "SELECT MIN(purge_at_height) FROM content WHERE purge_at_height > 0"
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def get(self, collection: str, record: str) -> StoredContent | None:
        if self._db is None and not self.path.exists():
            return None
        row = self._connection().execute(
            "SELECT collection, record, hash, salt, content, height, purge_at_height "
            "FROM content WHERE collection = ? AND record = ?",
            (collection, record),
        ).fetchone()
        return None if row is None else _row_to_content(row)

    def earliest_purge_at_height(self) -> Height | None:
        return self._earliest_purge

    def count(self) -> int:
        if self._db is None and not self.path.exists():
            return 0
        row = self._connection().execute("SELECT COUNT(*) FROM content").fetchone()
        return int(row[0])

    def save(self, save: SavePrivateData) -> None:
        self._connection().execute(
            "INSERT OR REPLACE INTO content VALUES (?, ?, ?, ?, ?, ?, ?)",
            (save.collection, save.record, save.hash, save.salt, save.content, save.height,
             save.purge_at_height),
        )
        if save.purge_at_height and (
            self._earliest_purge is None or save.purge_at_height < self._earliest_purge
        ):
            self._earliest_purge = save.purge_at_height

    def purge(self, height: Height) -> int:
        """Delete every content due at `height`; returns how many."""
        db = self._connection()
        deleted = db.execute(
            "DELETE FROM content WHERE purge_at_height > 0 AND purge_at_height <= ?", (height,)
        ).rowcount
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._earliest_purge = self._query_earliest_purge()
        return int(deleted)

    def carry_out(self, output: SavePrivateData | PurgePrivateData) -> None:
        """The driver's one call for the core's private-data outputs."""
        match output:
            case SavePrivateData():
                self.save(output)
            case PurgePrivateData(height=height):
                self.purge(height)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class MemoryPrivateStore:
    """The same rules in a dict (tests)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], StoredContent] = {}

    def get(self, collection: str, record: str) -> StoredContent | None:
        return self.rows.get((collection, record))

    def earliest_purge_at_height(self) -> Height | None:
        due = [row.purge_at_height for row in self.rows.values() if row.purge_at_height]
        return min(due, default=None)

    def carry_out(self, output: SavePrivateData | PurgePrivateData) -> None:
        match output:
            case SavePrivateData():
                self.rows[(output.collection, output.record)] = _row_to_content(
                    (output.collection, output.record, output.hash, output.salt, output.content,
                     output.height, output.purge_at_height)
                )
            case PurgePrivateData(height=height):
                for key, row in list(self.rows.items()):
                    if row.purge_at_height and row.purge_at_height <= height:
                        del self.rows[key]


__all__ = ["PRIVATE_STORE_FILE_NAME", "MemoryPrivateStore", "SqlitePrivateStore"]
