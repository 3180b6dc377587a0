"""royalty actions: register a work with its split table and prices, pay for uses, change the
split (co-signed by every holder whose share falls), change the prices.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["royalty.register",     work: str, title: str, metadata_hash: bin(32),
                             split: [[holder: bin(20), share: uint], ...],
                             prices: [[use: str, price: uint], ...], token: str]
    ["royalty.pay",          work: str, use: str, uses: uint, amount: uint, reference: str]
    ["royalty.change_split", work: str, version: uint, split: [[holder: bin(20), share: uint], ...]]
    ["royalty.set_prices",   work: str, prices: [[use: str, price: uint], ...]]

Shares are basis points (1/100 of a per cent) summing to 10,000. `token` is the token id of
chainbook.apps.tokens: "" for the native coin, else a symbol the assets module issued. A
payment states the `amount` it agrees to pay, which must equal price x uses: a price changed
after the payer signed refuses the payment instead of charging more.

Decoding checks the shape (types, lengths of addresses and hashes, no negative integer); the
rules on values (ids, shares, limits, who may act) are apps/royalty/rules.py's and
process.py's, so a refusal names the rule it broke and lands in a failed receipt.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import ADDRESS_BYTES, HASH_BYTES

AddressBytes = Annotated[bytes, msgspec.Meta(min_length=ADDRESS_BYTES, max_length=ADDRESS_BYTES)]
HashBytes = Annotated[bytes, msgspec.Meta(min_length=HASH_BYTES, max_length=HASH_BYTES)]
UInt = Annotated[int, msgspec.Meta(ge=0)]


class Share(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False):
    """One line of a split table: a holder and its share in basis points."""

    holder: AddressBytes
    share: UInt


class Price(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False):
    """One line of a price table: a use kind and its price per use, in the work's token."""

    use: str
    price: UInt


class Register(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="royalty.register",
):
    """A rights manager registers a work: its split table, its prices per use and the token.

    The work id is new (first come first served); the metadata hash is the SHA-256 of its
    metadata document (kept off chain)."""

    work: str
    title: str
    metadata_hash: HashBytes
    split: list[Share]
    prices: list[Price]
    token: str = ""


class Pay(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="royalty.pay",
):
    """Pay for `uses` uses of a work (`amount` = price x uses), split to every holder at once.

    A non-empty reference (a licence or invoice number) is unique per work."""

    work: str
    use: str
    uses: UInt
    amount: UInt
    reference: str = ""


class ChangeSplit(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="royalty.change_split",
):
    """Replace a work's split table; every holder whose share falls must sign.

    `version` is the split being replaced (the work's current one), so signatures gathered
    for one table cannot change a newer one."""

    work: str
    version: UInt
    split: list[Share]


class SetPrices(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="royalty.set_prices",
):
    """The work's rights manager replaces its price table (the token stays)."""

    work: str
    prices: list[Price]


ACTIONS: tuple[type[msgspec.Struct], ...] = (Register, Pay, ChangeSplit, SetPrices)

__all__ = [
    "ACTIONS",
    "AddressBytes",
    "ChangeSplit",
    "HashBytes",
    "Pay",
    "Price",
    "Register",
    "SetPrices",
    "Share",
    "UInt",
]
