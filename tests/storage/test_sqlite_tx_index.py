"""The SQLite tx index, keyed by a hash prefix (sqlite.tx_key): exact despite shared prefixes.

Two txs sharing a 7-byte prefix are too rare to meet in a test, so most tests here patch
tx_key to keep 1 byte of the hash (most txs then share a key with another) or none (all do):
every branch of save_block's rare path and of load_tx runs. The chain carries replays within
a block and across blocks, so "the same tx again" and "another tx, same prefix" both occur.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from storage_chain import CHAIN_ID, GENESIS, SavedBlock, build_chain, expected_state, save

import chainbook.storage.sqlite.tx_index as sqlite_tx_index
from chainbook.chain.verify import verify_stored_chain
from chainbook.errors import CorruptBook
from chainbook.storage import SqliteBlockStore, TxLocation
from chainbook.storage.sqlite import tx_key

HERE = Path(__file__).parent
BLOCKS = 5
TXS_PER_BLOCK = 30
CHAIN = build_chain(BLOCKS, TXS_PER_BLOCK, repeat_first_tx=True, replay_previous_first_tx=True)


def first_locations(chain: list[SavedBlock]) -> dict[bytes, TxLocation]:
    """What load_tx must return for each tx of `chain`: where it was first included."""
    first: dict[bytes, TxLocation] = {}
    for saved in chain:
        for receipt in saved.receipts:
            first.setdefault(receipt.tx_hash, TxLocation(saved.height, receipt.index, receipt))
    return first


def other_hash_same_prefix(tx_hash: bytes) -> bytes:
    """A hash that is in no book but has the 7-byte prefix (hence every key) of `tx_hash`."""
    return tx_hash[:-1] + bytes([tx_hash[-1] ^ 1])


def short_key(key_bytes: int) -> Callable[[bytes], int]:
    """tx_key cut to the first `key_bytes` bytes of the hash (0: every tx has key 0)."""
    return lambda tx_hash: int.from_bytes(tx_hash[:key_bytes], "big")


@pytest.fixture(params=[1, 0], ids=["1-byte-key", "0-byte-key"])
def key_bytes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sqlite_tx_index, "tx_key", short_key(request.param))
    return int(request.param)


def index_rows(path: Path) -> tuple[list[Any], list[Any]]:
    """The rows of txs and tx_collisions, read with plain sqlite3."""
    db = sqlite3.connect(path)
    try:
        return (
            db.execute("SELECT key, height, idx FROM txs ORDER BY key").fetchall(),
            db.execute("SELECT hash, height, idx FROM tx_collisions ORDER BY hash").fetchall(),
        )
    finally:
        db.close()


def assert_index_is_exact(store: SqliteBlockStore, chain: list[SavedBlock]) -> None:
    """Every tx of `chain` is found where it was first included; a hash sharing its prefix
    (and so its key, whatever the key function) is not found."""
    expected = first_locations(chain)
    for tx_hash, location in expected.items():
        assert store.load_tx(tx_hash) == location
        assert store.load_tx(other_hash_same_prefix(tx_hash)) is None


def test_tx_key_is_the_first_7_bytes_and_fits_an_8_byte_varint() -> None:
    assert tx_key(bytes(range(32))) == 0x00010203040506
    assert tx_key(b"\xff" * 32) == 2**56 - 1


def test_a_hash_sharing_a_stored_prefix_is_not_found(tmp_path: Path) -> None:
    """With the real 7-byte key: a txs row found by key is confirmed on the stored block."""
    with SqliteBlockStore(tmp_path / "book.sqlite") as store:
        for saved in CHAIN:
            save(store, saved)
        assert_index_is_exact(store, CHAIN)
    txs, collisions = index_rows(tmp_path / "book.sqlite")
    assert len(txs) == len(first_locations(CHAIN)) and collisions == []


def test_every_tx_is_found_at_its_first_location_despite_collisions(
    tmp_path: Path, key_bytes: int
) -> None:
    path = tmp_path / "book.sqlite"
    with SqliteBlockStore(path) as store:
        for saved in CHAIN:
            save(store, saved)
        assert_index_is_exact(store, CHAIN)
    # One txs row per distinct key, the other distinct txs in tx_collisions; replays add none.
    txs, collisions = index_rows(path)
    hashes = first_locations(CHAIN)
    keys = {short_key(key_bytes)(tx_hash) for tx_hash in hashes}
    assert len(txs) == len(keys) and len(collisions) == len(hashes) - len(keys)
    assert len(collisions) >= len(hashes) // 5, "the short key makes many txs collide"


def test_a_tx_included_twice_keeps_its_first_location(tmp_path: Path, key_bytes: int) -> None:
    """Each block's first tx is included again at its end, and again in the next block."""
    for saved, after in zip(CHAIN, CHAIN[1:], strict=False):
        assert saved.block.txs[0] == saved.block.txs[-1] == after.block.txs[TXS_PER_BLOCK]
    with SqliteBlockStore(tmp_path / "book.sqlite") as store:
        for saved in CHAIN:
            save(store, saved)
        for saved in CHAIN:
            first = saved.receipts[0]
            assert first.ok, "the first inclusion's receipt (the replays' are not ok)"
            assert store.load_tx(first.tx_hash) == TxLocation(saved.height, 0, first)


def test_truncate_from_removes_collision_rows_too(tmp_path: Path, key_bytes: int) -> None:
    path = tmp_path / "book.sqlite"
    store = SqliteBlockStore(path)
    for saved in CHAIN:
        save(store, saved)
    full_index = index_rows(path)
    store.truncate_from(3)
    txs, collisions = index_rows(path)
    assert collisions and all(height < 3 for _, height, _ in txs + collisions)
    kept = first_locations(CHAIN[:2])
    for tx_hash in first_locations(CHAIN):
        assert store.load_tx(tx_hash) == kept.get(tx_hash)
    # What is left is the index that saving blocks 1 and 2 alone builds.
    store.close()
    with SqliteBlockStore(tmp_path / "only-2.sqlite") as two:
        for saved in CHAIN[:2]:
            save(two, saved)
    assert index_rows(path) == index_rows(tmp_path / "only-2.sqlite")
    # Re-saving the truncated blocks after a restart rebuilds the same index.
    store = SqliteBlockStore(path)
    store.replace_state(expected_state(CHAIN[:2]), 2, CHAIN[1].app_hash)
    for saved in CHAIN[2:]:
        save(store, saved)
    assert index_rows(path) == full_index
    assert_index_is_exact(store, CHAIN)
    store.close()


CHILD = """
import os, signal, sys
from storage_chain import build_chain, save
from chainbook.storage import SqliteBlockStore
import chainbook.storage.sqlite.tx_index as sqlite_tx_index

path, key_bytes, blocks, txs_per_block = sys.argv[1], *map(int, sys.argv[2:])
sqlite_tx_index.tx_key = lambda tx_hash: int.from_bytes(tx_hash[:key_bytes], "big")
store = SqliteBlockStore(path)
for saved in build_chain(blocks, txs_per_block, repeat_first_tx=True,
                         replay_previous_first_tx=True):
    save(store, saved)
os.kill(os.getpid(), signal.SIGKILL)  # no close, no checkpoint: the rows are in the -wal
"""


def test_collision_rows_survive_kill_9(tmp_path: Path, key_bytes: int) -> None:
    path = tmp_path / "book.sqlite"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    args = [str(path), str(key_bytes), str(BLOCKS), str(TXS_PER_BLOCK)]
    child = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, timeout=120)
    assert child.returncode == -signal.SIGKILL
    assert Path(f"{path}-wal").exists(), "a clean close would have removed the -wal"
    with SqliteBlockStore(path) as store:
        assert store.latest_height() == BLOCKS
        assert verify_stored_chain(store, CHAIN_ID, GENESIS).ok
        assert_index_is_exact(store, CHAIN)
    assert index_rows(path)[1], "the chain collided under the short key"


def test_a_txs_row_past_the_end_of_its_block_is_a_corrupt_book(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite"
    with SqliteBlockStore(path) as store:
        for saved in CHAIN[:2]:
            save(store, saved)
    tx_hash = CHAIN[1].receipts[3].tx_hash
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE txs SET idx = 99 WHERE key = ?", (tx_key(tx_hash),))
    db.close()
    with SqliteBlockStore(path) as store, pytest.raises(CorruptBook, match="index 99 of block 2"):
        store.load_tx(tx_hash)
