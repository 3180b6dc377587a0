"""The BlockStore contract, run on every implementation (SQLite and memory)."""

from __future__ import annotations

from functools import cache

import msgspec
import pytest
from bank_chain import build_bank_chain
from storage_chain import (
    CHAIN_ID,
    GENESIS,
    SavedBlock,
    build_chain,
    expected_state,
    save,
)

from chainbook import codec
from chainbook.chain.verify import verify_stored_chain
from chainbook.errors import StorageError
from chainbook.ledger.receipts import Event, Receipt
from chainbook.storage import (
    BlockStore,
    FaultyBlockStore,
    MemoryBlockStore,
    StateMeta,
    TxLocation,
)

CHAIN = build_chain(6, txs_per_block=3)


@cache
def bank_chain() -> list[SavedBlock]:
    """Blocks of real bank transfers executed by the ledger (built on first use)."""
    return build_bank_chain(3, txs_per_block=40, accounts=25)[1]


def save_all(store: BlockStore, chain: list[SavedBlock] = CHAIN) -> None:
    for saved in chain:
        save(store, saved)


def test_empty_store(store: BlockStore) -> None:
    assert store.latest_height() == 0
    assert store.load_block(1) is None
    assert store.load_block_bytes(1) is None
    assert store.load_commit(1) is None
    assert store.load_tx(b"\x00" * 32) is None
    assert store.load_state() == {}
    assert store.get_state(b"height") is None
    assert store.load_state_meta() == StateMeta(height=0, app_hash=b"")
    assert store.load_blocks_bytes(1, 10, 1_000_000) == []
    assert verify_stored_chain(store, CHAIN_ID, GENESIS).ok


def test_round_trip_survives_restart(store_and_reopen) -> None:  # type: ignore[no-untyped-def]
    store, reopen = store_and_reopen
    save_all(store)
    store = reopen()
    assert store.latest_height() == len(CHAIN)
    for saved in CHAIN:
        h = saved.height
        assert store.load_block_bytes(h) == saved.block_bytes
        assert store.load_block(h) == saved.block
        assert store.load_commit(h) == saved.commit
        assert store.find_block_height(saved.hash) == h
        for i, receipt in enumerate(saved.receipts):
            location = store.load_tx(receipt.tx_hash)
            assert location is not None
            assert (location.height, location.index, location.receipt) == (h, i, receipt)
    assert store.load_state() == expected_state(CHAIN)
    assert store.get_state(b"height") == b"6"
    assert store.get_state(b"tmp/5") is None, "a None state change deletes the key"
    assert store.load_state_meta() == StateMeta(height=6, app_hash=CHAIN[-1].app_hash)
    assert store.find_block_height(b"\x01" * 32) is None
    report = verify_stored_chain(store, CHAIN_ID, GENESIS)
    assert report.ok and report.verified_count == 6


def test_save_block_refuses_a_height_that_is_not_next(store: BlockStore) -> None:
    with pytest.raises(AssertionError, match="save_block at 2, latest is 0"):
        save(store, CHAIN[1])
    save(store, CHAIN[0])
    with pytest.raises(AssertionError, match="save_block at 1, latest is 1"):
        save(store, CHAIN[0])
    with pytest.raises(AssertionError, match="save_block at 3, latest is 1"):
        save(store, CHAIN[2])
    assert store.latest_height() == 1


def test_save_block_refuses_a_commit_for_another_block(store: BlockStore) -> None:
    bad = SavedBlock(
        CHAIN[0].block_bytes, CHAIN[0].block, CHAIN[1].commit, CHAIN[0].receipts, {}, b""
    )
    with pytest.raises(AssertionError):
        save(store, bad)
    assert store.latest_height() == 0


def _broken_receipt(saved: SavedBlock) -> list[Receipt]:
    last = saved.receipts[-1]
    # msgspec does not validate at construction, so this fails only when the block's receipts
    # are encoded (before the SQLite transaction opens; the state_value fault fails inside it).
    unencodable = Receipt(last.tx_hash, last.height, last.index, True, "", "", [object()])  # type: ignore[list-item]
    return [*saved.receipts[:-1], unencodable]


@pytest.mark.parametrize("fault", ["receipt", "state_value"])
def test_failure_inside_save_block_leaves_nothing(store_and_reopen, fault: str) -> None:  # type: ignore[no-untyped-def]
    store, reopen = store_and_reopen
    save_all(store, CHAIN[:2])
    saved = CHAIN[2]
    receipts = saved.receipts
    changes = dict(saved.state_changes)
    if fault == "receipt":
        receipts = _broken_receipt(saved)
    else:
        changes[b"zzz-last"] = object()  # type: ignore[assignment]
    with pytest.raises(Exception) as info:  # noqa: B017 - whatever the encoder raises
        store.save_block(saved.block_bytes, saved.block, saved.commit, receipts, changes, b"x")
    assert not isinstance(info.value, AssertionError)

    def assert_nothing_of_block_3(s: BlockStore) -> None:
        assert s.latest_height() == 2
        assert s.load_block_bytes(3) is None and s.load_commit(3) is None
        assert all(s.load_tx(r.tx_hash) is None for r in saved.receipts)
        assert s.load_state() == expected_state(CHAIN[:2])
        assert s.load_state_meta().height == 2

    assert_nothing_of_block_3(store)
    store = reopen()
    assert_nothing_of_block_3(store)
    save_all(store, CHAIN[2:])  # the store is still usable
    assert store.latest_height() == len(CHAIN)


def test_load_blocks_bytes_for_sync(store: BlockStore) -> None:
    save_all(store)
    pairs = [(s.block_bytes, codec.encode(s.commit)) for s in CHAIN]
    assert store.load_blocks_bytes(1, 100, 10**9) == pairs
    assert store.load_blocks_bytes(2, 3, 10**9) == pairs[1:4]
    assert store.load_blocks_bytes(7, 10, 10**9) == []
    two = sum(len(b) + len(c) for b, c in pairs[:2])
    assert store.load_blocks_bytes(1, 100, two) == pairs[:2]
    assert store.load_blocks_bytes(1, 100, two - 1) == pairs[:1]
    assert store.load_blocks_bytes(1, 100, 1) == pairs[:1], "the first block always goes"
    with pytest.raises(ValueError):
        store.load_blocks_bytes(0, 10, 100)


def test_truncate_then_extend_again(store_and_reopen) -> None:  # type: ignore[no-untyped-def]
    store, reopen = store_and_reopen
    save_all(store)
    store.truncate_from(4)
    assert store.latest_height() == 3
    assert store.load_block(4) is None and store.load_commit(6) is None
    assert all(store.load_tx(r.tx_hash) is None for s in CHAIN[3:] for r in s.receipts)
    assert store.load_tx(CHAIN[2].receipts[0].tx_hash) is not None
    assert store.load_state_meta().height == 6, "truncation cannot roll the state back"
    with pytest.raises(AssertionError):
        save(store, CHAIN[3])  # state is ahead of the blocks until replace_state
    store = reopen()
    assert store.latest_height() == 3
    store.replace_state(expected_state(CHAIN[:3]), 3, CHAIN[2].app_hash)
    save_all(store, CHAIN[3:])
    store = reopen()
    assert store.latest_height() == 6
    assert store.load_state() == expected_state(CHAIN)
    assert verify_stored_chain(store, CHAIN_ID, GENESIS).ok


def test_truncate_above_latest_changes_nothing(store: BlockStore) -> None:
    save_all(store, CHAIN[:3])
    store.truncate_from(10)
    assert store.latest_height() == 3
    save(store, CHAIN[3])


def test_replace_state_rewrites_everything(store_and_reopen) -> None:  # type: ignore[no-untyped-def]
    store, reopen = store_and_reopen
    store.replace_state({b"a": b"1", b"b": b"2"}, 0, b"genesis-app-hash")
    save(store, CHAIN[0])
    store.replace_state({b"c": b"3"}, 1, b"h1")
    store = reopen()
    assert store.load_state() == {b"c": b"3"}
    assert store.load_state_meta() == StateMeta(height=1, app_hash=b"h1")
    with pytest.raises(AssertionError):
        store.replace_state({}, 2, b"")  # no block 2 yet


def test_a_tx_included_twice_keeps_its_first_location(store: BlockStore) -> None:
    (saved,) = build_chain(1, txs_per_block=2, repeat_first_tx=True)
    assert saved.block.txs[0] == saved.block.txs[2]
    save(store, saved)
    location = store.load_tx(saved.receipts[0].tx_hash)
    assert location is not None and location.index == 0 and location.receipt.ok


def test_faulty_store_fails_before_writing() -> None:
    faulty = FaultyBlockStore(MemoryBlockStore())
    faulty.arm("save_block")
    with pytest.raises(StorageError, match="injected fault in save_block"):
        save(faulty, CHAIN[0])
    assert faulty.latest_height() == 0
    save(faulty, CHAIN[0])
    assert faulty.latest_height() == 1 and faulty.failures == {"save_block": 1}


def test_receipts_of_real_transfers_round_trip(store_and_reopen) -> None:  # type: ignore[no-untyped-def]
    """Receipts are stored once per block, without tx hash, height and index: load_tx rebuilds
    each one equal to the receipt saved (the read-back side of check_save_block_args)."""
    store, reopen = store_and_reopen
    save_all(store, bank_chain())
    store = reopen()
    for saved in bank_chain():
        for receipt in saved.receipts:
            location = store.load_tx(receipt.tx_hash)
            assert location == TxLocation(saved.height, receipt.index, receipt)
        assert store.load_receipts(saved.height) == saved.receipts


def test_receipts_of_every_shape_round_trip(store: BlockStore) -> None:
    """Failed receipts, no events, several events, events without attributes, repeated and
    non-ASCII strings: all come back as saved."""
    (saved,) = build_chain(1, txs_per_block=5)
    shapes = [
        (False, "insufficient funds: 3 < 5", []),
        (True, "", [Event("bank", "transfer", [("from", "a"), ("to", "b"), ("amount", "1")])]),
        (True, "", [Event("x", "y", []), Event("x", "y", [("k", "é€"), ("k", "é€")])]),
        (True, "", []),
        (False, "é€", [Event("", "", [("", "")])]),
    ]
    receipts = [
        Receipt(r.tx_hash, r.height, r.index, ok, "" if ok else "bank.x", error, events)
        for r, (ok, error, events) in zip(saved.receipts, shapes, strict=True)
    ]
    store.save_block(
        saved.block_bytes, saved.block, saved.commit, receipts, saved.state_changes, b"a"
    )
    for receipt in receipts:
        assert store.load_tx(receipt.tx_hash) == TxLocation(1, receipt.index, receipt)
    assert store.load_receipts(1) == receipts
    assert store.load_receipts(2) is None


def test_save_block_refuses_a_receipt_for_another_tx(store: BlockStore) -> None:
    saved = CHAIN[0]
    first, second = saved.receipts[:2]
    swapped = [
        msgspec.structs.replace(first, tx_hash=second.tx_hash),
        *saved.receipts[1:],
    ]
    with pytest.raises(AssertionError, match="receipt 0 names"):
        store.save_block(
            saved.block_bytes, saved.block, saved.commit, swapped, saved.state_changes, b"a"
        )
    assert store.latest_height() == 0


def test_blocks_saved_without_state_changes_leave_the_checkpoint(store_and_reopen) -> None:  # type: ignore[no-untyped-def]
    """state_changes None: the block is stored, the state table stays at its height; the next
    checkpoint carries every change since and moves the table to its block."""
    store, reopen = store_and_reopen
    save(store, CHAIN[0])
    for saved in CHAIN[1:3]:
        store.save_block(
            saved.block_bytes, saved.block, saved.commit, saved.receipts, None, saved.app_hash
        )
    store = reopen()
    assert store.latest_height() == 3
    assert store.load_state_meta() == StateMeta(height=1, app_hash=CHAIN[0].app_hash)
    assert store.load_state() == expected_state(CHAIN[:1])
    since = {**CHAIN[1].state_changes, **CHAIN[2].state_changes, **CHAIN[3].state_changes}
    saved = CHAIN[3]
    store.save_block(
        saved.block_bytes, saved.block, saved.commit, saved.receipts, since, saved.app_hash
    )
    store = reopen()
    assert store.load_state_meta() == StateMeta(height=4, app_hash=CHAIN[3].app_hash)
    assert store.load_state() == expected_state(CHAIN[:4])
