"""The loans module's state: its records, their keys, and the pure accessors.

State (keys relative to the module prefix b"loans/"; values canonical MessagePack):

    loan/<id>                                  LoanRecord    a loan, from its disbursement on
    offer/<id>                                 OfferRecord   an offer (kept once closed)
    entry/<id>/<n: 4 bytes big-endian>         LoanEntry     its history: repayments,
                                                             forgiveness, default, claim
    party/<address><role: 1 byte><n: 4 bytes>  str           the n-th loan of a party in a
                                                             role (0 lender, 1 borrower)
    stats/<address><role: 1 byte>              StatusCounts  its loans in that role by status
    open_offers/<address>                      uint          a lender's open offers
    escrow/<token>                             uint          what the module holds of a token
                                                             (offers' principal, collateral)
    escrow_asset/<asset id>                    str           the loan an asset is pledged to

Ids of loans and offers share one space and are never reused: an accepted offer's loan has
its id. Records are never deleted, so every id keeps telling the same story. A loan's figures
are stored as of `accrued_height` (its last change) and computed for any later height by
apps/loans/figures.py, without a write: an idle loan costs nothing per block.
"""

from __future__ import annotations

import enum
import struct

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, decode_int
from chainbook.apps.loans.actions import AssetCollateral, TokenCollateral
from chainbook.apps.loans.terms import Terms
from chainbook.types import Address, Amount, Hash, Height, TimeMs

MODULE_NAME = "loans"
LOAN_PREFIX = b"loan/"
OFFER_PREFIX = b"offer/"
ENTRY_PREFIX = b"entry/"
PARTY_PREFIX = b"party/"
STATS_PREFIX = b"stats/"
OPEN_OFFERS_PREFIX = b"open_offers/"
ESCROW_PREFIX = b"escrow/"
ESCROW_ASSET_PREFIX = b"escrow_asset/"


class LoanStatus(enum.IntEnum):
    ACTIVE = 0
    """Something is owed (overdue is an active loan past a due height it has not met)."""
    REPAID = 1
    FORGIVEN = 2
    """Closed by the lender's forgiveness of the rest (partial forgiveness keeps it active)."""
    DEFAULTED = 3
    """Declared by the lender past a missed due height plus grace; what was owed then stays
    recorded, interest stops."""


STATUS_NAMES = {
    LoanStatus.ACTIVE: "active",
    LoanStatus.REPAID: "repaid",
    LoanStatus.FORGIVEN: "forgiven",
    LoanStatus.DEFAULTED: "defaulted",
}


class CollateralState(enum.IntEnum):
    NONE = 0
    """The loan has no collateral."""
    ESCROWED = 1
    """Held by the module's account (module_account("loans"))."""
    RELEASED = 2
    """Back with the borrower (repaid or forgiven in full)."""
    CLAIMED = 3
    """With the lender, after a default."""


COLLATERAL_STATE_NAMES = {
    CollateralState.NONE: "none",
    CollateralState.ESCROWED: "escrowed",
    CollateralState.RELEASED: "released",
    CollateralState.CLAIMED: "claimed",
}


class OfferStatus(enum.IntEnum):
    OPEN = 0
    """Its principal is in escrow; the borrower may accept it until expires_height."""
    ACCEPTED = 1
    WITHDRAWN = 2


class EntryKind(enum.IntEnum):
    REPAYMENT = 0
    FORGIVENESS = 1
    DEFAULT = 2
    CLAIM = 3


ENTRY_KIND_NAMES = {
    EntryKind.REPAYMENT: "repayment",
    EntryKind.FORGIVENESS: "forgiveness",
    EntryKind.DEFAULT: "default",
    EntryKind.CLAIM: "claim",
}


class Role(enum.IntEnum):
    LENDER = 0
    BORROWER = 1


class LoanRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    lender: Address
    borrower: Address
    terms: Terms
    height: Height
    """Of the disbursement (the block that created it); the schedule counts from here."""
    time_ms: TimeMs
    tx_hash: Hash
    """Of the transaction that disbursed it (loans.create or loans.accept)."""
    offer_tx_hash: Hash
    """Of the offer it accepted; empty for an agreement both signed in one transaction."""
    status: LoanStatus
    closed_height: Height
    """When it was repaid, forgiven or declared in default (0 while active)."""
    principal_outstanding: Amount
    interest_owed: Amount
    """Whole base units accrued and not paid or forgiven, as of accrued_height."""
    interest_carry: int
    """The fraction of a unit accrued, in 1 / (10,000 x period_blocks) units."""
    accrued_height: Height
    principal_repaid: Amount
    interest_repaid: Amount
    principal_forgiven: Amount
    interest_forgiven: Amount
    collateral_state: CollateralState
    entries: int
    """History entries (entry/<id>/0 .. entries - 1)."""
    partial_entries: int
    """Of which partial repayments and forgivenesses (at most payments_per_loan_max)."""

    @property
    def principal_settled(self) -> Amount:
        return self.terms.principal - self.principal_outstanding


class OfferRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    lender: Address
    borrower: Address
    terms: Terms
    height: Height
    expires_height: Height
    """The last height at which the borrower may accept."""
    tx_hash: Hash
    status: OfferStatus
    closed_height: Height


class LoanEntry(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    kind: EntryKind
    payer: Address
    """Who paid (a repayment: the transaction's sender); the lender for the other kinds."""
    amount: Amount
    """Paid or forgiven; 0 for a default and a claim."""
    interest: Amount
    """Of it, to interest (a default: the interest owed then)."""
    principal: Amount
    """Of it, to principal (a default: the principal outstanding then)."""
    principal_outstanding: Amount
    """After it."""
    interest_owed: Amount
    height: Height
    tx_hash: Hash


class StatusCounts(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    total: int = 0
    active: int = 0
    repaid: int = 0
    forgiven: int = 0
    defaulted: int = 0


# --- keys -----------------------------------------------------------------------------------


def loan_key(loan_id: str) -> bytes:
    return LOAN_PREFIX + loan_id.encode()


def offer_key(loan_id: str) -> bytes:
    return OFFER_PREFIX + loan_id.encode()


def entry_key(loan_id: str, number: int) -> bytes:
    return ENTRY_PREFIX + loan_id.encode() + b"/" + struct.pack(">I", number)


def party_key(address: Address, role: Role, number: int) -> bytes:
    return PARTY_PREFIX + address + bytes([role]) + struct.pack(">I", number)


def stats_key(address: Address, role: Role) -> bytes:
    return STATS_PREFIX + address + bytes([role])


def open_offers_key(lender: Address) -> bytes:
    return OPEN_OFFERS_PREFIX + lender


def escrow_key(token: str) -> bytes:
    return ESCROW_PREFIX + token.encode()


def escrow_asset_key(asset_id: str) -> bytes:
    return ESCROW_ASSET_PREFIX + asset_id.encode()


# --- accessors ------------------------------------------------------------------------------


def get_loan(view: KVReader, loan_id: str) -> LoanRecord | None:
    raw = view.get(loan_key(loan_id))
    return None if raw is None else codec.decode(raw, LoanRecord)


def get_offer(view: KVReader, loan_id: str) -> OfferRecord | None:
    raw = view.get(offer_key(loan_id))
    return None if raw is None else codec.decode(raw, OfferRecord)


def get_entry(view: KVReader, loan_id: str, number: int) -> LoanEntry:
    raw = view.get(entry_key(loan_id, number))
    assert raw is not None, f"loan {loan_id!r} lacks history entry {number}"
    return codec.decode(raw, LoanEntry)


def get_party_loan(view: KVReader, address: Address, role: Role, number: int) -> str:
    raw = view.get(party_key(address, role, number))
    assert raw is not None, f"party {address.hex()} lacks loan {number} as {role.name}"
    return codec.decode(raw, str)


def get_stats(view: KVReader, address: Address, role: Role) -> StatusCounts:
    raw = view.get(stats_key(address, role))
    return StatusCounts() if raw is None else codec.decode(raw, StatusCounts)


def get_uint(view: KVReader, key: bytes) -> int:
    raw = view.get(key)
    return 0 if raw is None else decode_int(raw)


def compute_escrowed_amount(record: LoanRecord | OfferRecord, token: str) -> Amount:
    """What of `token` the module holds for this record: an open offer's principal, a loan's
    escrowed token collateral."""
    held = 0
    if isinstance(record, OfferRecord):
        if record.status is OfferStatus.OPEN and record.terms.token == token:
            held += record.terms.principal
        return held
    collateral = record.terms.collateral
    if (
        record.collateral_state is CollateralState.ESCROWED
        and isinstance(collateral, TokenCollateral)
        and collateral.token == token
    ):
        held += collateral.amount
    return held


def compute_escrowed_asset(record: LoanRecord) -> str | None:
    collateral = record.terms.collateral
    if record.collateral_state is CollateralState.ESCROWED and isinstance(
        collateral, AssetCollateral
    ):
        return collateral.asset_id
    return None


__all__ = [
    "COLLATERAL_STATE_NAMES",
    "ENTRY_KIND_NAMES",
    "ENTRY_PREFIX",
    "ESCROW_ASSET_PREFIX",
    "ESCROW_PREFIX",
    "LOAN_PREFIX",
    "MODULE_NAME",
    "OFFER_PREFIX",
    "OPEN_OFFERS_PREFIX",
    "PARTY_PREFIX",
    "STATS_PREFIX",
    "STATUS_NAMES",
    "CollateralState",
    "EntryKind",
    "LoanEntry",
    "LoanRecord",
    "LoanStatus",
    "OfferRecord",
    "OfferStatus",
    "Role",
    "StatusCounts",
    "compute_escrowed_amount",
    "compute_escrowed_asset",
    "entry_key",
    "escrow_asset_key",
    "escrow_key",
    "get_entry",
    "get_loan",
    "get_offer",
    "get_party_loan",
    "get_stats",
    "get_uint",
    "loan_key",
    "offer_key",
    "open_offers_key",
    "party_key",
    "stats_key",
]
