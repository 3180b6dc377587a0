"""The settlement module's refusals: each names what was wrong, the value and what is accepted.

Refusals of the modules that move the tokens pass through with their own codes: a frozen
account (assets.account_frozen), for instance. Funds are checked here first, so a missing
amount names the party that lacks it (settlement.insufficient_funds).
"""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class InvalidAmount(ModuleError):
    """A leg's amount of 0."""

    code = "settlement.invalid_amount"


class UnknownToken(ModuleError):
    """A token id nobody created (the native coin's id is "")."""

    code = "settlement.unknown_token"


class SameToken(ModuleError):
    """Both legs of an exchange in one token: that is a payment, not an exchange."""

    code = "settlement.same_token"


class InvalidParty(ModuleError):
    """A counterparty, taker or recipient that is the sender itself, or a taker that is not
    empty nor 20 bytes."""

    code = "settlement.invalid_party"


class NotCosigned(ModuleError):
    """A swap whose counterparty is not among the transaction's signers."""

    code = "settlement.not_cosigned"


class NativeFromCosigner(ModuleError):
    """A swap whose co-signer would pay in the native coin: only the sender's coins may leave
    an account in its transaction (the bank's rule, on which fee admission relies)."""

    code = "settlement.native_from_cosigner"


class InsufficientFunds(ModuleError):
    """A party does not hold its leg; the message names the party, token, needed and held."""

    code = "settlement.insufficient_funds"


class InvalidHeight(ModuleError):
    """An expiry or deadline height not after the current height or beyond the horizon."""

    code = "settlement.invalid_height"


class TooManyOpen(ModuleError):
    """An account at its limit of open offers or open locks."""

    code = "settlement.too_many_open"


class MemoTooLong(ModuleError):
    code = "settlement.memo_too_long"


class UnknownOffer(ModuleError):
    code = "settlement.unknown_offer"


class UnknownLock(ModuleError):
    code = "settlement.unknown_lock"


class NotOpen(ModuleError):
    """An offer or lock that was accepted, cancelled, reclaimed, claimed or refunded already;
    the message says which, at what height and in which transaction."""

    code = "settlement.not_open"


class Expired(ModuleError):
    """An accept after the offer's expiry height, or a claim after the lock's deadline."""

    code = "settlement.expired"


class NotExpired(ModuleError):
    """A reclaim or a refund at or before the expiry or deadline height."""

    code = "settlement.not_expired"


class NotAllowed(ModuleError):
    """A cancel by someone else than the maker, an accept of an offer restricted to another
    taker, or a claim by someone else than the recipient."""

    code = "settlement.not_allowed"


class InvalidPreimage(ModuleError):
    """A preimage of the wrong size, or one whose SHA-256 is not the lock's hash."""

    code = "settlement.invalid_preimage"


ERRORS: tuple[type[ModuleError], ...] = (
    InvalidAmount,
    UnknownToken,
    SameToken,
    InvalidParty,
    NotCosigned,
    NativeFromCosigner,
    InsufficientFunds,
    InvalidHeight,
    TooManyOpen,
    MemoTooLong,
    UnknownOffer,
    UnknownLock,
    NotOpen,
    Expired,
    NotExpired,
    NotAllowed,
    InvalidPreimage,
)

__all__ = [
    "ERRORS",
    "Expired",
    "InsufficientFunds",
    "InvalidAmount",
    "InvalidHeight",
    "InvalidParty",
    "InvalidPreimage",
    "MemoTooLong",
    "NativeFromCosigner",
    "NotAllowed",
    "NotCosigned",
    "NotExpired",
    "NotOpen",
    "SameToken",
    "TooManyOpen",
    "UnknownLock",
    "UnknownOffer",
]
