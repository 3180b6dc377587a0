"""Notary state transitions: proof of existence, one record per anchored digest.

State (keys relative to the module prefix b"notary/"; values canonical MessagePack):

    anchor/<digest 32 bytes>   AnchorRecord   the first (and only) anchoring of that digest

Rules kept:
- The document never goes on chain: an anchoring records a 32-byte digest, a title
  (0..title_bytes_max bytes of UTF-8) and metadata (0..metadata_bytes_max), with who signed
  it, at which height, block time and transaction. The digest is a document's SHA-256
  (notary.anchor) or the RFC 6962 root over a batch of them (notary.anchor_batch, 1 to
  batch_hashes_max documents; apps/notary/batch.py gives the tree and the audit paths).
- A digest is anchored once: a second anchoring of the same digest is refused
  (notary.already_anchored), naming the first one (height, time, signer, transaction), and
  changes nothing. Why refuse rather than record it again: what proves that a document
  existed at a time is its *first* anchoring; a later one proves less and, if recorded,
  would let a reader mistake it for the proof. Refusing makes every successful receipt of an
  anchoring the earliest one the chain holds, which an offline verifier can then say without
  asking a node, and a client that anchors a document twice learns where the proof already
  is. It records existence, not possession: a second party holding the same document is
  told who anchored it first (the ip module records who claims a work).
- A document inside a batch is known to the chain only through the batch's root, so it can
  be anchored again alone or in another batch: its earliest receipt is still its proof, and
  `notary anchor` of the CLI anchors a batch's documents as one root.
- Every refusal raises before any write (the ledger also discards a refused action's writes).
- Anchorings imported by the genesis file (an earlier register moved onto the chain) are
  records at height 0 with the time and signer the genesis file states; no transaction
  proves them, a state proof of this module's `anchored` query does.
- Events: none. A successful anchoring's receipt says everything: its transaction states the
  digest, title and metadata, its receipt's `ok` that it was the first (the house rule:
  events report only what a transaction does not state).
"""

from __future__ import annotations

import enum

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, KVStore, TxContext
from chainbook.apps.notary import limits
from chainbook.apps.notary.actions import Anchor, AnchorBatch
from chainbook.apps.notary.errors import AlreadyAnchored, InvalidBatch, TextTooLong
from chainbook.apps.notary.genesis import NotaryGenesis
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Hash, Height, TimeMs

MODULE_NAME = "notary"
ANCHOR_PREFIX = b"anchor/"


class AnchorKind(enum.IntEnum):
    DOCUMENT = 0
    """The digest is one document's SHA-256."""
    BATCH = 1
    """The digest is the RFC 6962 root over `hashes` documents' SHA-256."""


class AnchorRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    kind: AnchorKind
    hashes: int
    """1 for a document; the number of leaves under a batch root."""
    title: str
    metadata: str
    signer: Address
    """Who anchored it (the transaction's sender); for an imported record, the address the
    genesis file gives, or empty."""
    height: Height
    """0 for a record imported by the genesis file."""
    time_ms: TimeMs
    """The block time; for an imported record, the original time the genesis file gives."""
    tx_hash: Hash
    """Empty for a record imported by the genesis file."""


# --- pure accessors -------------------------------------------------------------------------


def anchor_key(digest: Hash) -> bytes:
    return ANCHOR_PREFIX + digest


def get_anchor(view: KVReader, digest: Hash) -> AnchorRecord | None:
    raw = view.get(ANCHOR_PREFIX + digest)
    return None if raw is None else codec.decode(raw, AnchorRecord)


def compute_utf8_bytes(text: str) -> int:
    # str.isascii() is O(1) in CPython: an ASCII text's UTF-8 size is its length (no copy).
    return len(text) if text.isascii() else len(text.encode())


def describe_anchor(digest: Hash, record: AnchorRecord) -> str:
    """The first anchoring, in words, for a refusal or a CLI line."""
    if record.height == 0:
        where = f"imported by the genesis file (recorded at time_ms {record.time_ms})"
    else:
        where = (
            f"at height {record.height} (block time_ms {record.time_ms}) in transaction "
            f"{record.tx_hash.hex()}"
        )
    who = record.signer.hex() if record.signer else "an unnamed signer"
    what = "document" if record.kind is AnchorKind.DOCUMENT else f"batch of {record.hashes}"
    return f"{digest.hex()} was anchored first ({what}) by {who} {where}"


# --- checks ---------------------------------------------------------------------------------


def verify_text(title: str, metadata: str) -> None:
    title_bytes = compute_utf8_bytes(title)
    if title_bytes > limits.title_bytes_max:
        raise TextTooLong(
            f"title is {title_bytes} bytes of UTF-8, at most {limits.title_bytes_max} accepted"
        )
    metadata_bytes = compute_utf8_bytes(metadata)
    if metadata_bytes > limits.metadata_bytes_max:
        raise TextTooLong(
            f"metadata is {metadata_bytes} bytes of UTF-8, at most "
            f"{limits.metadata_bytes_max} accepted"
        )


def verify_batch_size(hashes: int) -> None:
    if not 1 <= hashes <= limits.batch_hashes_max:
        raise InvalidBatch(
            f"a batch holds {hashes} documents; accepted 1 to {limits.batch_hashes_max}"
        )


def verify_not_anchored(view: KVReader, digest: Hash) -> None:
    first = get_anchor(view, digest)
    if first is not None:
        raise AlreadyAnchored(
            f"{describe_anchor(digest, first)}; a digest is anchored once, and that first "
            "receipt is the proof of existence (fetch it with chainbook receipt get)"
        )


# --- state changes --------------------------------------------------------------------------


def process_record(view: KVStore, digest: Hash, record: AnchorRecord) -> None:
    view.set(ANCHOR_PREFIX + digest, codec.encode(record))


def process_anchor(view: KVStore, ctx: TxContext, action: Anchor) -> list[Event]:
    verify_text(action.title, action.metadata)
    verify_not_anchored(view, action.hash)
    record = AnchorRecord(
        AnchorKind.DOCUMENT,
        1,
        action.title,
        action.metadata,
        ctx.sender,
        ctx.height,
        ctx.time_ms,
        ctx.tx_hash,
    )
    process_record(view, action.hash, record)
    return []


def process_anchor_batch(view: KVStore, ctx: TxContext, action: AnchorBatch) -> list[Event]:
    verify_batch_size(action.hashes)
    verify_text(action.title, action.metadata)
    verify_not_anchored(view, action.root)
    record = AnchorRecord(
        AnchorKind.BATCH,
        action.hashes,
        action.title,
        action.metadata,
        ctx.sender,
        ctx.height,
        ctx.time_ms,
        ctx.tx_hash,
    )
    process_record(view, action.root, record)
    return []


def process(view: KVStore, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The notary's entry point: dispatch on the action type."""
    match action:
        case Anchor():
            return process_anchor(view, ctx, action)
        case AnchorBatch():
            return process_anchor_batch(view, ctx, action)
    raise AssertionError(f"notary received a foreign action {type(action).__name__}")


def process_genesis(view: KVStore, section: NotaryGenesis) -> None:
    """The genesis hook: write the imported anchorings (checked by verify_notary_genesis)."""
    for entry in section.anchors:
        kind = AnchorKind.BATCH if entry.kind == "batch" else AnchorKind.DOCUMENT
        signer = bytes.fromhex(entry.signer)
        record = AnchorRecord(
            kind, entry.hashes, entry.title, entry.metadata, signer, 0, entry.time_ms, b""
        )
        process_record(view, bytes.fromhex(entry.hash), record)


__all__ = [
    "ANCHOR_PREFIX",
    "MODULE_NAME",
    "AnchorKind",
    "AnchorRecord",
    "anchor_key",
    "compute_utf8_bytes",
    "describe_anchor",
    "get_anchor",
    "process",
    "process_anchor",
    "process_anchor_batch",
    "process_genesis",
    "verify_batch_size",
    "verify_not_anchored",
    "verify_text",
]
