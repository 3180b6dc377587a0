"""private state transitions: collections of member institutions and salted-hash records.

Rules kept:
- A collection (`private.create_collection`) has an id (1..64 of a-z 0-9 . _ -, unique),
  1..members_max member institutions, each registered and active in the governance registry
  at creation, the sender being a key of one of them; a threshold in 1..members; a purge delay
  (0 or 1..purge_after_blocks_max heights) fixed for its life. Its version starts at 1.
- The member list changes only by the members (`private.approve_members`): a key of an active
  member institution approves a new list and threshold for the current version; an
  institution approves one proposal per version (a new approval moves its own); the proposal
  applies when `threshold` current members approved it (the version + 1, every proposal of
  the old version dropped). The new list obeys the creation rules but need not hold the
  approver (a member may approve its own leaving).
- A record (`private.record`) is a salted hash, SHA-256(salt || content), under an id unique
  in its collection, sent by a key of an active member institution; at most
  records_per_block_max records a block. The content is never in a transaction nor in the
  state: the chain shows everyone that a record exists (collection, record id, hash,
  submitter, institution, height), and member nodes hold the content beside the state
  (core/private_data.py decides what they store and send).
- Membership is judged on the state of the block: an institution revoked in the registry
  stops being a member everywhere at once (no record, no approval, its nodes get no content).
- Every refusal raises before any write.
- Events: `private.collection_created`, `private.members_approved`,
  `private.members_changed`, `private.recorded` (collection, record, hash, submitter,
  institution): the last is what member nodes watch to store or fetch a content.
"""

from __future__ import annotations

import re

import msgspec

from chainbook.apps.base import KVReader, ModuleError, TxContext, TxView
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest
from chainbook.apps.private import limits
from chainbook.apps.private.actions import ApproveMembers, CreateCollection, Record
from chainbook.apps.private.errors import (
    BlockFull,
    CollectionExists,
    InvalidId,
    InvalidMembers,
    InvalidPurge,
    NotAMember,
    RecordExists,
    StaleVersion,
    UnknownCollection,
)
from chainbook.apps.private.state import (
    Approvals,
    BlockCount,
    CollectionRecord,
    Proposal,
    RecordEntry,
    approvals_key,
    collection_key,
    get_approvals,
    get_block_count,
    get_collection,
    get_record,
    put,
    record_key,
)
from chainbook.ledger.receipts import Event

MODULE_NAME = "private"
_ID = re.compile(r"^[a-z0-9._-]+$")


def _event(kind: str, **attributes: str) -> Event:
    return Event(MODULE_NAME, kind, list(attributes.items()))


# --- checks ---------------------------------------------------------------------------------


def verify_id(what: str, value: str, chars_max: int) -> None:
    if not 1 <= len(value) <= chars_max or not _ID.match(value):
        raise InvalidId(
            f"{what} id {value!r}: accepted 1 to {chars_max} characters of a-z 0-9 . _ -"
        )


def ask_institution(view: TxView, ctx: TxContext, request: InstitutionRequest) -> InstitutionAnswer:
    answer: InstitutionAnswer = view.call("governance", "institution", ctx, request)
    return answer


def get_sender_institution(view: TxView, ctx: TxContext) -> str | None:
    """The id of the active institution one of whose keys signed, or None."""
    answer = ask_institution(view, ctx, InstitutionRequest(address=ctx.sender))
    if not answer.authorised or answer.institution is None:
        return None
    return answer.institution.id


def verify_members(view: TxView, ctx: TxContext, members: list[str], threshold: int) -> list[str]:
    """The member list, sorted; refused unless 1..members_max distinct active institutions."""
    if not 1 <= len(members) <= limits.members_max:
        raise InvalidMembers(
            f"{len(members)} members: accepted 1 to {limits.members_max} institution ids"
        )
    if len(set(members)) != len(members):
        raise InvalidMembers(f"members {members} name an institution twice")
    for member in members:
        try:
            answer = ask_institution(view, ctx, InstitutionRequest(id=member))
        except ModuleError as exc:
            raise InvalidMembers(f"member {member!r} is not an institution id: {exc}") from None
        if not answer.authorised:
            state = "revoked" if answer.found else "not registered"
            raise InvalidMembers(
                f"member {member!r} is {state} in the governance registry; members are "
                "active registered institutions"
            )
    if not 1 <= threshold <= len(members):
        raise InvalidMembers(
            f"threshold {threshold}: accepted 1 to {len(members)} (the number of members)"
        )
    return sorted(members)


def verify_purge(purge_after_blocks: int) -> None:
    if purge_after_blocks > limits.purge_after_blocks_max:
        raise InvalidPurge(
            f"purge_after_blocks {purge_after_blocks}: accepted 0 (never) to "
            f"{limits.purge_after_blocks_max}"
        )


def verify_collection_exists(view: KVReader, collection: str) -> CollectionRecord:
    record = get_collection(view, collection)
    if record is None:
        raise UnknownCollection(f"no collection {collection!r}")
    return record


def verify_member_sender(
    view: TxView, ctx: TxContext, collection: str, record: CollectionRecord
) -> str:
    institution = get_sender_institution(view, ctx)
    if institution is None or institution not in record.members:
        who = "no active institution" if institution is None else f"institution {institution!r}"
        raise NotAMember(
            f"{ctx.sender.hex()} is a key of {who}; collection {collection!r} accepts keys of "
            f"its members {record.members}"
        )
    return institution


def verify_block_room(view: KVReader, ctx: TxContext) -> int:
    """Records already added at this height; refused at records_per_block_max."""
    count = get_block_count(view)
    added = count.records if count is not None and count.height == ctx.height else 0
    if added >= limits.records_per_block_max:
        raise BlockFull(
            f"block {ctx.height} holds {added} records, at most {limits.records_per_block_max}; "
            "send it again for a later block"
        )
    return added


# --- state changes --------------------------------------------------------------------------


def process_create_collection(
    view: TxView, ctx: TxContext, action: CreateCollection
) -> list[Event]:
    verify_id("collection", action.collection, limits.collection_id_chars_max)
    verify_purge(action.purge_after_blocks)
    if get_collection(view, action.collection) is not None:
        raise CollectionExists(f"collection {action.collection!r} exists; ids are unique")
    members = verify_members(view, ctx, action.members, action.threshold)
    sender = get_sender_institution(view, ctx)
    if sender is None or sender not in members:
        raise NotAMember(
            f"{ctx.sender.hex()} is not a key of any of the members {members}; a collection is "
            "created by one of its members"
        )
    record = CollectionRecord(
        members=members,
        threshold=action.threshold,
        purge_after_blocks=action.purge_after_blocks,
        version=1,
        creator=ctx.sender,
        created_height=ctx.height,
        updated_height=ctx.height,
        records=0,
    )
    put(view, collection_key(action.collection), record)
    return [
        _event(
            "collection_created",
            collection=action.collection,
            members=",".join(members),
            threshold=str(action.threshold),
            purge_after_blocks=str(action.purge_after_blocks),
            institution=sender,
        )
    ]


def compute_approvals(
    approvals: Approvals | None, version: int, approver: str, members: list[str], threshold: int
) -> tuple[Approvals, Proposal]:
    """The approvals after `approver` approves (members, threshold): its earlier approval of
    this version moves; approvals of an older version are dropped."""
    current = approvals is not None and approvals.version == version
    proposals = approvals.proposals if approvals is not None and current else []
    kept: list[Proposal] = []
    chosen: Proposal | None = None
    for proposal in proposals:
        approvers = [a for a in proposal.approvers if a != approver]
        if proposal.members == members and proposal.threshold == threshold:
            chosen = Proposal(members, threshold, sorted([*approvers, approver]))
            kept.append(chosen)
        elif approvers:
            kept.append(Proposal(proposal.members, proposal.threshold, approvers))
    if chosen is None:
        chosen = Proposal(members, threshold, [approver])
        kept.append(chosen)
    return Approvals(version, kept), chosen


def process_approve_members(view: TxView, ctx: TxContext, action: ApproveMembers) -> list[Event]:
    collection = verify_collection_exists(view, action.collection)
    if action.version != collection.version:
        raise StaleVersion(
            f"collection {action.collection!r} is at version {collection.version}, the approval "
            f"is for version {action.version}; approve the current one"
        )
    approver = verify_member_sender(view, ctx, action.collection, collection)
    members = verify_members(view, ctx, action.members, action.threshold)
    approvals, chosen = compute_approvals(
        get_approvals(view, action.collection), collection.version, approver, members,
        action.threshold,
    )
    counted = [a for a in chosen.approvers if a in collection.members]
    events = [
        _event(
            "members_approved",
            collection=action.collection,
            version=str(collection.version),
            institution=approver,
            approvals=str(len(counted)),
            threshold=str(collection.threshold),
        )
    ]
    if len(counted) < collection.threshold:
        put(view, approvals_key(action.collection), approvals)
        return events
    changed = msgspec.structs.replace(
        collection,
        members=members,
        threshold=action.threshold,
        version=collection.version + 1,
        updated_height=ctx.height,
    )
    put(view, collection_key(action.collection), changed)
    view.delete(approvals_key(action.collection))
    events.append(
        _event(
            "members_changed",
            collection=action.collection,
            version=str(changed.version),
            members=",".join(members),
            threshold=str(action.threshold),
        )
    )
    return events


def process_record(view: TxView, ctx: TxContext, action: Record) -> list[Event]:
    verify_id("collection", action.collection, limits.collection_id_chars_max)
    verify_id("record", action.record, limits.record_id_chars_max)
    collection = verify_collection_exists(view, action.collection)
    institution = verify_member_sender(view, ctx, action.collection, collection)
    earlier = get_record(view, action.collection, action.record)
    if earlier is not None:
        raise RecordExists(
            f"record {action.record!r} of collection {action.collection!r} was recorded at "
            f"height {earlier.height} by {earlier.submitter.hex()}; record ids are unique in "
            "a collection"
        )
    added = verify_block_room(view, ctx)
    entry = RecordEntry(action.hash, ctx.sender, institution, ctx.height, ctx.tx_hash)
    put(view, record_key(action.collection, action.record), entry)
    put(view, collection_key(action.collection),
        msgspec.structs.replace(collection, records=collection.records + 1))
    put(view, b"block", BlockCount(ctx.height, added + 1))
    return [
        _event(
            "recorded",
            collection=action.collection,
            record=action.record,
            hash=action.hash.hex(),
            submitter=ctx.sender.hex(),
            institution=institution,
        )
    ]


def process(view: TxView, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The private module's entry point: dispatch on the action type."""
    match action:
        case CreateCollection():
            return process_create_collection(view, ctx, action)
        case ApproveMembers():
            return process_approve_members(view, ctx, action)
        case Record():
            return process_record(view, ctx, action)
    raise AssertionError(f"private received a foreign action {type(action).__name__}")



__all__ = [
    "MODULE_NAME",
    "compute_approvals",
    "process",
    "process_approve_members",
    "process_create_collection",
    "process_record",
    "verify_id",
    "verify_members",
]


