"""The evidence module's state: its records, their keys and the pure accessors.

State (keys relative to the module prefix b"evidence/"; values canonical MessagePack):

    case/<case id>                          CaseRecord         the case file and its policy
    endorsement/<case id>/<institution id>  EndorsementRecord  one institution's endorsement

Neither id holds a '/', so the endorsement key is unambiguous. The case record lists its
endorsers in order, so every reader finds the endorsements without a range read.
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader
from chainbook.apps.evidence.actions import Document
from chainbook.types import Address, Hash, Height, TimeMs

CASE_PREFIX = b"case/"
ENDORSEMENT_PREFIX = b"endorsement/"
ENDORSING_ROLES = ("certificate_authority", "court", "forensic_centre", "notary_office")
"""The roles of the registry (apps/institutions.py) whose holders may endorse evidence."""


class CaseRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    submitter: Address
    title: str
    description: str
    documents: list[Document]
    required: int
    roles: list[str]
    institutions: list[str]
    digest: Hash
    height: Height
    time_ms: TimeMs
    tx_hash: Hash
    endorsers: list[str]
    """Institution ids, in the order they endorsed (at most endorsements_max)."""
    met_height: Height
    """The height of the endorsement that met the policy; 0 while it is not met."""


class EndorsementRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    institution: str
    roles: list[str]
    """The endorsing roles the institution held when it endorsed (what the policy counts)."""
    signer: Address
    """The address of the registered key that signed the endorsement transaction."""
    statement: str
    height: Height
    time_ms: TimeMs
    tx_hash: Hash


def case_key(case: str) -> bytes:
    return CASE_PREFIX + case.encode()


def endorsement_key(case: str, institution: str) -> bytes:
    return ENDORSEMENT_PREFIX + case.encode() + b"/" + institution.encode()


def get_case(view: KVReader, case: str) -> CaseRecord | None:
    raw = view.get(case_key(case))
    return None if raw is None else codec.decode(raw, CaseRecord)


def get_endorsement(view: KVReader, case: str, institution: str) -> EndorsementRecord | None:
    raw = view.get(endorsement_key(case, institution))
    return None if raw is None else codec.decode(raw, EndorsementRecord)


def get_endorsements(view: KVReader, case: str, record: CaseRecord) -> list[EndorsementRecord]:
    found = []
    for institution in record.endorsers:
        endorsement = get_endorsement(view, case, institution)
        assert endorsement is not None, f"case {case!r} lists endorser {institution!r} unrecorded"
        found.append(endorsement)
    return found


__all__ = [
    "CASE_PREFIX",
    "ENDORSEMENT_PREFIX",
    "ENDORSING_ROLES",
    "CaseRecord",
    "EndorsementRecord",
    "case_key",
    "endorsement_key",
    "get_case",
    "get_endorsement",
    "get_endorsements",
]
