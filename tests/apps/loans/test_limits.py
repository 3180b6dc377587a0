"""Every loans limit at its edge: the limit is accepted, one past it refused with the limit
named (apps/loans/limits.py)."""

from __future__ import annotations

import pytest

from chainbook.apps.fields import InvalidField
from chainbook.apps.loans import Instalment, Offer, Repay, RepayInFull, limits
from chainbook.ledger.state import LedgerState
from tests.apps.loans.helpers import (
    BORROWER,
    FRIEND,
    LENDER,
    agreement,
    loan,
    make_ledger,
    nonce,
    refused,
    run,
)
from tests.support import ask, make_state, run_block, tx

BOTH = [LENDER, BORROWER]


def test_a_loan_id_of_64_characters_and_not_65() -> None:
    state = make_ledger()
    run(state, BOTH, agreement("x" * 64, principal=10))
    error = refused(state, BOTH, agreement("x" * 65, principal=10), "loans.invalid_id")
    assert "1 to 64 characters" in error


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("rate_bps", limits.rate_bps_max),
        ("period_blocks", limits.period_blocks_max),
        ("grace_blocks", limits.grace_blocks_max),
    ],
)
def test_a_term_at_its_limit_and_past_it(field: str, limit: int) -> None:
    state = make_ledger()
    run(state, BOTH, agreement("at", principal=10, **{field: limit}))
    error = refused(state, BOTH, agreement("past", principal=10, **{field: limit + 1}),
                    "loans.invalid_terms")
    assert f"{limit:,}" in error


def test_the_largest_principal() -> None:
    state = make_state({LENDER.address: limits.principal_max + 1, BORROWER.address: 10})
    run(state, BOTH, agreement(principal=limits.principal_max, rate_bps=limits.rate_bps_max,
                               period_blocks=1))
    error = refused(state, BOTH, agreement("L-2", principal=limits.principal_max + 1),
                    "loans.invalid_terms")
    assert "principal is" in error
    run_block(state, [])
    figures = ask(state, "loans", "outstanding", loan_id="L-1", blocks_ahead=10**6)
    assert figures.outstanding == 2 * limits.principal_max, "in duplum keeps it below 2**64"


def test_a_schedule_of_120_instalments_and_not_121() -> None:
    state = make_ledger()
    count = limits.instalments_max
    run(state, BOTH, agreement(principal=count, instalments=[
        Instalment(i + 1, 1) for i in range(count)]))  # fmt: skip
    error = refused(state, BOTH, agreement("L-2", principal=count + 1, instalments=[
        Instalment(i + 1, 1) for i in range(count + 1)]), "loans.invalid_schedule")  # fmt: skip
    assert f"accepted 1 to {count}" in error
    assert len(loan(state).schedule) == count


def test_the_last_due_height_and_one_past_it() -> None:
    state = make_ledger()
    run(state, BOTH, agreement(principal=10, due_blocks=limits.due_blocks_max))
    refused(state, BOTH, agreement("L-2", principal=10, due_blocks=limits.due_blocks_max + 1),
            "loans.invalid_schedule")


def test_a_memo_of_256_bytes_and_not_257() -> None:
    state = make_ledger()
    run(state, BOTH, agreement(principal=10, memo="é" * 128))
    error = refused(state, BOTH, agreement("L-2", principal=10, memo="é" * 128 + "x"),
                    "loans.invalid_terms")
    assert "257 bytes" in error


def offer(loan_id: str, open_blocks: int = 10) -> Offer:
    return Offer(loan_id, BORROWER.address, "", 1, 0, 1, [Instalment(5, 1)], open_blocks)


def test_an_offer_window_and_a_lender_s_open_offers_at_their_limits() -> None:
    state = make_ledger()
    run(state, LENDER, offer("first", limits.offer_blocks_max))
    refused(state, LENDER, offer("past", limits.offer_blocks_max + 1), "loans.invalid_terms")
    start = nonce(state, LENDER)
    count = limits.open_offers_per_lender_max
    (receipts) = run_block(state, [
        tx(LENDER, start + i, offer(f"o{i}")) for i in range(count)
    ]).receipts  # fmt: skip
    assert [r.ok for r in receipts] == [True] * (count - 1) + [False]
    assert receipts[-1].code == "loans.too_many" and f"({count})" in receipts[-1].error


def lend(state: LedgerState, count: int) -> list[bool]:
    start = nonce(state, LENDER)
    txs = [
        tx(BOTH, start + i, agreement(f"n{start + i}", principal=1), accounts=[
            LENDER.address, BORROWER.address])
        for i in range(count)
    ]  # fmt: skip
    return [r.ok for r in run_block(state, txs).receipts]


def test_a_party_s_loans_at_their_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "loans_per_party_max", 3)
    state = make_ledger()
    assert lend(state, 4) == [True, True, True, False]
    refused(state, [FRIEND, BORROWER], agreement("other", principal=1, lender=FRIEND),
            "loans.too_many")


def test_a_loan_s_partial_payments_at_their_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "payments_per_loan_max", 2)
    state = make_ledger()
    run(state, BOTH, agreement(principal=100, rate_bps=0))
    run(state, BORROWER, Repay("L-1", 1))
    run(state, FRIEND, Repay("L-1", 1))
    error = refused(state, BORROWER, Repay("L-1", 1), "loans.too_many")
    assert "loans.repay_in_full" in error
    run(state, BORROWER, Repay("L-1", 98))  # the closing one always fits
    assert loan(state).now.status == "repaid"


def test_pages_of_a_credit_record_and_of_a_history() -> None:
    state = make_ledger()
    count = limits.page_loans_max + 1
    assert all(lend(state, count))
    page = ask(state, "loans", "loans_of", address=BORROWER.address, role="borrower")
    assert len(page.loans) == limits.page_loans_max and page.next == limits.page_loans_max
    rest = ask(state, "loans", "loans_of", address=BORROWER.address, role="borrower",
               start=page.next)
    assert [x.loan_id for x in rest.loans] == [f"n{count - 1}"] and rest.next is None
    run(state, BOTH, agreement("many", principal=1_000, rate_bps=0))
    start = nonce(state, BORROWER)
    run_block(state, [
        tx(BORROWER, start + i, Repay("many", 1)) for i in range(limits.page_payments_max)
    ])  # fmt: skip
    run(state, BORROWER, RepayInFull("many", 10**6))
    history = ask(state, "loans", "history", loan_id="many")
    assert (history.total, len(history.entries)) == (51, 50) and history.next == 50
    last = ask(state, "loans", "history", loan_id="many", start=50)
    assert [e.amount for e in last.entries] == [950] and last.next is None


def test_a_projection_ahead_at_its_limit() -> None:
    state = make_ledger()
    run(state, BOTH, agreement(principal=10))
    ask(state, "loans", "outstanding", loan_id="L-1", blocks_ahead=limits.blocks_ahead_max)
    with pytest.raises(InvalidField):
        ask(state, "loans", "outstanding", loan_id="L-1", blocks_ahead=limits.blocks_ahead_max + 1)
