"""The private module's state: collections, their pending member-list approvals, records.

Keys (relative to the module prefix b"private/"; values canonical MessagePack):

    collection/<collection>          CollectionRecord   members, threshold, purge delay, version
    approvals/<collection>           Approvals          proposals for the next member list
    record/<collection>/<record>     RecordEntry        the salted hash, who recorded it, when
    block                            BlockCount         [height, records added at that height]

Ids never hold "/" (a-z 0-9 . _ -), so a record key names one (collection, record) pair. The
content of a record is not here, nor anywhere in the replicated state: member nodes keep it
in their side store (storage/private_store.py).
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, KVStore
from chainbook.types import Address, Hash, Height

COLLECTION_PREFIX = b"collection/"
APPROVALS_PREFIX = b"approvals/"
RECORD_PREFIX = b"record/"
BLOCK_KEY = b"block"


class CollectionRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    members: list[str]
    """Institution ids, sorted."""
    threshold: int
    """Approvals a new member list needs (1..len(members))."""
    purge_after_blocks: int
    """0: contents are kept; else member nodes delete one at record height + this."""
    version: int
    """1 at creation, + 1 at every member-list change."""
    creator: Address
    created_height: Height
    updated_height: Height
    records: int
    """Records ever added."""


class Proposal(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    members: list[str]
    """Sorted."""
    threshold: int
    approvers: list[str]
    """Member institutions that approved it, sorted; each approves one proposal a version."""


class Approvals(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    version: int
    """The collection version these proposals would replace."""
    proposals: list[Proposal]


class RecordEntry(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    hash: Hash
    """SHA-256(salt || content)."""
    submitter: Address
    institution: str
    """The member institution whose key submitted it."""
    height: Height
    tx_hash: Hash


class BlockCount(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    height: Height
    records: int


def collection_key(collection: str) -> bytes:
    return COLLECTION_PREFIX + collection.encode()


def approvals_key(collection: str) -> bytes:
    return APPROVALS_PREFIX + collection.encode()


def record_key(collection: str, record: str) -> bytes:
    return RECORD_PREFIX + collection.encode() + b"/" + record.encode()


def get_collection(view: KVReader, collection: str) -> CollectionRecord | None:
    raw = view.get(collection_key(collection))
    return None if raw is None else codec.decode(raw, CollectionRecord)


def get_approvals(view: KVReader, collection: str) -> Approvals | None:
    raw = view.get(approvals_key(collection))
    return None if raw is None else codec.decode(raw, Approvals)


def get_record(view: KVReader, collection: str, record: str) -> RecordEntry | None:
    raw = view.get(record_key(collection, record))
    return None if raw is None else codec.decode(raw, RecordEntry)


def get_block_count(view: KVReader) -> BlockCount | None:
    raw = view.get(BLOCK_KEY)
    return None if raw is None else codec.decode(raw, BlockCount)


def compute_purge_at_height(collection: CollectionRecord, record_height: Height) -> Height:
    """The height from which member nodes no longer keep the content (0: never)."""
    if collection.purge_after_blocks == 0:
        return 0
    return record_height + collection.purge_after_blocks


def put(view: KVStore, key: bytes, value: msgspec.Struct) -> None:
    view.set(key, codec.encode(value))


__all__ = [
    "APPROVALS_PREFIX",
    "BLOCK_KEY",
    "COLLECTION_PREFIX",
    "RECORD_PREFIX",
    "Approvals",
    "BlockCount",
    "CollectionRecord",
    "Proposal",
    "RecordEntry",
    "approvals_key",
    "collection_key",
    "compute_purge_at_height",
    "get_approvals",
    "get_block_count",
    "get_collection",
    "get_record",
    "put",
    "record_key",
]
