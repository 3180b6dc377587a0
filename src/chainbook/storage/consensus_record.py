"""The consensus record store: what this validator signed, kept apart from the book.

The consensus record is the consensus machine's write-ahead record (consensus/machine.py
ConsensusRecord: the last (height, round, step) this validator signed, its lock, the votes and
the proposal it signed); to storage it is opaque bytes. It decides what a restarted validator
may sign, so it must not share the fate of the book: a book rolled back (its -wal deleted after
a crash), salvaged (storage/sqlite/salvage.py) or re-synced from peers leaves the record as it
was. So it has a store of its own, as CometBFT keeps priv_validator_state.json beside the key:

    FileConsensusRecordStore    the node: <home>/consensus_record.bin (consensus_record_file.py)
    MemoryConsensusRecordStore  the simulator and tests: an object that outlives the simulated
                                node and its MemoryBlockStore
    FaultyConsensusRecordStore  fails chosen saves before writing (storage/faulty.py)

Rules kept:
- `save(record)` is durable when it returns; the node calls it before it sends what the record
  says it signed (SaveConsensusRecord before Broadcast, consensus/effects.py).
- `load()` returns the last record saved, or None only when no record was ever saved there. A
  record that cannot be read back whole (torn, edited, not a record) raises
  DamagedConsensusRecord: it is never taken for "no record", which would let the validator sign
  afresh at heights it already signed at.
- The signing rule, applied at start-up by every node that holds a key (a full node may be made
  a validator later), before the consensus machine is built (check_signing_allowed):
      record present             resume from it: the machine refuses to sign anything at or
                                 below the (height, round, step) it names.
      no record, empty book      a fresh validator: FRESH_RECORD is saved at once
                                 (load_signing_record), so that a later start finds a record
                                 even if the validator synced blocks before it signed anything.
      no record, book not empty  the record was lost: refuse to sign until an operator runs
                                 `chainbook node reset-signing --home H --above-height N` with N
                                 at or above the network's current height, which writes a
                                 record that guards every height <= N. The node may still
                                 follow the chain (verify, sync, serve) without signing.
  Why refuse rather than guess from the book: what a validator signed at a height that is not
  decided yet is in no block, and the book itself may have been rolled back; only the operator
  can name a height the network has certainly passed.
  What the rule cannot catch: a home that lost both its record and its book looks like a fresh
  validator. Keep (and back up) the record with the node key, never with the book.
- FRESH_RECORD (no bytes) means "present, nothing signed yet"; the machine gets None for it
  (load_signing_record returns `record or None`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from chainbook.errors import ConsensusRecordMissing
from chainbook.types import Height

FRESH_RECORD = b""
"""The record a fresh validator saves at its first start: present, nothing signed yet."""


@runtime_checkable
class ConsensusRecordStore(Protocol):
    """One validator's consensus record, in one slot; see the module docstring."""

    def load(self) -> bytes | None:
        """The last record saved; None if none ever was. DamagedConsensusRecord if what is
        there cannot be read back whole."""
        ...

    def save(self, record: bytes) -> None:
        """Replace the record; durable (on disk: fsync'd) when it returns. A crash during the
        call leaves the previous record or this one, whole."""
        ...


def check_signing_allowed(record_present: bool, book_height: Height) -> str | None:
    """None if this node may sign; otherwise why not and what the operator must do (the
    signing rule of the module docstring)."""
    if record_present or book_height == 0:
        return None
    return (
        f"no consensus record, but the book holds {book_height} blocks: the record of what "
        "this validator signed was lost, and signing now could sign a second, different vote "
        "at a height and round it already voted at. It will not sign until an operator runs "
        "`chainbook node reset-signing --home <home> --above-height N`, with N at or above "
        "the network's current height (any peer's `chainbook status`); it then signs again "
        "from height N + 1"
    )


def load_signing_record(records: ConsensusRecordStore, book_height: Height) -> bytes | None:
    """The node's start-up step for the signing rule: the record the consensus machine resumes
    from (None: nothing signed yet).

    Saves FRESH_RECORD for a fresh validator (no record, empty book). Raises
    ConsensusRecordMissing when the rule refuses (the node must then run without signing, or
    stop), DamagedConsensusRecord when the record is unreadable.
    """
    record = records.load()
    refusal = check_signing_allowed(record is not None, book_height)
    if refusal is not None:
        raise ConsensusRecordMissing(refusal)
    if record is None:
        records.save(FRESH_RECORD)
        return None
    return record or None


class MemoryConsensusRecordStore:
    """A ConsensusRecordStore in one attribute, for the simulator and tests.

    A simulated crash drops the node and keeps this object (and, independently, the node's
    MemoryBlockStore): what a restarted process finds in its record file. Setting `record` to
    None simulates a lost file; `saves` counts the saves.
    """

    def __init__(self) -> None:
        self.record: bytes | None = None
        self.saves = 0

    def load(self) -> bytes | None:
        return self.record

    def save(self, record: bytes) -> None:
        self.record = bytes(record)
        self.saves += 1


__all__ = [
    "FRESH_RECORD",
    "ConsensusRecordStore",
    "MemoryConsensusRecordStore",
    "check_signing_allowed",
    "load_signing_record",
]
