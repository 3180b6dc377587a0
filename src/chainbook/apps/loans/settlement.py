"""How a loan is settled: repayments, forgiveness, a default and the claim of its collateral.

Rules kept:
- Anyone but the lender may repay: the borrower, or anyone paying on the borrower's behalf.
  The payment goes from the sender straight to the lender, in the loan's token, through the
  tokens contract (a lender "repaying" itself would move nothing: that is forgiveness, which
  the record must call by its name). A payment first pays the interest owed at its height,
  then principal (apps/loans/accrual.py).
- A repayment of more than is owed at its height is refused (loans.overpayment, naming what
  is owed then); `repay_in_full` pays exactly what is owed at its height, if it is at most
  `amount_max`, so a borrower need not guess the interest of the block it lands in. A loan
  repaid, forgiven or in default takes no payment (loans.loan_closed): nothing is owed.
- The payment that settles the last unit closes the loan (repaid) and releases the collateral
  to the borrower in the same transaction; the fraction of a unit of interest left is dropped.
- Only the lender forgives, some or everything owed (interest first); forgiving the rest
  closes the loan (forgiven) and releases the collateral.
- Only the lender declares a default, from the loan's default height on (a missed due height
  plus grace, apps/loans/terms.py). Interest stops; what was owed stays recorded. The
  collateral stays in escrow until the lender claims it (loans.claim_collateral); nobody else
  may, and nothing is claimable from a loan not in default.
- Each step is an entry of the loan's history (its repayment history, part of the parties'
  credit records): at most payments_per_loan_max partial ones; the closing ones always fit.
- Checks come before any write.
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps import tokens
from chainbook.apps.base import TxContext, TxView
from chainbook.apps.loans import limits
from chainbook.apps.loans.actions import (
    AssetCollateral,
    ClaimCollateral,
    DeclareDefault,
    Forgive,
    Repay,
    RepayInFull,
    TokenCollateral,
)
from chainbook.apps.loans.agreement import (
    ESCROW,
    compute_collateral_attributes,
    compute_party_attributes,
    process_add_escrow,
    process_count,
    verify_holds,
)
from chainbook.apps.loans.errors import (
    GraceRunning,
    InvalidAmount,
    InvalidParty,
    LoanClosed,
    NoCollateral,
    NotDefaulted,
    NotLender,
    Overpayment,
    TooMany,
    UnknownLoan,
)
from chainbook.apps.loans.figures import (
    Standing,
    compute_defaulted,
    compute_settled,
    compute_standing,
)
from chainbook.apps.loans.state import (
    COLLATERAL_STATE_NAMES,
    MODULE_NAME,
    STATUS_NAMES,
    CollateralState,
    EntryKind,
    LoanEntry,
    LoanRecord,
    LoanStatus,
    Role,
    StatusCounts,
    entry_key,
    escrow_asset_key,
    get_loan,
    get_stats,
    loan_key,
)
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Amount

# --- checks ---------------------------------------------------------------------------------


def verify_loan(view: TxView, loan_id: str) -> LoanRecord:
    record = get_loan(view, loan_id)
    if record is None:
        raise UnknownLoan(f"no loan has id {loan_id!r}")
    return record


def verify_active(record: LoanRecord, loan_id: str) -> None:
    if record.status is not LoanStatus.ACTIVE:
        raise LoanClosed(
            f"loan {loan_id!r} is {STATUS_NAMES[record.status]} since height "
            f"{record.closed_height}: nothing is owed to pay or forgive"
        )


def verify_lender(ctx: TxContext, record: LoanRecord, loan_id: str, what: str) -> None:
    if ctx.sender != record.lender:
        raise NotLender(
            f"only the lender {record.lender.hex()} may {what} loan {loan_id!r}, not "
            f"{ctx.sender.hex()}"
        )


def verify_amount(amount: Amount, name: str) -> None:
    if amount < 1:
        raise InvalidAmount(f"{name} is {amount}; at least 1 accepted")


def verify_room_for_partial(record: LoanRecord, loan_id: str) -> None:
    if record.partial_entries >= limits.payments_per_loan_max:
        raise TooMany(
            f"loan {loan_id!r} has {record.partial_entries} partial repayments and "
            f"forgivenesses, the most one loan may ({limits.payments_per_loan_max:,}); settle "
            "it in full (loans.repay_in_full, or loans.forgive without an amount)"
        )


def describe_owed(loan_id: str, standing: Standing) -> str:
    return (
        f"loan {loan_id!r} owes {standing.owed} at height {standing.height} ({standing.interest}"
        f" interest, {standing.principal} principal)"
    )


# --- state changes --------------------------------------------------------------------------


def process_release_collateral(
    view: TxView, ctx: TxContext, loan_id: str, record: LoanRecord, to: Address
) -> None:
    """Move the escrowed collateral to `to` (the borrower, or the lender after a default)."""
    collateral = record.terms.collateral
    if isinstance(collateral, TokenCollateral):
        tokens.transfer(view, ctx, ESCROW, to, collateral.token, collateral.amount)
        process_add_escrow(view, collateral.token, -collateral.amount)
    elif isinstance(collateral, AssetCollateral):
        tokens.transfer_asset(view, ctx, ESCROW, to, collateral.asset_id)
        view.delete(escrow_asset_key(collateral.asset_id))


def process_close_counts(view: TxView, record: LoanRecord, status: LoanStatus) -> None:
    """Move the loan from active to `status` in both parties' counts."""
    for address, role in ((record.lender, Role.LENDER), (record.borrower, Role.BORROWER)):
        c = get_stats(view, address, role)
        assert c.active >= 1, (address.hex(), role, c)
        counts = StatusCounts(
            c.total,
            c.active - 1,
            c.repaid + (status is LoanStatus.REPAID),
            c.forgiven + (status is LoanStatus.FORGIVEN),
            c.defaulted + (status is LoanStatus.DEFAULTED),
        )
        process_count(view, address, role, counts)


def process_entry(
    view: TxView, ctx: TxContext, loan_id: str, record: LoanRecord, entry: LoanEntry
) -> None:
    view.set(entry_key(loan_id, record.entries), codec.encode(entry))


def process_settle(
    view: TxView,
    ctx: TxContext,
    loan_id: str,
    record: LoanRecord,
    standing: Standing,
    amount: Amount,
    kind: EntryKind,
) -> list[Event]:
    """Apply a repayment or a forgiveness of `amount` (at most what is owed): interest first;
    the one that settles the last unit closes the loan and releases its collateral."""
    repaid = kind is EntryKind.REPAYMENT
    updated, to_interest, to_principal = compute_settled(
        record, standing, amount, repaid, ctx.height
    )
    principal_left, interest_left = updated.principal_outstanding, updated.interest_owed
    closing = updated.status is not LoanStatus.ACTIVE
    status = updated.status
    if repaid:
        tokens.transfer(view, ctx, ctx.sender, record.lender, record.terms.token, amount)
    entry = LoanEntry(
        kind, ctx.sender, amount, to_interest, to_principal, principal_left, interest_left,
        ctx.height, ctx.tx_hash,
    )
    process_entry(view, ctx, loan_id, record, entry)
    view.set(loan_key(loan_id), codec.encode(updated))
    parties = compute_party_attributes(loan_id, record.lender, record.borrower)
    figures = [
        ("amount", str(amount)),
        ("interest", str(to_interest)),
        ("principal", str(to_principal)),
        ("outstanding", str(principal_left + interest_left)),
        ("status", STATUS_NAMES[status]),
    ]
    if repaid:
        figures.insert(0, ("payer", ctx.sender.hex()))
    events = [Event(MODULE_NAME, "repayment" if repaid else "forgiveness", parties + figures)]
    if closing:
        process_close_counts(view, record, status)
        if record.collateral_state is CollateralState.ESCROWED:
            process_release_collateral(view, ctx, loan_id, record, record.borrower)
            attributes = parties + compute_collateral_attributes(record.terms.collateral)
            events.append(Event(MODULE_NAME, "collateral_released", attributes))
    return events


def process_repay(view: TxView, ctx: TxContext, action: Repay) -> list[Event]:
    """A repayment of `amount` by the sender, at most what is owed now."""
    record = verify_loan(view, action.loan_id)
    verify_active(record, action.loan_id)
    verify_amount(action.amount, "amount")
    verify_payer(ctx, record, action.loan_id)
    standing = compute_standing(record, ctx.height)
    if action.amount > standing.owed:
        raise Overpayment(
            f"{describe_owed(action.loan_id, standing)}; a repayment of {action.amount} is "
            "more (pay at most what is owed, or loans.repay_in_full)"
        )
    if action.amount < standing.owed:
        verify_room_for_partial(record, action.loan_id)
    verify_holds(view, ctx, ctx.sender, "payer", record.terms.token, action.amount)
    return process_settle(
        view, ctx, action.loan_id, record, standing, action.amount, EntryKind.REPAYMENT
    )


def verify_payer(ctx: TxContext, record: LoanRecord, loan_id: str) -> None:
    if ctx.sender == record.lender:
        raise InvalidParty(
            f"{ctx.sender.hex()} is loan {loan_id!r}'s lender: a lender does not repay its own "
            "loan (loans.forgive records what it lets go)"
        )


def process_repay_in_full(view: TxView, ctx: TxContext, action: RepayInFull) -> list[Event]:
    """Pay everything owed now, if it is at most `amount_max`."""
    record = verify_loan(view, action.loan_id)
    verify_active(record, action.loan_id)
    verify_amount(action.amount_max, "amount_max")
    verify_payer(ctx, record, action.loan_id)
    standing = compute_standing(record, ctx.height)
    if standing.owed > action.amount_max:
        raise InvalidAmount(
            f"{describe_owed(action.loan_id, standing)}, more than amount_max "
            f"{action.amount_max}"
        )
    verify_holds(view, ctx, ctx.sender, "payer", record.terms.token, standing.owed)
    return process_settle(
        view, ctx, action.loan_id, record, standing, standing.owed, EntryKind.REPAYMENT
    )


def process_forgive(view: TxView, ctx: TxContext, action: Forgive) -> list[Event]:
    """The lender forgives `amount` (everything owed when None), interest first."""
    record = verify_loan(view, action.loan_id)
    verify_active(record, action.loan_id)
    verify_lender(ctx, record, action.loan_id, "forgive")
    standing = compute_standing(record, ctx.height)
    amount = standing.owed if action.amount is None else action.amount
    verify_amount(amount, "amount")
    if amount > standing.owed:
        raise Overpayment(
            f"{describe_owed(action.loan_id, standing)}; forgiving {amount} is more (omit the "
            "amount to forgive everything)"
        )
    if amount < standing.owed:
        verify_room_for_partial(record, action.loan_id)
    return process_settle(
        view, ctx, action.loan_id, record, standing, amount, EntryKind.FORGIVENESS
    )


def process_declare_default(view: TxView, ctx: TxContext, action: DeclareDefault) -> list[Event]:
    """The lender declares the loan in default: past a missed due height plus grace."""
    record = verify_loan(view, action.loan_id)
    verify_active(record, action.loan_id)
    verify_lender(ctx, record, action.loan_id, "declare a default of")
    standing = compute_standing(record, ctx.height)
    due, first = standing.unmet_due_height, standing.default_height
    assert due is not None and first is not None, ("an active loan met every instalment", record)
    if ctx.height < first:
        missed = "missed" if ctx.height > due else "has not missed yet"
        raise GraceRunning(
            f"loan {action.loan_id!r} {missed} the instalment due at height {due}; with "
            f"{record.terms.grace_blocks} blocks of grace it may be declared in default from "
            f"height {first} if that instalment is still not met, not at {ctx.height}"
        )
    updated = compute_defaulted(record, standing, ctx.height)
    entry = LoanEntry(
        EntryKind.DEFAULT, ctx.sender, 0, standing.interest, standing.principal,
        standing.principal, standing.interest, ctx.height, ctx.tx_hash,
    )
    process_entry(view, ctx, action.loan_id, record, entry)
    view.set(loan_key(action.loan_id), codec.encode(updated))
    process_close_counts(view, record, LoanStatus.DEFAULTED)
    attributes = [
        *compute_party_attributes(action.loan_id, record.lender, record.borrower),
        ("outstanding", str(standing.owed)),
        ("interest", str(standing.interest)),
        ("principal", str(standing.principal)),
        ("collateral", COLLATERAL_STATE_NAMES[record.collateral_state]),
    ]
    return [Event(MODULE_NAME, "defaulted", attributes)]


def process_claim_collateral(
    view: TxView, ctx: TxContext, action: ClaimCollateral
) -> list[Event]:
    """The lender takes the collateral of a loan in default."""
    record = verify_loan(view, action.loan_id)
    verify_lender(ctx, record, action.loan_id, "claim the collateral of")
    if record.status is not LoanStatus.DEFAULTED:
        raise NotDefaulted(
            f"loan {action.loan_id!r} is {STATUS_NAMES[record.status]}, not in default: its "
            "collateral is claimable only after the lender declares a default "
            "(loans.declare_default)"
        )
    if record.collateral_state is not CollateralState.ESCROWED:
        why = (
            "has no collateral"
            if record.collateral_state is CollateralState.NONE
            else "had its collateral claimed already"
        )
        raise NoCollateral(f"loan {action.loan_id!r} {why}")
    collateral = record.terms.collateral
    amount = collateral.amount if isinstance(collateral, TokenCollateral) else 0
    process_release_collateral(view, ctx, action.loan_id, record, record.lender)
    entry = LoanEntry(
        EntryKind.CLAIM, ctx.sender, amount, 0, 0, record.principal_outstanding,
        record.interest_owed, ctx.height, ctx.tx_hash,
    )
    process_entry(view, ctx, action.loan_id, record, entry)
    updated = msgspec.structs.replace(
        record, collateral_state=CollateralState.CLAIMED, entries=record.entries + 1
    )
    view.set(loan_key(action.loan_id), codec.encode(updated))
    attributes = [
        *compute_party_attributes(action.loan_id, record.lender, record.borrower),
        *compute_collateral_attributes(collateral),
    ]
    return [Event(MODULE_NAME, "collateral_claimed", attributes)]


__all__ = [
    "process_claim_collateral",
    "process_declare_default",
    "process_forgive",
    "process_release_collateral",
    "process_repay",
    "process_repay_in_full",
    "process_settle",
    "verify_active",
    "verify_lender",
    "verify_loan",
]
