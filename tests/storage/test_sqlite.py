"""What only the SQLite store has: a schema, a file others can open, and kill -9 safety."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from bank_chain import build_bank_chain
from killed_child import run_until_killed
from storage_chain import CHAIN_ID, GENESIS, build_chain, save

from chainbook.chain.verify import verify_stored_chain
from chainbook.errors import DamagedBookFile, StorageError
from chainbook.ledger.state import LedgerState
from chainbook.storage import SCHEMA_VERSION, FileConsensusRecordStore, SqliteBlockStore


def test_the_file_is_plain_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite"
    chain = build_chain(3)
    with SqliteBlockStore(path) as store:
        for saved in chain:
            save(store, saved)
        db = sqlite3.connect(path)  # a reader beside the open writer (WAL)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"meta", "blocks", "txs", "tx_collisions", "state"}
        assert db.execute("SELECT max(height), count(*) FROM blocks").fetchone() == (3, 3)
        assert db.execute("SELECT count(*) FROM txs").fetchone() == (9,)
        assert db.execute("SELECT count(*) FROM tx_collisions").fetchone() == (0,)
        columns = {
            table: [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            for table in ("blocks", "txs", "tx_collisions")
        }
        assert columns == {
            "blocks": ["height", "hash", "commit", "receipts", "block"],
            "txs": ["key", "height", "idx"],
            "tx_collisions": ["hash", "height", "idx"],
        }, "receipts once per block; the tx index is (7-byte hash prefix, height, idx) only"
        # What an operator types in the sqlite3 shell: the hash's first 14 hex digits.
        sql = f"SELECT height, idx FROM txs WHERE key = 0x{chain[1].receipts[2].tx_hash[:7].hex()}"
        assert db.execute(sql).fetchone() == (2, 2)
        assert dict(db.execute("SELECT key, value FROM meta")) == {
            "schema_version": SCHEMA_VERSION,
            "latest_height": 3,
            "state_height": 3,
            "app_hash": chain[-1].app_hash,
        }
        assert db.execute("SELECT hash, block FROM blocks WHERE height = 2").fetchone() == (
            chain[1].hash,
            chain[1].block_bytes,
        )
        db.close()


@pytest.mark.parametrize("version", [1, 2, 99])
def test_refuses_another_schema_version(tmp_path: Path, version: int) -> None:
    """Versions 1 (a receipt per tx index row) and 2 (the tx index keyed by the whole hash)
    included: no migration, the error tells the operator to re-sync."""
    path = tmp_path / "book.sqlite"
    SqliteBlockStore(path).close()
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    db.close()
    with pytest.raises(
        StorageError,
        match=f"has schema version {version}; this chainbook reads version {SCHEMA_VERSION} only",
    ):
        SqliteBlockStore(path)


def test_refuses_a_foreign_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.close()
    with pytest.raises(StorageError, match="not a chainbook store"):
        SqliteBlockStore(path)


def test_refuses_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DamagedBookFile, match="file is not a database.*chainbook verify"):
        SqliteBlockStore(path)


KILL_BLOCKS = 200
KILL_TXS_PER_BLOCK = 30


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_leaves_only_whole_blocks(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "book.sqlite"
    args = [str(path), str(KILL_BLOCKS), str(KILL_TXS_PER_BLOCK)]
    durable = run_until_killed("kill_writer.py", args, rng.randrange(3, 60), rng, 0.004)

    expected = build_chain(KILL_BLOCKS, KILL_TXS_PER_BLOCK)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    with SqliteBlockStore(path) as store:
        latest = store.latest_height()
        # Durable blocks survived; at most one more (saved, killed before printing) is whole.
        assert durable <= latest <= durable + 1, (durable, latest)
        report = verify_stored_chain(store, CHAIN_ID, GENESIS)
        assert report.ok and report.verified_count == latest
        assert store.load_block_bytes(latest + 1) is None
        for saved in expected[:latest]:
            assert store.load_block_bytes(saved.height) == saved.block_bytes
            assert store.load_commit(saved.height) == saved.commit
            for receipt in saved.receipts:
                location = store.load_tx(receipt.tx_hash)
                assert location is not None and location.receipt == receipt
        for saved in expected[latest : latest + 1]:
            assert all(store.load_tx(r.tx_hash) is None for r in saved.receipts)
        assert store.get_state(b"height") == str(latest).encode()
        assert store.load_state_meta().height == latest
        # The record of a height is saved before its block, in a file of its own.
        record = FileConsensusRecordStore(f"{path}.record").load()
        assert record in (b"height=%d" % latest, b"height=%d" % (latest + 1))
        # The restarted node carries on from where the killed one stopped.
        for saved in expected[latest : latest + 2]:
            save(store, saved)
        assert verify_stored_chain(store, CHAIN_ID, GENESIS).ok


BYTES_PER_TX_MAX = 300
"""Issue #5's budget for a ~170-byte signed transfer (block, tx index, receipts, commits)."""


def test_bytes_on_disk_per_transfer_within_budget(tmp_path: Path) -> None:
    """Growth of the used pages (what docs/BENCHMARKS.md reports) per committed transfer, on
    real bank transfers executed by the ledger. bench_save_block.py measures it on a larger
    chain (20 x 3,000 txs: ~194 bytes)."""
    genesis, chain = build_bank_chain(4, txs_per_block=1_000, accounts=500)
    path = tmp_path / "book.sqlite"
    genesis_state = LedgerState.from_genesis(genesis)
    with SqliteBlockStore(path) as store:
        store.replace_state(genesis_state.kv, 0, genesis_state.app_hash)
        empty = used_page_bytes(path)
        for saved in chain:
            save(store, saved)
        full = used_page_bytes(path)
    txs = sum(len(saved.block.txs) for saved in chain)
    tx_bytes = sum(len(tx) for saved in chain for tx in saved.block.txs) / txs
    assert 165 <= tx_bytes <= 175
    assert (full - empty) / txs <= BYTES_PER_TX_MAX, (full - empty) / txs


def used_page_bytes(path: Path) -> int:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # sees the -wal too
    try:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        return int((pages - free) * db.execute("PRAGMA page_size").fetchone()[0])
    finally:
        db.close()
