"""The consensus record store's rule (who may sign at start-up), in memory and faulty.

The file store is tested on real files in test_consensus_record_file.py; the operator's
command that writes a guard in test_reset_signing.py.
"""

from __future__ import annotations

import pytest
from storage_chain import build_chain, save

from chainbook.errors import ConsensusRecordMissing, StorageError
from chainbook.storage import (
    FRESH_RECORD,
    ConsensusRecordStore,
    FaultyConsensusRecordStore,
    FileConsensusRecordStore,
    MemoryBlockStore,
    MemoryConsensusRecordStore,
    check_signing_allowed,
    load_signing_record,
)


@pytest.mark.parametrize("book_height", [0, 1, 50])
def test_a_present_record_allows_signing_whatever_the_book(book_height: int) -> None:
    assert check_signing_allowed(True, book_height) is None


def test_a_fresh_validator_may_sign() -> None:
    assert check_signing_allowed(False, 0) is None


@pytest.mark.parametrize("book_height", [1, 2, 10**9])
def test_a_lost_record_beside_a_book_refuses_and_says_what_to_do(book_height: int) -> None:
    reason = check_signing_allowed(False, book_height)
    assert reason is not None
    assert f"the book holds {book_height} blocks" in reason
    assert "chainbook node reset-signing --home <home> --above-height N" in reason


def test_a_fresh_validator_gets_a_record_at_once() -> None:
    """So that a validator that syncs before it ever signs is not refused at its next start."""
    records = MemoryConsensusRecordStore()
    assert load_signing_record(records, book_height=0) is None
    assert records.record == FRESH_RECORD and records.saves == 1
    # Later starts (book grown by sync, nothing signed): present, nothing to restore.
    assert load_signing_record(records, book_height=40) is None
    assert records.saves == 1


def test_the_last_record_is_what_the_machine_resumes_from() -> None:
    records = MemoryConsensusRecordStore()
    records.save(b"signed (7, 0, 1)")
    assert load_signing_record(records, book_height=6) == b"signed (7, 0, 1)"
    assert records.saves == 1


def test_a_lost_record_beside_a_book_is_refused_and_nothing_is_written() -> None:
    records = MemoryConsensusRecordStore()
    with pytest.raises(ConsensusRecordMissing, match="reset-signing"):
        load_signing_record(records, book_height=3)
    assert records.record is None and records.saves == 0


def test_the_record_survives_the_loss_of_the_book() -> None:
    """The simulator's crash: the node is dropped, its book may be lost or rolled back, the
    record store is another object and keeps what was saved."""
    book, records = MemoryBlockStore(), MemoryConsensusRecordStore()
    for saved in build_chain(4):
        records.save(b"signed at %d" % saved.height)
        save(book, saved)
    book.truncate_from(2)  # a rolled-back book
    assert load_signing_record(records, book.latest_height()) == b"signed at 4"
    fresh_book = MemoryBlockStore()  # a lost book
    assert load_signing_record(records, fresh_book.latest_height()) == b"signed at 4"


def test_every_store_is_a_consensus_record_store(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for store in (
        MemoryConsensusRecordStore(),
        FileConsensusRecordStore(tmp_path / "r.bin"),
        FaultyConsensusRecordStore(MemoryConsensusRecordStore()),
    ):
        assert isinstance(store, ConsensusRecordStore)


def test_a_faulty_save_fails_before_writing() -> None:
    inner = MemoryConsensusRecordStore()
    inner.save(b"old")
    faulty = FaultyConsensusRecordStore(inner)
    faulty.arm("save")
    with pytest.raises(StorageError, match="injected fault in save"):
        faulty.save(b"new")
    assert faulty.load() == b"old" and faulty.failures == {"save": 1}
    faulty.save(b"new")
    assert inner.record == b"new"
    with pytest.raises(ValueError, match="unknown operation 'save_block'"):
        faulty.arm("save_block")
