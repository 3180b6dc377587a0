"""Bank actions: what a transaction may ask of the native coin.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["bank.transfer",       to: bin(20), amount: uint, memo: str]
    ["bank.multi_transfer", outputs: [[to: bin(20), amount: uint], ...], memo: str]

Actions are declared gc=False: they are immutable and hold no reference back to anything, so
they can never be part of a reference cycle (the cyclic collector need not track them).

Decoding checks the shape (types, 20-byte addresses); the rules on values (amount > 0, memo
bytes, number of outputs, funds) are checked by apps/bank/process.py, so that a refusal names
the rule it broke and lands in a failed receipt.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import ADDRESS_BYTES
from chainbook.types import Amount

AddressBytes = Annotated[bytes, msgspec.Meta(min_length=ADDRESS_BYTES, max_length=ADDRESS_BYTES)]


class Transfer(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="bank.transfer",
):
    """Move `amount` from the sender to `to`."""

    to: AddressBytes
    amount: Amount
    memo: str = ""


class Output(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False):
    to: AddressBytes
    amount: Amount


class MultiTransfer(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="bank.multi_transfer",
):
    """Pay several recipients at once, all or nothing (e.g. a payroll)."""

    outputs: list[Output]
    memo: str = ""


ACTIONS: tuple[type[msgspec.Struct], ...] = (Transfer, MultiTransfer)

__all__ = ["ACTIONS", "AddressBytes", "MultiTransfer", "Output", "Transfer"]
