"""settlement actions: payment versus payment, offers for parties not online together, and
hashed time-locked transfers.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["settlement.swap",       counterparty: bin(20), give_token: str, give_amount: uint,
                              get_token: str, get_amount: uint, memo: str]
    ["settlement.make_offer", give_token: str, give_amount: uint, want_token: str,
                              want_amount: uint, expiry_height: uint, taker: bin(0|20),
                              memo: str]
    ["settlement.accept",     offer_id: uint]
    ["settlement.cancel",     offer_id: uint]
    ["settlement.reclaim",    offer_id: uint]
    ["settlement.make_lock",  recipient: bin(20), token: str, amount: uint, hash_lock: bin(32),
                              deadline_height: uint, memo: str]
    ["settlement.claim",      lock_id: uint, preimage: bin]
    ["settlement.refund",     lock_id: uint]

A token is named by its id (apps/tokens.py): "" for the native coin, else an assets symbol.
Decoding checks the shape (types, the lengths of addresses and hashes); the rules on values
(amounts, tokens, heights, who may act, the preimage's size) are the module's, so that a
refusal names the rule it broke and lands in a failed receipt.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import ADDRESS_BYTES, HASH_BYTES

AddressBytes = Annotated[bytes, msgspec.Meta(min_length=ADDRESS_BYTES, max_length=ADDRESS_BYTES)]
OptionalAddressBytes = Annotated[bytes, msgspec.Meta(max_length=ADDRESS_BYTES)]
"""Empty (nobody in particular) or a 20-byte address; any other length is refused by the
module (settlement.invalid_party), which names it."""
HashBytes = Annotated[bytes, msgspec.Meta(min_length=HASH_BYTES, max_length=HASH_BYTES)]
UInt = Annotated[int, msgspec.Meta(ge=0)]
RecordId = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
"""An offer or lock id (ids count from 1; msgspec bounds integers to int64)."""


class Swap(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="settlement.swap",
):
    """Payment versus payment: two legs in one transaction both parties sign, both or neither.

    The sender pays `give` to the counterparty, a co-signer of the same transaction, who pays
    `get` to the sender."""

    counterparty: AddressBytes
    give_token: str
    give_amount: UInt
    get_token: str
    get_amount: UInt
    memo: str = ""


class MakeOffer(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="settlement.make_offer",
):
    """Escrow `give` until `expiry_height` for whoever pays `want` (or only `taker`)."""

    give_token: str
    give_amount: UInt
    want_token: str
    want_amount: UInt
    expiry_height: UInt
    """The last height at which the offer may be accepted; after it, it can be reclaimed."""
    taker: OptionalAddressBytes = b""
    """Empty: anyone may accept; else only this account."""
    memo: str = ""


class Accept(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="settlement.accept",
):
    """Pay an open offer's `want` to its maker and receive its escrowed `give`, at once."""

    offer_id: RecordId


class Cancel(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="settlement.cancel",
):
    """The maker withdraws an open offer; its escrow goes back to the maker."""

    offer_id: RecordId


class Reclaim(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="settlement.reclaim",
):
    """Anyone returns an expired open offer's escrow to its maker."""

    offer_id: RecordId


class MakeLock(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="settlement.make_lock",
):
    """Lock an amount for a recipient, claimable with a SHA-256 preimage until a deadline.

    `hash_lock` is SHA-256 of the preimage; `deadline_height` the last height of a claim."""

    recipient: AddressBytes
    token: str
    amount: UInt
    hash_lock: HashBytes
    deadline_height: UInt
    """The last height at which the recipient may claim; after it, the sender is refunded."""
    memo: str = ""


class Claim(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="settlement.claim",
):
    """The recipient takes a lock's amount by showing the preimage (it becomes public)."""

    lock_id: RecordId
    preimage: bytes


class Refund(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="settlement.refund",
):
    """Anyone returns an unclaimed lock's amount to its sender once its deadline has passed."""

    lock_id: RecordId


ACTIONS: tuple[type[msgspec.Struct], ...] = (
    Swap, MakeOffer, Accept, Cancel, Reclaim, MakeLock, Claim, Refund,
)

__all__ = [
    "ACTIONS",
    "Accept",
    "AddressBytes",
    "Cancel",
    "Claim",
    "HashBytes",
    "MakeLock",
    "MakeOffer",
    "OptionalAddressBytes",
    "Reclaim",
    "RecordId",
    "Refund",
    "Swap",
    "UInt",
]
