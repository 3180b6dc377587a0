"""Governance's state: the records it keeps and their keys (all under b"governance/").

    valset/index                 [uint]           heights from which a stored set applies
    valset/at/<h: 8 bytes BE>    [Validator]      the whole validator set in effect from h
    rotated/<address>            bin(20)          the address a rotated key moved to
    schedule                     [ScheduledChange]  passed changes waiting for their height
    schedule_seq                 uint             order of changes with the same height
    params                       {name: int}      every parameter's value in effect now
    param_specs                  [ParamSpec]      every declared parameter and its range
    proposers                    [bin(20)]        accounts allowed to propose (sorted)
    next_proposal_id             uint             ids start at 1
    open                         [uint]           ids of the proposals being voted on
    proposal/<id: 8 bytes BE>    ProposalRecord
    votes/<id: 8 bytes BE>       [VoteRecord]     in the order they were cast
    institution/<id utf-8>       InstitutionRecord
    institution_key/<address>    str              the institution holding a key (unique)
    institution_seq/<n: 8 bytes> str              registration order (for listing)
    institution_count            uint
    history/<n: 8 bytes BE>      HistoryEntry     every change that took effect, in order
    history_count                uint
    evidence/<offence>           EvidenceRecord   one per offence (chain/evidence.py Offence)
    evidence_seq/<n: 8 bytes>    bin              the offence key, in the order recorded
    evidence_count               uint

Values are canonical MessagePack (chainbook.codec). Every list in one value is bounded
(apps/governance/limits.py); what grows with the chain's age is one record per key.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, KVStore, decode_int, encode_int
from chainbook.apps.chain_governance import ParamSpec
from chainbook.apps.governance.actions import Change
from chainbook.chain.evidence import Offence
from chainbook.chain.validators import Validator
from chainbook.types import Address, Height, Power

T = TypeVar("T")

VALSET_INDEX_KEY = b"valset/index"
VALSET_PREFIX = b"valset/at/"
ROTATED_PREFIX = b"rotated/"
SCHEDULE_KEY = b"schedule"
SCHEDULE_SEQ_KEY = b"schedule_seq"
PARAMS_KEY = b"params"
PARAM_SPECS_KEY = b"param_specs"
PROPOSERS_KEY = b"proposers"
NEXT_PROPOSAL_ID_KEY = b"next_proposal_id"
OPEN_KEY = b"open"
PROPOSAL_PREFIX = b"proposal/"
VOTES_PREFIX = b"votes/"
INSTITUTION_PREFIX = b"institution/"
INSTITUTION_KEY_PREFIX = b"institution_key/"
INSTITUTION_SEQ_PREFIX = b"institution_seq/"
INSTITUTION_COUNT_KEY = b"institution_count"
HISTORY_PREFIX = b"history/"
HISTORY_COUNT_KEY = b"history_count"
EVIDENCE_PREFIX = b"evidence/"
EVIDENCE_SEQ_PREFIX = b"evidence_seq/"
EVIDENCE_COUNT_KEY = b"evidence_count"

STATUSES = ("voting", "passed", "executed", "rejected", "expired", "withdrawn", "failed")
"""voting -> passed -> executed, or voting -> rejected | expired | withdrawn, or
voting | passed -> failed (the change could no longer apply)."""


# --- records --------------------------------------------------------------------------------


class Tally(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """Votes counted against the validator set of `height` (votes of addresses no longer in
    that set count for nothing)."""

    yes: Power
    no: Power
    abstain: Power
    power_total: Power
    height: Height


class ProposalRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    id: int
    proposer: Address
    title: str
    change: Change
    submitted_height: Height
    deadline_height: Height
    activation_height: Height
    """As submitted: 0 means two heights after it passes."""
    status: str
    status_height: Height
    """The height of the block that gave it its status."""
    effective_height: Height
    """The height the change takes (or took) effect; 0 until it passed."""
    reason: str
    """Why it was rejected or failed; empty otherwise."""
    tally: Tally


class VoteRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    voter: Address
    choice: str
    height: Height


class ScheduledChange(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """A change that takes effect at `activation_height` (then in `seq` order)."""

    activation_height: Height
    seq: int
    proposal_id: int
    """0 for a change governance's own policy made (the removal of an equivocator)."""
    change: Change
    note: str


class HistoryEntry(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    seq: int
    height: Height
    """The first height the change was in effect."""
    proposal_id: int
    change: Change
    note: str


class InstitutionRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    id: str
    name: str
    roles: list[str]
    """Sorted, no repeats, each a name of apps/institutions.py ROLES."""
    public_keys: list[bytes]
    """Ed25519 public keys (32 bytes each), in the order given; no key is another's."""
    registered_height: Height
    updated_height: Height
    revoked_height: Height
    """0 while it is not revoked."""
    revoke_reason: str


class EvidenceRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    offence: Offence
    block_hash_a: bytes
    block_hash_b: bytes
    included_height: Height
    """The block that carried the evidence."""
    punished_from_height: Height
    """The height from which the offender's power is zero; 0 when nothing was taken (it had
    left the set already, or it was the only validator)."""
    note: str


# --- encoding helpers -----------------------------------------------------------------------


def height_key(prefix: bytes, number: int) -> bytes:
    return prefix + number.to_bytes(8, "big")


def offence_key(offence: Offence) -> bytes:
    return EVIDENCE_PREFIX + codec.encode(offence)


def read(view: KVReader, key: bytes, type_: type[T]) -> T | None:
    raw = view.get(key)
    return None if raw is None else codec.decode(raw, type_)


def write(view: KVStore, key: bytes, value: object) -> None:
    view.set(key, codec.encode(value))


def read_int(view: KVReader, key: bytes, default: int = 0) -> int:
    raw = view.get(key)
    return default if raw is None else decode_int(raw)


def write_int(view: KVStore, key: bytes, value: int) -> None:
    view.set(key, encode_int(value))


# --- accessors ------------------------------------------------------------------------------


def get_valset_index(view: KVReader) -> list[Height]:
    return read(view, VALSET_INDEX_KEY, list[int]) or []


def get_stored_set(view: KVReader, from_height: Height) -> list[Validator]:
    stored = read(view, height_key(VALSET_PREFIX, from_height), list[Validator])
    assert stored is not None, f"validator set index names height {from_height}, not stored"
    return stored


def get_schedule(view: KVReader) -> list[ScheduledChange]:
    return read(view, SCHEDULE_KEY, list[ScheduledChange]) or []


def get_params(view: KVReader) -> dict[str, int]:
    return read(view, PARAMS_KEY, dict[str, int]) or {}


def get_param_specs(view: KVReader) -> list[ParamSpec]:
    return read(view, PARAM_SPECS_KEY, list[ParamSpec]) or []


def get_proposers(view: KVReader) -> list[Address]:
    return read(view, PROPOSERS_KEY, list[bytes]) or []


def get_open(view: KVReader) -> list[int]:
    return read(view, OPEN_KEY, list[int]) or []


def get_proposal(view: KVReader, proposal_id: int) -> ProposalRecord | None:
    if proposal_id < 1:
        return None
    return read(view, height_key(PROPOSAL_PREFIX, proposal_id), ProposalRecord)


def get_votes(view: KVReader, proposal_id: int) -> list[VoteRecord]:
    return read(view, height_key(VOTES_PREFIX, proposal_id), list[VoteRecord]) or []


def get_institution(view: KVReader, institution_id: str) -> InstitutionRecord | None:
    return read(view, INSTITUTION_PREFIX + institution_id.encode(), InstitutionRecord)


def get_institution_id_of_key(view: KVReader, address: Address) -> str | None:
    return read(view, INSTITUTION_KEY_PREFIX + address, str)


def get_evidence(view: KVReader, offence: Offence) -> EvidenceRecord | None:
    return read(view, offence_key(offence), EvidenceRecord)


def get_rotated_to(view: KVReader, address: Address) -> Address | None:
    return read(view, ROTATED_PREFIX + address, bytes)


def put_proposal(view: KVStore, record: ProposalRecord) -> None:
    write(view, height_key(PROPOSAL_PREFIX, record.id), record)


def process_close_proposal(
    view: KVStore,
    record: ProposalRecord,
    status: str,
    height: Height,
    *,
    reason: str = "",
    effective_height: Height = 0,
    tally: Tally | None = None,
) -> ProposalRecord:
    """Give a proposal its new status; one no longer being voted on leaves the open list."""
    assert status in STATUSES, status
    updated = msgspec.structs.replace(
        record,
        status=status,
        status_height=height,
        reason=reason,
        effective_height=effective_height or record.effective_height,
        tally=record.tally if tally is None else tally,
    )
    put_proposal(view, updated)
    if status != "voting":
        open_ids = get_open(view)
        if record.id in open_ids:
            write(view, OPEN_KEY, [i for i in open_ids if i != record.id])
    return updated


def process_append(view: KVStore, count_key: bytes, prefix: bytes, value: object) -> int:
    """Append `value` to a numbered log (history, evidence, institutions); returns its seq."""
    seq = read_int(view, count_key) + 1
    write(view, height_key(prefix, seq), value)
    write_int(view, count_key, seq)
    return seq


__all__ = [
    "STATUSES",
    "EvidenceRecord",
    "HistoryEntry",
    "InstitutionRecord",
    "ProposalRecord",
    "ScheduledChange",
    "Tally",
    "VoteRecord",
    "get_evidence",
    "get_institution",
    "get_institution_id_of_key",
    "get_open",
    "get_param_specs",
    "get_params",
    "get_proposal",
    "get_proposers",
    "get_rotated_to",
    "get_schedule",
    "get_stored_set",
    "get_valset_index",
    "get_votes",
    "height_key",
    "offence_key",
    "process_append",
    "process_close_proposal",
    "put_proposal",
    "read",
    "read_int",
    "write",
    "write_int",
]
