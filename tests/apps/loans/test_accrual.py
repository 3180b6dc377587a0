"""Interest in integers (apps/loans/accrual.py): exact against rational arithmetic, the same
whether accrued in one step or many (so a query's projection is what a repayment finds),
rounded down once with the fraction carried, capped at the principal (in duplum)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from chainbook.apps.loans import BPS, compute_accrued, compute_split, limits

principals = st.integers(1, limits.principal_max)
rates = st.integers(0, limits.rate_bps_max)
periods = st.integers(1, limits.period_blocks_max)


def exact(principal: int, rate_bps: int, period_blocks: int, blocks: int) -> Fraction:
    return min(Fraction(principal * rate_bps * blocks, BPS * period_blocks), Fraction(principal))


def test_the_docs_example_one_percent_per_thousand_blocks() -> None:
    """100 units of 6 decimals at 1 % per 1,000 blocks: 1,000 base units a block."""
    assert compute_accrued(100_000_000, 0, 0, 100, 1_000, 1) == (1_000, 0)
    assert compute_accrued(100_000_000, 0, 0, 100, 1_000, 1_000) == (1_000_000, 0)
    # 60,000,000 left: 600 a block; 7 blocks and a third of a unit carried in 1/10^7ths.
    assert compute_accrued(60_000_000, 0, 0, 100, 1_000, 7) == (4_200, 0)
    assert compute_accrued(1, 0, 0, 100, 1_000, 1) == (0, 100)


@given(principals, rates, periods, st.integers(0, 10**9))
def test_interest_is_the_exact_rational_amount_rounded_down(
    principal: int, rate: int, period: int, blocks: int
) -> None:
    interest, carry = compute_accrued(principal, 0, 0, rate, period, blocks)
    owed = exact(principal, rate, period, blocks)
    assert interest == int(owed)  # floor: the borrower never owes a unit not accrued
    if interest < principal:
        assert interest + Fraction(carry, BPS * period) == owed
    else:
        assert carry == 0, "capped: no fraction is kept beyond the cap"


@given(principals, rates, periods, st.lists(st.integers(0, 10**6), max_size=6))
def test_accruing_in_steps_is_accruing_at_once(
    principal: int, rate: int, period: int, steps: list[int]
) -> None:
    interest, carry = 0, 0
    for blocks in steps:
        interest, carry = compute_accrued(principal, interest, carry, rate, period, blocks)
    assert (interest, carry) == compute_accrued(principal, 0, 0, rate, period, sum(steps))


@given(principals, rates, periods, st.integers(0, 10**12))
def test_unpaid_interest_never_exceeds_the_principal(
    principal: int, rate: int, period: int, blocks: int
) -> None:
    interest, carry = compute_accrued(principal, 0, 0, rate, period, blocks)
    assert 0 <= interest <= principal and 0 <= carry < BPS * period
    assert interest + principal < 2**64, "what is owed fits a state value"


@given(st.integers(0, 10**20), st.integers(0, 10**20))
def test_a_payment_goes_to_interest_first(amount: int, interest: int) -> None:
    to_interest, to_principal = compute_split(amount, interest)
    assert to_interest + to_principal == amount and min(to_interest, to_principal) >= 0
    assert to_principal == 0 or to_interest == interest
