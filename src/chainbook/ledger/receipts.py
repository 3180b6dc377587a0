"""Receipts and events: what executing a transaction did, agreed by every node.

Rules kept:
- Every header commits to the outcome of every transaction of its block through
  `receipts_root`, an RFC 6962 Merkle root (chainbook.merkle) over the block's receipts, leaf i
  being the receipt of tx i:

      leaf   = MessagePack([tx_hash, ok, code, error, events])
      events = [[module, kind, [[name, value], ...]], ...]

  so a receipt's audit path proves its outcome (ok, the error code and message, the events)
  against the header as the txs root proves its inclusion; an empty block's root is
  SHA-256("").
- A node that reached another outcome for any transaction computes another receipts root and
  refuses the block instead of forking silently.
- `code` is the stable name of the refusal (`<module>.<reason>` for a module's ModuleError,
  chainbook.errors codes otherwise), empty when ok; `error` is the message for people.
- Block-level events (begin_block hooks: the bank's mint) are not transaction outcomes and are
  not in the receipts root; what they do is in the state, which the next header's app_hash
  commits to (a mint is proven by the proposer's balance and bank/minted).
"""

from __future__ import annotations

import msgspec

from chainbook import codec, merkle
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
    code: str
    """Empty when ok; otherwise the refusal's stable code, e.g. "bank.insufficient_funds"."""
    error: str
    """Empty when ok; otherwise the reason the action was refused (the nonce still advances)."""
    events: list[Event]


def encode_receipt_leaf(receipt: Receipt) -> bytes:
    """Leaf `receipt.index` of the block's receipts tree (the module docstring)."""
    return codec.encode((receipt.tx_hash, receipt.ok, receipt.code, receipt.error, receipt.events))


def compute_receipts_root(receipts: list[Receipt]) -> Hash:
    """The header's receipts_root: RFC 6962 over the receipt leaves, in block order."""
    return merkle.root([encode_receipt_leaf(r) for r in receipts])


__all__ = [
    "Event",
    "Receipt",
    "compute_receipts_root",
    "encode_receipt_leaf",
]
