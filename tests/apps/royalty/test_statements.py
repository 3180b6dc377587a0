"""Statements over any period: against a model on a ledger (hypothesis: payments at any
heights, any periods), and the key budget of the binary searches on logs of the largest size
(limits.log_entries_max), read through the real query handlers."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook import codec
from chainbook.apps.base import QueryContext
from chainbook.apps.royalty import Pay, Price, Share, limits
from chainbook.apps.royalty.queries import (
    HolderStatementRequest,
    WorkStatementRequest,
    query_holder_statement,
    query_work_statement,
)
from chainbook.apps.royalty.state import (
    PaymentEntry,
    ReceivedEntry,
    ReceivedTotals,
    WorkRecord,
    payment_key,
    received_at_key,
    received_key,
    work_key,
)
from chainbook.apps.royalty.statements import compute_period
from chainbook.ledger.proven_query import PROVEN_KEYS_MAX
from tests.apps.royalty.helpers import (
    AUTHOR,
    LABEL,
    LISTENER,
    SONG,
    STRANGER,
    make_ledger,
    nonce,
    run,
    song,
)
from tests.support import ask, run_block, tx

PAYMENT = st.tuples(st.sampled_from([SONG, "second"]), st.integers(1, 4), st.booleans())


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.lists(PAYMENT, max_size=3), min_size=1, max_size=8),
    st.lists(st.tuples(st.integers(0, 12), st.one_of(st.none(), st.integers(1, 12))),
             min_size=1, max_size=6),
)
def test_statements_of_any_period_follow_the_model(
    blocks: list[list[tuple[str, int, bool]]], periods: list[tuple[int, int | None]]
) -> None:
    state = make_ledger()
    run(state, LABEL, song())
    run(state, LABEL, song(work="second", split=[Share(AUTHOR.address, 10_000)]))
    paid: list[tuple[int, str, int]] = []  # (height, work, uses)
    for block in blocks:
        txs, nonces = [], {LISTENER: nonce(state, LISTENER), STRANGER: nonce(state, STRANGER)}
        for work, uses, by_listener in block:
            payer = LISTENER if by_listener else STRANGER
            txs.append(tx(payer, nonces[payer], Pay(work, "download", uses, 100 * uses)))
            nonces[payer] += 1
        result = run_block(state, txs)
        assert all(r.ok for r in result.receipts)
        paid += [(state.height, work, uses) for work, uses, _ in block]
    for from_height, to_height in periods:
        inside = [(w, u) for h, w, u in paid
                  if h >= from_height and (to_height is None or h <= to_height)]
        for work in (SONG, "second"):
            mine = [u for w, u in inside if w == work]
            statement = ask(state, "royalty", "work_statement", work=work,
                            from_height=from_height, to_height=to_height or 0)
            assert (statement.payments, statement.uses, statement.amount) == (
                len(mine), sum(mine), 100 * sum(mine))
            page = ask(state, "royalty", "payments", work=work, start=statement.first)
            heights = [p.height for p in page.payments[: statement.end - statement.first]]
            assert all(h >= from_height and (to_height is None or h <= to_height)
                       for h in heights)
        statement = ask(state, "royalty", "holder_statement", holder=AUTHOR.address,
                        from_height=from_height, to_height=to_height or 0)
        expected = sum(50 * u if w == SONG else 100 * u for w, u in inside)
        assert (statement.payments, statement.amount) == (len(inside), expected)


# --- the key budget on the largest logs ---------------------------------------------------


class SyntheticLog:
    """A reader whose work and holder logs hold log_entries_max entries, made on demand
    (entry n at height 1 + n // 3, 2 uses and 7 units each), counting the keys read."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.read: set[bytes] = set()

    @staticmethod
    def height(n: int) -> int:
        return 1 + n // 3

    def get(self, key: bytes) -> bytes | None:
        self.read.add(key)
        count = self.count
        if key == work_key(SONG):
            record = WorkRecord("t", b"\x00" * 32, "", [Price("download", 7)],
                                [Share(AUTHOR.address, 10_000)], 0, "label", b"", 0, 0, b"",
                                count, 2 * count, 7 * count, 1, 0)
            return codec.encode(record)
        if key == received_key(AUTHOR.address, ""):
            return codec.encode(ReceivedTotals(count, 2 * count, 7 * count))
        for n in self.probe_numbers(key):
            if key == payment_key(SONG, n):
                return codec.encode(PaymentEntry(b"\x01" * 20, "download", 2, 7, "", 0,
                                                 self.height(n), 0, b"", 2 * (n + 1),
                                                 7 * (n + 1)))
            if key == received_at_key(AUTHOR.address, "", n):
                return codec.encode(ReceivedEntry(SONG, n, 2, 7, self.height(n), 2 * (n + 1),
                                                  7 * (n + 1)))
        return None

    def probe_numbers(self, key: bytes) -> list[int]:
        number = int.from_bytes(key[-4:], "big")
        return [number] if number < self.count else []


def context(reader: SyntheticLog) -> QueryContext:
    def refuse(*_: Any) -> Any:
        raise AssertionError("a statement asks no other module")

    return QueryContext(reader, 1, refuse, refuse)


def test_a_statement_of_the_largest_log_reads_at_most_what_a_proof_covers() -> None:
    count = limits.log_entries_max
    last_height = SyntheticLog.height(count - 1)
    periods = [(0, None), (2, 3), (last_height // 3, 2 * last_height // 3), (last_height, None),
               (0, 1), (last_height + 1, None), (12345, 999_999), (1, last_height)]
    for from_height, to_height in periods:
        def expect(n_from: int, n_end: int) -> tuple[int, int, int]:
            return n_end - n_from, 2 * (n_end - n_from), 7 * (n_end - n_from)

        first = min(count, max(0, 3 * (from_height - 1)))
        end = count if to_height is None else min(count, 3 * to_height)
        end = max(first, end)
        reader = SyntheticLog(count)
        answer = query_work_statement(context(reader), WorkStatementRequest(
            SONG, from_height, to_height or 0))
        assert (answer.payments, answer.uses, answer.amount) == expect(first, end), (
            from_height, to_height, answer)
        assert len(reader.read) <= PROVEN_KEYS_MAX, (from_height, to_height, len(reader.read))
        reader = SyntheticLog(count)
        holder = query_holder_statement(context(reader), HolderStatementRequest(
            AUTHOR.address, "", from_height, to_height or 0))
        assert (holder.payments, holder.uses, holder.amount) == expect(first, end)
        assert len(reader.read) <= PROVEN_KEYS_MAX, (from_height, to_height, len(reader.read))


def test_the_binary_search_probes_a_logarithm_of_the_log() -> None:
    probes: list[int] = []

    def entry_at(n: int) -> tuple[int, int, int]:
        probes.append(n)
        return 10 + n, n + 1, 3 * (n + 1)

    period = compute_period(entry_at, 1_000_000, (1_000_000, 3_000_000), 500_010, 600_009)
    assert (period.first, period.end, period.payments, period.amount) == (
        500_000, 600_000, 100_000, 300_000)
    assert len(set(probes)) <= 2 * 20 + 2
