"""Loans actions: an agreement both parties sign (or an offer one accepts), repayments,
forgiveness, default and the claim of collateral.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["loans.create",           loan_id: str, lender: bin(20), borrower: bin(20), <terms>]
    ["loans.offer",            loan_id: str, borrower: bin(20), token: str, principal: uint,
                               rate_bps: uint, period_blocks: uint, instalments: [Instalment],
                               open_blocks: uint, grace_blocks: uint,
                               collateral: Collateral | nil, terms_hash: bin(32) | nil, memo: str]
    ["loans.accept",           loan_id: str]
    ["loans.withdraw_offer",   loan_id: str]
    ["loans.repay",            loan_id: str, amount: uint]
    ["loans.repay_in_full",    loan_id: str, amount_max: uint]
    ["loans.forgive",          loan_id: str, amount: uint | nil]
    ["loans.declare_default",  loan_id: str]
    ["loans.claim_collateral", loan_id: str]

    <terms>     = token: str, principal: uint, rate_bps: uint, period_blocks: uint,
                  instalments: [Instalment], grace_blocks: uint,
                  collateral: Collateral | nil, terms_hash: bin(32) | nil, memo: str
    Instalment  = [due_blocks: uint, principal: uint]     # due at disbursement + due_blocks
    Collateral  = ["token", token: str, amount: uint] | ["asset", asset_id: str]

A token is its id in the tokens contract (apps/tokens.py): "" for the native coin, else an
issued token's symbol. Heights in the schedule are relative to the disbursement (the block
that creates the loan), so parties can sign an agreement without knowing the block it lands
in. Decoding checks the shape (types, lengths); every rule on values is apps/loans/terms.py's
or the process's, so a refusal names the rule it broke.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import ADDRESS_BYTES, HASH_BYTES

AddressBytes = Annotated[bytes, msgspec.Meta(min_length=ADDRESS_BYTES, max_length=ADDRESS_BYTES)]
HashBytes = Annotated[bytes, msgspec.Meta(min_length=HASH_BYTES, max_length=HASH_BYTES)]


class Instalment(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """One due height of a schedule and the principal due by then (interest is due on top)."""

    due_blocks: int
    """Blocks after the disbursement; the instalment is late from the next height on."""
    principal: int


class TokenCollateral(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, tag="token"
):
    """An amount of a token (the native coin: "") pledged by the borrower."""

    token: str
    amount: int


class AssetCollateral(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, tag="asset"
):
    """A unique asset registered in the assets module (a title deed, a vehicle) pledged by
    the borrower, its owner."""

    asset_id: str


Collateral = TokenCollateral | AssetCollateral


class Create(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="loans.create",
):
    """A loan agreement lender and borrower both sign, disbursed and collateralised at once.

    The principal goes to the borrower and the collateral into escrow in this transaction."""

    loan_id: str
    lender: AddressBytes
    borrower: AddressBytes
    token: str
    principal: int
    rate_bps: int
    """Simple interest per period, in basis points of the principal outstanding (0: none)."""
    period_blocks: int
    instalments: list[Instalment]
    grace_blocks: int = 0
    """Blocks a missed due height may run before the lender may declare a default."""
    collateral: Collateral | None = None
    terms_hash: HashBytes | None = None
    """SHA-256 of the full written agreement kept off chain (or its private record's hash)."""
    memo: str = ""


class Offer(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="loans.offer",
):
    """The sender offers a loan to one borrower, its principal held in escrow meanwhile.

    The borrower accepts it with loans.accept until the offer's height + open_blocks."""

    loan_id: str
    borrower: AddressBytes
    token: str
    principal: int
    rate_bps: int
    period_blocks: int
    instalments: list[Instalment]
    open_blocks: int
    """The offer may be accepted up to its height + open_blocks."""
    grace_blocks: int = 0
    collateral: Collateral | None = None
    terms_hash: HashBytes | None = None
    memo: str = ""


class Accept(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="loans.accept",
):
    """The borrower accepts an open offer: the loan starts, the collateral goes into escrow."""

    loan_id: str


class WithdrawOffer(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="loans.withdraw_offer",
):
    """The lender takes back an offer not accepted yet (open or expired) and its principal."""

    loan_id: str


class Repay(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="loans.repay",
):
    """Pay `amount` to the lender (anyone may pay for the borrower): interest, then principal."""

    loan_id: str
    amount: int


class RepayInFull(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="loans.repay_in_full",
):
    """Pay everything owed at this height, if at most `amount_max`; the collateral returns.

    The borrower need not guess the interest of the block the payment lands in."""

    loan_id: str
    amount_max: int


class Forgive(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="loans.forgive",
):
    """The lender forgives `amount` (interest first), or everything owed when omitted."""

    loan_id: str
    amount: int | None = None


class DeclareDefault(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="loans.declare_default",
):
    """The lender declares the loan in default once a missed due height is past its grace."""

    loan_id: str


class ClaimCollateral(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="loans.claim_collateral",
):
    """The lender takes the escrowed collateral of a loan in default."""

    loan_id: str


ACTIONS: tuple[type[msgspec.Struct], ...] = (
    Create,
    Offer,
    Accept,
    WithdrawOffer,
    Repay,
    RepayInFull,
    Forgive,
    DeclareDefault,
    ClaimCollateral,
)

__all__ = [
    "ACTIONS",
    "Accept",
    "AddressBytes",
    "AssetCollateral",
    "ClaimCollateral",
    "Collateral",
    "Create",
    "DeclareDefault",
    "Forgive",
    "HashBytes",
    "Instalment",
    "Offer",
    "Repay",
    "RepayInFull",
    "TokenCollateral",
    "WithdrawOffer",
]
