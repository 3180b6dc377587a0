"""The loans module: loan agreements both parties sign (or an offer one accepts), disbursed
and collateralised in the same transaction, repaid in parts, forgiven, declared in default,
and kept as each party's credit record."""

from chainbook.apps.base import Module
from chainbook.apps.loans import process as _process
from chainbook.apps.loans.accrual import BPS, compute_accrued, compute_split
from chainbook.apps.loans.actions import (
    ACTIONS,
    Accept,
    AssetCollateral,
    ClaimCollateral,
    Collateral,
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
from chainbook.apps.loans.agreement import ESCROW
from chainbook.apps.loans.errors import ERRORS
from chainbook.apps.loans.invariants import assert_invariants
from chainbook.apps.loans.limits import LIMITS
from chainbook.apps.loans.queries import (
    QUERIES,
    CreditRecord,
    EntryInfo,
    Figures,
    HistoryPage,
    LoanInfo,
    LoanSummary,
    OfferInfo,
    PartyLoansPage,
)
from chainbook.apps.loans.workload import LoansWorkload

MODULE = Module(
    name=_process.MODULE_NAME,
    summary=(
        "Loans: an agreement both parties sign, disbursed and collateralised at once; "
        "repayments, forgiveness, default and collateral claims; each party's credit record."
    ),
    actions=ACTIONS,
    process=_process.process,
    queries=QUERIES,
    errors=ERRORS,
    limits=LIMITS,
    workload=LoansWorkload,
    assert_invariants=assert_invariants,
)

__all__ = [
    "BPS",
    "ESCROW",
    "MODULE",
    "Accept",
    "AssetCollateral",
    "ClaimCollateral",
    "Collateral",
    "Create",
    "CreditRecord",
    "DeclareDefault",
    "EntryInfo",
    "Figures",
    "Forgive",
    "HistoryPage",
    "Instalment",
    "LoanInfo",
    "LoanSummary",
    "OfferInfo",
    "Offer",
    "PartyLoansPage",
    "Repay",
    "RepayInFull",
    "TokenCollateral",
    "WithdrawOffer",
    "compute_accrued",
    "compute_split",
]
