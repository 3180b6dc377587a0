"""The transaction index a node keeps beside its book, whatever the database behind it.

    index.write_blocks([IndexedBlock, ...])   contiguous heights from indexed_height() + 1
    index.search(TxSearch) -> TxPage          (index/search.py gives the ordering rules)
    index.get_block_events(height)            begin-block events (the book does not keep them)
    index.truncate_from(height)               the book was cut back (damage repaired)

Rules kept:
- The index is derived data: the book is the truth. Losing the index file loses nothing; the
  node rebuilds it from the book (the start-up replay feeds it every height it lacks).
- `SqlIndex` holds everything but the connection: the two backends (sqlite_index.py,
  postgres_index.py) differ only in how they connect, their placeholder and their DDL.
- Writes come from one thread (the feeder's, index/feeder.py); searches from the API's event
  loop thread on a connection of their own (SQLite WAL readers never block the writer).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Protocol

import msgspec

from chainbook.index import sql
from chainbook.index.entries import IndexedBlock
from chainbook.index.search import Position, TxPage, TxSearch
from chainbook.ledger.receipts import Event
from chainbook.types import Height


class TxIndex(Protocol):
    def indexed_height(self) -> Height: ...

    def write_blocks(self, blocks: list[IndexedBlock]) -> None: ...

    def search(self, search: TxSearch) -> TxPage: ...

    def get_block_events(self, height: Height) -> list[Event] | None: ...

    def truncate_from(self, height: Height) -> None: ...

    def close(self) -> None: ...


_events_decoder = msgspec.msgpack.Decoder(list[Event])


class SqlIndex:
    """A TxIndex over DB-API connections: `_writer` for writes, `_reader` for reads."""

    placeholder = "?"

    def __init__(self, writer: Any, reader: Any) -> None:
        self._writer = writer
        self._reader = reader
        self._sql = {
            text: sql.with_placeholder(text, self.placeholder)
            for text in (
                sql.INSERT_BLOCK,
                sql.INSERT_TX,
                sql.INSERT_ACCOUNT,
                sql.INSERT_EVENT,
                sql.SELECT_BLOCK_EVENTS,
                sql.SELECT_INDEXED_HEIGHT,
                *sql.DELETE_FROM_HEIGHT,
            )
        }

    # --- hooks of a backend -----------------------------------------------------------------

    @contextlib.contextmanager
    def _write_transaction(self) -> Iterator[Any]:
        """A cursor of the writer inside one transaction (committed on success)."""
        raise NotImplementedError
        yield

    def _upsert_height_sql(self) -> str:
        raise NotImplementedError

    def _create_tables(self, cursor: Any) -> None:
        raise NotImplementedError

    def _has_meta_table(self, cursor: Any) -> bool:
        raise NotImplementedError

    def _open_schema(self) -> None:
        """Create the tables, or drop and recreate them when they hold another layout (the
        node's start-up replay then refeeds the index from the book)."""
        with self._write_transaction() as cursor:
            version = None
            if self._has_meta_table(cursor):
                cursor.execute(self._sql[sql.SELECT_INDEXED_HEIGHT], (sql.SCHEMA_VERSION_KEY,))
                row = cursor.fetchone()
                version = None if row is None else int(row[0])
        if version == sql.SCHEMA_VERSION:
            return
        with self._write_transaction() as cursor:
            for statement in sql.DROP_TABLES:
                cursor.execute(statement)
            self._create_tables(cursor)
            cursor.execute(self._upsert_height_sql(), (sql.SCHEMA_VERSION_KEY, sql.SCHEMA_VERSION))

    # --- TxIndex ----------------------------------------------------------------------------

    def indexed_height(self) -> Height:
        return self._read_indexed_height(self._reader)

    def _read_indexed_height(self, connection: Any) -> Height:
        cursor = connection.cursor()
        cursor.execute(self._sql[sql.SELECT_INDEXED_HEIGHT], (sql.INDEXED_HEIGHT_KEY,))
        row = cursor.fetchone()
        cursor.close()
        return 0 if row is None else int(row[0])

    def write_blocks(self, blocks: list[IndexedBlock]) -> None:
        if not blocks:
            return
        heights = [b.height for b in blocks]
        with self._write_transaction() as cursor:
            cursor.execute(self._sql[sql.SELECT_INDEXED_HEIGHT], (sql.INDEXED_HEIGHT_KEY,))
            row = cursor.fetchone()
            indexed = 0 if row is None else int(row[0])
            # Contiguous from the indexed height: a gap or an overlap is a bug of the feeder.
            assert heights == list(range(indexed + 1, indexed + 1 + len(blocks))), (
                indexed,
                heights[:3],
            )
            for text, rows in sql.compute_rows(blocks).items():
                if rows:
                    cursor.executemany(self._sql[text], rows)
            cursor.execute(self._upsert_height_sql(), (sql.INDEXED_HEIGHT_KEY, heights[-1]))

    def truncate_from(self, height: Height) -> None:
        with self._write_transaction() as cursor:
            for text, params in zip(
                sql.DELETE_FROM_HEIGHT, sql.compute_delete_params(height), strict=True
            ):
                cursor.execute(self._sql[text], params)
            cursor.execute(self._upsert_height_sql(), (sql.INDEXED_HEIGHT_KEY, height - 1))

    def search(self, search: TxSearch) -> TxPage:
        text, params = sql.build_search(search)
        cursor = self._reader.cursor()
        try:
            indexed = self._read_indexed_height_with(cursor)
            cursor.execute(sql.with_placeholder(text, self.placeholder), params)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        self._end_read()
        hits = [sql.hit_from_row(row) for row in rows[: search.limit]]
        more = len(rows) > search.limit
        next_cursor = Position(hits[-1].height, hits[-1].index).encode() if more else None
        return TxPage(txs=hits, next_cursor=next_cursor, indexed_height=indexed)

    def _read_indexed_height_with(self, cursor: Any) -> Height:
        cursor.execute(self._sql[sql.SELECT_INDEXED_HEIGHT], (sql.INDEXED_HEIGHT_KEY,))
        row = cursor.fetchone()
        return 0 if row is None else int(row[0])

    def _end_read(self) -> None:
        """End the reader's implicit transaction (PostgreSQL opens one per statement)."""

    def get_block_events(self, height: Height) -> list[Event] | None:
        cursor = self._reader.cursor()
        try:
            cursor.execute(self._sql[sql.SELECT_BLOCK_EVENTS], (height,))
            row = cursor.fetchone()
        finally:
            cursor.close()
        self._end_read()
        return None if row is None else _events_decoder.decode(bytes(row[0]))

    def close(self) -> None:
        for connection in {id(self._writer): self._writer, id(self._reader): self._reader}.values():
            connection.close()


__all__ = ["SqlIndex", "TxIndex"]
