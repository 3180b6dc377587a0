"""Full pages of every paged assets query stay provable: a page of page_items_max items, each
with its list entry, balance and freeze, reads at most PROVEN_KEYS_MAX state keys, and the
answer recomputed from the proven keys alone is the same."""

from __future__ import annotations

from typing import Any

import pytest

from chainbook.apps.assets import CreateToken, Freeze, Mint, RegisterAsset, limits
from chainbook.apps.fields import from_json_value, to_json_value
from chainbook.ledger.proven_query import PROVEN_KEYS_MAX, prove_query, rerun_query
from chainbook.ledger.queries import get_query
from chainbook.ledger.state import LedgerState
from tests.apps.assets.helpers import BANK_A, make_ledger, nonce
from tests.support import CAROL, run_block, tx

COUNT = limits.page_items_max + 1


@pytest.fixture(scope="module")
def full() -> LedgerState:
    """Carol holds COUNT tokens, frozen in each; CNY0 has COUNT holders; Carol owns COUNT
    assets."""
    state = make_ledger()
    holders = [bytes([i + 1]) * 20 for i in range(COUNT)]
    txs = []
    n = nonce(state, BANK_A)
    for i in range(COUNT):
        txs += [tx(BANK_A, n, CreateToken(f"CNY{i}", "t", 0, 0, True)),
                tx(BANK_A, n + 1, Mint(f"CNY{i}", CAROL.address, 5)),
                tx(BANK_A, n + 2, Freeze(f"CNY{i}", CAROL.address)),
                tx(BANK_A, n + 3, Mint("CNY0", holders[i], 1))]
        n += 4
    assert all(r.ok for r in run_block(state, txs).receipts)
    txs = [tx(CAROL, i, RegisterAsset(f"a{i}", b"\x01" * 32, CAROL.address))
           for i in range(COUNT)]
    assert all(r.ok for r in run_block(state, txs).receipts)
    run_block(state, [])  # the next header commits to the state
    return state


@pytest.mark.parametrize(
    ("query", "fields", "items"),
    [
        ("balances", {"address": CAROL.address}, "balances"),
        ("holders", {"token": "CNY0"}, "holders"),
        ("tokens", {}, "tokens"),
        ("assets_of", {"owner": CAROL.address}, "asset_ids"),
    ],
)
def test_a_full_page_is_provable(
    full: LedgerState, query: str, fields: dict[str, Any], items: str
) -> None:
    request = from_json_value(to_json_value(fields), get_query(full, "assets", query).request)
    proven = prove_query(full, "assets", query, request)
    assert len(getattr(proven.answer, items)) == limits.page_items_max
    assert proven.answer.next == limits.page_items_max
    assert len(proven.proofs) <= PROVEN_KEYS_MAX
    values = {p.key: p.value for p in proven.proofs}
    assert rerun_query(values, proven.height, full.registry, "assets", query, request) == (
        proven.answer)
