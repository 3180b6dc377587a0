"""The tax authority's queries on a chain of invoices over many heights: every page walk by
seller, buyer and period, with its cursor, gives exactly the invoices of the range in height
order; every period's totals are the sums of its invoices; odd requests answer empty, never
an error."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chainbook.apps.invoice import Void, limits
from chainbook.chain.tx import DecodedTx
from chainbook.crypto import PrivateKey
from chainbook.ledger.state import LedgerState
from tests.apps.invoice.helpers import (
    ALICE,
    BOB,
    CAROL,
    OTHER_SHOP,
    SHOP,
    TOKEN,
    lines,
    make_ledger,
    nonce,
    offer,
    signed_pay,
)
from tests.support import ask, run_block, tx

BLOCKS = 9


@dataclass(frozen=True)
class Made:
    id: str
    height: int
    seller: str
    buyer: bytes
    token: str
    amount: int
    tax: int
    voided: bool = False


@pytest.fixture(scope="module")
def chain() -> tuple[LedgerState, list[Made]]:
    """Each block: Alice pays the Shenzhen shop in the native coin, Bob in CNYX, Carol the
    Hong Kong shop; every third block the Shenzhen shop voids a number; block 5 is empty."""
    state = make_ledger()
    made: list[Made] = []
    for block in range(BLOCKS):
        height = state.height + 1
        txs: list[DecodedTx] = []
        if block == 5:
            run_block(state, [])
            continue
        for i, (buyer, seller, key, token) in enumerate([
            (ALICE, "sz-shop", SHOP, ""), (BOB, "sz-shop", SHOP, TOKEN),
            (CAROL, "hk-shop", OTHER_SHOP, ""),
        ]):
            number = f"{block}-{i}"
            quantity = block + i + 1
            pay = signed_pay(offer(number, buyer, seller=seller, key=key, token=token,
                                   items=lines((quantity, 1_000, 1300), (1, 7, 600))))
            txs.append(tx(buyer, nonce(state, buyer) + 0, pay))
            amount = quantity * 1_000 + 7
            tax = quantity * 130 + 0  # 7 x 6 % = 0.42, rounded half up: 0
            made.append(Made(f"{seller}/{number}", height, seller, buyer.address, token,
                             amount, tax))
        if block % 3 == 0:
            txs.append(tx(SHOP, nonce(state, SHOP), Void(f"v{block}", "spoilt")))
            made.append(Made(f"sz-shop/v{block}", height, "sz-shop", b"", "", 0, 0, True))
        result = run_block(state, txs)
        assert all(r.ok for r in result.receipts), [r.error for r in result.receipts]
    return state, made


def walk(state: LedgerState, query: str, **request: Any) -> Iterator[Any]:
    """Every page of a query, following its cursor (a bounded number of pages)."""
    cursor = 0
    for _ in range(1_000):
        page = ask(state, "invoice", query, **request, cursor=cursor)
        assert len(page.invoices) <= limits.page_items_max
        yield page
        if page.next is None:
            return
        assert page.invoices, "a page with a next cursor holds invoices"
        assert page.next >= limits.page_items_max
        cursor = page.next
    raise AssertionError("the cursor never ended")


def ids(state: LedgerState, query: str, **request: Any) -> list[str]:
    return [i.id for page in walk(state, query, **request) for i in page.invoices]


RANGES = [(0, 0), (1, 0), (3, 6), (4, 4), (6, 7), (7, 100), (100, 0), (5, 2), (2, 3), (1, 1)]
"""(from_height, to_height); to_height 0: up to the latest."""


def in_range(made: Made, low: int, high: int) -> bool:
    return made.height >= low and (high == 0 or made.height <= high)


@pytest.mark.parametrize(("low", "high"), RANGES)
def test_pages_by_seller_buyer_and_period_give_the_range_in_order(
    chain: tuple[LedgerState, list[Made]], low: int, high: int
) -> None:
    state, made = chain
    span: dict[str, Any] = {"from_height": low, "to_height": high}
    expected = [m.id for m in made if m.seller == "sz-shop" and in_range(m, low, high)]
    assert ids(state, "by_seller", seller="sz-shop", **span) == expected
    expected = [m.id for m in made if m.buyer == BOB.address and in_range(m, low, high)]
    assert ids(state, "by_buyer", buyer=BOB.address, **span) == expected
    expected = [m.id for m in made if in_range(m, low, high)]
    assert ids(state, "by_period", **span) == expected


@pytest.mark.parametrize(("low", "high"), RANGES)
@pytest.mark.parametrize(("seller", "token"), [("sz-shop", ""), ("sz-shop", TOKEN),
                                               ("hk-shop", ""), ("hk-shop", TOKEN)])
def test_totals_are_the_sums_of_the_invoices_of_the_period(
    chain: tuple[LedgerState, list[Made]], low: int, high: int, seller: str, token: str
) -> None:
    state, made = chain
    span: dict[str, Any] = {"from_height": low, "to_height": high}
    totals = ask(state, "invoice", "totals", seller=seller, token=token, **span)
    mine = [m for m in made if m.seller == seller and m.token == token and not m.voided
            and in_range(m, low, high)]
    assert totals.invoices == len(mine)
    assert (totals.amount, totals.tax) == (sum(m.amount for m in mine), sum(m.tax for m in mine))
    assert totals.total == totals.amount + totals.tax


def test_every_page_is_full_but_the_last(chain: tuple[LedgerState, list[Made]]) -> None:
    state, made = chain
    pages = list(walk(state, "by_period"))
    assert [len(p.invoices) for p in pages[:-1]] == [limits.page_items_max] * (len(pages) - 1)
    assert sum(len(p.invoices) for p in pages) == len(made) == pages[0].entries


def test_an_invoice_in_a_page_is_the_record_itself(chain: tuple[LedgerState, list[Made]]) -> None:
    state, _ = chain
    page = ask(state, "invoice", "by_buyer", buyer=ALICE.address)
    first = page.invoices[0]
    assert first == ask(state, "invoice", "invoice", id=first.id)
    assert (first.status, first.buyer, first.seller) == ("paid", ALICE.address, "sz-shop")


@pytest.mark.parametrize(
    ("query", "request_"),
    [
        ("by_seller", {"seller": "nobody"}),
        ("by_seller", {"seller": "NOT/AN-ID"}),
        ("by_seller", {"seller": ""}),
        ("by_buyer", {"buyer": PrivateKey.from_label("nobody").address}),
        ("by_period", {"cursor": 10**6}),
        ("by_period", {"from_height": 2**64 - 1}),
    ],
)
def test_a_page_of_nothing_is_an_empty_answer(
    chain: tuple[LedgerState, list[Made]], query: str, request_: dict[str, Any]
) -> None:
    page = ask(chain[0], "invoice", query, **request_)
    assert (page.invoices, page.next) == ([], None)


@pytest.mark.parametrize(
    "request_",
    [{"seller": "nobody"}, {"seller": "sz-shop", "token": "NOPE"},
     {"seller": "sz-shop", "token": "bad/token"}, {"seller": "a/b"},
     {"seller": "sz-shop", "from_height": 9, "to_height": 3}],
)
def test_totals_of_nothing_are_zero(
    chain: tuple[LedgerState, list[Made]], request_: dict[str, Any]
) -> None:
    totals = ask(chain[0], "invoice", "totals", **request_)
    assert (totals.invoices, totals.amount, totals.tax, totals.total) == (0, 0, 0, 0)


def test_an_unknown_or_malformed_id_is_not_found(chain: tuple[LedgerState, list[Made]]) -> None:
    for text in ("sz-shop/none", "sz-shop", "/0-0", "x" * 128, "sz-shop/0-0/extra"):
        assert not ask(chain[0], "invoice", "invoice", id=text).found
    assert ask(chain[0], "invoice", "invoice", id="sz-shop/0-0").found
