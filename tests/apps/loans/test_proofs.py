"""Every loans query is provable with full pages: a page of a party's credit record
(page_loans_max loans, each with its index entry and record) and of a loan's history
(page_payments_max entries) read at most PROVEN_KEYS_MAX state keys, and the answer
recomputed from the proven keys alone is the same."""

from __future__ import annotations

from typing import Any

import pytest

from chainbook.apps.fields import from_json_value, to_json_value
from chainbook.apps.loans import Instalment, Offer, Repay, limits
from chainbook.ledger.proven_query import PROVEN_KEYS_MAX, prove_query, rerun_query
from chainbook.ledger.queries import get_query
from chainbook.ledger.state import LedgerState
from tests.apps.loans.helpers import BORROWER, LENDER, agreement, make_ledger
from tests.support import run_block, tx

BOTH = [LENDER.address, BORROWER.address]


@pytest.fixture(scope="module")
def full() -> LedgerState:
    """Bob borrowed page_loans_max + 1 times from Alice and repaid loan n0 in
    page_payments_max + 1 parts; Alice offers O-1."""
    state = make_ledger()
    count = limits.page_loans_max + 1
    txs = [tx([LENDER, BORROWER], i, agreement(f"n{i}", principal=1_000), accounts=BOTH)
           for i in range(count)]
    txs.append(tx(LENDER, count, Offer("O-1", BORROWER.address, "", 5, 0, 1,
                                       [Instalment(3, 5)], 10)))
    txs += [tx(BORROWER, i, Repay("n0", 1)) for i in range(limits.page_payments_max + 1)]
    assert all(r.ok for r in run_block(state, txs).receipts)
    run_block(state, [])  # the next header commits to the state
    return state


@pytest.mark.parametrize(
    ("query", "fields", "items"),
    [
        ("loans_of", {"address": BORROWER.address, "role": "borrower"}, "loans"),
        ("history", {"loan_id": "n0"}, "entries"),
        ("loan", {"loan_id": "n0"}, None),
        ("outstanding", {"loan_id": "n0", "blocks_ahead": 100}, None),
        ("credit", {"address": BORROWER.address}, None),
        ("offered", {"loan_id": "O-1"}, None),
    ],
)
def test_every_query_is_provable_with_full_pages(
    full: LedgerState, query: str, fields: dict[str, Any], items: str | None
) -> None:
    request = from_json_value(to_json_value(fields), get_query(full, "loans", query).request)
    proven = prove_query(full, "loans", query, request)
    if items is not None:
        size = limits.page_loans_max if query == "loans_of" else limits.page_payments_max
        assert len(getattr(proven.answer, items)) == size and proven.answer.next == size
    assert len(proven.proofs) <= PROVEN_KEYS_MAX
    values = {p.key: p.value for p in proven.proofs}
    assert rerun_query(values, proven.height, full.registry, "loans", query, request) == (
        proven.answer)
