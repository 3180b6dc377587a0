"""Re-verifying a book: each rule of chain/verify.py, and tampering with a stored SQLite file."""

from __future__ import annotations

import random
import sqlite3
import zlib
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from storage_chain import (
    CHAIN_ID,
    GENESIS,
    GENESIS_HASH,
    VALIDATORS,
    SavedBlock,
    build_chain,
    expected_state,
    save,
    sign_commit,
)

from chainbook import codec
from chainbook.chain.block import Block, Header, compute_commit_hash
from chainbook.chain.commit import Commit, CommitSig
from chainbook.chain.verify import (
    ChainReport,
    compute_header_hash,
    verify_block_against_parent,
    verify_stored_chain,
)
from chainbook.crypto import PrivateKey
from chainbook.errors import CorruptBook, InvalidBlock
from chainbook.storage import MemoryBlockStore, SqliteBlockStore, TxLocation
from chainbook.storage.stored_format import BlockReceipts

CHAIN = build_chain(6, txs_per_block=4)


def verify(block: Block, parent: Header | None) -> None:
    verify_block_against_parent(CHAIN_ID, block, parent, GENESIS_HASH, VALIDATORS)


def test_the_built_chain_verifies() -> None:
    parent = None
    for saved in CHAIN:
        verify(saved.block, parent)
        parent = saved.block.header


def with_header(block: Block, **changes: object) -> Block:
    return msgspec.structs.replace(block, header=msgspec.structs.replace(block.header, **changes))


B1, B2, B3 = CHAIN[0].block, CHAIN[1].block, CHAIN[2].block
H1, H2 = B1.header, B2.header


@pytest.mark.parametrize(
    ("block", "parent", "reason"),
    [
        (with_header(B2, chain_id="other"), H1, "block 2: chain_id is 'other'"),
        (with_header(B3, height=2), H1, "block 2: prev_block_hash"),
        (B3, H1, "block 3: height is 3, expected 2"),
        (B2, None, "block 2: height is 2, expected 1"),
        (with_header(B1, prev_block_hash=b"\x00" * 32), None, "genesis hash"),
        (with_header(B2, prev_block_hash=GENESIS_HASH), H1, "(parent hash)"),
        (with_header(B2, tx_count=5), H1, "block 2: tx_count is 5, block has 4"),
        (msgspec.structs.replace(B2, txs=B2.txs[::-1]), H1, "block 2: txs_root is"),
        (with_header(B2, last_commit_hash=b"\x00" * 32), H1, "block 2: last_commit_hash is"),
        (msgspec.structs.replace(B2, last_commit=None), H1, "block 2: last_commit_hash"),
        (with_header(B2, validators_hash=b"\x01" * 32), H1, "block 2: validators_hash is"),
        (
            with_header(B2, proposer=PrivateKey.from_label("outsider").address),
            H1,
            "is not a validator",
        ),
        (with_header(B2, time_ms=H1.time_ms), H1, "block 2: time_ms"),
    ],
)
def test_each_rule_names_the_height_and_the_mismatch(
    block: Block, parent: Header | None, reason: str
) -> None:
    with pytest.raises(InvalidBlock) as info:
        verify(block, parent)
    assert reason in str(info.value)


def _with_last_commit(block: Block, commit: Commit | None) -> Block:
    block = msgspec.structs.replace(block, last_commit=commit)
    return with_header(block, last_commit_hash=compute_commit_hash(commit))


@pytest.mark.parametrize(
    ("make_commit", "reason"),
    [
        (lambda: None, "last_commit missing"),
        (lambda: sign_commit(1, compute_header_hash(H1), signers=2), "commit has power 2"),
        (lambda: sign_commit(1, compute_header_hash(H2)), "commit is for block"),
        (lambda: sign_commit(2, compute_header_hash(H1)), "commit is for height 2"),
    ],
)
def test_last_commit_must_prove_the_parent(
    make_commit: Callable[[], Commit | None], reason: str
) -> None:
    with pytest.raises(InvalidBlock, match=reason):
        verify(_with_last_commit(B2, make_commit()), H1)


def test_first_block_must_not_carry_a_last_commit() -> None:
    block = _with_last_commit(B1, sign_commit(1, compute_header_hash(H1)))
    with pytest.raises(InvalidBlock, match="block 1: the first block carries a last_commit"):
        verify(block, None)


# ----------------------------------------------------------------- tampering with the file


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "book.sqlite"
    store = SqliteBlockStore(path)
    for saved in CHAIN:
        save(store, saved)
    store.close()
    return path


def edit(path: Path, sql: str, *params: object) -> None:
    """What a tamperer (or a bad disk) does: plain sqlite3, no chainbook code."""
    db = sqlite3.connect(path)
    with db:
        db.execute(sql, params)
    db.close()


def report_of(path: Path) -> ChainReport:
    store = SqliteBlockStore(path)
    try:
        return verify_stored_chain(store, CHAIN_ID, GENESIS)
    finally:
        store.close()


def repair_and_extend(path: Path, report: ChainReport) -> None:
    """The node's repair: truncate at the bad height, rebuild state, re-sync the rest."""
    assert report.bad_height is not None
    store = SqliteBlockStore(path)
    store.truncate_from(report.bad_height)
    good = CHAIN[: report.bad_height - 1]
    store.replace_state(expected_state(good), len(good), good[-1].app_hash if good else b"")
    for saved in CHAIN[len(good) :]:
        save(store, saved)
    store.close()
    assert report_of(path) == ChainReport(latest_height=6, verified_count=6)


def test_untouched_book_verifies(book: Path) -> None:
    assert report_of(book) == ChainReport(latest_height=6, verified_count=6)


def test_a_flipped_byte_inside_a_tx_is_reported_at_its_height(book: Path) -> None:
    block_bytes = CHAIN[2].block_bytes
    tx = CHAIN[2].block.txs[1]
    at = block_bytes.index(tx) + len(tx) - 1  # the last byte of the tx's signature
    tampered = bytearray(block_bytes)
    tampered[at] ^= 0x01
    edit(book, "UPDATE blocks SET block = ? WHERE height = 3", bytes(tampered))
    report = report_of(book)
    assert report.bad_height == 3 and report.verified_count == 2
    assert report.reason is not None and report.reason.startswith("block 3: txs_root is")
    repair_and_extend(book, report)


def test_any_flipped_byte_of_a_block_is_reported_at_that_height(book: Path) -> None:
    rng = random.Random(20240611)
    original = CHAIN[3].block_bytes
    for _ in range(40):
        tampered = bytearray(original)
        at = rng.randrange(len(tampered))
        tampered[at] ^= 1 << rng.randrange(8)
        edit(book, "UPDATE blocks SET block = ? WHERE height = 4", bytes(tampered))
        report = report_of(book)
        assert report.bad_height == 4, (at, report)
        assert report.reason is not None and report.reason.startswith("block 4:"), report
    edit(book, "UPDATE blocks SET block = ? WHERE height = 4", original)
    assert report_of(book).ok


def test_a_deleted_row_in_the_middle_is_reported(book: Path) -> None:
    edit(book, "DELETE FROM blocks WHERE height = 3")
    report = report_of(book)
    assert (report.bad_height, report.reason) == (3, "block 3: missing from the store")
    repair_and_extend(book, report)


def test_a_deleted_last_row_is_reported(book: Path) -> None:
    edit(book, "DELETE FROM blocks WHERE height = 6")
    assert report_of(book).bad_height == 6


def test_a_changed_commit_signature_is_reported(book: Path) -> None:
    commit = CHAIN[4].commit
    sig = bytearray(commit.signatures[1].signature)
    sig[10] ^= 0xFF
    signatures = list(commit.signatures)
    signatures[1] = CommitSig(signatures[1].validator_index, bytes(sig))
    forged = msgspec.structs.replace(commit, signatures=signatures)
    edit(book, 'UPDATE blocks SET "commit" = ? WHERE height = 5', codec.encode(forged))
    report = report_of(book)
    assert report.bad_height == 5
    assert report.reason == ("block 5: stored commit: commit signature of validator 1 is invalid")
    repair_and_extend(book, report)


def test_garbage_in_a_commit_cell_is_reported(book: Path) -> None:
    edit(book, 'UPDATE blocks SET "commit" = ? WHERE height = 2', b"\xc1garbage")
    report = report_of(book)
    assert report.bad_height == 2 and "stored commit of block 2 does not decode" in str(
        report.reason
    )


def test_a_text_value_where_a_blob_belongs_is_reported(book: Path) -> None:
    edit(book, "UPDATE blocks SET block = 'hello' WHERE height = 2")
    report = report_of(book)
    assert report.bad_height == 2 and "is str, not a blob" in str(report.reason)


def test_tampering_with_the_memory_store_is_reported_the_same_way() -> None:
    store = MemoryBlockStore()
    for saved in CHAIN:
        save(store, saved)
    block_hash, block_bytes, _ = store.blocks[2]
    store.blocks[2] = (block_hash, block_bytes, codec.encode(CHAIN[2].commit))
    report = verify_stored_chain(store, CHAIN_ID, GENESIS)
    assert report.bad_height == 2 and "stored commit: commit is for height 3" in str(report.reason)


def _swap_block(chain: list[SavedBlock], height: int, other: SavedBlock) -> list[SavedBlock]:
    return [other if s.height == height else s for s in chain]


def test_a_block_from_another_chain_does_not_verify() -> None:
    other = build_chain(2, txs_per_block=1)  # same genesis, different txs: a fork at height 1
    store = MemoryBlockStore()
    for saved in _swap_block(CHAIN[:3], 2, other[1]):
        store.blocks[saved.height] = (saved.hash, saved.block_bytes, codec.encode(saved.commit))
    store._latest_height = 3  # noqa: SLF001 - building a tampered book directly
    report = verify_stored_chain(store, CHAIN_ID, GENESIS)
    assert report.bad_height == 2 and "prev_block_hash" in str(report.reason)


# ----------------------------------------------------------------- tampering with receipts


def _receipts_blob(path: Path, height: int) -> bytes:
    db = sqlite3.connect(path)
    try:
        (blob,) = db.execute("SELECT receipts FROM blocks WHERE height = ?", (height,)).fetchone()
        return bytes(blob)
    finally:
        db.close()


def load_tx_of(path: Path, tx_hash: bytes) -> TxLocation | None:
    store = SqliteBlockStore(path)
    try:
        return store.load_tx(tx_hash)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda blob: b"\xc1garbage", "do not decompress"),
        (lambda blob: blob[:-3], "truncated"),
        (lambda blob: blob + b"x", "trailed by garbage"),
        (lambda blob: zlib.compress(b"\x93\x90\x90\x90"), "the block has 0 receipts"),
        (lambda blob: zlib.compress(b"\xc1"), "do not decode"),
        (
            # the same shapes, but every reference points past the string table
            lambda blob: zlib.compress(
                codec.encode(
                    msgspec.structs.replace(
                        stored := codec.decode(zlib.decompress(blob), BlockReceipts),
                        refs=[len(stored.strings)] * len(stored.refs),
                    )
                )
            ),
            "the references do not match the table",
        ),
    ],
)
def test_a_damaged_receipts_cell_is_a_corrupt_book(
    book: Path, tamper: Callable[[bytes], bytes], reason: str
) -> None:
    """Receipts are derived data (verify_stored_chain does not read them), but a load that
    meets damaged ones says so, naming the height, instead of returning a wrong receipt."""
    edit(book, "UPDATE blocks SET receipts = ? WHERE height = 3", tamper(_receipts_blob(book, 3)))
    with pytest.raises(CorruptBook, match=reason) as info:
        load_tx_of(book, CHAIN[2].receipts[1].tx_hash)
    assert info.value.height == 3
    location = load_tx_of(book, CHAIN[1].receipts[1].tx_hash)
    assert location is not None and location.receipt == CHAIN[1].receipts[1]


def test_a_tx_indexed_at_a_deleted_block_is_a_corrupt_book(book: Path) -> None:
    edit(book, "DELETE FROM blocks WHERE height = 3")
    with pytest.raises(CorruptBook, match="indexed at height 3, which has no block"):
        load_tx_of(book, CHAIN[2].receipts[0].tx_hash)


def test_truncation_removes_every_index_row_of_a_damaged_block(book: Path) -> None:
    """The block being truncated may be the damaged one, whose bytes no longer give the tx
    hashes that were indexed: truncate_from must not rely on them."""
    edit(book, "UPDATE blocks SET block = ? WHERE height = 4", b"\xc1")
    report = report_of(book)
    assert report.bad_height == 4
    store = SqliteBlockStore(book)
    store.truncate_from(4)
    store.close()
    db = sqlite3.connect(book)
    assert db.execute("SELECT max(height), count(*) FROM txs").fetchone() == (3, 12)
    db.close()
    repair_and_extend(book, report)
