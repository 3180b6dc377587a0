"""The embedded index: SQLite, in its own file beside the book (data/index.sqlite).

A file of its own, not tables in the book: its writes never wait for the book's write lock
nor make the book's fsync'd commits longer, and deleting it (to rebuild) never touches the
book. WAL mode with synchronous=NORMAL: a crash may lose the last batches (the node re-feeds
them from the book at start) but never leaves a half-written batch.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from typing import Any

from chainbook.index import sql
from chainbook.index.base import SqlIndex


class SqliteTxIndex(SqlIndex):
    placeholder = "?"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """`path` may be ":memory:" (tests): one connection then serves reads and writes."""
        memory = str(path) == ":memory:"
        writer = _connect(path)
        reader = writer if memory else _connect(path)
        super().__init__(writer, reader)
        self._open_schema()

    @contextlib.contextmanager
    def _write_transaction(self) -> Iterator[Any]:
        cursor = self._writer.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
            yield cursor
            cursor.execute("COMMIT")
        except BaseException:
            if self._writer.in_transaction:
                cursor.execute("ROLLBACK")
            raise
        finally:
            cursor.close()

    def _has_meta_table(self, cursor: Any) -> bool:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'index_meta'")
        return cursor.fetchone() is not None

    def _create_tables(self, cursor: Any) -> None:
        for statement in sql.SQLITE_SCHEMA.split(";"):
            if statement.strip():
                cursor.execute(statement)

    def _upsert_height_sql(self) -> str:
        return "INSERT OR REPLACE INTO index_meta (key, value) VALUES (?, ?)"


def _connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
    # check_same_thread=False: the writer is opened on the node's thread and used by the
    # feeder's; each connection is still used by one thread at a time.
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


__all__ = ["SqliteTxIndex"]
