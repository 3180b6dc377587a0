"""The loans module's entry point: one `process` that dispatches on the action.

The rules live beside the steps that keep them: apps/loans/agreement.py (a loan starts:
both parties sign, or an offer is accepted; disbursement and escrow in the same
transaction), apps/loans/settlement.py (repayments, forgiveness, default, claim),
apps/loans/terms.py (the terms and the schedule), apps/loans/accrual.py (interest, rounding),
apps/loans/state.py (the keys). Every action either does all it says or is refused, with
every write of this module and of the modules it called discarded (apps/base.py).
"""

from __future__ import annotations

import msgspec

from chainbook.apps.base import TxContext, TxView
from chainbook.apps.loans.actions import (
    Accept,
    ClaimCollateral,
    Create,
    DeclareDefault,
    Forgive,
    Offer,
    Repay,
    RepayInFull,
    WithdrawOffer,
)
from chainbook.apps.loans.agreement import (
    process_accept,
    process_create,
    process_offer,
    process_withdraw_offer,
)
from chainbook.apps.loans.settlement import (
    process_claim_collateral,
    process_declare_default,
    process_forgive,
    process_repay,
    process_repay_in_full,
)
from chainbook.apps.loans.state import MODULE_NAME
from chainbook.ledger.receipts import Event


def process(view: TxView, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    match action:
        case Create():
            return process_create(view, ctx, action)
        case Offer():
            return process_offer(view, ctx, action)
        case Accept():
            return process_accept(view, ctx, action)
        case WithdrawOffer():
            return process_withdraw_offer(view, ctx, action)
        case Repay():
            return process_repay(view, ctx, action)
        case RepayInFull():
            return process_repay_in_full(view, ctx, action)
        case Forgive():
            return process_forgive(view, ctx, action)
        case DeclareDefault():
            return process_declare_default(view, ctx, action)
        case ClaimCollateral():
            return process_claim_collateral(view, ctx, action)
    raise AssertionError(f"loans received a foreign action {type(action).__name__}")


__all__ = ["MODULE_NAME", "process"]
