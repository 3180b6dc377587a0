"""trace actions: product types, items and lots, hand-offs, events, splits and merges.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["trace.register_product", product: str, name: str, steps: [[name: str, role: str], ...]]
    ["trace.create",     item: str, product: str, quantity: uint, metadata: str]
    ["trace.hand_over",  item: str, to: bin(20)]
    ["trace.accept",     item: str, quantity: uint]
    ["trace.cancel",     item: str]
    ["trace.record",     item: str, step: str, note: str]
    ["trace.split",      item: str, parts: [[item: str, quantity: uint], ...]]
    ["trace.merge",      items: [str], into: str]

A hand-off is two transactions, the giver's `hand_over` and the receiver's `accept` (stating
the quantity it counted), so custody moves only with both signatures (main has no
multi-signer transactions). Decoding checks the shape; the rules on values are
apps/trace/process.py's, so a refusal names the rule it broke.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import ADDRESS_BYTES

AddressBytes = Annotated[bytes, msgspec.Meta(min_length=ADDRESS_BYTES, max_length=ADDRESS_BYTES)]
UInt = Annotated[int, msgspec.Meta(ge=0)]


class Step(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """A step every item of a product type must pass; `role` "" means the holder (or a
    registered logistics operator or customs office) records it, else only an institution
    holding that role does ("customs" for "customs_cleared")."""

    name: str
    role: str = ""


class Part(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    item: str
    quantity: UInt


class RegisterProduct(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="trace.register_product",
):
    """A manufacturer registers a product type and the steps its items must pass."""

    product: str
    name: str
    steps: list[Step] = []


class Create(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="trace.create",
):
    """The manufacturer of a product type creates an item (quantity 1) or a lot."""

    item: str
    product: str
    quantity: UInt = 1
    metadata: str = ""


class HandOver(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="trace.hand_over",
):
    """The holder hands the item over to the next holder (who accepts it)."""

    item: str
    to: AddressBytes


class Accept(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="trace.accept",
):
    """The receiver of a hand-off accepts it, stating the quantity it counted."""

    item: str
    quantity: UInt


class Cancel(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="trace.cancel",
):
    """The holder withdraws a hand-off not accepted yet."""

    item: str


class Record(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="trace.record",
):
    """An event along the way (shipped, customs_cleared, received, sold, ...)."""

    item: str
    step: str
    note: str = ""


class Split(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="trace.split",
):
    """The holder splits a lot into new lots (their quantities taken from it)."""

    item: str
    parts: list[Part]


class Merge(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="trace.merge",
):
    """The holder merges lots of one product type into a new lot."""

    items: list[str]
    into: str


ACTIONS: tuple[type[msgspec.Struct], ...] = (
    RegisterProduct,
    Create,
    HandOver,
    Accept,
    Cancel,
    Record,
    Split,
    Merge,
)

__all__ = [
    "ACTIONS",
    "Accept",
    "AddressBytes",
    "Cancel",
    "Create",
    "HandOver",
    "Merge",
    "Part",
    "Record",
    "RegisterProduct",
    "Split",
    "Step",
    "UInt",
]
