"""The index's tables and its one search query, shared by the SQLite and PostgreSQL backends.

    index_meta(key, value)                           indexed_height, schema_version
    index_blocks(height PK, hash, time_ms, proposer, events)   events: MessagePack list
    index_txs(pos PK, hash, sender, nonce, module, action, ok, code, error)
    index_tx_accounts(account_key, pos PK)
    index_tx_events(event_type, pos PK)

Rules kept:
- A transaction's position is one integer, pos = height * 2^20 + index (block_txs_max is
  10,000 < 2^20), so rows are small and appended in key order; heights up to 2^43 fit
  (POSITION_HEIGHT_MAX, some 280,000 years of one-second blocks).
- An account is keyed by the first 8 bytes of its address as a signed 64-bit integer: 12
  bytes fewer per row than the address and an integer comparison. Two accounts sharing those
  8 bytes would share a history; finding such a pair takes ~2^32 addresses for a chance
  collision and ~2^64 work to grind one against a given account.
- One SQL text for the search on both backends (only the placeholder differs), so the two
  answer the same query the same way; tests/index runs the same chain through both.
- Heights are contiguous from 1 to indexed_height; a batch of blocks and the new
  indexed_height are written in one transaction, so a crash leaves the index at a block
  boundary, never half a block.
- Each search filter is a join on a table keyed (filter value, pos), so a search of one
  account or one event type walks that key's range in position order and stops after
  `limit` + 1 rows, whatever the size of the index.

Measured (python -m tests.index.bench_index: 3,000-transfer blocks, the 2-core development
machine, busy): ~14 us per transaction to compute the entries and ~20 us to write them, in
the feeder's thread. The first layout (rows keyed (height, idx), accounts as 20-byte blobs,
actions turned to JSON for every tx, canonical re-decoding) cost ~140 us.
"""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.index.entries import IndexedBlock
from chainbook.index.search import TxHit, TxSearch
from chainbook.types import Address, Height

INDEXED_HEIGHT_KEY = "indexed_height"
SCHEMA_VERSION_KEY = "schema_version"
SCHEMA_VERSION = 2
"""1: rows keyed (height, idx). 2: integer positions, account keys, receipt codes. An index of
another version is dropped and rebuilt from the book (it is derived data)."""

TABLES = ("index_meta", "index_blocks", "index_txs", "index_tx_accounts", "index_tx_events")

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS index_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS index_blocks (
    height INTEGER PRIMARY KEY, hash BLOB NOT NULL, time_ms INTEGER NOT NULL,
    proposer BLOB NOT NULL, events BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS index_txs (
    pos INTEGER PRIMARY KEY, hash BLOB NOT NULL, sender BLOB NOT NULL, nonce INTEGER NOT NULL,
    module TEXT NOT NULL, action TEXT NOT NULL, ok INTEGER NOT NULL, code TEXT NOT NULL,
    error TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS index_txs_by_module ON index_txs (module, pos);
CREATE TABLE IF NOT EXISTS index_tx_accounts (
    account_key INTEGER NOT NULL, pos INTEGER NOT NULL, PRIMARY KEY (account_key, pos)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS index_tx_events (
    event_type TEXT NOT NULL, pos INTEGER NOT NULL, PRIMARY KEY (event_type, pos)
) WITHOUT ROWID;
"""

POSTGRES_SCHEMA = """
CREATE TABLE IF NOT EXISTS index_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS index_blocks (
    height BIGINT PRIMARY KEY, hash BYTEA NOT NULL, time_ms BIGINT NOT NULL,
    proposer BYTEA NOT NULL, events BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS index_txs (
    pos BIGINT PRIMARY KEY, hash BYTEA NOT NULL, sender BYTEA NOT NULL, nonce BIGINT NOT NULL,
    module TEXT NOT NULL, action TEXT NOT NULL, ok SMALLINT NOT NULL, code TEXT NOT NULL,
    error TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS index_txs_by_module ON index_txs (module, pos);
CREATE TABLE IF NOT EXISTS index_tx_accounts (
    account_key BIGINT NOT NULL, pos BIGINT NOT NULL, PRIMARY KEY (account_key, pos)
);
CREATE TABLE IF NOT EXISTS index_tx_events (
    event_type TEXT NOT NULL, pos BIGINT NOT NULL, PRIMARY KEY (event_type, pos)
);
"""

_P = "\x00P\x00"
"""Placeholder token, replaced by each backend's own ('?' or '%s')."""

INSERT_BLOCK = f"INSERT INTO index_blocks VALUES ({_P}, {_P}, {_P}, {_P}, {_P})"
INSERT_TX = "INSERT INTO index_txs VALUES (" + ", ".join([_P] * 9) + ")"
INSERT_ACCOUNT = f"INSERT INTO index_tx_accounts VALUES ({_P}, {_P})"
INSERT_EVENT = f"INSERT INTO index_tx_events VALUES ({_P}, {_P})"
SELECT_BLOCK_EVENTS = f"SELECT events FROM index_blocks WHERE height = {_P}"
SELECT_INDEXED_HEIGHT = f"SELECT value FROM index_meta WHERE key = {_P}"
DELETE_FROM_HEIGHT = [f"DELETE FROM index_blocks WHERE height >= {_P}"] + [
    f"DELETE FROM {table} WHERE pos >= {_P}"
    for table in ("index_txs", "index_tx_accounts", "index_tx_events")
]
"""Each takes the first height to delete; compute_delete_params gives their parameters."""

INDEX_BITS = 20
POSITION_HEIGHT_MAX = 2**43 - 1
"""The highest height whose positions fit a signed 64-bit integer."""


def compute_position(height: Height, index: int) -> int:
    assert 0 <= index < 1 << INDEX_BITS and height <= POSITION_HEIGHT_MAX, (height, index)
    return (height << INDEX_BITS) | index


def split_position(pos: int) -> tuple[Height, int]:
    return pos >> INDEX_BITS, pos & ((1 << INDEX_BITS) - 1)


def compute_account_key(account: Address) -> int:
    return int.from_bytes(account[:8], "big", signed=True)


def compute_delete_params(height: Height) -> list[tuple[int]]:
    first = compute_position(min(height, POSITION_HEIGHT_MAX), 0)
    return [(height,), (first,), (first,), (first,)]


DROP_TABLES = [f"DROP TABLE IF EXISTS {table}" for table in TABLES]


def with_placeholder(sql: str, placeholder: str) -> str:
    return sql.replace(_P, placeholder)


def compute_rows(blocks: list[IndexedBlock]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of each table for a batch of blocks."""
    block_rows: list[tuple[Any, ...]] = []
    tx_rows: list[tuple[Any, ...]] = []
    account_rows: list[tuple[Any, ...]] = []
    event_rows: list[tuple[Any, ...]] = []
    encode = msgspec.msgpack.encode
    for block in blocks:
        block_rows.append(
            (block.height, block.hash, block.time_ms, block.proposer, encode(block.block_events))
        )
        base = compute_position(block.height, 0)
        for tx in block.txs:
            pos = base | tx.index
            tx_rows.append(
                (pos, tx.hash, tx.sender, tx.nonce, tx.module, tx.action, int(tx.ok), tx.code,
                 tx.error)
            )
            for account in tx.accounts:
                account_rows.append((int.from_bytes(account[:8], "big", signed=True), pos))
            for event in tx.event_types:
                event_rows.append((event, pos))
    return {
        INSERT_BLOCK: block_rows,
        INSERT_TX: tx_rows,
        INSERT_ACCOUNT: account_rows,
        INSERT_EVENT: event_rows,
    }


def build_search(search: TxSearch) -> tuple[str, list[Any]]:
    """The search's SQL (with the placeholder token) and its parameters; it asks for
    `limit` + 1 rows, the extra one saying whether a next page exists."""
    joins: list[str] = []
    where: list[str] = []
    params: list[Any] = []
    driver = "t"
    if search.account is not None:
        joins.append("JOIN index_tx_accounts a ON a.pos = t.pos")
        where.append(f"a.account_key = {_P}")
        params.append(compute_account_key(search.account))
        driver = "a"
    if search.event_type is not None:
        joins.append("JOIN index_tx_events e ON e.pos = t.pos")
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
        where.append(f"{driver}.pos >= {_P}")
        params.append(compute_position(min(search.from_height, POSITION_HEIGHT_MAX), 0))
    if search.to_height is not None and search.to_height < POSITION_HEIGHT_MAX:
        where.append(f"{driver}.pos < {_P}")
        params.append(compute_position(search.to_height + 1, 0))
    descending = search.order == "desc"
    if search.after is not None:
        where.append(f"{driver}.pos {'<' if descending else '>'} {_P}")
        after = search.after
        params.append(compute_position(min(after.height, POSITION_HEIGHT_MAX), 0) | after.index)
    direction = "DESC" if descending else "ASC"
    sql = (
        "SELECT t.pos, t.hash, t.sender, t.nonce, t.module, t.action, t.ok, t.code, t.error "
        "FROM index_txs t "
        + " ".join(joins)
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY {driver}.pos {direction} LIMIT {_P}"
    )
    params.append(search.limit + 1)
    return sql, params


def hit_from_row(row: tuple[Any, ...]) -> TxHit:
    pos, hash_, sender, nonce, module, action, ok, code, error = row
    height, index = split_position(int(pos))
    return TxHit(
        height=height,
        index=index,
        hash=bytes(hash_),
        sender=bytes(sender),
        nonce=int(nonce),
        module=module,
        action=action,
        ok=bool(ok),
        code=code,
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
    "POSITION_HEIGHT_MAX",
    "build_search",
    "compute_account_key",
    "compute_delete_params",
    "compute_position",
    "split_position",
    "compute_rows",
    "hit_from_row",
    "with_placeholder",
]
