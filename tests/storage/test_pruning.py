"""Pruning (storage/pruning.py): old blocks keep their header and commits; their transactions,
receipts and tx index go; a pruned block is never handed out as a block; the book still
verifies header by header, and starts from its checkpoint."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from bank_chain import build_bank_chain
from conftest import Reopen

from chainbook.core.book import open_book
from chainbook.errors import StorageError
from chainbook.ledger.state import LedgerState
from chainbook.runtime.background_verify import verify_book
from chainbook.storage import BlockStore, SqliteBlockStore, StateCheckpoints

GENESIS, CHAIN = build_bank_chain(blocks=8, txs_per_block=3, accounts=6)


def save(store: BlockStore, interval: int = 7) -> None:
    genesis_state = LedgerState.from_genesis(GENESIS)
    store.replace_state(dict(genesis_state.kv), 0, genesis_state.app_hash)
    checkpoints = StateCheckpoints(interval)
    for saved in CHAIN:
        changes = checkpoints.changes_to_save(saved.height, saved.state_changes)
        store.save_block(
            saved.block_bytes, saved.block, saved.commit, saved.receipts, changes, saved.app_hash
        )


def test_a_pruned_block_keeps_its_header_and_commits_only(
    store_and_reopen: tuple[BlockStore, Reopen],
) -> None:
    store, reopen = store_and_reopen
    save(store)  # the state checkpoint is at 7
    assert store.load_pruned_below() == 1
    assert store.prune_blocks(5, blocks_max=10) == 5
    store = reopen()
    assert store.load_pruned_below() == 5, "durable"
    for saved in CHAIN[:4]:
        height = saved.height
        assert store.load_block(height) is None and store.load_block_bytes(height) is None
        header, last_commit = store.load_header_and_last_commit(height)  # type: ignore[misc]
        assert (header, last_commit) == (saved.block.header, saved.block.last_commit)
        assert store.load_commit(height) == saved.commit
        assert all(store.load_tx(h) is None for h in saved.block.tx_hashes)
    for saved in CHAIN[4:]:
        assert store.load_block(saved.height) == saved.block
        assert store.load_tx(saved.block.tx_hashes[0]) is not None
    assert store.load_blocks_bytes(1, 10, 10**9) == [], "nothing pruned is served to a peer"
    assert len(store.load_blocks_bytes(5, 10, 10**9)) == 4
    assert store.find_block_height(CHAIN[1].hash) == 2, "the header's hash is still known"


def test_pruning_stops_at_the_checkpoint_and_goes_in_batches(
    store_and_reopen: tuple[BlockStore, Reopen],
) -> None:
    store, _ = store_and_reopen
    save(store)
    assert store.prune_blocks(3, blocks_max=1) == 2
    assert store.prune_blocks(100, blocks_max=100) == 7, "never the checkpoint's block"
    assert store.prune_blocks(100, blocks_max=100) == 7
    assert store.load_block(7) == CHAIN[6].block


def test_a_pruned_book_verifies_header_by_header(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite"
    with SqliteBlockStore(path) as store:
        save(store)
        store.prune_blocks(5, blocks_max=10)
        report = verify_book(store, GENESIS)
    assert report.corrupt_height is None and report.pruned_below == 5 and report.height == 8
    db = sqlite3.connect(path)
    with db:  # a pruned block's header, edited
        row = db.execute("SELECT block FROM blocks WHERE height = 2").fetchone()
        blob = bytearray(row[0])
        blob[20] ^= 0x01
        db.execute("UPDATE blocks SET block = ? WHERE height = 2", (bytes(blob),))
    db.close()
    with SqliteBlockStore(path) as store:
        report = verify_book(store, GENESIS)
    assert report.corrupt_height == 2


def test_a_pruned_book_starts_from_its_checkpoint_and_not_otherwise(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite"
    with SqliteBlockStore(path) as store:
        save(store)
        store.prune_blocks(5, blocks_max=10)
        opened = open_book(store, GENESIS, from_checkpoint=True)
        assert opened.report.checkpoint_height == 7 and opened.report.height == 8
    db = sqlite3.connect(path)
    with db:  # the checkpoint now names another app hash: unusable
        db.execute("UPDATE meta SET value = ? WHERE key = 'app_hash'", (b"\x01" * 32,))
    db.close()
    with SqliteBlockStore(path) as store, pytest.raises(StorageError, match="move its data/"):
        open_book(store, GENESIS, from_checkpoint=True)
