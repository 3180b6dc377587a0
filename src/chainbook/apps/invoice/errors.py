"""The invoice module's refusals: each names what was wrong, the value and what is accepted.
A refusal that follows an earlier record (a number paid or voided, an invoice reimbursed) names
that record: who, at which height, in which transaction."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class InvalidNumber(ModuleError):
    """An invoice number (or a seller id, or an invoice id) that is not of the accepted form."""

    code = "invoice.invalid_number"


class InvalidLines(ModuleError):
    """No line, too many, or a line with a description, quantity or tax rate out of range."""

    code = "invoice.invalid_lines"


class InvalidAmount(ModuleError):
    """A total of 0 or past amount_max; a reimbursement past the invoice's total."""

    code = "invoice.invalid_amount"


class NotATaxpayer(ModuleError):
    """The key that authorises (or voids) an invoice is not a key of the named institution,
    registered, not revoked and holding the role "taxpayer"."""

    code = "invoice.not_a_taxpayer"


class BadSignature(ModuleError):
    """The offer's signature is not the seller key's over the offer's sign bytes."""

    code = "invoice.bad_signature"


class NotCosigned(ModuleError):
    """A party that must co-sign did not: the seller of an unsigned offer, the buyer of a
    reimbursement."""

    code = "invoice.not_cosigned"


class OfferExpired(ModuleError):
    code = "invoice.offer_expired"


class WrongBuyer(ModuleError):
    """The offer names another buyer than the transaction's sender."""

    code = "invoice.wrong_buyer"


class InvalidParty(ModuleError):
    """A buyer who is the seller (one of its keys or its receiving account), a claimant who
    is the buyer, an address of the wrong length."""

    code = "invoice.invalid_party"


class UnknownToken(ModuleError):
    code = "invoice.unknown_token"


class AlreadyPaid(ModuleError):
    """The number was paid already; the message names that payment."""

    code = "invoice.already_paid"


class Voided(ModuleError):
    """The number was voided by its seller; the message names the void."""

    code = "invoice.voided"


class UnknownInvoice(ModuleError):
    code = "invoice.unknown_invoice"


class AlreadyReimbursed(ModuleError):
    """The invoice was reimbursed already; the message names the first claim."""

    code = "invoice.already_reimbursed"


class InvalidReason(ModuleError):
    code = "invoice.invalid_reason"


class ListFull(ModuleError):
    """A seller's or buyer's list, the chain's, or a seller's running sum in a token is at its
    bound (limits.party_entries_max, chain_entries_max, amount_max)."""

    code = "invoice.list_full"


ERRORS: tuple[type[ModuleError], ...] = (
    InvalidNumber,
    InvalidLines,
    InvalidAmount,
    NotATaxpayer,
    BadSignature,
    NotCosigned,
    OfferExpired,
    WrongBuyer,
    InvalidParty,
    UnknownToken,
    AlreadyPaid,
    Voided,
    UnknownInvoice,
    AlreadyReimbursed,
    InvalidReason,
    ListFull,
)

__all__ = [
    "ERRORS",
    "AlreadyPaid",
    "AlreadyReimbursed",
    "BadSignature",
    "InvalidAmount",
    "InvalidLines",
    "InvalidNumber",
    "InvalidParty",
    "InvalidReason",
    "ListFull",
    "NotATaxpayer",
    "NotCosigned",
    "OfferExpired",
    "UnknownInvoice",
    "UnknownToken",
    "Voided",
    "WrongBuyer",
]
