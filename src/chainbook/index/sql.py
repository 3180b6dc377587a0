"""The index's tables and its one search query, shared by the SQLite and PostgreSQL backends.

    index_meta(key, value)                     indexed_height
    index_blocks(height PK, hash, time_ms, proposer, events)   events: MessagePack list
    index_txs(height, idx PK, hash, sender, nonce, module, action, ok, error)
    index_tx_accounts(account, height, idx PK)
    index_tx_events(event_type, height, idx PK)

Rules kept:
- One SQL text for the search on both backends (only the placeholder differs), so the two
  answer the same query the same way; tests/index runs the same chain through both.
- Heights are contiguous from 1 to indexed_height; a batch of blocks and the new
  indexed_height are written in one transaction, so a crash leaves the index at a block
  boundary, never half a block.
- Each search filter is a join on a table keyed (filter value, height, idx), so a search of
  one account or one event type walks that key's range in position order and stops after
  `limit` + 1 rows, whatever the size of the index.
"""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.index.entries import IndexedBlock
from chainbook.index.search import TxHit, TxSearch

INDEXED_HEIGHT_KEY = "indexed_height"

TABLES = ("index_meta", "index_blocks", "index_txs", "index_tx_accounts", "index_tx_events")

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS index_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS index_blocks (
    height INTEGER PRIMARY KEY, hash BLOB NOT NULL, time_ms INTEGER NOT NULL,
    proposer BLOB NOT NULL, events BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS index_txs (
    height INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, sender BLOB NOT NULL,
    nonce INTEGER NOT NULL, module TEXT NOT NULL, action TEXT NOT NULL, ok INTEGER NOT NULL,
    error TEXT NOT NULL, PRIMARY KEY (height, idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS index_txs_by_module ON index_txs (module, height, idx);
CREATE TABLE IF NOT EXISTS index_tx_accounts (
    account BLOB NOT NULL, height INTEGER NOT NULL, idx INTEGER NOT NULL,
    PRIMARY KEY (account, height, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS index_tx_events (
    event_type TEXT NOT NULL, height INTEGER NOT NULL, idx INTEGER NOT NULL,
    PRIMARY KEY (event_type, height, idx)
) WITHOUT ROWID;
"""

POSTGRES_SCHEMA = """
CREATE TABLE IF NOT EXISTS index_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS index_blocks (
    height BIGINT PRIMARY KEY, hash BYTEA NOT NULL, time_ms BIGINT NOT NULL,
    proposer BYTEA NOT NULL, events BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS index_txs (
    height BIGINT NOT NULL, idx INTEGER NOT NULL, hash BYTEA NOT NULL, sender BYTEA NOT NULL,
    nonce BIGINT NOT NULL, module TEXT NOT NULL, action TEXT NOT NULL, ok SMALLINT NOT NULL,
    error TEXT NOT NULL, PRIMARY KEY (height, idx)
);
CREATE INDEX IF NOT EXISTS index_txs_by_module ON index_txs (module, height, idx);
CREATE TABLE IF NOT EXISTS index_tx_accounts (
    account BYTEA NOT NULL, height BIGINT NOT NULL, idx INTEGER NOT NULL,
    PRIMARY KEY (account, height, idx)
);
CREATE TABLE IF NOT EXISTS index_tx_events (
    event_type TEXT NOT NULL, height BIGINT NOT NULL, idx INTEGER NOT NULL,
    PRIMARY KEY (event_type, height, idx)
);
"""

_P = "\x00P\x00"
"""Placeholder token, replaced by each backend's own ('?' or '%s')."""

INSERT_BLOCK = f"INSERT INTO index_blocks VALUES ({_P}, {_P}, {_P}, {_P}, {_P})"
INSERT_TX = "INSERT INTO index_txs VALUES (" + ", ".join([_P] * 9) + ")"
INSERT_ACCOUNT = f"INSERT INTO index_tx_accounts VALUES ({_P}, {_P}, {_P})"
INSERT_EVENT = f"INSERT INTO index_tx_events VALUES ({_P}, {_P}, {_P})"
SELECT_BLOCK_EVENTS = f"SELECT events FROM index_blocks WHERE height = {_P}"
SELECT_INDEXED_HEIGHT = f"SELECT value FROM index_meta WHERE key = {_P}"
DELETE_FROM_HEIGHT = [
    f"DELETE FROM {table} WHERE height >= {_P}"
    for table in ("index_blocks", "index_txs", "index_tx_accounts", "index_tx_events")
]


def with_placeholder(sql: str, placeholder: str) -> str:
    return sql.replace(_P, placeholder)


def compute_rows(blocks: list[IndexedBlock]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of each table for a batch of blocks."""
    rows: dict[str, list[tuple[Any, ...]]] = {
        INSERT_BLOCK: [],
        INSERT_TX: [],
        INSERT_ACCOUNT: [],
        INSERT_EVENT: [],
    }
    for block in blocks:
        rows[INSERT_BLOCK].append(
            (
                block.height,
                block.hash,
                block.time_ms,
                block.proposer,
                msgspec.msgpack.encode(block.block_events),
            )
        )
        for tx in block.txs:
            position = (tx.height, tx.index)
            rows[INSERT_TX].append(
                (*position, tx.hash, tx.sender, tx.nonce, tx.module, tx.action, int(tx.ok),
                 tx.error)
            )
            rows[INSERT_ACCOUNT].extend((account, *position) for account in tx.accounts)
            rows[INSERT_EVENT].extend((event, *position) for event in tx.event_types)
    return rows


def build_search(search: TxSearch) -> tuple[str, list[Any]]:
    """The search's SQL (with the placeholder token) and its parameters; it asks for
    `limit` + 1 rows, the extra one saying whether a next page exists."""
    joins: list[str] = []
    where: list[str] = []
    params: list[Any] = []
    driver = "t"
    if search.account is not None:
        joins.append("JOIN index_tx_accounts a ON a.height = t.height AND a.idx = t.idx")
        where.append(f"a.account = {_P}")
        params.append(search.account)
        driver = "a"
    if search.event_type is not None:
        joins.append("JOIN index_tx_events e ON e.height = t.height AND e.idx = t.idx")
        where.append(f"e.event_type = {_P}")
        params.append(search.event_type)
        driver = "e" if driver == "t" else driver
    if search.module is not None:
        where.append(f"t.module = {_P}")
        params.append(search.module)
    if search.action is not None:
        where.append(f"t.action = {_P}")
        params.append(search.action)
    if search.from_height is not None:
        where.append(f"{driver}.height >= {_P}")
        params.append(search.from_height)
    if search.to_height is not None:
        where.append(f"{driver}.height <= {_P}")
        params.append(search.to_height)
    descending = search.order == "desc"
    if search.after is not None:
        where.append(f"({driver}.height, {driver}.idx) {'<' if descending else '>'} ({_P}, {_P})")
        params += [search.after.height, search.after.index]
    direction = "DESC" if descending else "ASC"
    sql = (
        "SELECT t.height, t.idx, t.hash, t.sender, t.nonce, t.module, t.action, t.ok, t.error "
        "FROM index_txs t "
        + " ".join(joins)
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY {driver}.height {direction}, {driver}.idx {direction} LIMIT {_P}"
    )
    params.append(search.limit + 1)
    return sql, params


def hit_from_row(row: tuple[Any, ...]) -> TxHit:
    height, idx, hash_, sender, nonce, module, action, ok, error = row
    return TxHit(
        height=int(height),
        index=int(idx),
        hash=bytes(hash_),
        sender=bytes(sender),
        nonce=int(nonce),
        module=module,
        action=action,
        ok=bool(ok),
        error=error,
    )


__all__ = [
    "DELETE_FROM_HEIGHT",
    "INDEXED_HEIGHT_KEY",
    "POSTGRES_SCHEMA",
    "SELECT_BLOCK_EVENTS",
    "SELECT_INDEXED_HEIGHT",
    "SQLITE_SCHEMA",
    "TABLES",
    "build_search",
    "compute_rows",
    "hit_from_row",
    "with_placeholder",
]
