"""Repayments, forgiveness, default and claims: interest first, then principal, figures exact
at every height; full repayment releases the collateral at once; the statuses active,
overdue, repaid, forgiven, defaulted; only the lender forgives, declares a default after due
plus grace, and claims; every refusal names what is owed or when, and changes nothing."""

from __future__ import annotations

from chainbook.apps.loans import (
    AssetCollateral,
    ClaimCollateral,
    DeclareDefault,
    Forgive,
    Instalment,
    Repay,
    RepayInFull,
    TokenCollateral,
)
from chainbook.ledger.state import LedgerState
from tests.apps.loans.helpers import (
    BORROWER,
    ESCROW,
    FRIEND,
    LENDER,
    OUTSIDER,
    TITLE,
    TOKEN,
    advance,
    advance_to,
    agreement,
    asset_owner,
    events,
    loan,
    make_ledger,
    refused,
    run,
    token_balance,
)
from tests.support import ask


def lent(**change: object) -> tuple[LedgerState, int]:
    """Alice has lent Bob 100,000 at 1 % per 10 blocks (100 a block), due 20 blocks later."""
    state = make_ledger()
    receipt = run(state, [LENDER, BORROWER], agreement(**change))  # type: ignore[arg-type]
    return state, receipt.height


def outstanding(state: LedgerState, blocks_ahead: int = 0) -> object:
    return ask(state, "loans", "outstanding", loan_id="L-1", blocks_ahead=blocks_ahead)


def test_a_repayment_pays_the_interest_accrued_then_principal() -> None:
    state, start = lent(collateral=AssetCollateral(TITLE))
    advance_to(state, start + 7)
    projected = outstanding(state, blocks_ahead=1)
    assert (projected.height, projected.interest, projected.principal) == (start + 7, 700, 100_000)
    receipt = run(state, FRIEND, Repay("L-1", 10_000))  # Carol pays for Bob
    assert receipt.height == start + 7
    assert events(receipt) == [("repayment", {
        "loan_id": "L-1", "lender": LENDER.address.hex(), "borrower": BORROWER.address.hex(),
        "payer": FRIEND.address.hex(), "amount": "10000", "interest": "700",
        "principal": "9300", "outstanding": "90700", "status": "active",
    })]  # fmt: skip
    assert token_balance(state, LENDER, "") == 910_000
    assert token_balance(state, FRIEND, "") == 0
    info = loan(state)
    assert (info.principal_repaid, info.interest_repaid, info.entries) == (9_300, 700, 1)
    # 90,700 at 1 % per 10 blocks: 90.7 a block, the fraction carried, not lost.
    advance(state, 9)
    now = outstanding(state)
    assert (now.height, now.principal, now.interest) == (start + 16, 90_700, 816)
    assert now.status == "active" and now.next_due_height == start + 20
    history = ask(state, "loans", "history", loan_id="L-1")
    assert [(e.kind, e.payer, e.amount, e.interest, e.principal) for e in history.entries] == [
        ("repayment", FRIEND.address, 10_000, 700, 9_300),
    ]


def test_full_repayment_releases_the_collateral_in_the_same_transaction() -> None:
    state, start = lent(collateral=AssetCollateral(TITLE))
    advance_to(state, start + 3)
    refused(state, BORROWER, RepayInFull("L-1", 100_299), "loans.invalid_amount")
    receipt = run(state, BORROWER, RepayInFull("L-1", 100_400))
    assert [kind for kind, _ in events(receipt)] == ["repayment", "collateral_released"]
    assert events(receipt)[0][1]["amount"] == "100400"  # 4 blocks of 100
    assert asset_owner(state) == BORROWER.address
    info = loan(state)
    assert info.now.status == "repaid" and info.now.outstanding == 0
    assert info.collateral_state == "released" and info.closed_height == receipt.height
    error = refused(state, BORROWER, Repay("L-1", 1), "loans.loan_closed")
    assert "repaid since height" in error
    refused(state, BORROWER, RepayInFull("L-1", 10**9), "loans.loan_closed")
    credit = ask(state, "loans", "credit", address=BORROWER.address).as_borrower
    assert (credit.total, credit.active, credit.repaid) == (1, 0, 1)


def test_repaying_in_parts_closes_at_the_last_unit_and_drops_the_fraction() -> None:
    state, start = lent(principal=1_000, rate_bps=7, period_blocks=3, collateral=TokenCollateral(
        TOKEN, 2_000))  # fmt: skip
    assert token_balance(state, ESCROW) == 2_000
    advance_to(state, start + 2)
    # 1,000 x 7 bps x 2 blocks / 3 = 0.466...: nothing whole yet.
    assert outstanding(state, 1).interest == 0
    run(state, BORROWER, Repay("L-1", 400))
    advance_to(state, start + 10)
    figures = outstanding(state, 1)
    assert (figures.principal, figures.interest) == (600, 1)
    receipt = run(state, BORROWER, Repay("L-1", 601))
    assert events(receipt)[0][1]["status"] == "repaid"
    assert token_balance(state, ESCROW) == 0 and token_balance(state, BORROWER) == 50_000
    assert loan(state).interest_repaid == 1


def test_more_than_is_owed_is_refused_naming_what_is_owed() -> None:
    state, start = lent()
    advance_to(state, start + 2)
    error = refused(state, BORROWER, Repay("L-1", 100_201), "loans.overpayment")
    assert f"owes 100200 at height {start + 2} (200 interest, 100000 principal)" in error
    refused(state, BORROWER, Repay("L-1", 0), "loans.invalid_amount")
    refused(state, BORROWER, Repay("L-2", 1), "loans.unknown_loan")
    refused(state, LENDER, Repay("L-1", 1), "loans.invalid_party")


def test_a_loan_is_overdue_past_a_due_height_it_has_not_met() -> None:
    schedule = [Instalment(5, 40_000), Instalment(10, 60_000)]
    state, start = lent(instalments=schedule, rate_bps=0)
    advance_to(state, start + 5)
    assert outstanding(state).status == "active"  # the committed height is start + 4
    run(state, BORROWER, Repay("L-1", 39_999))  # at start + 5: one unit short
    figures = outstanding(state)
    assert figures.status == "active" and figures.due_now == 1  # at the due height itself
    advance(state, 1)
    figures = outstanding(state)
    assert figures.status == "overdue" and figures.overdue_since == start + 5
    run(state, BORROWER, Repay("L-1", 1))
    figures = outstanding(state)
    assert figures.status == "active" and figures.next_due_height == start + 10
    assert [s.met for s in loan(state).schedule] == [True, False]
    assert figures.due_now == 0


def test_a_default_comes_only_from_the_lender_after_due_plus_grace() -> None:
    state, start = lent(collateral=AssetCollateral(TITLE))  # due start + 20, grace 5
    refused(state, LENDER, ClaimCollateral("L-1"), "loans.not_defaulted")
    advance_to(state, start + 24)
    refused(state, BORROWER, DeclareDefault("L-1"), "loans.not_lender")
    error = refused(state, LENDER, DeclareDefault("L-1"), "loans.grace_running")  # at + 25
    assert f"from height {start + 26}" in error and "missed the instalment" in error
    assert outstanding(state).status == "overdue"
    receipt = run(state, LENDER, DeclareDefault("L-1"))
    assert receipt.height == start + 26
    ((kind, attributes),) = events(receipt)
    assert kind == "defaulted" and attributes["outstanding"] == str(100_000 + 2_600)
    advance(state, 10)
    frozen = outstanding(state)
    assert (frozen.status, frozen.outstanding) == ("defaulted", 102_600), "interest stopped"
    refused(state, BORROWER, Repay("L-1", 1), "loans.loan_closed")
    refused(state, LENDER, Forgive("L-1"), "loans.loan_closed")
    refused(state, LENDER, DeclareDefault("L-1"), "loans.loan_closed")
    # Nobody but the lender claims; the lender once.
    refused(state, BORROWER, ClaimCollateral("L-1"), "loans.not_lender")
    refused(state, OUTSIDER, ClaimCollateral("L-1"), "loans.not_lender")
    assert asset_owner(state) == ESCROW
    claimed = run(state, LENDER, ClaimCollateral("L-1"))
    assert events(claimed)[0][0] == "collateral_claimed"
    assert asset_owner(state) == LENDER.address
    info = loan(state)
    assert info.collateral_state == "claimed" and info.now.status == "defaulted"
    error = refused(state, LENDER, ClaimCollateral("L-1"), "loans.no_collateral")
    assert "claimed already" in error
    kinds = [e.kind for e in ask(state, "loans", "history", loan_id="L-1").entries]
    assert kinds == ["default", "claim"]
    credit = ask(state, "loans", "credit", address=BORROWER.address).as_borrower
    assert (credit.active, credit.defaulted) == (0, 1)


def test_a_default_needs_a_missed_instalment_and_a_claim_needs_collateral() -> None:
    state, start = lent(due_blocks=3, grace_blocks=0)
    advance_to(state, start + 3)
    error = refused(state, LENDER, DeclareDefault("L-1"), "loans.grace_running")
    assert "has not missed yet" in error
    run(state, LENDER, DeclareDefault("L-1"))  # start + 4: missed, no grace
    refused(state, LENDER, ClaimCollateral("L-1"), "loans.no_collateral")


def test_the_lender_forgives_in_part_or_in_full_and_nobody_else_does() -> None:
    state, start = lent(collateral=AssetCollateral(TITLE))
    advance_to(state, start + 5)
    refused(state, BORROWER, Forgive("L-1", 100), "loans.not_lender")  # at start + 5
    refused(state, LENDER, Forgive("L-1", 100_601), "loans.overpayment")  # owed: 100,600
    refused(state, LENDER, Forgive("L-1", 0), "loans.invalid_amount")
    receipt = run(state, LENDER, Forgive("L-1", 1_500))  # at + 8: 800 interest, 700 principal
    assert events(receipt)[0][1] == {
        "loan_id": "L-1", "lender": LENDER.address.hex(), "borrower": BORROWER.address.hex(),
        "amount": "1500", "interest": "800", "principal": "700", "outstanding": "99300",
        "status": "active",
    }  # fmt: skip
    info = loan(state)
    assert (info.principal_forgiven, info.interest_forgiven) == (700, 800)
    assert token_balance(state, LENDER, "") == 900_000, "forgiveness moves nothing"
    receipt = run(state, LENDER, Forgive("L-1"))
    assert [kind for kind, _ in events(receipt)] == ["forgiveness", "collateral_released"]
    assert asset_owner(state) == BORROWER.address and loan(state).now.status == "forgiven"
    credit = ask(state, "loans", "credit", address=LENDER.address).as_lender
    assert (credit.total, credit.forgiven) == (1, 1)


def test_unpaid_interest_stops_at_the_principal_outstanding() -> None:
    """The in duplum rule: a 100 % a block loan left alone owes twice its principal, never more."""
    state, start = lent(principal=1_000, rate_bps=10_000, period_blocks=1)
    advance(state, 3)
    figures = outstanding(state, blocks_ahead=1_000_000)
    assert (figures.principal, figures.interest) == (1_000, 1_000)
