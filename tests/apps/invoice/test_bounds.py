"""Every invoice query is provable, at the longest lists the module allows: a full page and a
period's totals read at most PROVEN_KEYS_MAX state keys, and the answer recomputed from the
proven keys alone is the same; and each list refuses its next invoice at its bound, not one
before."""

from __future__ import annotations

import random
from typing import Any

import pytest

from chainbook import codec
from chainbook.apps.base import KVReader, QueryContext, encode_int
from chainbook.apps.fields import from_json_value, to_json_value
from chainbook.apps.invoice import Void, limits
from chainbook.apps.invoice.queries import (
    PeriodPageRequest,
    SellerPageRequest,
    TotalsRequest,
    query_by_period,
    query_by_seller,
    query_totals,
)
from chainbook.apps.invoice.state import (
    BUYER_COUNT_PREFIX,
    CHAIN_COUNT_KEY,
    RECORD_PREFIX,
    SELLER_COUNT_PREFIX,
    SUM_AT_PREFIX,
    SUMS_COUNT_PREFIX,
    Authorisation,
    InvoiceRecord,
    ListEntry,
    Status,
    SumEntry,
    buyer_at_key,
    buyer_count_key,
    chain_at_key,
    seller_at_key,
    seller_count_key,
    sum_at_key,
    sums_count_key,
)
from chainbook.ledger.proven_query import PROVEN_KEYS_MAX, prove_query, rerun_query
from chainbook.ledger.queries import get_query
from chainbook.ledger.state import LedgerState
from chainbook.ledger.state_tree import StateTree
from tests.apps.invoice.helpers import (
    ALICE,
    SHOP,
    make_ledger,
    nonce,
    offer,
    refused,
    run,
    signed_pay,
)
from tests.support import run_block, tx

PAGE = limits.page_items_max


@pytest.fixture(scope="module")
def full() -> LedgerState:
    """Alice paid 2 pages and a half of the shop's invoices over several heights."""
    state = make_ledger()
    count = 0
    for _ in range(5):
        txs = []
        for _ in range(PAGE // 2):
            txs.append(tx(ALICE, nonce(state, ALICE) + len(txs), signed_pay(offer(str(count)))))
            count += 1
        assert all(r.ok for r in run_block(state, txs).receipts)
    run_block(state, [])  # the next header commits to the state
    return state


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("by_seller", {"seller": "sz-shop", "from_height": 2}),
        ("by_buyer", {"buyer": ALICE.address, "from_height": 3, "to_height": 5}),
        ("by_period", {"from_height": 2}),
        ("totals", {"seller": "sz-shop", "from_height": 2, "to_height": 4}),
        ("invoice", {"id": "sz-shop/3"}),
    ],
)
def test_a_full_answer_is_provable(full: LedgerState, query: str, fields: dict[str, Any]) -> None:
    request = from_json_value(to_json_value(fields), get_query(full, "invoice", query).request)
    proven = prove_query(full, "invoice", query, request)
    if query.startswith("by_"):
        assert len(proven.answer.invoices) == PAGE and proven.answer.next is not None
    assert len(proven.proofs) <= PROVEN_KEYS_MAX
    values = {p.key: p.value for p in proven.proofs}
    assert rerun_query(values, proven.height, full.registry, "invoice", query, request) == (
        proven.answer)


# --- the longest lists, synthesised -------------------------------------------------------------


class LongLists:
    """A reader of an invoice state whose every list holds `count` entries, entry n at height
    n // 3 + 1 (three invoices a block), remembering every key read."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.keys: set[bytes] = set()

    def get(self, key: bytes, /) -> bytes | None:
        self.keys.add(key)
        if key == CHAIN_COUNT_KEY or key.startswith(
            (SELLER_COUNT_PREFIX, BUYER_COUNT_PREFIX, SUMS_COUNT_PREFIX)
        ):
            return encode_int(self.count)
        if key.startswith(RECORD_PREFIX):
            number = key.rsplit(b"/", 1)[1].decode()
            return codec.encode(InvoiceRecord(
                Status.PAID, "sz-shop", number, SHOP.address, Authorisation.OFFER,
                ALICE.address, b"\x02" * 20, "", 1, b"\x03" * 32, 10, 1, 11,
                int(number) // 3 + 1, 0, b"\x04" * 32, "", b"", "", 0, 0, b"",
            ))
        n = int.from_bytes(key[-8:], "big")
        assert n < self.count, (key, n)
        if key.startswith(SUM_AT_PREFIX):
            return codec.encode(SumEntry(f"sz-shop/{n}", n // 3 + 1, (n + 1) * 10, n + 1))
        return codec.encode(ListEntry(f"sz-shop/{n}", n // 3 + 1))


def context(view: KVReader) -> QueryContext:
    def no_ask(module: str, query: str, request: Any) -> Any:
        raise AssertionError("invoice queries ask no other module")

    return QueryContext(view, 1, lambda address: 0, no_ask)


def most_keys_read(count: int, ask: Any, heights: int = 60) -> int:
    """The most keys one answer read, over seeded heights spread along the list."""
    rng = random.Random(count)
    top = count // 3 + 1
    most = 0
    for _ in range(heights):
        low = rng.randint(1, top)
        high = rng.randint(low, top + 1)
        reader = LongLists(count)
        ask(context(reader), low, high)
        most = max(most, len(reader.keys))
    return most


def test_a_page_of_the_longest_chain_list_is_provable() -> None:
    def page(ctx: QueryContext, low: int, high: int) -> None:
        query_by_period(ctx, PeriodPageRequest(from_height=low))

    most = most_keys_read(limits.chain_entries_max, page)
    assert most <= PROVEN_KEYS_MAX
    assert most == 40 + 2 * PAGE + 1, "the bound of limits.page_items_max's docstring"


def test_a_page_of_the_longest_seller_list_is_provable() -> None:
    def page(ctx: QueryContext, low: int, high: int) -> None:
        query_by_seller(ctx, SellerPageRequest("sz-shop", from_height=low, to_height=high))

    assert most_keys_read(limits.party_entries_max, page) <= 31 + 2 * PAGE + 1


def test_the_totals_of_the_longest_sums_are_provable_and_the_bound_is_tight() -> None:
    def totals(ctx: QueryContext, low: int, high: int) -> None:
        query_totals(ctx, TotalsRequest("sz-shop", "", from_height=low, to_height=high))

    assert most_keys_read(limits.party_entries_max, totals) == 1 + 2 * 31 <= PROVEN_KEYS_MAX
    # Twice as long, the two searches would read past what a proof covers.
    assert most_keys_read(2 * limits.party_entries_max + 1, totals) > PROVEN_KEYS_MAX


# --- each list refuses its next invoice at its bound --------------------------------------------


def with_writes(state: LedgerState, writes: dict[bytes, bytes]) -> LedgerState:
    """`state` with these keys written (its app hash recomputed): a list made long."""
    kv = {**state.kv, **{b"invoice/" + k: v for k, v in writes.items()}}
    return LedgerState(state.height, StateTree.from_items(kv).root, state.time_ms, kv,
                       state.registry)


def list_of(length: int, count_key: bytes, last_key: bytes, entry: bytes) -> dict[bytes, bytes]:
    """A list of `length` entries, as far as a payment reads it: its counter and last entry."""
    return {count_key: encode_int(length), last_key: entry}


LISTS = {
    "seller": lambda n: list_of(n, seller_count_key("sz-shop"), seller_at_key("sz-shop", n - 1),
                                codec.encode(ListEntry("sz-shop/old", 1))),
    "buyer": lambda n: list_of(n, buyer_count_key(ALICE.address),
                               buyer_at_key(ALICE.address, n - 1),
                               codec.encode(ListEntry("sz-shop/old", 1))),
    "sums": lambda n: list_of(n, sums_count_key("sz-shop", ""), sum_at_key("sz-shop", "", n - 1),
                              codec.encode(SumEntry("sz-shop/old", 1, 5, 1))),
    "chain": lambda n: list_of(n, CHAIN_COUNT_KEY, chain_at_key(n - 1),
                               codec.encode(ListEntry("sz-shop/old", 1))),
}
BOUNDS = {"seller": limits.party_entries_max, "buyer": limits.party_entries_max,
          "sums": limits.party_entries_max, "chain": limits.chain_entries_max}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_a_list_takes_its_last_entry_and_refuses_the_next(name: str) -> None:
    bound = BOUNDS[name]
    almost = with_writes(make_ledger(), LISTS[name](bound - 1))
    run(almost, ALICE, signed_pay(offer("last")))
    assert refused(almost, ALICE, signed_pay(offer("next")), "invoice.list_full")
    full = with_writes(make_ledger(), LISTS[name](bound))
    error = refused(full, ALICE, signed_pay(offer("next")), "invoice.list_full")
    assert f"at most {bound}" in error


def test_a_void_needs_room_in_the_sellers_list_only() -> None:
    full = with_writes(make_ledger(), LISTS["buyer"](limits.party_entries_max))
    run(full, SHOP, Void("v1"))
    full = with_writes(make_ledger(), LISTS["seller"](limits.party_entries_max))
    refused(full, SHOP, Void("v1"), "invoice.list_full")
