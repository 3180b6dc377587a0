"""The stateless rules: the split of a payment (its rounding rule) against a model written
with exact fractions, for any amount and any split table (hypothesis); split and price tables
at their edges; which holders a change lowers."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.apps.royalty import Price, Share, limits
from chainbook.apps.royalty.errors import InvalidPrices, InvalidSplit, InvalidWorkId
from chainbook.apps.royalty.rules import (
    compute_allocation,
    compute_falling,
    verify_prices,
    verify_split,
    verify_work_id,
)

ADDRESSES = [bytes([i]) * 20 for i in range(1, 40)]


@st.composite
def splits(draw: st.DrawFn) -> list[Share]:
    """Any valid table: 1..16 distinct holders, shares >= 1 summing to 10,000, any order."""
    count = draw(st.integers(1, limits.holders_per_work_max))
    cuts = sorted(draw(st.sets(st.integers(1, limits.share_total_bps - 1),
                               min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, limits.share_total_bps]
    holders = draw(st.permutations(ADDRESSES))[:count]
    return [Share(h, bounds[i + 1] - bounds[i]) for i, h in enumerate(holders)]


AMOUNTS = st.one_of(st.integers(0, 1_000), st.integers(0, limits.amount_max))


def model_allocation(amount: int, split: list[Share]) -> dict[bytes, int]:
    """The rule as written in the docs, one unit at a time: everyone gets its exact share
    rounded down; then, while units are left, the holder with the largest fraction left over
    (then the larger share, then the lower address) that has not had one gets one."""
    exact = {line.holder: Fraction(amount * line.share, limits.share_total_bps) for line in split}
    parts = {holder: int(value) for holder, value in exact.items()}  # floor: values >= 0
    shares = {line.holder: line.share for line in split}
    waiting = set(parts)
    while sum(parts.values()) < amount:
        chosen = max(waiting, key=lambda h: (exact[h] - int(exact[h]), shares[h], [-b for b in h]))
        parts[chosen] += 1
        waiting.remove(chosen)
    return parts


@settings(max_examples=300, deadline=None)
@given(AMOUNTS, splits())
def test_a_payment_splits_like_the_model_and_no_unit_is_lost_or_created(
    amount: int, split: list[Share]
) -> None:
    parts = compute_allocation(amount, split)
    assert sum(parts) == amount
    assert dict(zip((line.holder for line in split), parts, strict=True)) == (
        model_allocation(amount, split))
    for line, part in zip(split, parts, strict=True):
        exact = Fraction(amount * line.share, limits.share_total_bps)
        assert exact - 1 < part < exact + 1, (line, part, exact)  # floor or ceil of it


@settings(max_examples=100, deadline=None)
@given(AMOUNTS, splits(), st.randoms(use_true_random=False))
def test_the_order_of_the_table_changes_nobody_s_part(
    amount: int, split: list[Share], rng: object
) -> None:
    shuffled = list(split)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    first = dict(zip((s.holder for s in split), compute_allocation(amount, split), strict=True))
    second = dict(zip((s.holder for s in shuffled), compute_allocation(amount, shuffled),
                      strict=True))
    assert first == second


def test_worked_roundings() -> None:
    author, producer, singer = ADDRESSES[:3]
    table = [Share(author, 5_000), Share(producer, 3_000), Share(singer, 2_000)]
    assert compute_allocation(300, table) == [150, 90, 60]
    assert compute_allocation(1, table) == [1, 0, 0]  # the largest remainder: 5000
    assert compute_allocation(7, table) == [4, 2, 1]  # 3.5, 2.1, 1.4: the 1 left to 0.5
    thirds = [Share(singer, 3_334), Share(producer, 3_333), Share(author, 3_333)]
    assert compute_allocation(2, thirds) == [1, 0, 1]  # .6668 first, then the lower address
    halves = [Share(producer, 5_000), Share(author, 5_000)]
    assert compute_allocation(1, halves) == [0, 1]  # a tie: the lower address
    assert compute_allocation(100, [Share(author, 9_999), Share(producer, 1)]) == [100, 0]


def test_split_tables_at_their_edges() -> None:
    verify_split([Share(ADDRESSES[0], 10_000)])
    full = [Share(a, 625) for a in ADDRESSES[: limits.holders_per_work_max]]
    verify_split(full)
    over = [Share(a, 1) for a in ADDRESSES[: limits.holders_per_work_max + 1]]
    with pytest.raises(InvalidSplit, match="1 to 16 holders, got 17"):
        verify_split(over)
    with pytest.raises(InvalidSplit, match="got 0"):
        verify_split([])
    cases = [
        ([Share(ADDRESSES[0], 9_999)], "sum to 9999"),
        ([Share(ADDRESSES[0], 5_000), Share(ADDRESSES[1], 5_001)], "sum to 10001"),
        ([Share(ADDRESSES[0], 10_000), Share(ADDRESSES[1], 0)], r"split\[1\]: share 0"),
        ([Share(ADDRESSES[0], 10_001)], "share 10001"),
        ([Share(ADDRESSES[0], 5_000), Share(ADDRESSES[0], 5_000)], "listed twice"),
    ]
    for table, reason in cases:
        with pytest.raises(InvalidSplit, match=reason):
            verify_split(table)


def test_price_tables_at_their_edges() -> None:
    verify_prices([Price("a", 1), Price("x" * limits.use_chars_max, limits.amount_max)])
    verify_prices([Price(f"use{i}", 1) for i in range(limits.prices_max)])
    cases = [
        ([], "got 0"),
        ([Price(f"use{i}", 1) for i in range(limits.prices_max + 1)], "1 to 8 uses, got 9"),
        ([Price("x" * (limits.use_chars_max + 1), 1)], "not accepted"),
        ([Price("Download", 1)], "'Download' is not accepted"),
        ([Price("1st", 1)], "not accepted"),
        ([Price("", 1)], "not accepted"),
        ([Price("stream", 0)], "price 0"),
        ([Price("stream", 1), Price("stream", 2)], "listed twice"),
    ]
    for table, reason in cases:
        with pytest.raises(InvalidPrices, match=reason):
            verify_prices(table)


@pytest.mark.parametrize("work", ["", "a b", "a/b", "ü", "x" * (limits.work_id_chars_max + 1),
                                  "id\n"])
def test_a_work_id_outside_the_rule_is_refused(work: str) -> None:
    with pytest.raises(InvalidWorkId):
        verify_work_id(work)


def test_work_ids_at_the_edges() -> None:
    for work in ["a", "x" * limits.work_id_chars_max, "T-034.524.680-1", "isrc:USRC17607839"]:
        verify_work_id(work)


def test_the_holders_a_change_lowers() -> None:
    a, b, c, d = ADDRESSES[:4]
    old = [Share(a, 5_000), Share(b, 3_000), Share(c, 2_000)]
    assert compute_falling(old, [Share(a, 4_000), Share(b, 3_000), Share(c, 3_000)]) == [
        (a, 5_000, 4_000)]
    assert compute_falling(old, [Share(a, 5_000), Share(b, 3_000), Share(d, 2_000)]) == [
        (c, 2_000, 0)]  # left out: falls to 0
    assert compute_falling(old, [Share(d, 10_000)]) == [(a, 5_000, 0), (b, 3_000, 0),
                                                        (c, 2_000, 0)]
    assert compute_falling(old, list(reversed(old))) == []
