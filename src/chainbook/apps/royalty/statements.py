"""Statements: what a log of payments holds over a period of heights, in O(log n) reads.

Rules kept:
- A log (a work's payments, or the payments one holder received in one token) is numbered
  from 0 in the order of execution, so its heights never decrease, and every entry carries
  the running totals (uses, amount) up to and including itself.
- A period is the heights from_height..to_height, both included (to_height None: up to the
  latest). Its entries are the numbers first..end - 1, where first is the first entry at or
  after from_height and end the first after to_height, each found by a binary search
  (at most ceil(log2(n + 1)) reads); its totals are the running totals of entry end - 1
  minus those of entry first - 1 (zero before entry 0). So a statement of any period costs at
  most 2 x 28 + 3 state keys for a log of limits.log_entries_max entries, whatever the number
  of payments in it, and stays provable (chainbook.ledger.proven_query covers 64).
- A period with from_height > to_height is empty (zero totals), not an error.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from chainbook.types import Amount, Height

EntryAt = Callable[[int], tuple[Height, int, Amount]]
"""entry_at(n) -> (height, uses_total, amount_total) of entry n of a log."""


class Period(msgspec.Struct, frozen=True):
    """A period's part of a log: its entries first..end - 1 and their totals."""

    first: int
    """The number of the first entry in the period (== end when it holds none)."""
    end: int
    """One past the number of its last entry: page from `first` to see them all."""
    payments: int
    uses: int
    amount: Amount


def find_first_at_or_after(entry_at: EntryAt, count: int, height: Height) -> int:
    """The number of the first of `count` entries at `height` or later (`count` if none)."""
    low, high = 0, count
    while low < high:
        middle = (low + high) // 2
        if entry_at(middle)[0] < height:
            low = middle + 1
        else:
            high = middle
    return low


def compute_period(
    entry_at: EntryAt,
    count: int,
    totals: tuple[int, Amount],
    from_height: Height,
    to_height: Height | None,
) -> Period:
    """The entries of a log of `count` entries, whose running totals after its last entry are
    `totals`, in the heights from_height..to_height (to_height None: to the latest)."""
    if to_height is not None and from_height > to_height:
        return Period(0, 0, 0, 0, 0)
    first = find_first_at_or_after(entry_at, count, from_height)
    end = count if to_height is None else find_first_at_or_after(entry_at, count, to_height + 1)
    end = max(first, end)
    if end == first:
        return Period(first, first, 0, 0, 0)
    uses_end, amount_end = totals if end == count else entry_at(end - 1)[1:]
    uses_before, amount_before = (0, 0) if first == 0 else entry_at(first - 1)[1:]
    assert uses_end >= uses_before and amount_end >= amount_before, (first, end)
    return Period(first, end, end - first, uses_end - uses_before, amount_end - amount_before)


__all__ = ["EntryAt", "Period", "compute_period", "find_first_at_or_after"]
