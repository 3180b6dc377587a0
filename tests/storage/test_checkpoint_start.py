"""Opening a book at start (core/book.py): the genesis it was built on is checked first and
nothing changes for another one; a start resumes from the state checkpoint and verifies only
the blocks after it; the full re-verification still finds what lies below it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from bank_chain import build_bank_chain
from storage_chain import expected_state
from test_state_checkpoints import save_chain

from chainbook.core.book import open_book
from chainbook.errors import GenesisMismatch
from chainbook.ledger.genesis import make_genesis
from chainbook.ledger.state import LedgerState
from chainbook.runtime.background_verify import verify_book
from chainbook.storage import MemoryBlockStore, SqliteBlockStore, StateMeta

GENESIS, CHAIN = build_bank_chain(blocks=7, txs_per_block=5, accounts=10)
OTHER_GENESIS = make_genesis(
    chain_id=GENESIS.chain_id,
    genesis_time_ms=GENESIS.genesis_time_ms + 1,  # one millisecond apart: another chain
    validators=GENESIS.validators,
    app_state=GENESIS.app_state,
)


def state_after(height: int) -> dict[bytes, bytes]:
    return expected_state(CHAIN[:height], LedgerState.from_genesis(GENESIS).kv)


def dump(path: Path) -> list[str]:
    """Everything the SQLite file holds, as SQL text (to compare before and after)."""
    db = sqlite3.connect(path)
    try:
        return list(db.iterdump())
    finally:
        db.close()


def tamper(path: Path, height: int) -> None:
    db = sqlite3.connect(path)
    with db:
        row = db.execute("SELECT block FROM blocks WHERE height = ?", (height,)).fetchone()
        blob = bytearray(row[0])
        blob[-5] ^= 0x01
        db.execute("UPDATE blocks SET block = ? WHERE height = ?", (bytes(blob), height))
    db.close()


# --- the genesis --------------------------------------------------------------------------------


def test_the_first_opening_records_the_genesis_hash(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=3, chain=CHAIN)
    with SqliteBlockStore(path) as store:
        assert store.load_genesis_hash() is None  # written before it was recorded
        open_book(store, GENESIS, from_checkpoint=True)
        assert store.load_genesis_hash() == GENESIS.hash
    with SqliteBlockStore(path) as store:  # durable
        assert store.load_genesis_hash() == GENESIS.hash


def test_another_genesis_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=3, chain=CHAIN)
    with SqliteBlockStore(path) as store:
        open_book(store, GENESIS)
    before = dump(path)
    for from_checkpoint in (True, False):
        with SqliteBlockStore(path) as store, pytest.raises(GenesisMismatch) as refused:
            open_book(store, OTHER_GENESIS, from_checkpoint=from_checkpoint, book=str(path))
    message = str(refused.value)
    assert GENESIS.hash.hex() in message and OTHER_GENESIS.hash.hex() in message
    assert str(path) in message and "changed nothing" in message
    assert dump(path) == before


def test_a_book_that_never_recorded_its_genesis_is_judged_by_block_1(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=3, chain=CHAIN)
    before = dump(path)
    with SqliteBlockStore(path) as store, pytest.raises(GenesisMismatch):
        open_book(store, OTHER_GENESIS, from_checkpoint=True)
    assert dump(path) == before, "not even the hash is recorded for a foreign genesis"


def test_verifying_without_repair_records_nothing(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=3, chain=CHAIN)
    with SqliteBlockStore(path) as store:
        assert open_book(store, GENESIS, repair=False).report.corrupt_height is None
        assert store.load_genesis_hash() is None


def test_an_empty_book_takes_the_genesis_it_is_first_opened_with() -> None:
    store = MemoryBlockStore()
    open_book(store, OTHER_GENESIS, from_checkpoint=True)
    assert store.load_genesis_hash() == OTHER_GENESIS.hash
    with pytest.raises(GenesisMismatch):
        open_book(store, GENESIS, from_checkpoint=True)


def test_the_memory_store_keeps_the_same_rule() -> None:
    store = MemoryBlockStore()
    for saved in CHAIN:
        store.save_block(
            saved.block_bytes, saved.block, saved.commit, saved.receipts, None, saved.app_hash
        )
    with pytest.raises(GenesisMismatch):
        open_book(store, OTHER_GENESIS, from_checkpoint=True)
    assert store.load_genesis_hash() is None and store.latest_height() == 7
    assert open_book(store, GENESIS, from_checkpoint=True).report.height == 7
    assert store.load_genesis_hash() == GENESIS.hash


# --- the checkpoint start -----------------------------------------------------------------------


def test_a_start_replays_only_the_blocks_after_the_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=3, chain=CHAIN)  # the table is at 6, the blocks at 7
    with SqliteBlockStore(path) as store:
        store.save_genesis_hash(GENESIS.hash)  # as its first opening recorded it
        read: list[int] = []
        load = store.load_block_bytes
        load_header = store.load_header_and_last_commit
        monkeypatch.setattr(store, "load_block_bytes", lambda h: read.append(h) or load(h))
        monkeypatch.setattr(
            store, "load_header_and_last_commit", lambda h: read.append(h) or load_header(h)
        )
        opened = open_book(store, GENESIS, from_checkpoint=True)
    # The checkpoint's header (all a state-synced book holds of that block) and the block after.
    assert sorted(set(read)) == [6, 7], "the checkpoint's block (its header) and the block after it"
    assert opened.report.checkpoint_height == 6 and opened.report.height == 7
    assert opened.report.corrupt_height is None and not opened.report.state_table_rewritten
    assert opened.state.kv == state_after(7) and opened.state.app_hash == CHAIN[6].app_hash
    assert opened.last_header == CHAIN[6].block.header
    with SqliteBlockStore(path) as store:  # only the changes of block 7 were written
        assert store.load_state_meta() == StateMeta(height=7, app_hash=CHAIN[6].app_hash)
        assert store.load_state() == state_after(7)


def test_a_damaged_block_after_the_checkpoint_is_found_at_start(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=3, chain=CHAIN)
    tamper(path, 7)
    with SqliteBlockStore(path) as store:
        opened = open_book(store, GENESIS, from_checkpoint=True)
        assert opened.report.corrupt_height == 7 and "block 7" in opened.report.reason
        assert store.latest_height() == 6, "cut at the damaged block; block sync refills it"
        assert opened.state.kv == state_after(6)
        assert store.load_state_meta().height == 6


def test_a_damaged_block_below_the_checkpoint_waits_for_the_full_verification(
    tmp_path: Path,
) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=3, chain=CHAIN)
    tamper(path, 2)
    with SqliteBlockStore(path) as store:
        # The start trusts what it verified when it committed it ...
        assert open_book(store, GENESIS, from_checkpoint=True).report.corrupt_height is None
        # ... and the full re-verification (background, or `chainbook verify`) finds it.
        report = verify_book(store, GENESIS)
        assert report.corrupt_height == 2 and "block 2" in report.reason
        assert store.latest_height() == 7, "verifying changes nothing"


@pytest.mark.parametrize("damage", ["app_hash", "ahead"])
def test_a_checkpoint_that_cannot_be_used_falls_back_to_the_full_replay(
    tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=3, chain=CHAIN)
    db = sqlite3.connect(path)
    with db:
        if damage == "app_hash":
            db.execute("UPDATE meta SET value = ? WHERE key = 'app_hash'", (b"\x01" * 32,))
        else:  # the table ahead of the blocks, as a truncation leaves it
            db.execute("UPDATE meta SET value = 5 WHERE key = 'latest_height'")
            db.execute("DELETE FROM blocks WHERE height > 5")
            db.execute("DELETE FROM txs WHERE height > 5")
    db.close()
    height = 7 if damage == "app_hash" else 5
    with SqliteBlockStore(path) as store:
        opened = open_book(store, GENESIS, from_checkpoint=True)
        assert opened.report.checkpoint_height is None, "replayed from genesis"
        assert opened.report.height == height and opened.state.kv == state_after(height)
        assert store.load_state() == state_after(height)


def test_advance_state_moves_the_table_by_the_changes_since_it(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=3, chain=CHAIN)
    with SqliteBlockStore(path) as store:
        store.advance_state(CHAIN[6].state_changes, 7, CHAIN[6].app_hash)
        assert store.load_state() == state_after(7)
        with pytest.raises(AssertionError, match="advance_state to 8"):
            store.advance_state({}, 8, CHAIN[6].app_hash)


# --- reading beside the node --------------------------------------------------------------------


def test_a_read_only_store_reads_beside_the_writer_and_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "book.sqlite"
    save_chain(path, interval=3, chain=CHAIN[:6])
    with SqliteBlockStore(path) as writer:
        reader = SqliteBlockStore(path, read_only=True)  # no lock: the writer holds it
        try:
            assert reader.latest_height() == 6 and reader.load_block(6) == CHAIN[5].block
            saved = CHAIN[6]
            writer.save_block(
                saved.block_bytes, saved.block, saved.commit, saved.receipts, {}, saved.app_hash
            )
            meta, kv = reader.load_state_snapshot()
            assert meta == StateMeta(height=7, app_hash=saved.app_hash)
            assert kv == writer.load_state()
            assert reader.load_block(7) == saved.block
            with pytest.raises(AssertionError, match="never writes"):
                reader.truncate_from(1)
        finally:
            reader.close()
    assert writer.latest_height() == 7


def test_a_read_only_store_does_not_create_a_book(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="cannot open|no book"):
        SqliteBlockStore(tmp_path / "none.sqlite", read_only=True)
    assert not (tmp_path / "none.sqlite").exists()
