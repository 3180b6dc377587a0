"""Notary queries: read-only, over the committed state (QueryContext.view is the notary's keys).

    anchored(hash)   the anchoring of a document's SHA-256 or a batch's root, or found=false

A document anchored inside a batch is found by its batch's root (in its notary receipt), not
by its own hash: the chain holds only the root (apps/notary/process.py).
"""

from __future__ import annotations

import msgspec

from chainbook.apps.base import Query, QueryContext
from chainbook.apps.notary.actions import HashBytes
from chainbook.apps.notary.process import AnchorKind, get_anchor
from chainbook.types import Address, Hash, Height, TimeMs


class AnchorRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    hash: HashBytes
    """A document's SHA-256, or a batch's root."""


class AnchorInfo(msgspec.Struct, frozen=True):
    hash: Hash
    found: bool
    kind: str = ""
    """"document" or "batch" (empty when not found)."""
    hashes: int = 0
    """1 for a document; the number of documents under a batch root."""
    title: str = ""
    metadata: str = ""
    signer: Address = b""
    height: Height = 0
    """The height of the block that recorded it; 0 for a record the genesis file imported."""
    time_ms: TimeMs = 0
    tx_hash: Hash = b""


def query_anchor(ctx: QueryContext, request: AnchorRequest) -> AnchorInfo:
    """The first anchoring of a digest (a document's SHA-256 or a batch root)."""
    record = get_anchor(ctx.view, request.hash)
    if record is None:
        return AnchorInfo(hash=request.hash, found=False)
    return AnchorInfo(
        hash=request.hash,
        found=True,
        kind="document" if record.kind is AnchorKind.DOCUMENT else "batch",
        hashes=record.hashes,
        title=record.title,
        metadata=record.metadata,
        signer=record.signer,
        height=record.height,
        time_ms=record.time_ms,
        tx_hash=record.tx_hash,
    )


QUERIES = (Query("anchored", AnchorRequest, AnchorInfo, query_anchor),)

__all__ = ["QUERIES", "AnchorInfo", "AnchorRequest", "query_anchor"]
