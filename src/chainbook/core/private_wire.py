"""The private-data messages, input and outputs of the node core (core/private_data.py).

Wire messages (tagged arrays, one per p2p frame, decoded by core/wire.py with the others):

    ["private_push", collection: str, record: str, salt: bin(32), content: bin]
        a record's content, sent only to peers whose node is a member's (at submission, and
        as the answer to a pull)
    ["private_pull", collection: str, record: str]
        a member node asks another member node for a content it lacks

Their bounds are part of the types, so the decoder refuses a frame over them (the peer is
then dropped as for any malformed frame): ids as apps/private/limits.py, the salt exactly
salt_bytes, the content at most content_bytes_max.

Input: `PrivateSubmitted`, a content the node's own API accepted from a client (checked by
`verify_local_submission` first). Outputs (core/outputs.py lists them with the others):
`SavePrivateData` (write a content into the side store; idempotent), `PurgePrivateData`
(delete every content whose purge height is reached). Neither has durability needs before
the outputs after it: a content lost in a crash is fetched again from another member.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.apps.private import limits
from chainbook.types import Hash, Height

CollectionId = Annotated[str, msgspec.Meta(min_length=1, max_length=limits.collection_id_chars_max)]
RecordId = Annotated[str, msgspec.Meta(min_length=1, max_length=limits.record_id_chars_max)]
Salt = Annotated[bytes, msgspec.Meta(min_length=limits.salt_bytes, max_length=limits.salt_bytes)]
Content = Annotated[bytes, msgspec.Meta(max_length=limits.content_bytes_max)]


class PrivatePush(msgspec.Struct, array_like=True, frozen=True, tag="private_push"):
    collection: CollectionId
    record: RecordId
    salt: Salt
    content: Content


class PrivatePull(msgspec.Struct, array_like=True, frozen=True, tag="private_pull"):
    collection: CollectionId
    record: RecordId


class PrivateSubmitted(msgspec.Struct, frozen=True):
    """A content from a client of this node, for a `private.record` it signed."""

    collection: str
    record: str
    salt: bytes
    content: bytes


class SavePrivateData(msgspec.Struct, frozen=True):
    """Store a content beside the state (replacing the same record's: the same bytes)."""

    collection: str
    record: str
    hash: Hash
    salt: bytes
    content: bytes
    height: Height
    """The height of its on-chain record."""
    purge_at_height: Height
    """Delete it once this height is committed (0: never)."""


class PurgePrivateData(msgspec.Struct, frozen=True):
    """Delete every stored content whose purge_at_height is in 1..height."""

    height: Height


__all__ = [
    "PrivatePull",
    "PrivatePush",
    "PrivateSubmitted",
    "PurgePrivateData",
    "SavePrivateData",
]
