"""The royalty module's state: its records, their keys and the pure accessors.

State (keys relative to the module prefix b"royalty/"; values canonical MessagePack):

    work/<work>                          WorkRecord      a work: its current split, prices,
                                                         token, institution and totals
    split/<work>/<v u32 BE>              SplitRecord     split table version v (0: the
                                                         registration's), who signed it
    payment/<work>/<n u32 BE>            PaymentEntry    the n-th payment for the work, with
                                                         the work's totals after it
    reference/<work>/<reference>         uint            the payment that used this reference
    payee/<work>/<holder 20>             uint            everything the holder received from
                                                         the work; present iff it was ever
                                                         in the work's split (kept at 0)
    payee_at/<work>/<n u32 BE>           bin(20)         the n-th holder ever in the split
    catalogue/<institution>              uint            works the institution registered
    catalogue_at/<institution>/<n u32>   str             the n-th of them
    works_of/<holder 20>                 uint            works the account was ever a holder of
    work_of_at/<holder 20><n u32 BE>     str             the n-th of them
    received/<holder 20><token>          ReceivedTotals  the holder's payments in a token so
                                                         far: entries, uses, amount
    received_at/<holder 20><token>/<n>   ReceivedEntry   the n-th, with the totals after it
    tokens_of/<holder 20>                uint            tokens the holder was ever paid in
    token_of_at/<holder 20><n u32 BE>    str             the n-th of them ("" the native coin)

Work ids ([A-Za-z0-9._:-]{1,64}), institution ids ([a-z0-9][a-z0-9._-]*) and token ids ("" or
[A-Z][A-Z0-9]{1,11}) hold no "/", and addresses are 20 bytes, so every key has one reading. A
module's view has no range reads: lists are counters with numbered entries, and the two logs
(payments of a work, payments a holder received in a token) carry running totals, which is
how a statement of any period costs two binary searches (apps/royalty/statements.py).
"""

from __future__ import annotations

import struct

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, decode_int
from chainbook.apps.royalty.actions import Price, Share
from chainbook.types import Address, Amount, Hash, Height, TimeMs

MODULE_NAME = "royalty"
WORK_PREFIX = b"work/"
SPLIT_PREFIX = b"split/"
PAYMENT_PREFIX = b"payment/"
REFERENCE_PREFIX = b"reference/"
PAYEE_PREFIX = b"payee/"
PAYEE_AT_PREFIX = b"payee_at/"
CATALOGUE_PREFIX = b"catalogue/"
CATALOGUE_AT_PREFIX = b"catalogue_at/"
WORKS_OF_PREFIX = b"works_of/"
WORK_OF_AT_PREFIX = b"work_of_at/"
RECEIVED_PREFIX = b"received/"
RECEIVED_AT_PREFIX = b"received_at/"
TOKENS_OF_PREFIX = b"tokens_of/"
TOKEN_OF_AT_PREFIX = b"token_of_at/"
NUMBER_BYTES = 4


class WorkRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    title: str
    metadata_hash: Hash
    token: str
    """The token every payment is in: "" the native coin, else an issued symbol; fixed."""
    prices: list[Price]
    split: list[Share]
    """The current split table, == split/<work>/<version>."""
    version: int
    """The current split's version: 0 at registration, +1 per change."""
    institution: str
    """The rights manager that registered it (governance registry, role "rights_manager"):
    any active key of it sets the prices."""
    registrant: Address
    """The key that registered it; empty for a work the genesis imported."""
    height: Height
    time_ms: TimeMs
    tx_hash: Hash
    payments: int
    """Payments so far: payment/<work>/0 .. payments - 1."""
    uses: int
    """Uses paid for so far (the sum of the payments' uses)."""
    paid: Amount
    """Everything paid so far (the sum of the payments' amounts == the sum of payee/...)."""
    payees: int
    """Holders ever in its split: payee_at/<work>/0 .. payees - 1."""
    updated_height: Height
    """Of the last split or price change (the registration's height before any)."""


class SplitRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    split: list[Share]
    height: Height
    time_ms: TimeMs
    tx_hash: Hash
    sender: Address
    """Who sent the registration or the change (empty for a genesis import)."""
    signed_by: list[Address]
    """The holders whose share fell, each of whom signed the change (empty at version 0)."""


class PaymentEntry(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    payer: Address
    use: str
    uses: int
    amount: Amount
    reference: str
    version: int
    """The split version it was split by."""
    height: Height
    time_ms: TimeMs
    tx_hash: Hash
    uses_total: int
    """The work's uses up to and including this payment (a running total)."""
    amount_total: Amount
    """The work's amount paid up to and including this payment."""


class ReceivedTotals(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    entries: int
    """received_at/<holder><token>/0 .. entries - 1."""
    uses: int
    amount: Amount


class ReceivedEntry(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    work: str
    payment: int
    """Its number in the work's payments."""
    uses: int
    """The uses the payment paid for."""
    amount: Amount
    """What this holder received of it (its part; may be 0 for a tiny share)."""
    height: Height
    uses_total: int
    """The holder's uses in this token up to and including this entry."""
    amount_total: Amount


# --- keys -----------------------------------------------------------------------------------


def number_bytes(n: int) -> bytes:
    return struct.pack(">I", n)


def work_key(work: str) -> bytes:
    return WORK_PREFIX + work.encode()


def split_key(work: str, version: int) -> bytes:
    return SPLIT_PREFIX + work.encode() + b"/" + number_bytes(version)


def payment_key(work: str, n: int) -> bytes:
    return PAYMENT_PREFIX + work.encode() + b"/" + number_bytes(n)


def reference_key(work: str, reference: str) -> bytes:
    return REFERENCE_PREFIX + work.encode() + b"/" + reference.encode()


def payee_key(work: str, holder: Address) -> bytes:
    return PAYEE_PREFIX + work.encode() + b"/" + holder


def payee_at_key(work: str, n: int) -> bytes:
    return PAYEE_AT_PREFIX + work.encode() + b"/" + number_bytes(n)


def catalogue_key(institution: str) -> bytes:
    return CATALOGUE_PREFIX + institution.encode()


def catalogue_at_key(institution: str, n: int) -> bytes:
    return CATALOGUE_AT_PREFIX + institution.encode() + b"/" + number_bytes(n)


def works_of_key(holder: Address) -> bytes:
    return WORKS_OF_PREFIX + holder


def work_of_at_key(holder: Address, n: int) -> bytes:
    return WORK_OF_AT_PREFIX + holder + number_bytes(n)


def received_key(holder: Address, token: str) -> bytes:
    return RECEIVED_PREFIX + holder + token.encode()


def received_at_key(holder: Address, token: str, n: int) -> bytes:
    return RECEIVED_AT_PREFIX + holder + token.encode() + b"/" + number_bytes(n)


def tokens_of_key(holder: Address) -> bytes:
    return TOKENS_OF_PREFIX + holder


def token_of_at_key(holder: Address, n: int) -> bytes:
    return TOKEN_OF_AT_PREFIX + holder + number_bytes(n)


def parse_payment_key(key: bytes) -> tuple[str, int]:
    """(work, n) of a key under PAYMENT_PREFIX."""
    rest = key[len(PAYMENT_PREFIX) :]
    return rest[: -NUMBER_BYTES - 1].decode(), struct.unpack(">I", rest[-NUMBER_BYTES:])[0]


def parse_payee_key(key: bytes) -> tuple[str, Address]:
    """(work, holder) of a key under PAYEE_PREFIX."""
    rest = key[len(PAYEE_PREFIX) :]
    return rest[:-21].decode(), rest[-20:]


def parse_received_key(key: bytes) -> tuple[Address, str]:
    """(holder, token) of a key under RECEIVED_PREFIX."""
    rest = key[len(RECEIVED_PREFIX) :]
    return rest[:20], rest[20:].decode()


def parse_received_at_key(key: bytes) -> tuple[Address, str, int]:
    """(holder, token, n) of a key under RECEIVED_AT_PREFIX."""
    rest = key[len(RECEIVED_AT_PREFIX) :]
    number = struct.unpack(">I", rest[-NUMBER_BYTES:])[0]
    return rest[:20], rest[20 : -NUMBER_BYTES - 1].decode(), number


# --- accessors ------------------------------------------------------------------------------


def get_uint(view: KVReader, key: bytes) -> int:
    raw = view.get(key)
    return 0 if raw is None else decode_int(raw)


def get_work(view: KVReader, work: str) -> WorkRecord | None:
    raw = view.get(work_key(work))
    return None if raw is None else codec.decode(raw, WorkRecord)


def get_split(view: KVReader, work: str, version: int) -> SplitRecord | None:
    raw = view.get(split_key(work, version))
    return None if raw is None else codec.decode(raw, SplitRecord)


def get_payment(view: KVReader, work: str, n: int) -> PaymentEntry:
    raw = view.get(payment_key(work, n))
    assert raw is not None, f"royalty payment {n} of {work!r} missing below its count"
    return codec.decode(raw, PaymentEntry)


def get_received_totals(view: KVReader, holder: Address, token: str) -> ReceivedTotals | None:
    raw = view.get(received_key(holder, token))
    return None if raw is None else codec.decode(raw, ReceivedTotals)


def get_received(view: KVReader, holder: Address, token: str, n: int) -> ReceivedEntry:
    raw = view.get(received_at_key(holder, token, n))
    assert raw is not None, f"royalty entry {n} of {holder.hex()} in {token!r} missing"
    return codec.decode(raw, ReceivedEntry)


def get_payee(view: KVReader, work: str, holder: Address) -> Amount | None:
    """What the holder received from the work, or None if it was never in its split."""
    raw = view.get(payee_key(work, holder))
    return None if raw is None else decode_int(raw)


def get_text(view: KVReader, key: bytes) -> str:
    raw = view.get(key)
    assert raw is not None, f"royalty list entry missing: {key!r}"
    return codec.decode(raw, str)


def get_address(view: KVReader, key: bytes) -> Address:
    raw = view.get(key)
    assert raw is not None, f"royalty list entry missing: {key!r}"
    return codec.decode(raw, bytes)


__all__ = [
    "CATALOGUE_AT_PREFIX",
    "CATALOGUE_PREFIX",
    "MODULE_NAME",
    "PAYEE_AT_PREFIX",
    "PAYEE_PREFIX",
    "PAYMENT_PREFIX",
    "RECEIVED_AT_PREFIX",
    "RECEIVED_PREFIX",
    "REFERENCE_PREFIX",
    "SPLIT_PREFIX",
    "TOKENS_OF_PREFIX",
    "TOKEN_OF_AT_PREFIX",
    "WORKS_OF_PREFIX",
    "WORK_OF_AT_PREFIX",
    "WORK_PREFIX",
    "PaymentEntry",
    "ReceivedEntry",
    "ReceivedTotals",
    "SplitRecord",
    "WorkRecord",
    "catalogue_at_key",
    "catalogue_key",
    "get_address",
    "get_payee",
    "get_payment",
    "get_received",
    "get_received_totals",
    "get_split",
    "get_text",
    "get_uint",
    "get_work",
    "number_bytes",
    "parse_payee_key",
    "parse_payment_key",
    "parse_received_at_key",
    "parse_received_key",
    "payee_at_key",
    "payee_key",
    "payment_key",
    "received_at_key",
    "received_key",
    "reference_key",
    "split_key",
    "token_of_at_key",
    "tokens_of_key",
    "work_key",
    "work_of_at_key",
    "works_of_key",
]
