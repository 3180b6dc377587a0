"""ip actions: register a work, license it, transfer it.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["ip.register",      work: bin(32), title: str, author: str, metadata: str]
    ["ip.grant_licence", work: bin(32), licensee: bin(20), scope: str, unit: str,
                         start: uint, end: uint]
    ["ip.transfer",      work: bin(32), to: bin(20)]

`work` is the SHA-256 of the work (the work itself never goes on chain). A licence's period is
[start, end) in block heights (unit "height") or block time in milliseconds since the Unix
epoch (unit "time_ms"); end 0 means no end.

Decoding checks the shape; the rules on values are apps/ip/process.py's, so a refusal names
the rule it broke.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import ADDRESS_BYTES, HASH_BYTES

HashBytes = Annotated[bytes, msgspec.Meta(min_length=HASH_BYTES, max_length=HASH_BYTES)]
AddressBytes = Annotated[bytes, msgspec.Meta(min_length=ADDRESS_BYTES, max_length=ADDRESS_BYTES)]
UInt = Annotated[int, msgspec.Meta(ge=0)]


class Register(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="ip.register",
):
    """File a work's hash and author; the first filing wins, the filer becomes its owner."""

    work: HashBytes
    title: str
    author: str
    metadata: str = ""


class GrantLicence(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="ip.grant_licence",
):
    """The owner records a licence: to whom, its scope, its period in heights or block time."""

    work: HashBytes
    licensee: AddressBytes
    scope: str
    unit: str
    """"height" or "time_ms"."""
    start: UInt
    end: UInt
    """Exclusive; 0 means the licence has no end."""


class Transfer(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="ip.transfer",
):
    """The owner transfers the ownership of a work to another account."""

    work: HashBytes
    to: AddressBytes


ACTIONS: tuple[type[msgspec.Struct], ...] = (Register, GrantLicence, Transfer)

__all__ = ["ACTIONS", "AddressBytes", "GrantLicence", "HashBytes", "Register", "Transfer", "UInt"]
