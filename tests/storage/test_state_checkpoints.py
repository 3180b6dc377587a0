"""The state table is a checkpoint: written every few blocks, checked and brought forward at
start-up (storage/checkpoints.py StateCheckpoints, core/book.py open_book)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from bank_chain import build_bank_chain
from storage_chain import SavedBlock, expected_state

from chainbook.core.book import open_book
from chainbook.ledger.state import LedgerState
from chainbook.storage import SqliteBlockStore, StateCheckpoints, StateMeta

GENESIS, CHAIN = build_bank_chain(blocks=7, txs_per_block=5, accounts=10)


def state_after(height: int) -> dict[bytes, bytes]:
    return expected_state(CHAIN[:height], LedgerState.from_genesis(GENESIS).kv)


def save_chain(path: Path, interval: int, chain: list[SavedBlock] = CHAIN) -> None:
    """What the node's commit does: save_block with the checkpoint's changes when one is due."""
    checkpoints = StateCheckpoints(interval)
    with SqliteBlockStore(path) as store:
        genesis_state = LedgerState.from_genesis(GENESIS)
        store.replace_state(dict(genesis_state.kv), 0, genesis_state.app_hash)
        for saved in chain:
            changes = checkpoints.changes_to_save(saved.height, saved.state_changes)
            store.save_block(
                saved.block_bytes,
                saved.block,
                saved.commit,
                saved.receipts,
                changes,
                saved.app_hash,
            )


def test_checkpoints_release_accumulated_changes_every_interval() -> None:
    checkpoints = StateCheckpoints(3)
    assert checkpoints.changes_to_save(1, {b"a": b"1", b"b": b"1"}) is None
    assert checkpoints.changes_to_save(2, {b"a": b"2", b"b": None}) is None
    assert checkpoints.changes_to_save(3, {b"c": b"3"}) == {b"a": b"2", b"b": None, b"c": b"3"}
    assert checkpoints.changes_to_save(4, {b"d": b"4"}) is None
    assert checkpoints.changes_to_save(6, {}) == {b"d": b"4"}


def test_the_table_trails_the_blocks_at_its_last_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=3)
    with SqliteBlockStore(path) as store:  # reopened: what a restart reads
        assert store.latest_height() == 7
        assert store.load_state_meta() == StateMeta(height=6, app_hash=CHAIN[5].app_hash)
        assert store.load_state() == state_after(6)


def test_opening_brings_a_trailing_table_forward_without_calling_it_damage(
    tmp_path: Path,
) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=3)
    with SqliteBlockStore(path) as store:
        opened = open_book(store, GENESIS)
        assert opened.report.state_table_rewritten is False
        assert opened.report.corrupt_height is None
        assert store.load_state_meta() == StateMeta(height=7, app_hash=CHAIN[6].app_hash)
        assert store.load_state() == state_after(7) == opened.state.kv


def test_an_edited_checkpoint_is_found_at_its_own_height_and_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=3)
    db = sqlite3.connect(path)
    with db:
        key = db.execute("SELECT key FROM state ORDER BY key LIMIT 1").fetchone()[0]
        db.execute("UPDATE state SET value = ? WHERE key = ?", (b"\x00", key))
    db.close()
    with SqliteBlockStore(path) as store:
        opened = open_book(store, GENESIS)
        assert opened.report.state_table_rewritten is True
        assert opened.report.corrupt_height is None  # the blocks are fine
        assert store.load_state() == state_after(7)


def test_a_table_already_at_the_latest_height_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=7)
    with SqliteBlockStore(path) as store:
        assert store.load_state_meta().height == 7
        rewrites: list[int] = []
        monkeypatch.setattr(
            store, "replace_state", lambda kv, height, app_hash: rewrites.append(height)
        )
        opened = open_book(store, GENESIS)
        assert opened.report.state_table_rewritten is False
        assert rewrites == [], "a current checkpoint is not written again"
        assert store.load_state() == state_after(7)
