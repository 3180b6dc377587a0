"""Append-only lists in height order, and how a height range is found in them.

A list is a counter (its length n) and entries 0..n-1 under one prefix, each entry holding a
height. Entries are appended while a block executes, at that block's height, so heights never
decrease along a list (asserted at every commit, invariants.py). Then:

    lower_bound(h) = the first position whose height is >= h (n if none)
                   = the number of entries below height h

found by binary search in at most ceil(log2(n + 1)) entry reads, which include the entries at
lower_bound - 1 and lower_bound when they exist (the search narrowed onto them). The entries
of heights from..to (inclusive) are the positions lower_bound(from) .. lower_bound(to + 1) - 1,
and with running sums in the entries, a period's total is sum(last in range) - sum(last
before it): two searches whatever the period's length, and no read beyond them. Each read is
one state key of a proven query, which is why every list has a length bound (limits.py).
"""

from __future__ import annotations

from collections.abc import Callable

from chainbook.apps.base import KVStore, encode_int
from chainbook.apps.invoice.errors import ListFull
from chainbook.apps.invoice.state import get_uint
from chainbook.types import Height


def compute_lower_bound(count: int, height_at: Callable[[int], Height], height: Height) -> int:
    """The first position in [0, count) whose entry's height is >= `height` (count if none)."""
    low, high = 0, count
    while low < high:
        middle = (low + high) // 2
        if height_at(middle) < height:
            low = middle + 1
        else:
            high = middle
    return low


def verify_room(view: KVStore, count_key: bytes, entries_max: int, what: str) -> int:
    """The list's length, refusing when it is full."""
    count = get_uint(view, count_key)
    if count >= entries_max:
        raise ListFull(
            f"{what} holds {count} entries, at most {entries_max}: its next invoice is refused "
            "(every list stays searchable by a proven query)"
        )
    return count


def process_append(
    view: KVStore, count_key: bytes, entry_key: bytes, count: int, entry: bytes
) -> None:
    """Write entry `count` (checked by verify_room) and the new length."""
    view.set(entry_key, entry)
    view.set(count_key, encode_int(count + 1))


__all__ = ["compute_lower_bound", "process_append", "verify_room"]
