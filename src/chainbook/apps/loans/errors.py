"""The loans module's refusals: each names what was wrong, the value and what is accepted.
A refused action changes nothing (the ledger discards its writes and those of the modules it
called); a refusal of the bank or the assets module (frozen account, an asset moved meanwhile)
keeps its own code."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class InvalidId(ModuleError):
    """A loan id outside 1..64 characters of A-Z a-z 0-9 . _ : -."""

    code = "loans.invalid_id"


class LoanExists(ModuleError):
    """The id names a loan or an offer already (ids are never reused)."""

    code = "loans.loan_exists"


class UnknownLoan(ModuleError):
    code = "loans.unknown_loan"


class UnknownOffer(ModuleError):
    code = "loans.unknown_offer"


class UnknownToken(ModuleError):
    """The principal's or the collateral's token id names no token."""

    code = "loans.unknown_token"


class InvalidTerms(ModuleError):
    """A principal, rate, period, grace or offer window outside its range, or a memo too long."""

    code = "loans.invalid_terms"


class InvalidSchedule(ModuleError):
    """Instalments that are empty, too many, not strictly later one after the other, or whose
    principal does not add up to the loan's."""

    code = "loans.invalid_schedule"


class InvalidCollateral(ModuleError):
    """A collateral of no amount, or an asset the borrower does not own."""

    code = "loans.invalid_collateral"


class InvalidParty(ModuleError):
    """Lender and borrower are the same account, or one is a module's account."""

    code = "loans.invalid_party"


class NotSigned(ModuleError):
    """An agreement that the lender or the borrower did not sign (one party alone cannot make
    a loan; an offer accepted by the borrower is the one-signature-at-a-time way)."""

    code = "loans.not_signed"


class PayerNotSender(ModuleError):
    """An agreement that would move a co-signer's native coin: the bank moves the coin only
    from the transaction's sender (fees are paid in it), so the party who pays in the native
    coin sends the transaction, or the loan starts by offer and acceptance."""

    code = "loans.payer_not_sender"


class InsufficientFunds(ModuleError):
    """The lender does not hold the principal, or the borrower the collateral."""

    code = "loans.insufficient_funds"


class NotLender(ModuleError):
    """Only the loan's lender forgives, declares a default, claims collateral, withdraws an
    offer."""

    code = "loans.not_lender"


class NotBorrower(ModuleError):
    """Only the borrower an offer names may accept it."""

    code = "loans.not_borrower"


class OfferClosed(ModuleError):
    """The offer was accepted or withdrawn already, or its acceptance window has passed."""

    code = "loans.offer_closed"


class LoanClosed(ModuleError):
    """The loan is repaid, forgiven or in default: nothing is owed to pay or forgive."""

    code = "loans.loan_closed"


class InvalidAmount(ModuleError):
    """A repayment or forgiveness of no amount."""

    code = "loans.invalid_amount"


class Overpayment(ModuleError):
    """More than is owed (the message gives what is owed at that height)."""

    code = "loans.overpayment"


class GraceRunning(ModuleError):
    """A default declared before a missed due height plus the grace period has passed (or on
    a loan that is on schedule)."""

    code = "loans.grace_running"


class NotDefaulted(ModuleError):
    """Collateral claimed from a loan that is not in default."""

    code = "loans.not_defaulted"


class NoCollateral(ModuleError):
    """A claim on a loan without collateral, or whose collateral was claimed already."""

    code = "loans.no_collateral"


class TooMany(ModuleError):
    """A lender's open offers, a party's loans or a loan's partial payments at their limit."""

    code = "loans.too_many"


ERRORS: tuple[type[ModuleError], ...] = (
    InvalidId,
    LoanExists,
    UnknownLoan,
    UnknownOffer,
    UnknownToken,
    InvalidTerms,
    InvalidSchedule,
    InvalidCollateral,
    InvalidParty,
    NotSigned,
    PayerNotSender,
    InsufficientFunds,
    NotLender,
    NotBorrower,
    OfferClosed,
    LoanClosed,
    InvalidAmount,
    Overpayment,
    GraceRunning,
    NotDefaulted,
    NoCollateral,
    TooMany,
)

__all__ = [
    "ERRORS",
    "GraceRunning",
    "InsufficientFunds",
    "InvalidAmount",
    "InvalidCollateral",
    "InvalidId",
    "InvalidParty",
    "InvalidSchedule",
    "InvalidTerms",
    "LoanClosed",
    "LoanExists",
    "NoCollateral",
    "NotBorrower",
    "NotDefaulted",
    "NotLender",
    "NotSigned",
    "OfferClosed",
    "PayerNotSender",
    "TooMany",
    "UnknownLoan",
    "UnknownOffer",
    "UnknownToken",
]
