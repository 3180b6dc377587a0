"""private queries: read-only, over the committed state; each is provable (?prove=true).

    collection(collection)              its members, threshold, purge delay, version, records,
                                        and the member-list proposals being approved
    recorded(collection, record)        a record's salted hash, submitter, institution, height
                                        and the height its content is purged at (0: never)
    member_node(collection, public_key) whether the node with this Ed25519 key is a node of a
                                        member: one of the keys of an active member
                                        institution (what a node asks before it sends or
                                        accepts a content; core/private_data.py)

The content of a record is not in the state, so no query returns it: a member reads it from
its own node (GET /private/<collection>/<record>, api/private_routes.py), where it is not
provable; its hash, here, is.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.apps.base import Query, QueryContext
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest
from chainbook.apps.private.state import (
    compute_purge_at_height,
    get_approvals,
    get_collection,
    get_record,
)
from chainbook.types import Address, Hash, Height

PublicKeyBytes = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]


class CollectionRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    collection: str


class ProposalView(msgspec.Struct, frozen=True):
    members: list[str]
    threshold: int
    approvers: list[str]


class CollectionView(msgspec.Struct, frozen=True):
    collection: str
    found: bool
    members: list[str] = []
    threshold: int = 0
    purge_after_blocks: int = 0
    version: int = 0
    creator: Address = b""
    created_height: Height = 0
    updated_height: Height = 0
    records: int = 0
    proposals: list[ProposalView] = []
    """Member lists being approved for the current version."""


class RecordRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    collection: str
    record: str


class RecordView(msgspec.Struct, frozen=True):
    collection: str
    record: str
    found: bool
    hash: Hash = b""
    """SHA-256(salt || content)."""
    submitter: Address = b""
    institution: str = ""
    height: Height = 0
    tx_hash: Hash = b""
    purge_at_height: Height = 0
    """Member nodes keep the content below this height (0: for ever)."""


class MemberNodeRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    collection: str
    public_key: PublicKeyBytes
    """A node id: the node's Ed25519 public key (what its TLS certificate binds)."""


class MemberNodeView(msgspec.Struct, frozen=True):
    collection: str
    member: bool
    """The collection exists and the key is one of an active member institution's keys."""
    institution: str = ""
    """The institution holding the key ("" if none is active)."""


def query_collection(ctx: QueryContext, request: CollectionRequest) -> CollectionView:
    """A collection: members, threshold, purge delay, version, records, pending approvals."""
    record = get_collection(ctx.view, request.collection)
    if record is None:
        return CollectionView(collection=request.collection, found=False)
    approvals = get_approvals(ctx.view, request.collection)
    proposals = (
        [ProposalView(p.members, p.threshold, p.approvers) for p in approvals.proposals]
        if approvals is not None and approvals.version == record.version
        else []
    )
    return CollectionView(
        collection=request.collection,
        found=True,
        members=record.members,
        threshold=record.threshold,
        purge_after_blocks=record.purge_after_blocks,
        version=record.version,
        creator=record.creator,
        created_height=record.created_height,
        updated_height=record.updated_height,
        records=record.records,
        proposals=proposals,
    )


def query_record(ctx: QueryContext, request: RecordRequest) -> RecordView:
    """A record's salted hash, who recorded it and when (never its content)."""
    collection = get_collection(ctx.view, request.collection)
    entry = get_record(ctx.view, request.collection, request.record)
    if collection is None or entry is None:
        return RecordView(collection=request.collection, record=request.record, found=False)
    return RecordView(
        collection=request.collection,
        record=request.record,
        found=True,
        hash=entry.hash,
        submitter=entry.submitter,
        institution=entry.institution,
        height=entry.height,
        tx_hash=entry.tx_hash,
        purge_at_height=compute_purge_at_height(collection, entry.height),
    )


def query_member_node(ctx: QueryContext, request: MemberNodeRequest) -> MemberNodeView:
    """Whether a node (by its public key) belongs to an active member of a collection."""
    collection = get_collection(ctx.view, request.collection)
    if collection is None:
        return MemberNodeView(collection=request.collection, member=False)
    answer: InstitutionAnswer = ctx.ask(
        "governance", "institution", InstitutionRequest(public_key=request.public_key)
    )
    if not answer.authorised or answer.institution is None:
        return MemberNodeView(collection=request.collection, member=False)
    institution = answer.institution.id
    return MemberNodeView(
        collection=request.collection,
        member=institution in collection.members,
        institution=institution,
    )


QUERIES = (
    Query("collection", CollectionRequest, CollectionView, query_collection),
    Query("recorded", RecordRequest, RecordView, query_record),
    Query("member_node", MemberNodeRequest, MemberNodeView, query_member_node),
)

__all__ = [
    "QUERIES",
    "CollectionRequest",
    "CollectionView",
    "MemberNodeRequest",
    "MemberNodeView",
    "ProposalView",
    "RecordRequest",
    "RecordView",
    "query_collection",
    "query_member_node",
    "query_record",
]
