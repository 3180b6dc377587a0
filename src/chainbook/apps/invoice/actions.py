"""invoice actions: an invoice issued and paid in one transaction, a number voided before it is
paid, a paid invoice reimbursed once.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["invoice.pay",       offer: Offer, signature: bin(64) | bin(0)]
    ["invoice.void",      number: str, reason: str]
    ["invoice.reimburse", invoice: str, amount: uint]

    Offer = [seller: str, number: str, seller_key: bin(32), buyer: bin(20) | bin(0),
             pay_to: bin(20), token: str, lines: [Line, ...], valid_until_height: uint]
    Line  = [description: str, quantity: uint, unit_price: uint, tax_rate_bps: uint]

The offer is the seller's invoice draft: the buyer carries it in its own transaction and pays
it there. `signature` is the seller key's Ed25519 signature over the offer's sign bytes
(apps/invoice/offer.py), or empty when the seller's key co-signs the transaction instead.

Decoding checks the shape (types, the lengths of keys and addresses); the rules on values
(numbers, lines, amounts, who may act) are apps/invoice/process.py's, so a refusal names the
rule it broke and lands in a failed receipt.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import ADDRESS_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES

AddressBytes = Annotated[bytes, msgspec.Meta(min_length=ADDRESS_BYTES, max_length=ADDRESS_BYTES)]
PublicKeyBytes = Annotated[
    bytes, msgspec.Meta(min_length=PUBLIC_KEY_BYTES, max_length=PUBLIC_KEY_BYTES)
]
OptionalAddress = Annotated[bytes, msgspec.Meta(max_length=ADDRESS_BYTES)]
"""20 bytes, or empty (checked by process: nothing in between)."""
OptionalSignature = Annotated[bytes, msgspec.Meta(max_length=SIGNATURE_BYTES)]
"""64 bytes, or empty (checked by process: nothing in between)."""
UInt = Annotated[int, msgspec.Meta(ge=0)]


class Line(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False):
    """One line item: `quantity` x `unit_price` (base units of the invoice's token), taxed at
    `tax_rate_bps` basis points (apps/invoice/offer.py rounds its tax)."""

    description: str
    quantity: UInt
    unit_price: UInt
    tax_rate_bps: UInt


class Offer(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False):
    """A seller's invoice draft: what the seller authorises, either by signing it (its sign
    bytes, apps/invoice/offer.py) or by co-signing the buyer's transaction that carries it."""

    seller: str
    """The seller institution's id (governance registry, role "taxpayer")."""
    number: str
    """The invoice number, unique within the seller: the invoice's id is "<seller>/<number>"."""
    seller_key: PublicKeyBytes
    """The key of the seller institution that signs (or co-signs) the offer."""
    buyer: OptionalAddress
    """The buyer's account, or empty: whoever pays it first (a shop's checkout code)."""
    pay_to: AddressBytes
    """Where the payment goes (the seller's receiving account)."""
    token: str
    """The token paid: "" the native coin, else an assets token id (apps/tokens.py)."""
    lines: list[Line]
    valid_until_height: UInt
    """The last height at which it may be paid."""


class Pay(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="invoice.pay",
):
    """The buyer pays a seller's offer: the invoice is issued and paid in this transaction.

    Fields: the seller's offer and its signature, or an empty signature when the seller's key
    co-signs this transaction."""

    offer: Offer
    signature: OptionalSignature = b""


class Void(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="invoice.void",
):
    """A key of the seller voids one of its numbers before it is paid: no offer of it pays.

    Fields: the invoice number (the seller is the sender's institution) and a reason."""

    number: str
    reason: str = ""


class Reimburse(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="invoice.reimburse",
):
    """An employer or insurer (the sender) claims a paid invoice, once; the buyer co-signs.

    Fields: the invoice's id "<seller>/<number>" and the amount the sender pays the buyer
    back in the invoice's token now (0: reimbursed outside the chain, e.g. with the salary)."""

    invoice: str
    amount: UInt = 0


ACTIONS: tuple[type[msgspec.Struct], ...] = (Pay, Void, Reimburse)

__all__ = [
    "ACTIONS",
    "AddressBytes",
    "Line",
    "Offer",
    "OptionalAddress",
    "OptionalSignature",
    "Pay",
    "PublicKeyBytes",
    "Reimburse",
    "UInt",
    "Void",
]
