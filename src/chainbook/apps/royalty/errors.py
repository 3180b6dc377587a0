"""The royalty module's refusals: each names what was wrong, the value and what is accepted."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class NotARightsManager(ModuleError):
    """Registering needs a key of an institution registered (and not revoked) in the role
    "rights_manager"; changing prices needs a key of the work's own institution."""

    code = "royalty.not_a_rights_manager"


class InvalidWorkId(ModuleError):
    code = "royalty.invalid_work_id"


class WorkExists(ModuleError):
    """The id was registered before; the message names that record (institution, height)."""

    code = "royalty.work_exists"


class UnknownWork(ModuleError):
    code = "royalty.unknown_work"


class InvalidSplit(ModuleError):
    """A split table that is empty, too long, names a holder twice, holds a share outside
    1..10,000 or whose shares do not sum to exactly 10,000 basis points."""

    code = "royalty.invalid_split"


class InvalidPrices(ModuleError):
    """A price table that is empty, too long, names a use twice, spells a use outside the
    rule, or holds a price of 0 or over 2**64 - 1."""

    code = "royalty.invalid_prices"


class InvalidText(ModuleError):
    """A title or a reference over its limit (or an empty title)."""

    code = "royalty.invalid_text"


class UnknownToken(ModuleError):
    """The token id names no token (neither "" for the native coin nor an issued symbol)."""

    code = "royalty.unknown_token"


class UnknownUse(ModuleError):
    """A payment for a use kind the work has no price for; the message lists its uses."""

    code = "royalty.unknown_use"


class InvalidUses(ModuleError):
    code = "royalty.invalid_uses"


class AmountMismatch(ModuleError):
    """The amount a payment states is not price x uses (the price changed, or a typo), or
    price x uses passes 2**64 - 1; the message gives the price and the amount expected."""

    code = "royalty.amount_mismatch"


class ReferenceUsed(ModuleError):
    """A payment's reference was used by an earlier payment of the same work, which the
    message names: a licence is paid once, a retried payment is not paid twice."""

    code = "royalty.reference_used"


class StaleSplit(ModuleError):
    """A split change names a version that is not the work's current one."""

    code = "royalty.stale_split"


class NoChange(ModuleError):
    """A split change that gives every holder the share it has now."""

    code = "royalty.no_change"


class SignatureMissing(ModuleError):
    """A split change lowers the share of a holder that did not sign the transaction; the
    message names each such holder with its share now and after."""

    code = "royalty.signature_missing"


class LimitReached(ModuleError):
    """A bounded list is full: a work's payments or split versions, an account's works, a
    holder's payments in one token, an institution's catalogue."""

    code = "royalty.limit_reached"


ERRORS: tuple[type[ModuleError], ...] = (
    NotARightsManager,
    InvalidWorkId,
    WorkExists,
    UnknownWork,
    InvalidSplit,
    InvalidPrices,
    InvalidText,
    UnknownToken,
    UnknownUse,
    InvalidUses,
    AmountMismatch,
    ReferenceUsed,
    StaleSplit,
    NoChange,
    SignatureMissing,
    LimitReached,
)

__all__ = [
    "ERRORS",
    "AmountMismatch",
    "InvalidPrices",
    "InvalidSplit",
    "InvalidText",
    "InvalidUses",
    "InvalidWorkId",
    "LimitReached",
    "NoChange",
    "NotARightsManager",
    "ReferenceUsed",
    "SignatureMissing",
    "StaleSplit",
    "UnknownToken",
    "UnknownUse",
    "UnknownWork",
]
