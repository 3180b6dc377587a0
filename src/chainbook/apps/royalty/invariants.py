"""The royalty invariants, asserted at every commit over the keys a block changed.

- Payments are conserved: for every payment a block records, the parts its holders received
  (their log entries) sum to its amount, and for every work the block touched, what its
  payees received grew by exactly what it was paid (sum paid == sum received), its totals
  being those of its last payment.
- Logs only grow: a payment entry, a holder's entry and a split version are never rewritten
  or deleted; the running totals of each new entry are those of the one before plus its own.
- A work's record is never deleted; its split is a valid table (1..16 distinct holders with
  shares of 1..10,000 summing to 10,000) equal to its current version's, every holder of it a
  payee of the work; its version, payments, uses, paid and payees never decrease.
"""

from __future__ import annotations

from collections import defaultdict

from chainbook.apps.base import KVReader
from chainbook.apps.royalty import limits
from chainbook.apps.royalty.state import (
    PAYEE_PREFIX,
    PAYMENT_PREFIX,
    RECEIVED_AT_PREFIX,
    RECEIVED_PREFIX,
    SPLIT_PREFIX,
    WORK_PREFIX,
    PaymentEntry,
    ReceivedEntry,
    get_payee,
    get_payment,
    get_received,
    get_received_totals,
    get_split,
    get_work,
    parse_payee_key,
    parse_payment_key,
    parse_received_at_key,
    parse_received_key,
)
from chainbook.types import Address


def assert_invariants(before: KVReader, after: KVReader, changed_keys: list[bytes]) -> None:
    works: set[str] = set()
    new_payments: dict[str, list[int]] = defaultdict(list)
    payee_deltas: dict[str, int] = defaultdict(int)
    parts: dict[tuple[str, int], int] = defaultdict(int)
    holder_logs: set[tuple[Address, str]] = set()
    for key in changed_keys:
        if key.startswith(PAYMENT_PREFIX):
            assert before.get(key) is None, f"royalty payment rewritten: {key!r}"
            work, number = parse_payment_key(key)
            new_payments[work].append(number)
            works.add(work)
        elif key.startswith(RECEIVED_AT_PREFIX):
            assert before.get(key) is None, f"royalty holder entry rewritten: {key!r}"
            holder, token, number = parse_received_at_key(key)
            entry = get_received(after, holder, token, number)
            parts[(entry.work, entry.payment)] += entry.amount
            assert_running_totals(after, holder, token, number, entry)
        elif key.startswith(RECEIVED_PREFIX):
            holder_logs.add(parse_received_key(key))
        elif key.startswith(PAYEE_PREFIX):
            work, holder = parse_payee_key(key)
            received = get_payee(after, work, holder)
            assert received is not None, f"royalty payee deleted: {key!r}"
            previous = get_payee(before, work, holder) or 0
            assert received >= previous, (key, previous, received)
            payee_deltas[work] += received - previous
            works.add(work)
        elif key.startswith(SPLIT_PREFIX):
            assert before.get(key) is None, f"royalty split version rewritten: {key!r}"
        elif key.startswith(WORK_PREFIX):
            works.add(key[len(WORK_PREFIX) :].decode())
    for work in works:
        assert_work(before, after, work, sorted(new_payments.get(work, [])),
                    payee_deltas.get(work, 0), parts)
    for holder, token in holder_logs:
        totals = get_received_totals(after, holder, token)
        assert totals is not None and totals.entries >= 1, (holder, token)
        last = get_received(after, holder, token, totals.entries - 1)
        assert (totals.uses, totals.amount) == (last.uses_total, last.amount_total), (
            holder, token, totals, last)


def assert_running_totals(
    after: KVReader, holder: Address, token: str, number: int, entry: ReceivedEntry
) -> None:
    if number == 0:
        assert (entry.uses_total, entry.amount_total) == (entry.uses, entry.amount), entry
        return
    previous = get_received(after, holder, token, number - 1)
    assert previous.height <= entry.height, (previous, entry)
    assert entry.uses_total == previous.uses_total + entry.uses, (previous, entry)
    assert entry.amount_total == previous.amount_total + entry.amount, (previous, entry)


def assert_work(
    before: KVReader,
    after: KVReader,
    work: str,
    numbers: list[int],
    payee_delta: int,
    parts: dict[tuple[str, int], int],
) -> None:
    record = get_work(after, work)
    assert record is not None, f"royalty work deleted or missing: {work!r}"
    previous = get_work(before, work)
    shares = [line.share for line in record.split]
    holders = {line.holder for line in record.split}
    assert 1 <= len(shares) <= limits.holders_per_work_max, (work, record.split)
    assert len(holders) == len(shares) and all(s >= 1 for s in shares), (work, record.split)
    assert sum(shares) == limits.share_total_bps, (work, record.split)
    current = get_split(after, work, record.version)
    assert current is not None and current.split == record.split, (work, record.version)
    assert all(get_payee(after, work, holder) is not None for holder in holders), work
    paid_before = 0 if previous is None else previous.paid
    if previous is not None:
        assert record.version >= previous.version and record.payees >= previous.payees, work
        assert record.token == previous.token and record.institution == previous.institution
    count_before = 0 if previous is None else previous.payments
    assert numbers == list(range(count_before, record.payments)), (work, numbers, record)
    paid_in_block = 0
    for number in numbers:
        entry = get_payment(after, work, number)
        earlier: PaymentEntry | None = get_payment(after, work, number - 1) if number else None
        assert entry.amount_total == (earlier.amount_total if earlier else 0) + entry.amount, (
            "a payment's running amount is off", work, number)
        assert entry.uses_total == (earlier.uses_total if earlier else 0) + entry.uses, (
            "a payment's running uses are off", work, number)
        assert earlier is None or earlier.height <= entry.height, (work, number)
        assert parts.get((work, number), 0) == entry.amount, (
            "a payment's parts do not sum to its amount", work, number, entry.amount)
        paid_in_block += entry.amount
    assert record.paid == paid_before + paid_in_block, (work, paid_before, record.paid)
    assert payee_delta == paid_in_block, ("sum received != sum paid", work, payee_delta,
                                          paid_in_block)
    if record.payments:
        last = get_payment(after, work, record.payments - 1)
        assert (record.uses, record.paid) == (last.uses_total, last.amount_total), work


__all__ = ["assert_invariants"]
