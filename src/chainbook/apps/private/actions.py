"""private actions: create a collection, approve a new member list, record a salted hash.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["private.create_collection", collection: str, members: [str, ...], threshold: uint,
                                  purge_after_blocks: uint]
    ["private.approve_members",   collection: str, version: uint, members: [str, ...],
                                  threshold: uint]
    ["private.record",            collection: str, record: str, hash: bin(32)]

`members` are institution ids of the governance registry. `hash` is
SHA-256(salt || content) with a 32-byte salt the submitter draws at random
(apps/private/content.py): the content itself never goes on chain, nor in any transaction.

Decoding checks the shape; the rules on values are apps/private/process.py's, so a refusal
names the rule it broke.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import HASH_BYTES

HashBytes = Annotated[bytes, msgspec.Meta(min_length=HASH_BYTES, max_length=HASH_BYTES)]
UInt = Annotated[int, msgspec.Meta(ge=0)]


class CreateCollection(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="private.create_collection",
):
    """Create a collection of member institutions that share private records."""

    collection: str
    members: list[str]
    """Institution ids (the sender's institution among them), each registered and active."""
    threshold: UInt = 1
    """How many members approve a new member list (1..len(members))."""
    purge_after_blocks: UInt = 0
    """Member nodes delete a record's content this many blocks after its record (0: keep)."""


class ApproveMembers(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="private.approve_members",
):
    """Approve a new member list (and threshold); it applies at `threshold` approvals."""

    collection: str
    version: UInt
    """The collection's current version (an approval of an older list cannot apply later)."""
    members: list[str]
    threshold: UInt = 1


class Record(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="private.record",
):
    """Record the salted hash of a private content in a collection (members hold the content)."""

    collection: str
    record: str
    """Unique in the collection; visible to everyone, so it should say nothing private."""
    hash: HashBytes
    """SHA-256(salt || content)."""


ACTIONS: tuple[type[msgspec.Struct], ...] = (CreateCollection, ApproveMembers, Record)

__all__ = ["ACTIONS", "ApproveMembers", "CreateCollection", "HashBytes", "Record"]
