"""Receipts and events: what executing a transaction did, agreed by every node.

A receipt is part of what the app hash commits to, so a node that reached a different outcome
for any transaction (ok vs failed, or other events) computes a different app hash and halts
instead of forking silently.
"""

from __future__ import annotations

import msgspec

from chainbook.types import Hash, Height


class Event(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """Something an app module reports, e.g. ("bank", "transfer", [("from", ..), ...])."""

    module: str
    kind: str
    attributes: list[tuple[str, str]]


class Receipt(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    tx_hash: Hash
    height: Height
    index: int
    """Position of the transaction in its block (its Merkle leaf index)."""
    ok: bool
    error: str
    """Empty when ok; otherwise the reason the action was refused (the nonce still advances)."""
    events: list[Event]


__all__ = ["Event", "Receipt"]
