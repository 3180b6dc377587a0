"""The SQLite book's tx index: a 7-byte hash prefix as the row key, kept exact.

    txs(key INTEGER PRIMARY KEY, height INTEGER, idx INTEGER)    key: tx_key(tx hash)
    tx_collisions(hash BLOB PRIMARY KEY, height INTEGER, idx INTEGER) WITHOUT ROWID

The tx index is keyed by tx_key(hash), the hash's first 7 bytes as an integer: the rowid of a
plain table, so a row holds no hash (`SELECT * FROM txs WHERE key = 0x` followed by the hash's
first 14 hex digits finds one in the sqlite3 shell). A tx whose prefix is already taken by a
different tx (rare by chance, or one ground by an attacker) goes to tx_collisions, under its
full hash. Why the index stays exact (rules kept):
- insert_block_txs inserts the txs rows of a block in block order and keeps the row already
  there on a conflict (rowcount tells). Only then (the rare path) it reads the tx at the
  location that holds the key: the same hash is the same tx included again, which keeps its
  first location; another hash goes to tx_collisions (there too the first location wins). So
  every stored tx is in tx_collisions, or owns the txs row of its key.
- find_tx looks in tx_collisions first (exact), then in txs by key, and confirms a row found by
  key against the hash of the tx at that location in the stored block (~0.2 ms to decode a
  3,000-tx block): a hash not in the book that shares a stored prefix is not found.
- Every row depends only on the blocks up to its height, so deleting by height from both tables
  (delete_from) leaves the index that saving the remaining blocks would build -- and salvage
  (storage/sqlite/salvage.py) rebuilds it by the same insert_block_txs, block by block.
The cost of a collision is a read of one stored block per height in the rare path, and a
tx_collisions row of ~47 bytes.

No index on txs.height: delete_from (rare: a repair at start-up) scans the tx index instead.
Deleting by the hashes of the truncated blocks' txs would be cheaper, but the block being
truncated is often the damaged one, whose bytes no longer give the hashes that were indexed;
a scan (of txs and of the small tx_collisions) leaves no row behind.

Every function here runs inside the caller's transaction (or read lock) on its connection;
each use of tx_key goes through this module's global, so tests can shorten the key to force
collisions.
"""

from __future__ import annotations

import sqlite3

from chainbook.chain.tx import tx_hash as compute_tx_hash
from chainbook.errors import CorruptBook
from chainbook.storage.sqlite.cells import blob
from chainbook.storage.stored_format import decode_stored_block
from chainbook.types import Hash, Height

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


def compute_tx_rows(height: Height, tx_hashes: list[Hash]) -> list[tuple[int, int, int]]:
    """The txs rows of a block's transactions, in block order (before any write)."""
    key = tx_key
    return [(key(tx_hash), height, index) for index, tx_hash in enumerate(tx_hashes)]


def insert_block_txs(
    db: sqlite3.Connection,
    height: Height,
    tx_rows: list[tuple[int, int, int]],
    tx_hashes: list[Hash],
    txs: list[bytes],
) -> None:
    """Index the block at `height` (its rows from compute_tx_rows, its tx hashes and txs)."""
    # In block order: a tx included twice keeps its first location. A row left out had its
    # key taken: by that same tx, or by another with the same prefix.
    inserted = db.executemany(_INSERT_TX, tx_rows).rowcount
    if inserted != len(tx_rows):
        _index_collisions(db, height, tx_hashes, txs)


def _index_collisions(
    db: sqlite3.Connection, height: Height, tx_hashes: list[Hash], txs: list[bytes]
) -> None:
    """The rare path: put each tx of the block whose key is held by another tx's row into
    tx_collisions. Runs after the block's txs rows went in."""
    txs_at = {height: txs}  # each stored block read and decoded once
    for index, tx_hash in enumerate(tx_hashes):
        row = db.execute("SELECT height, idx FROM txs WHERE key = ?", (tx_key(tx_hash),)).fetchone()
        held_height, held_index = _check_tx_row(row, tx_hash)
        if (held_height, held_index) == (height, index):
            continue  # its own row went in
        if held_height not in txs_at:
            cell = db.execute(
                "SELECT block FROM blocks WHERE height = ?", (held_height,)
            ).fetchone()
            txs_at[held_height] = _stored_txs(None if cell is None else cell[0], held_height)
        # The same hash is the same tx included again: it keeps its first location.
        if _tx_hash_at(txs_at[held_height], held_height, held_index) != tx_hash:
            db.execute(_INSERT_TX_COLLISION, (tx_hash, height, index))


def find_tx(db: sqlite3.Connection, tx_hash: Hash) -> tuple[Height, int, bytes] | None:
    """(height, index, the block's stored receipts blob) of `tx_hash`, None if not in the book;
    CorruptBook if the index points at something that is not there."""
    # tx_collisions (keyed by the full hash, usually empty) first: there the hash is exact; a
    # txs row found by key may be another tx's with the same prefix.
    row = db.execute(
        "SELECT c.height, c.idx, b.receipts, NULL FROM tx_collisions AS c "
        "LEFT JOIN blocks AS b ON b.height = c.height WHERE c.hash = ?",
        (tx_hash,),
    ).fetchone()
    by_key = row is None
    if by_key:
        row = db.execute(
            "SELECT t.height, t.idx, b.receipts, b.block FROM txs AS t "
            "LEFT JOIN blocks AS b ON b.height = t.height WHERE t.key = ?",
            (tx_key(tx_hash),),
        ).fetchone()
    if row is None:
        return None
    height, index = _check_tx_row(row[:2], tx_hash)
    receipts_cell, block_cell = row[2:]
    if receipts_cell is None:
        raise CorruptBook(
            f"tx {tx_hash.hex()} is indexed at height {height}, which has no block",
            height=height,
        )
    if by_key and _tx_hash_at(_stored_txs(block_cell, height), height, index) != tx_hash:
        return None  # another tx's row: the asked one is not in the book
    receipts = blob(receipts_cell, "receipts", height)
    assert receipts is not None
    return height, index, receipts


def delete_block_txs(db: sqlite3.Connection, height: Height, tx_hashes: list[Hash]) -> None:
    """Delete the index rows of one block's transactions (pruning), by key: no scan."""
    db.executemany(
        "DELETE FROM txs WHERE key = ? AND height = ?",
        [(tx_key(tx_hash), height) for tx_hash in tx_hashes],
    )
    db.executemany(
        "DELETE FROM tx_collisions WHERE hash = ? AND height = ?",
        [(tx_hash, height) for tx_hash in tx_hashes],
    )


def delete_from(db: sqlite3.Connection, height: Height) -> None:
    """Delete every index row at `height` and above (a scan: no index on height)."""
    db.execute("DELETE FROM txs WHERE height >= ?", (height,))
    db.execute("DELETE FROM tx_collisions WHERE height >= ?", (height,))


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
    data = blob(block_cell, "block", height)
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


__all__ = [
    "compute_tx_rows",
    "delete_block_txs",
    "delete_from",
    "find_tx",
    "insert_block_txs",
    "tx_key",
]
