"""Every royalty query stays provable at its largest: a full page of every paged query, and
statements, read at most PROVEN_KEYS_MAX state keys, and the answer recomputed from the
proven keys alone is the same."""

from __future__ import annotations

from typing import Any

import pytest

from chainbook.apps.assets import CreateToken, Mint
from chainbook.apps.fields import from_json_value, to_json_value
from chainbook.apps.royalty import ChangeSplit, Pay, Share, limits
from chainbook.crypto import PrivateKey
from chainbook.ledger.proven_query import PROVEN_KEYS_MAX, prove_query, rerun_query
from chainbook.ledger.queries import get_query
from chainbook.ledger.state import LedgerState
from tests.apps.royalty.helpers import (
    AUTHOR,
    BANK,
    LABEL,
    LISTENER,
    SONG,
    make_ledger,
    nonce,
    run,
    song,
)
from tests.support import run_block, tx

COUNT = limits.page_items_max + 1
JOINERS = [PrivateKey.from_label(f"royalty-proof-{i}") for i in range(COUNT)]


@pytest.fixture(scope="module")
def full() -> LedgerState:
    """COUNT works in COUNT tokens with the author in each (its works, tokens), SONG paid
    COUNT times in the native coin (its payments, the author's receipts), then changed COUNT
    times, each joiner holding 1 basis point until the next (COUNT + 1 versions and payees)."""
    state = make_ledger()
    n = nonce(state, BANK)
    txs = []
    for i in range(COUNT):
        txs += [tx(BANK, n, CreateToken(f"TK{i}", "t", 0)),
                tx(BANK, n + 1, Mint(f"TK{i}", LISTENER.address, 10**6))]
        n += 2
    txs += [tx(LABEL, i, song(work=f"w{i}", token=f"TK{i}")) for i in range(COUNT)]
    txs.append(tx(LABEL, COUNT, song(split=[Share(AUTHOR.address, 10_000)])))
    assert all(r.ok for r in run_block(state, txs).receipts)
    n = nonce(state, LISTENER)
    txs = [tx(LISTENER, n + i, Pay(f"w{i}", "download", 1, 100)) for i in range(COUNT)]
    txs += [tx(LISTENER, n + COUNT + i, Pay(SONG, "download", 1, 100)) for i in range(COUNT)]
    assert all(r.ok for r in run_block(state, txs).receipts)
    falling = AUTHOR
    for version, joiner in enumerate(JOINERS):
        change = ChangeSplit(SONG, version, [Share(AUTHOR.address, 9_999),
                                             Share(joiner.address, 1)])
        run(state, falling, change)  # the author first, then each joiner leaving
        falling = joiner
    run_block(state, [])  # the next header commits to the state
    return state


@pytest.mark.parametrize(
    ("query", "fields", "items"),
    [
        ("payments", {"work": SONG}, "payments"),
        ("payees", {"work": SONG}, "payees"),
        ("split_history", {"work": SONG}, "splits"),
        ("works_of", {"holder": AUTHOR.address}, "works"),
        ("catalogue", {"institution": "sunrise-records"}, "works"),
        ("received", {"holder": AUTHOR.address}, "received"),
        ("holder_tokens", {"holder": AUTHOR.address}, "tokens"),
    ],
)
def test_a_full_page_is_provable(
    full: LedgerState, query: str, fields: dict[str, Any], items: str
) -> None:
    request = from_json_value(to_json_value(fields), get_query(full, "royalty", query).request)
    proven = prove_query(full, "royalty", query, request)
    assert len(getattr(proven.answer, items)) == limits.page_items_max
    assert proven.answer.next == limits.page_items_max
    assert len(proven.proofs) <= PROVEN_KEYS_MAX
    values = {p.key: p.value for p in proven.proofs}
    assert rerun_query(values, proven.height, full.registry, "royalty", query, request) == (
        proven.answer)


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("work", {"work": SONG}),
        ("work_statement", {"work": SONG, "from_height": 2, "to_height": 2}),
        ("holder_statement", {"holder": AUTHOR.address, "token": "TK3", "from_height": 1}),
        ("reference", {"work": SONG, "reference": "none"}),
    ],
)
def test_a_lookup_or_a_statement_is_provable(
    full: LedgerState, query: str, fields: dict[str, Any]
) -> None:
    request = from_json_value(to_json_value(fields), get_query(full, "royalty", query).request)
    proven = prove_query(full, "royalty", query, request)
    values = {p.key: p.value for p in proven.proofs}
    assert rerun_query(values, proven.height, full.registry, "royalty", query, request) == (
        proven.answer)
