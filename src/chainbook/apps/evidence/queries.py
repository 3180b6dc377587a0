"""evidence queries: read-only, over the committed state (QueryContext.view is the module's keys).

    case(case)                      the case file, its endorsers and whether its policy is met
                                    (1 state key)
    policy(case)                    the policy evaluated: each entry and the institution meeting
                                    it, every endorsement, and each endorser's registry status
                                    now (1 + 2 x endorsements keys, at most 33: provable)
    endorsement(case, institution)  one institution's endorsement of a case

The evidence package (cli/evidence.py) carries a state proof of `policy` with the receipts of
the submission and of every endorsement it lists.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.apps.base import Query, QueryContext
from chainbook.apps.evidence import limits
from chainbook.apps.evidence.actions import Document
from chainbook.apps.evidence.policy import Endorser, compute_matching, get_policy_entries
from chainbook.apps.evidence.state import (
    CaseRecord,
    EndorsementRecord,
    get_case,
    get_endorsement,
    get_endorsements,
)
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest
from chainbook.types import Address, Hash, Height, TimeMs

CaseId = Annotated[str, msgspec.Meta(max_length=limits.case_id_chars_max)]
InstitutionId = Annotated[str, msgspec.Meta(max_length=64)]


class CaseRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    case: CaseId


class CaseInfo(msgspec.Struct, frozen=True):
    case: str
    found: bool
    submitter: Address = b""
    title: str = ""
    description: str = ""
    documents: list[Document] = []
    required: int = 0
    roles: list[str] = []
    institutions: list[str] = []
    digest: Hash = b""
    """What an endorsement names (apps/evidence/digest.py)."""
    height: Height = 0
    time_ms: TimeMs = 0
    tx_hash: Hash = b""
    endorsers: list[str] = []
    met: bool = False
    met_height: Height = 0


class EntryInfo(msgspec.Struct, frozen=True):
    kind: str
    """"role" or "institution"."""
    name: str
    met_by: str
    """The institution meeting it in the matching, or "" (unmet)."""


class EndorsementInfo(msgspec.Struct, frozen=True):
    institution: str
    roles: list[str]
    """Its endorsing roles when it endorsed."""
    signer: Address
    statement: str
    height: Height
    time_ms: TimeMs
    tx_hash: Hash
    status_now: str
    """The institution's registry status now: "active" or "revoked"."""
    revoked_height: Height
    """0 while active; a revocation after `height` does not undo the endorsement."""


class PolicyInfo(msgspec.Struct, frozen=True):
    case: str
    found: bool
    met: bool = False
    required: int = 0
    met_count: int = 0
    """Entries met by distinct endorsers (the policy is met when >= required)."""
    met_height: Height = 0
    entries: list[EntryInfo] = []
    endorsements: list[EndorsementInfo] = []
    submitter: Address = b""
    digest: Hash = b""
    height: Height = 0
    tx_hash: Hash = b""
    """The submission transaction."""


class EndorsementRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    case: CaseId
    institution: InstitutionId


class EndorsementAnswer(msgspec.Struct, frozen=True):
    case: str
    institution: str
    found: bool
    endorsement: EndorsementRecord | None = None


def query_case(ctx: QueryContext, request: CaseRequest) -> CaseInfo:
    """A case file: its records, policy, digest, endorsers and whether the policy is met."""
    record = get_case(ctx.view, request.case)
    if record is None:
        return CaseInfo(case=request.case, found=False)
    return CaseInfo(
        case=request.case,
        found=True,
        submitter=record.submitter,
        title=record.title,
        description=record.description,
        documents=record.documents,
        required=record.required,
        roles=record.roles,
        institutions=record.institutions,
        digest=record.digest,
        height=record.height,
        time_ms=record.time_ms,
        tx_hash=record.tx_hash,
        endorsers=record.endorsers,
        met=record.met_height > 0,
        met_height=record.met_height,
    )


def describe_endorsement(ctx: QueryContext, e: EndorsementRecord) -> EndorsementInfo:
    answer: InstitutionAnswer = ctx.ask(
        "governance", "institution", InstitutionRequest(id=e.institution)
    )
    record = answer.institution
    assert record is not None, f"endorser {e.institution!r} vanished from the registry"
    return EndorsementInfo(
        institution=e.institution,
        roles=e.roles,
        signer=e.signer,
        statement=e.statement,
        height=e.height,
        time_ms=e.time_ms,
        tx_hash=e.tx_hash,
        status_now=record.status,
        revoked_height=record.revoked_height,
    )


def evaluate_policy(case: str, record: CaseRecord, endorsements: list[EndorsementRecord]) -> tuple[
    list[EntryInfo], int
]:
    entries = get_policy_entries(record.roles, record.institutions)
    endorsers = [Endorser(e.institution, e.roles) for e in endorsements]
    matching = compute_matching(entries, endorsers)
    infos = [
        EntryInfo(entry.kind, entry.name, endorsers[m].institution if m != -1 else "")
        for entry, m in zip(entries, matching, strict=True)
    ]
    return infos, sum(1 for m in matching if m != -1)


def query_policy(ctx: QueryContext, request: CaseRequest) -> PolicyInfo:
    """Whether a case's policy is met and by whom, with every endorsement and its endorser.

    Each endorser's registry status now is included (a revocation after the endorsement)."""
    record = get_case(ctx.view, request.case)
    if record is None:
        return PolicyInfo(case=request.case, found=False)
    endorsements = get_endorsements(ctx.view, request.case, record)
    entries, met_count = evaluate_policy(request.case, record, endorsements)
    met = met_count >= record.required
    assert met == (record.met_height > 0), f"case {request.case!r}: met flag out of step"
    return PolicyInfo(
        case=request.case,
        found=True,
        met=met,
        required=record.required,
        met_count=met_count,
        met_height=record.met_height,
        entries=entries,
        endorsements=[describe_endorsement(ctx, e) for e in endorsements],
        submitter=record.submitter,
        digest=record.digest,
        height=record.height,
        tx_hash=record.tx_hash,
    )


def query_endorsement(ctx: QueryContext, request: EndorsementRequest) -> EndorsementAnswer:
    """One institution's endorsement of a case (found=false if it has not endorsed it)."""
    endorsement = get_endorsement(ctx.view, request.case, request.institution)
    return EndorsementAnswer(
        case=request.case,
        institution=request.institution,
        found=endorsement is not None,
        endorsement=endorsement,
    )


QUERIES = (
    Query("case", CaseRequest, CaseInfo, query_case),
    Query("policy", CaseRequest, PolicyInfo, query_policy),
    Query("endorsement", EndorsementRequest, EndorsementAnswer, query_endorsement),
)

__all__ = [
    "QUERIES",
    "CaseInfo",
    "CaseRequest",
    "EndorsementAnswer",
    "EndorsementInfo",
    "EndorsementRequest",
    "EntryInfo",
    "PolicyInfo",
    "query_case",
    "query_endorsement",
    "query_policy",
]
