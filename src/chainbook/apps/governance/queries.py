"""Governance queries: proposals, votes, history, validator sets, parameters, evidence, and the
institution registry other modules trust.

The institution contract other modules build on (its types, its roles and its rules) is
apps/institutions.py, outside this folder so that a module can use it without importing
governance; `institution` answers it here, and exports.py answers it in an action.

Pages: every list is read by bounded pages (limits.page_items_max items, at most
limits.page_scan_max records read per page) with a cursor to continue (0 starts at the end
named). Heights: 0 means the committed height; a set or parameter is known up to two heights
ahead (apps/governance/schedule.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

import msgspec

from chainbook.apps.base import KVReader, Query, QueryContext
from chainbook.apps.chain_governance import ParamRequest, ParamValue
from chainbook.apps.fields import InvalidField, RecordNotFound
from chainbook.apps.governance import limits
from chainbook.apps.governance.errors import UnknownParameter
from chainbook.apps.governance.institutions import is_authorised
from chainbook.apps.governance.params import get_param_spec, get_param_values
from chainbook.apps.governance.proposals import compute_tally
from chainbook.apps.governance.state import (
    EVIDENCE_COUNT_KEY,
    EVIDENCE_SEQ_PREFIX,
    HISTORY_COUNT_KEY,
    HISTORY_PREFIX,
    INSTITUTION_COUNT_KEY,
    INSTITUTION_SEQ_PREFIX,
    NEXT_PROPOSAL_ID_KEY,
    STATUSES,
    EvidenceRecord,
    HistoryEntry,
    InstitutionRecord,
    ProposalRecord,
    ScheduledChange,
    Tally,
    VoteRecord,
    get_institution,
    get_institution_id_of_key,
    get_param_specs,
    get_proposal,
    get_schedule,
    get_stored_set,
    get_valset_index,
    get_votes,
    height_key,
    read,
    read_int,
)
from chainbook.apps.governance.valset import get_validator_set_entry
from chainbook.apps.institutions import (
    InstitutionAnswer,
    InstitutionRequest,
    InstitutionView,
    describe_roles,
    is_known_role,
)
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.crypto import ADDRESS_BYTES, PUBLIC_KEY_BYTES, address_from_public_key
from chainbook.types import Address, Hash, Height, Power

T = TypeVar("T")
Limit = Annotated[int, msgspec.Meta(ge=1, le=limits.page_items_max)]
Cursor = Annotated[int, msgspec.Meta(ge=0)]


# --- the institution registry (the contract above) ------------------------------------------


def view_institution(record: InstitutionRecord) -> InstitutionView:
    return InstitutionView(
        id=record.id,
        name=record.name,
        roles=list(record.roles),
        public_keys=list(record.public_keys),
        addresses=[address_from_public_key(key) for key in record.public_keys],
        status="revoked" if record.revoked_height else "active",
        registered_height=record.registered_height,
        updated_height=record.updated_height,
        revoked_height=record.revoked_height,
        revoke_reason=record.revoke_reason,
    )


def _find_institution(view: KVReader, request: InstitutionRequest) -> InstitutionRecord | None:
    named = [
        n
        for n, v in (
            ("id", request.id),
            ("address", request.address),
            ("public_key", request.public_key),
        )
        if v
    ]
    if len(named) != 1:
        raise InvalidField(
            "name the institution by exactly one of id, address or public_key; got "
            f"{', '.join(named) or 'none'}"
        )
    if request.id:
        return get_institution(view, request.id)
    address = request.address
    if request.public_key:
        if len(request.public_key) != PUBLIC_KEY_BYTES:
            raise InvalidField(
                f"public_key: expected {PUBLIC_KEY_BYTES} bytes, got {len(request.public_key)}"
            )
        address = address_from_public_key(request.public_key)
    elif len(address) != ADDRESS_BYTES:
        raise InvalidField(f"address: expected {ADDRESS_BYTES} bytes, got {len(address)}")
    institution_id = get_institution_id_of_key(view, address)
    return None if institution_id is None else get_institution(view, institution_id)


def answer_institution(view: KVReader, request: InstitutionRequest) -> InstitutionAnswer:
    """The contract's answer on `view` (the query's and the export's); InvalidField for a
    request that breaks it."""
    if request.role and not is_known_role(request.role):
        raise InvalidField(f"role: unknown role {request.role!r}; roles: {describe_roles()}")
    record = _find_institution(view, request)
    return InstitutionAnswer(
        found=record is not None,
        authorised=is_authorised(record, request.role),
        institution=None if record is None else view_institution(record),
    )


def query_institution(ctx: QueryContext, request: InstitutionRequest) -> InstitutionAnswer:
    """An institution by id or key, and whether it is authorised (in a role) now."""
    return answer_institution(ctx.view, request)


class InstitutionsRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    role: str = ""
    """Only institutions holding this role (active ones), or every one when empty."""
    after_seq: Cursor = 0
    """Continue after this registration number (0: from the first)."""
    limit: Limit = 20


class InstitutionsPage(msgspec.Struct, frozen=True):
    institutions: list[InstitutionView]
    next_after_seq: int
    """Pass as after_seq for the next page; 0 when there is none."""


def query_institutions(ctx: QueryContext, request: InstitutionsRequest) -> InstitutionsPage:
    """Registered institutions in registration order, optionally only those in a role."""
    if request.role and not is_known_role(request.role):
        raise InvalidField(f"role: unknown role {request.role!r}; roles: {describe_roles()}")
    count = read_int(ctx.view, INSTITUTION_COUNT_KEY)
    found: list[InstitutionView] = []
    seq = request.after_seq
    last = min(count, request.after_seq + limits.page_scan_max)
    while seq < last and len(found) < request.limit:
        seq += 1
        institution_id = read(ctx.view, height_key(INSTITUTION_SEQ_PREFIX, seq), str)
        assert institution_id is not None
        record = get_institution(ctx.view, institution_id)
        assert record is not None
        if not request.role or is_authorised(record, request.role):
            found.append(view_institution(record))
    return InstitutionsPage(found, seq if seq < count else 0)


# --- proposals ------------------------------------------------------------------------------


StatusFilter = Literal[
    "", "voting", "passed", "executed", "rejected", "expired", "withdrawn", "failed"
]
"""A proposal status (state.py STATUSES), or "" for all: a Literal so the API schema lists them."""


class ProposalsRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    status: StatusFilter = ""
    """One of voting, passed, executed, rejected, expired, withdrawn, failed; "" for all."""
    before_id: Cursor = 0
    """Continue below this id (0: from the newest)."""
    limit: Limit = 20


class ProposalsPage(msgspec.Struct, frozen=True):
    proposals: list[ProposalRecord]
    """Newest first."""
    next_before_id: int
    """Pass as before_id for the next page; 0 when there is none."""


def query_proposals(ctx: QueryContext, request: ProposalsRequest) -> ProposalsPage:
    """Proposals by status, newest first."""
    if request.status and request.status not in STATUSES:
        raise InvalidField(
            f"status: {request.status!r} is not a status; statuses: {', '.join(STATUSES)}"
        )
    newest = read_int(ctx.view, NEXT_PROPOSAL_ID_KEY, 1) - 1
    start = newest if request.before_id == 0 else min(newest, request.before_id - 1)
    found: list[ProposalRecord] = []
    proposal_id = start + 1
    stop = max(0, start - limits.page_scan_max)
    while proposal_id - 1 > stop and len(found) < request.limit:
        proposal_id -= 1
        record = get_proposal(ctx.view, proposal_id)
        assert record is not None
        if not request.status or record.status == request.status:
            found.append(record)
    return ProposalsPage(found, proposal_id if proposal_id > 1 else 0)


class ProposalRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: int


class ProposalDetail(msgspec.Struct, frozen=True):
    proposal: ProposalRecord
    votes: list[VoteRecord]
    tally: Tally
    """The votes counted against the set of the committed height while it is being voted on;
    the tally at its decision afterwards."""


def query_proposal(ctx: QueryContext, request: ProposalRequest) -> ProposalDetail:
    """One proposal with its votes and tally."""
    record = get_proposal(ctx.view, request.id)
    if record is None:
        raise RecordNotFound(f"no proposal {request.id}")
    votes = get_votes(ctx.view, record.id)
    tally = record.tally
    if record.status == "voting":
        height = max(ctx.height, 1)
        validators = get_validator_set_entry(ctx.view, height).validators
        tally = compute_tally(votes, validators, height)
    return ProposalDetail(record, votes, tally)


class HistoryRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    before_seq: Cursor = 0
    limit: Limit = 20


class HistoryPage(msgspec.Struct, frozen=True):
    entries: list[HistoryEntry]
    """Newest first: every change that took effect, with the first height it was in effect."""
    next_before_seq: int


def query_history(ctx: QueryContext, request: HistoryRequest) -> HistoryPage:
    """The history of executed changes (validators, institutions, parameters, proposers)."""
    entries, next_seq = _page_back(
        ctx,
        HISTORY_COUNT_KEY,
        request.before_seq,
        request.limit,
        lambda seq: read(ctx.view, height_key(HISTORY_PREFIX, seq), HistoryEntry),
    )
    return HistoryPage(entries, next_seq)


class ScheduleRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class ScheduleView(msgspec.Struct, frozen=True):
    changes: list[ScheduledChange]
    """Passed changes waiting for their activation height, in the order they will apply."""


def query_schedule(ctx: QueryContext, request: ScheduleRequest) -> ScheduleView:
    """The changes that passed and wait for their activation height."""
    return ScheduleView(get_schedule(ctx.view))


# --- validator sets -------------------------------------------------------------------------


class ValidatorView(msgspec.Struct, frozen=True):
    address: Address
    public_key: bytes
    power: Power
    name: str


class ValidatorSetView(msgspec.Struct, frozen=True):
    height: Height
    """The height asked about."""
    from_height: Height
    """The first height this set was (or will be) in effect."""
    validators_hash: Hash
    """What a header's validators_hash holds for this set."""
    power_total: Power
    validators: list[ValidatorView]
    """Sorted by address (the order of commit signatures' validator_index)."""


class ValidatorsRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    height: Cursor = 0
    """0: the committed height; known up to two heights ahead."""


def _resolve_height(ctx: QueryContext, height: Height) -> Height:
    if height == 0:
        return max(ctx.height, 1)
    if height > ctx.height + 2:
        raise RecordNotFound(
            f"height: {height} is beyond what is known yet; sets and parameters are known up "
            f"to {ctx.height + 2} (the committed height {ctx.height} + 2)"
        )
    return height


def _view_set(height: Height, from_height: Height, validators: list[Validator]) -> ValidatorSetView:
    members = ValidatorSet(validators)
    return ValidatorSetView(
        height=height,
        from_height=from_height,
        validators_hash=members.hash,
        power_total=members.power_total,
        validators=[
            ValidatorView(v.address, v.public_key, v.power, v.name) for v in members.validators
        ],
    )


def query_validators(ctx: QueryContext, request: ValidatorsRequest) -> ValidatorSetView:
    """The validator set of a height (committed height by default)."""
    height = _resolve_height(ctx, request.height)
    entry = get_validator_set_entry(ctx.view, height)
    return _view_set(height, entry.from_height, entry.validators)


class ValidatorSetsRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    after_height: Cursor = 0
    """Sets that took effect after this height (0: from the genesis set)."""
    limit: Limit = 20


class ValidatorSetsPage(msgspec.Struct, frozen=True):
    sets: list[ValidatorSetView]
    """Each set as it took effect, oldest first (`height` == `from_height`)."""
    next_after_height: int
    """Pass as after_height for the next page; 0 when there is none."""


def query_validator_sets(ctx: QueryContext, request: ValidatorSetsRequest) -> ValidatorSetsPage:
    """The chain of validator sets: each stored set and the height it took effect."""
    index = get_valset_index(ctx.view)
    later = [h for h in index if h > request.after_height]
    page = later[: request.limit]
    sets = [_view_set(h, h, get_stored_set(ctx.view, h)) for h in page]
    more = len(later) > len(page)
    return ValidatorSetsPage(sets, page[-1] if more and page else 0)


# --- parameters -----------------------------------------------------------------------------


class ParamsRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    height: Cursor = 0


class ParamView(msgspec.Struct, frozen=True):
    name: str
    value: int
    minimum: int
    maximum: int
    summary: str


class ParamsView(msgspec.Struct, frozen=True):
    height: Height
    params: list[ParamView]
    """Every chain parameter, by name."""


def query_params(ctx: QueryContext, request: ParamsRequest) -> ParamsView:
    """Every chain parameter with its value at a height and its allowed range."""
    height = _resolve_height(ctx, request.height)
    values = get_param_values(ctx.view, height)
    specs = sorted(get_param_specs(ctx.view), key=lambda spec: spec.name)
    return ParamsView(
        height,
        [ParamView(s.name, values[s.name], s.minimum, s.maximum, s.summary) for s in specs],
    )


def query_param(ctx: QueryContext, request: ParamRequest) -> ParamValue:
    """One parameter's value (what a module asks for its own parameters)."""
    height = _resolve_height(ctx, request.height)
    try:
        get_param_spec(ctx.view, request.name)
    except UnknownParameter as exc:
        raise RecordNotFound(f"name: {exc}") from None
    return ParamValue(request.name, get_param_values(ctx.view, height)[request.name], height)


# --- evidence -------------------------------------------------------------------------------


class EvidenceRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    validator: Annotated[bytes, msgspec.Meta(min_length=20, max_length=20)] | None = None
    """Only this validator's offences (20 bytes), or all when absent."""
    before_seq: Cursor = 0
    limit: Limit = 20


class EvidencePage(msgspec.Struct, frozen=True):
    records: list[EvidenceRecord]
    """Newest first: each offence, the block that carried it and what was taken."""
    next_before_seq: int


def query_evidence(ctx: QueryContext, request: EvidenceRequest) -> EvidencePage:
    """Recorded equivocations and the punishment applied."""
    if request.validator and len(request.validator) != ADDRESS_BYTES:
        raise InvalidField(
            f"validator: expected {ADDRESS_BYTES} bytes, got {len(request.validator)}"
        )

    def load(seq: int) -> EvidenceRecord | None:
        key = read(ctx.view, height_key(EVIDENCE_SEQ_PREFIX, seq), bytes)
        assert key is not None
        record = read(ctx.view, key, EvidenceRecord)
        assert record is not None
        if request.validator and record.offence.validator != request.validator:
            return None
        return record

    records, next_seq = _page_back(ctx, EVIDENCE_COUNT_KEY, request.before_seq, request.limit, load)
    return EvidencePage(records, next_seq)


def _page_back(
    ctx: QueryContext,
    count_key: bytes,
    before_seq: int,
    limit: int,
    load: Callable[[int], T | None],
) -> tuple[list[T], int]:
    """Newest-first page of a numbered log; `load(seq)` returns an item or None (skip)."""
    count = read_int(ctx.view, count_key)
    seq = count + 1 if before_seq == 0 else min(count + 1, before_seq)
    stop = max(0, seq - 1 - limits.page_scan_max)
    found: list[T] = []
    while seq - 1 > stop and len(found) < limit:
        seq -= 1
        item = load(seq)
        if item is not None:
            found.append(item)
    return found, seq if seq > 1 else 0


QUERIES = (
    Query("institution", InstitutionRequest, InstitutionAnswer, query_institution),
    Query("institutions", InstitutionsRequest, InstitutionsPage, query_institutions),
    Query("proposals", ProposalsRequest, ProposalsPage, query_proposals),
    Query("proposal", ProposalRequest, ProposalDetail, query_proposal),
    Query("history", HistoryRequest, HistoryPage, query_history),
    Query("schedule", ScheduleRequest, ScheduleView, query_schedule),
    Query("validators", ValidatorsRequest, ValidatorSetView, query_validators),
    Query("validator_sets", ValidatorSetsRequest, ValidatorSetsPage, query_validator_sets),
    Query("params", ParamsRequest, ParamsView, query_params),
    Query("param", ParamRequest, ParamValue, query_param),
    Query("evidence", EvidenceRequest, EvidencePage, query_evidence),
)

__all__ = [
    "QUERIES",
    "EvidencePage",
    "EvidenceRequest",
    "HistoryPage",
    "HistoryRequest",
    "InstitutionAnswer",
    "InstitutionRequest",
    "InstitutionView",
    "InstitutionsPage",
    "InstitutionsRequest",
    "answer_institution",
    "ParamRequest",
    "ParamValue",
    "ParamView",
    "ParamsRequest",
    "ParamsView",
    "ProposalDetail",
    "ProposalRequest",
    "ProposalsPage",
    "ProposalsRequest",
    "ScheduleRequest",
    "ScheduleView",
    "ValidatorSetView",
    "ValidatorSetsPage",
    "ValidatorSetsRequest",
    "ValidatorView",
    "ValidatorsRequest",
]
