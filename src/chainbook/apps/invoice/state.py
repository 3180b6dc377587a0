"""The invoice module's state: its records, their keys and the pure accessors.

State (keys relative to the module prefix b"invoice/"; values canonical MessagePack):

    record/<invoice id>                    InvoiceRecord  a paid (or reimbursed) invoice, or a
                                                          voided number
    seller/<seller>                        uint           entries of the seller's list
    seller_at/<seller>/<n u64 BE>          ListEntry      its n-th paid invoice or void
    buyer/<buyer 20>                       uint           entries of the buyer's list
    buyer_at/<buyer 20><n u64 BE>          ListEntry      its n-th paid invoice
    chain                                  uint           entries of the chain-wide list
    chain_at/<n u64 BE>                    ListEntry      the n-th paid invoice or void
    sums/<seller>/<token>                  uint           entries of the seller's sums in token
    sum_at/<seller>/<token>/<n u64 BE>     SumEntry       its n-th paid invoice in that token,
                                                          with the running sums up to it

An invoice id is "<seller>/<number>": a seller id (an institution id: a-z 0-9 . _ -) holds no
"/", a number ([A-Za-z0-9._-]) none either, nor does a token id, so every key above has one
reading. Every list is appended in height order (one block's entries at its height), so its
heights never decrease: a height range is found by binary search (lists.py), and a period's
totals are the difference of two running sums.
"""

from __future__ import annotations

import enum
import re

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, decode_int
from chainbook.apps.invoice import limits
from chainbook.types import Address, Amount, Hash, Height, TimeMs

MODULE_NAME = "invoice"
SELLER_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
"""An institution id (apps/governance/institutions.py INSTITUTION_ID_PATTERN, 64 at most)."""
NUMBER_PATTERN = re.compile(rf"^[A-Za-z0-9._-]{{1,{limits.number_chars_max}}}$")
TOKEN_PATTERN = re.compile(r"^(?:[A-Z][A-Z0-9]{1,11})?$")
"""A token id: an assets symbol, or "" for the native coin (apps/tokens.py)."""

RECORD_PREFIX = b"record/"
SELLER_COUNT_PREFIX = b"seller/"
SELLER_AT_PREFIX = b"seller_at/"
BUYER_COUNT_PREFIX = b"buyer/"
BUYER_AT_PREFIX = b"buyer_at/"
CHAIN_COUNT_KEY = b"chain"
CHAIN_AT_PREFIX = b"chain_at/"
SUMS_COUNT_PREFIX = b"sums/"
SUM_AT_PREFIX = b"sum_at/"


class Status(enum.IntEnum):
    PAID = 0
    REIMBURSED = 1
    VOIDED = 2


STATUS_NAMES = {Status.PAID: "paid", Status.REIMBURSED: "reimbursed", Status.VOIDED: "voided"}


class Authorisation(enum.IntEnum):
    NONE = 0
    """A void: no invoice was authorised."""
    OFFER = 1
    """The seller signed the offer the buyer carried."""
    COSIGNED = 2
    """The seller's key co-signed the buyer's transaction."""


AUTHORISATION_NAMES = {
    Authorisation.NONE: "",
    Authorisation.OFFER: "signed_offer",
    Authorisation.COSIGNED: "cosigned",
}


class InvoiceRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    status: Status
    seller: str
    """The seller institution's id."""
    number: str
    signer: Address
    """The address of the seller's key that authorised the invoice (or voided the number)."""
    authorisation: Authorisation
    buyer: Address
    """Who paid: the paying transaction's sender. Empty for a void."""
    pay_to: Address
    """Who received the payment. Empty for a void."""
    token: str
    lines: int
    lines_hash: Hash
    """offer.py compute_lines_hash of the lines in the paying transaction; empty for a void."""
    amount: Amount
    tax: Amount
    total: Amount
    """== amount + tax: exactly what moved from buyer to pay_to in tx_hash (0 for a void)."""
    height: Height
    """Of the payment (the invoice's issue), or of the void."""
    time_ms: TimeMs
    tx_hash: Hash
    """The paying transaction (the invoice's issue), or the void's."""
    reason: str
    """A void's reason."""
    claimant: Address
    """Who reimbursed it (empty until then)."""
    claimant_institution: str
    """The claimant's institution when its key was an active institution's then, else empty."""
    reimbursed_amount: Amount
    reimbursed_height: Height
    reimbursed_tx: Hash


class ListEntry(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    invoice: str
    height: Height


class SumEntry(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    invoice: str
    height: Height
    amount: Amount
    """The sum of `amount` over this list's invoices up to and including this one."""
    tax: Amount
    """The same for `tax`."""


# --- keys -----------------------------------------------------------------------------------


def _number(n: int) -> bytes:
    return n.to_bytes(8, "big")


def record_key(invoice_id: str) -> bytes:
    return RECORD_PREFIX + invoice_id.encode()


def seller_count_key(seller: str) -> bytes:
    return SELLER_COUNT_PREFIX + seller.encode()


def seller_at_key(seller: str, n: int) -> bytes:
    return SELLER_AT_PREFIX + seller.encode() + b"/" + _number(n)


def buyer_count_key(buyer: Address) -> bytes:
    return BUYER_COUNT_PREFIX + buyer


def buyer_at_key(buyer: Address, n: int) -> bytes:
    return BUYER_AT_PREFIX + buyer + _number(n)


def chain_at_key(n: int) -> bytes:
    return CHAIN_AT_PREFIX + _number(n)


def sums_count_key(seller: str, token: str) -> bytes:
    return SUMS_COUNT_PREFIX + seller.encode() + b"/" + token.encode()


def sum_at_key(seller: str, token: str, n: int) -> bytes:
    return SUM_AT_PREFIX + seller.encode() + b"/" + token.encode() + b"/" + _number(n)


# --- forms ----------------------------------------------------------------------------------


def is_seller_id(text: str) -> bool:
    return SELLER_PATTERN.match(text) is not None


def is_number(text: str) -> bool:
    return NUMBER_PATTERN.match(text) is not None


def is_token_id(text: str) -> bool:
    return TOKEN_PATTERN.match(text) is not None


def parse_invoice_id(invoice_id: str) -> tuple[str, str] | None:
    """(seller, number) of a well-formed invoice id "<seller>/<number>", else None."""
    seller, slash, number = invoice_id.partition("/")
    if not slash or not is_seller_id(seller) or not is_number(number):
        return None
    return seller, number


# --- accessors ------------------------------------------------------------------------------


def get_uint(view: KVReader, key: bytes) -> int:
    raw = view.get(key)
    return 0 if raw is None else decode_int(raw)


def get_record(view: KVReader, invoice_id: str) -> InvoiceRecord | None:
    raw = view.get(record_key(invoice_id))
    return None if raw is None else codec.decode(raw, InvoiceRecord)


def get_list_entry(view: KVReader, key: bytes) -> ListEntry:
    raw = view.get(key)
    assert raw is not None, f"invoice list entry missing: {key!r}"
    return codec.decode(raw, ListEntry)


def get_sum_entry(view: KVReader, key: bytes) -> SumEntry:
    raw = view.get(key)
    assert raw is not None, f"invoice sum entry missing: {key!r}"
    return codec.decode(raw, SumEntry)


def describe_record(invoice_id: str, record: InvoiceRecord) -> str:
    """The payment or the void, in words, for a refusal."""
    if record.status is Status.VOIDED:
        why = f" ({record.reason})" if record.reason else ""
        return (
            f"invoice {invoice_id} was voided by its seller's key {record.signer.hex()} at "
            f"height {record.height} in transaction {record.tx_hash.hex()}{why}"
        )
    return (
        f"invoice {invoice_id} was paid by {record.buyer.hex()} at height {record.height} in "
        f"transaction {record.tx_hash.hex()} ({record.total} of token {record.token!r})"
    )


def describe_claim(invoice_id: str, record: InvoiceRecord) -> str:
    """The first reimbursement, in words: who, at which height, in which transaction."""
    who = record.claimant.hex()
    if record.claimant_institution:
        who += f" (institution {record.claimant_institution!r})"
    return (
        f"invoice {invoice_id} was reimbursed by {who} at height {record.reimbursed_height} in "
        f"transaction {record.reimbursed_tx.hex()} ({record.reimbursed_amount} paid back)"
    )


__all__ = [
    "AUTHORISATION_NAMES",
    "BUYER_AT_PREFIX",
    "BUYER_COUNT_PREFIX",
    "CHAIN_AT_PREFIX",
    "CHAIN_COUNT_KEY",
    "MODULE_NAME",
    "NUMBER_PATTERN",
    "RECORD_PREFIX",
    "SELLER_AT_PREFIX",
    "SELLER_COUNT_PREFIX",
    "SELLER_PATTERN",
    "STATUS_NAMES",
    "SUMS_COUNT_PREFIX",
    "SUM_AT_PREFIX",
    "TOKEN_PATTERN",
    "Authorisation",
    "InvoiceRecord",
    "ListEntry",
    "Status",
    "SumEntry",
    "buyer_at_key",
    "buyer_count_key",
    "chain_at_key",
    "describe_claim",
    "describe_record",
    "get_list_entry",
    "get_record",
    "get_sum_entry",
    "get_uint",
    "is_number",
    "is_seller_id",
    "is_token_id",
    "parse_invoice_id",
    "record_key",
    "seller_at_key",
    "seller_count_key",
    "sum_at_key",
    "sums_count_key",
]
