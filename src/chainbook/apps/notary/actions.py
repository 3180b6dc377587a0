"""Notary actions: anchor a document's SHA-256, alone or as one of a batch under a Merkle root.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["notary.anchor",       hash: bin(32), title: str, metadata: str]
    ["notary.anchor_batch", root: bin(32), hashes: uint, title: str, metadata: str]

The document itself never goes on chain, only its SHA-256. A batch carries the RFC 6962 root
(chainbook.merkle) over its documents' hashes, leaf i being the 32-byte SHA-256 of document i,
and the number of leaves: each document's audit path under that root is kept by the client,
in that document's notary receipt (cli/notary.py), so a batch of any size costs the chain one
record and every document still has a receipt of its own.

Decoding checks the shape (32-byte hashes); the rules on values (sizes, counts, a digest
anchored once) are apps/notary/process.py's, so a refusal names the rule it broke.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import HASH_BYTES

HashBytes = Annotated[bytes, msgspec.Meta(min_length=HASH_BYTES, max_length=HASH_BYTES)]


class Anchor(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="notary.anchor",
):
    """Record that a document with this SHA-256 exists now (the first anchoring counts)."""

    hash: HashBytes
    title: str = ""
    metadata: str = ""


class AnchorBatch(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="notary.anchor_batch",
):
    """Record the RFC 6962 root over many documents' SHA-256 (each proven by its audit path)."""

    root: HashBytes
    hashes: int
    """The number of documents (leaves) under `root`."""
    title: str = ""
    metadata: str = ""


ACTIONS: tuple[type[msgspec.Struct], ...] = (Anchor, AnchorBatch)

__all__ = ["ACTIONS", "Anchor", "AnchorBatch", "HashBytes"]
