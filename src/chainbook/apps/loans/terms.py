"""A loan's terms, the checks on them, and its schedule (pure).

Rules kept:
- The terms are fixed when the loan starts and never change: token, principal, rate per
  period, period, instalments, grace, collateral, the off-chain agreement's hash and a memo.
- A schedule is 1 to instalments_max instalments, each due `due_blocks` after the
  disbursement (strictly increasing, 1..due_blocks_max) with a principal of at least 1 unit;
  their principals add up to the loan's. One due height is a schedule of one instalment.
- An instalment is met when the principal settled (repaid or forgiven) reaches the principal
  of that instalment and every one before it. Payments go to interest first
  (apps/loans/accrual.py), so a payment meets an instalment only once the interest accrued
  is paid.
- A loan is overdue at height h when some instalment due at a height before h is not met:
  when h is past the due height of the first instalment not met (compute_unmet_due_height).
  The lender may declare it in default from that due height + grace_blocks + 1 on
  (compute_default_height).
"""

from __future__ import annotations

import msgspec

from chainbook.apps.loans import limits
from chainbook.apps.loans.actions import Collateral, Create, Instalment, Offer, TokenCollateral
from chainbook.apps.loans.errors import InvalidCollateral, InvalidSchedule, InvalidTerms
from chainbook.types import Amount, Hash, Height


class Terms(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    token: str
    principal: Amount
    rate_bps: int
    period_blocks: int
    instalments: list[Instalment]
    grace_blocks: int
    collateral: Collateral | None
    terms_hash: Hash | None
    memo: str


def get_terms(action: Create | Offer) -> Terms:
    return Terms(
        token=action.token,
        principal=action.principal,
        rate_bps=action.rate_bps,
        period_blocks=action.period_blocks,
        instalments=list(action.instalments),
        grace_blocks=action.grace_blocks,
        collateral=action.collateral,
        terms_hash=action.terms_hash,
        memo=action.memo,
    )


# --- checks ---------------------------------------------------------------------------------


def verify_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise InvalidTerms(f"{name} is {value}; accepted {low} to {high:,}")


def verify_terms(terms: Terms) -> None:
    verify_range("principal", terms.principal, 1, limits.principal_max)
    verify_range("rate_bps", terms.rate_bps, 0, limits.rate_bps_max)
    verify_range("period_blocks", terms.period_blocks, 1, limits.period_blocks_max)
    verify_range("grace_blocks", terms.grace_blocks, 0, limits.grace_blocks_max)
    memo_bytes = len(terms.memo.encode())
    if memo_bytes > limits.memo_bytes_max:
        raise InvalidTerms(
            f"memo is {memo_bytes} bytes of UTF-8; at most {limits.memo_bytes_max} accepted"
        )
    verify_schedule(terms.principal, terms.instalments)
    verify_collateral_shape(terms.collateral)


def verify_schedule(principal: Amount, instalments: list[Instalment]) -> None:
    count = len(instalments)
    if not 1 <= count <= limits.instalments_max:
        raise InvalidSchedule(
            f"{count} instalments; accepted 1 to {limits.instalments_max} (one due height is "
            "one instalment)"
        )
    previous = 0
    for i, instalment in enumerate(instalments):
        if not previous < instalment.due_blocks <= limits.due_blocks_max:
            raise InvalidSchedule(
                f"instalments[{i}].due_blocks is {instalment.due_blocks}; accepted more than "
                f"{previous} (the instalment before, or the disbursement) and at most "
                f"{limits.due_blocks_max:,}"
            )
        if instalment.principal < 1:
            raise InvalidSchedule(
                f"instalments[{i}].principal is {instalment.principal}; at least 1 accepted"
            )
        previous = instalment.due_blocks
    scheduled = sum(instalment.principal for instalment in instalments)
    if scheduled != principal:
        raise InvalidSchedule(
            f"the instalments' principals add up to {scheduled}; they must add up to the "
            f"principal, {principal}"
        )


def verify_collateral_shape(collateral: Collateral | None) -> None:
    if isinstance(collateral, TokenCollateral):
        if not 1 <= collateral.amount <= 2**64 - 1:
            raise InvalidCollateral(
                f"collateral amount is {collateral.amount}; accepted 1 to 2**64 - 1"
            )
    elif collateral is not None and not collateral.asset_id:
        raise InvalidCollateral("collateral asset_id is empty; name a registered asset")


# --- the schedule ---------------------------------------------------------------------------


def compute_due_heights(terms: Terms, start: Height) -> list[Height]:
    return [start + instalment.due_blocks for instalment in terms.instalments]


def compute_final_due_height(terms: Terms, start: Height) -> Height:
    return start + terms.instalments[-1].due_blocks


def compute_unmet_due_height(terms: Terms, start: Height, settled: Amount) -> Height | None:
    """The due height of the first instalment not met with `settled` principal (None: all
    met, nothing is owed)."""
    cumulative = 0
    for instalment in terms.instalments:
        cumulative += instalment.principal
        if cumulative > settled:
            return start + instalment.due_blocks
    return None


def compute_principal_due(terms: Terms, start: Height, height: Height) -> Amount:
    """Principal of the instalments due at `height` or before (what must be settled by then)."""
    return sum(
        instalment.principal
        for instalment in terms.instalments
        if start + instalment.due_blocks <= height
    )


def compute_default_height(terms: Terms, unmet_due_height: Height | None) -> Height | None:
    """The first height at which the lender may declare a default if the first instalment not
    met (due at `unmet_due_height`) is still not met (None: every instalment is met)."""
    return None if unmet_due_height is None else unmet_due_height + terms.grace_blocks + 1


def describe_collateral(collateral: Collateral | None) -> str:
    if collateral is None:
        return "none"
    if isinstance(collateral, TokenCollateral):
        token = collateral.token or "the native coin"
        return f"{collateral.amount} of {token}"
    return f"asset {collateral.asset_id}"


__all__ = [
    "Terms",
    "compute_default_height",
    "compute_due_heights",
    "compute_final_due_height",
    "compute_unmet_due_height",
    "compute_principal_due",
    "describe_collateral",
    "get_terms",
    "verify_collateral_shape",
    "verify_range",
    "verify_schedule",
    "verify_terms",
]
