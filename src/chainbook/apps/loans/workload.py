"""The loans module's simulated clients: offers accepted or withdrawn, repayments partial and
in full, forgiveness, defaults and collateral claims; now and then an agreement only one party
signed (refused: loans.not_signed).

The simulator signs each transaction with its sender's keys alone (sim/workload.py), so loans
start here by offer and acceptance; the agreement both parties sign in one transaction runs
in the module's tests and the docs' example. A workload does not see the chain's height:
schedules are short (a few blocks), so due heights pass during a run, and a default declared
too early is refused as a real lender's would be; a refused action only makes the workload
try something else next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from chainbook.apps.base import Rng
from chainbook.apps.loans.actions import (
    Accept,
    ClaimCollateral,
    Create,
    DeclareDefault,
    Forgive,
    Instalment,
    Offer,
    Repay,
    RepayInFull,
    TokenCollateral,
    WithdrawOffer,
)
from chainbook.types import Address

PRINCIPAL_MAX = 1_000
TRACKED_MAX = 64
"""Offers and loans a workload remembers (older ones are left alone)."""
FAILURES_MAX = 8
"""Refused actions on one loan after which the workload forgets it."""


@dataclass(slots=True)
class SimLoan:
    loan_id: str
    lender: Address
    borrower: Address
    principal: int
    collateral: bool
    defaulted: bool = False
    failures: int = 0


class LoansWorkload:
    def __init__(self) -> None:
        self.made = 0
        self.offers: dict[str, SimLoan] = {}
        self.loans: dict[str, SimLoan] = {}

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        draw = rng.random()
        others = [a for a in accounts if a != sender]
        if not others:
            return None
        if draw < 0.05:  # one party alone: refused
            return Create(
                self._new_id(), sender, rng.choice(others), "", 10, 0, 1, [Instalment(5, 10)]
            )
        to_accept = [o for o in self.offers.values() if o.borrower == sender]
        if to_accept and draw < 0.4:
            return Accept(rng.choice(to_accept).loan_id)
        mine = [o for o in self.offers.values() if o.lender == sender]
        if mine and draw < 0.45:
            return WithdrawOffer(rng.choice(mine).loan_id)
        owing = [loan for loan in self.loans.values() if loan.borrower == sender]
        if owing and draw < 0.75:
            loan = rng.choice(owing)
            if rng.random() < 0.3:
                return RepayInFull(loan.loan_id, 10**9)
            return Repay(loan.loan_id, rng.randint(1, loan.principal))  # at times too much
        lent = [loan for loan in self.loans.values() if loan.lender == sender]
        if lent and draw < 0.9:
            loan = rng.choice(lent)
            if loan.defaulted:
                return ClaimCollateral(loan.loan_id)
            pick = rng.random()
            if pick < 0.15:
                return Forgive(loan.loan_id, rng.choice([None, rng.randint(1, 50)]))
            return DeclareDefault(loan.loan_id)
        return self._offer(rng, sender, others)

    def _new_id(self) -> str:
        self.made += 1
        return f"sim-{self.made}"

    def _offer(self, rng: Rng, sender: Address, others: Sequence[Address]) -> Offer:
        principal = rng.randint(2, PRINCIPAL_MAX)
        first = rng.randint(1, principal - 1)
        due = rng.randint(2, 20)
        second = Instalment(due + rng.randint(1, 20), principal - first)
        instalments = [Instalment(due, first), second]
        if rng.random() < 0.4:
            instalments = [Instalment(due, principal)]
        collateral = TokenCollateral("", rng.randint(1, 100)) if rng.random() < 0.5 else None
        return Offer(
            loan_id=self._new_id(),
            borrower=rng.choice(others),
            token="",
            principal=principal,
            rate_bps=rng.randint(0, 500),
            period_blocks=rng.randint(1, 20),
            instalments=instalments,
            open_blocks=rng.randint(3, 30),
            grace_blocks=rng.randint(0, 5),
            collateral=collateral,
        )

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        match action:
            case Offer() if ok and len(self.offers) < TRACKED_MAX:
                self.offers[action.loan_id] = SimLoan(
                    action.loan_id, sender, action.borrower, action.principal,
                    action.collateral is not None,
                )  # fmt: skip
            case Accept():
                offer = self.offers.pop(action.loan_id, None)
                if ok and offer is not None and len(self.loans) < TRACKED_MAX:
                    self.loans[action.loan_id] = offer
            case WithdrawOffer() if ok:
                self.offers.pop(action.loan_id, None)
            case RepayInFull() | ClaimCollateral() | Forgive(amount=None) if ok:
                self.loans.pop(action.loan_id, None)
            case DeclareDefault() if ok and action.loan_id in self.loans:
                if self.loans[action.loan_id].collateral:
                    self.loans[action.loan_id].defaulted = True
                else:  # nothing left to do with it (a claim would be refused: no collateral)
                    self.loans.pop(action.loan_id)
            case Repay() | RepayInFull() | Forgive() | DeclareDefault() | ClaimCollateral():
                loan = self.loans.get(action.loan_id)
                if not ok and loan is not None:
                    # Closed meanwhile (a partial repayment may have been the last), or too
                    # early: a loan refused often is forgotten.
                    loan.failures += 1
                    if loan.failures >= FAILURES_MAX:
                        self.loans.pop(action.loan_id)

__all__ = ["LoansWorkload"]
