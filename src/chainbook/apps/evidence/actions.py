"""evidence actions: submit a case file, endorse it.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["evidence.submit",  case: str, title: str, documents: [[name: str, hash: bin(32)], ...],
                         required: uint, roles: [str], institutions: [str],
                         description: str]
    ["evidence.endorse", case: str, digest: bin(32), statement: str]

A case file holds the SHA-256 of each record (the contract, the chat logs, the payment
records...), never the records. Its policy is "`required` of these n entries", the entries
being `roles` (any institution holding that role) then `institutions` (that institution, by
its registry id). An endorsement is a transaction signed by a key of a registered institution
that names the case and its digest (apps/evidence/digest.py): the signature over the
transaction is the institution's signature over that exact content.

Decoding checks the shape; the rules on values are apps/evidence/process.py's, so a refusal
names the rule it broke.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import HASH_BYTES

HashBytes = Annotated[bytes, msgspec.Meta(min_length=HASH_BYTES, max_length=HASH_BYTES)]
UInt = Annotated[int, msgspec.Meta(ge=0)]


class Document(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """One record of a case file: a name for people and its SHA-256."""

    name: str
    hash: HashBytes


class Submit(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="evidence.submit",
):
    """Submit a case file (records' hashes) and the endorsements its policy requires."""

    case: str
    title: str
    documents: list[Document]
    required: UInt
    """k: how many of the policy's entries must be met by distinct institutions."""
    roles: list[str] = []
    institutions: list[str] = []
    description: str = ""


class Endorse(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    tag="evidence.endorse",
):
    """A registered institution endorses a case (signed by one of its registered keys)."""

    case: str
    digest: HashBytes
    """The case's digest (the `case` query): what is endorsed, exactly."""
    statement: str = ""


ACTIONS: tuple[type[msgspec.Struct], ...] = (Submit, Endorse)

__all__ = ["ACTIONS", "Document", "Endorse", "HashBytes", "Submit", "UInt"]
