"""A loan's figures: where it stands at a height, and after a repayment, a forgiveness or a
default (pure; the process and the offline story check of receipts both use these).

Rules kept: interest accrues on the principal outstanding from the loan's accrued height to
the height asked (apps/loans/accrual.py), a closed loan's figures are those of its closing,
a payment or forgiveness goes to interest first, and the one that settles the last unit closes
the loan, dropping the fraction of a unit left; a default freezes what is owed.
"""

from __future__ import annotations

import msgspec

from chainbook.apps.loans.accrual import compute_accrued, compute_split
from chainbook.apps.loans.state import (
    STATUS_NAMES,
    CollateralState,
    LoanRecord,
    LoanStatus,
)
from chainbook.apps.loans.terms import (
    Terms,
    compute_default_height,
    compute_principal_due,
    compute_unmet_due_height,
)
from chainbook.types import Address, Amount, Hash, Height, TimeMs


class Standing(msgspec.Struct, frozen=True):
    """A loan's figures at one height, computed (compute_standing)."""

    height: Height
    status: str
    """active, overdue, repaid, forgiven or defaulted."""
    principal: Amount
    """Outstanding."""
    interest: Amount
    """Owed, whole units."""
    carry: int
    unmet_due_height: Height | None
    """The due height of the first instalment not met (None: all met, or closed); the loan
    is overdue when `height` is past it."""
    default_height: Height | None
    """From this height on the lender may declare a default, if that instalment is still not
    met then (None: not possible)."""
    due_now: Amount
    """What makes the loan current at this height: the interest, and the principal of the
    instalments due by now that is not settled."""

    @property
    def owed(self) -> Amount:
        return self.principal + self.interest


def compute_standing(record: LoanRecord, height: Height) -> Standing:
    """The loan's figures at `height` (>= its accrued height): interest accrued on the
    principal outstanding up to then (apps/loans/accrual.py) and where it stands against its
    schedule. A closed loan's figures are those of its closing."""
    if record.status is not LoanStatus.ACTIVE:
        return Standing(
            height=height,
            status=STATUS_NAMES[record.status],
            principal=record.principal_outstanding,
            interest=record.interest_owed,
            carry=record.interest_carry,
            unmet_due_height=None,
            default_height=None,
            due_now=0,
        )
    assert height >= record.accrued_height, (height, record.accrued_height)
    terms = record.terms
    interest, carry = compute_accrued(
        record.principal_outstanding,
        record.interest_owed,
        record.interest_carry,
        terms.rate_bps,
        terms.period_blocks,
        height - record.accrued_height,
    )
    settled = record.principal_settled
    since = compute_unmet_due_height(terms, record.height, settled)
    principal_due = compute_principal_due(terms, record.height, height)
    return Standing(
        height=height,
        status="overdue" if since is not None and height > since else "active",
        principal=record.principal_outstanding,
        interest=interest,
        carry=carry,
        unmet_due_height=since,
        default_height=compute_default_height(terms, since),
        due_now=interest + max(0, principal_due - settled),
    )



def compute_new_loan(
    lender: Address,
    borrower: Address,
    terms: Terms,
    height: Height,
    time_ms: TimeMs,
    tx_hash: Hash,
    offer_tx_hash: Hash,
) -> LoanRecord:
    """A loan as disbursed at `height`: all its principal outstanding, nothing accrued."""
    return LoanRecord(
        lender=lender,
        borrower=borrower,
        terms=terms,
        height=height,
        time_ms=time_ms,
        tx_hash=tx_hash,
        offer_tx_hash=offer_tx_hash,
        status=LoanStatus.ACTIVE,
        closed_height=0,
        principal_outstanding=terms.principal,
        interest_owed=0,
        interest_carry=0,
        accrued_height=height,
        principal_repaid=0,
        interest_repaid=0,
        principal_forgiven=0,
        interest_forgiven=0,
        collateral_state=(
            CollateralState.NONE if terms.collateral is None else CollateralState.ESCROWED
        ),
        entries=0,
        partial_entries=0,
    )


def compute_settled(
    record: LoanRecord, standing: Standing, amount: Amount, repaid: bool, height: Height
) -> tuple[LoanRecord, Amount, Amount]:
    """The record after a repayment (`repaid`) or a forgiveness of `amount` at `height`, and
    the parts that went to interest and to principal."""
    assert 1 <= amount <= standing.owed, (amount, standing)
    to_interest, to_principal = compute_split(amount, standing.interest)
    principal_left = standing.principal - to_principal
    interest_left = standing.interest - to_interest
    closing = principal_left == 0
    assert interest_left == 0 or not closing, (interest_left, principal_left)
    status = LoanStatus.ACTIVE
    if closing:
        status = LoanStatus.REPAID if repaid else LoanStatus.FORGIVEN
    collateral_state = record.collateral_state
    if closing and collateral_state is CollateralState.ESCROWED:
        collateral_state = CollateralState.RELEASED
    updated = msgspec.structs.replace(
        record,
        status=status,
        closed_height=height if closing else 0,
        principal_outstanding=principal_left,
        interest_owed=interest_left,
        interest_carry=0 if closing else standing.carry,  # the last fraction is dropped
        accrued_height=height,
        principal_repaid=record.principal_repaid + (to_principal if repaid else 0),
        interest_repaid=record.interest_repaid + (to_interest if repaid else 0),
        principal_forgiven=record.principal_forgiven + (0 if repaid else to_principal),
        interest_forgiven=record.interest_forgiven + (0 if repaid else to_interest),
        collateral_state=collateral_state,
        entries=record.entries + 1,
        partial_entries=record.partial_entries + (0 if closing else 1),
    )
    return updated, to_interest, to_principal


def compute_defaulted(record: LoanRecord, standing: Standing, height: Height) -> LoanRecord:
    """The record once declared in default at `height`: what is owed then stays."""
    return msgspec.structs.replace(
        record,
        status=LoanStatus.DEFAULTED,
        closed_height=height,
        interest_owed=standing.interest,
        interest_carry=standing.carry,
        accrued_height=height,
        entries=record.entries + 1,
    )


__all__ = [
    "Standing",
    "compute_defaulted",
    "compute_new_loan",
    "compute_settled",
    "compute_standing",
]
