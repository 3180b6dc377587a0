"""assets actions: fungible tokens of registered issuers, and unique registered assets.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["assets.create_token",   token: str, name: str, decimals: uint, supply_max: uint,
                              freezable: bool]
    ["assets.mint",           token: str, to: bin(20), amount: uint]
    ["assets.burn",           token: str, amount: uint]
    ["assets.transfer",       token: str, to: bin(20), amount: uint, memo: str]
    ["assets.freeze",         token: str, account: bin(20)]
    ["assets.unfreeze",       token: str, account: bin(20)]
    ["assets.register_asset", asset_id: str, metadata_hash: bin(32), owner: bin(20)]
    ["assets.transfer_asset", asset_id: str, to: bin(20)]

Decoding checks the shape (types, lengths of addresses and hashes); the rules on values
(symbols, amounts, who may act) are apps/assets/fungible.py's and unique.py's, so that a
refusal names the rule it broke and lands in a failed receipt.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import ADDRESS_BYTES, HASH_BYTES
from chainbook.types import Amount

AddressBytes = Annotated[bytes, msgspec.Meta(min_length=ADDRESS_BYTES, max_length=ADDRESS_BYTES)]
HashBytes = Annotated[bytes, msgspec.Meta(min_length=HASH_BYTES, max_length=HASH_BYTES)]
UInt = Annotated[int, msgspec.Meta(ge=0)]


class CreateToken(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="assets.create_token",
):
    """A registered issuer creates a token (its id is its symbol), freezable or not for ever.

    Fields: the symbol, a name, decimals, an optional hard cap (0: none) and whether its
    issuer may freeze accounts."""

    token: str
    name: str
    decimals: UInt
    supply_max: UInt = 0
    freezable: bool = False


class Mint(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="assets.mint",
):
    """The token's issuer creates `amount` new units for `to`, within the cap."""

    token: str
    to: AddressBytes
    amount: Amount


class Burn(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="assets.burn",
):
    """The token's issuer destroys `amount` units of its own balance (e.g. redeemed ones)."""

    token: str
    amount: Amount


class Transfer(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="assets.transfer",
):
    """Move `amount` units of a token from the sender to `to`."""

    token: str
    to: AddressBytes
    amount: Amount
    memo: str = ""


class Freeze(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="assets.freeze",
):
    """The issuer of a freezable token stops an account from sending or receiving it."""

    token: str
    account: AddressBytes


class Unfreeze(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="assets.unfreeze",
):
    """The issuer lifts a freeze."""

    token: str
    account: AddressBytes


class RegisterAsset(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="assets.register_asset",
):
    """Register a unique asset (a title, a certificate, a work of art) under a new id.

    With the SHA-256 of its metadata document (kept off chain) and its owner."""

    asset_id: str
    metadata_hash: HashBytes
    owner: AddressBytes


class TransferAsset(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="assets.transfer_asset",
):
    """The owner transfers a registered asset to another account."""

    asset_id: str
    to: AddressBytes


ACTIONS: tuple[type[msgspec.Struct], ...] = (
    CreateToken,
    Mint,
    Burn,
    Transfer,
    Freeze,
    Unfreeze,
    RegisterAsset,
    TransferAsset,
)

__all__ = [
    "ACTIONS",
    "AddressBytes",
    "Burn",
    "CreateToken",
    "Freeze",
    "HashBytes",
    "Mint",
    "RegisterAsset",
    "Transfer",
    "TransferAsset",
    "UInt",
    "Unfreeze",
]
