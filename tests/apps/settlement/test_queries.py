"""The settlement queries: records by id, offers by maker and by status (the dense open list
stays right as offers close in any order), locks by party, the escrow; full pages provable."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from chainbook.apps.fields import from_json_value, to_json_value
from chainbook.apps.settlement import ESCROW, Accept, Cancel, MakeLock, MakeOffer, Reclaim, limits
from chainbook.ledger.proven_query import PROVEN_KEYS_MAX, prove_query, rerun_query
from chainbook.ledger.queries import get_query
from chainbook.ledger.state import LedgerState
from tests.apps.settlement.helpers import advance_to, make_ledger, run
from tests.support import ALICE, BOB, CAROL, ask, run_block, tx

HASH = hashlib.sha256(bytes(32)).digest()
COUNT = limits.page_items_max + 1


def open_ids(state: LedgerState) -> list[int]:
    ids: list[int] = []
    start: int | None = 0
    while start is not None:
        page = ask(state, "settlement", "offers_by_status", status="open", start=start)
        ids += [o.offer_id for o in page.offers]
        start = page.next
    return ids


def test_unknown_records_answer_found_false() -> None:
    state = make_ledger()
    assert ask(state, "settlement", "offer", offer_id=7).found is False
    assert ask(state, "settlement", "lock", lock_id=0).found is False
    page = ask(state, "settlement", "offers_by_maker", maker=ALICE.address)
    assert (page.total, page.offers, page.next) == (0, [], None)
    escrow = ask(state, "settlement", "escrow", token="CNYT")
    assert (escrow.amount, escrow.account) == (0, ESCROW)


def test_the_open_list_stays_dense_and_the_closed_lists_keep_closing_order() -> None:
    state = make_ledger()
    for _ in range(5):
        run(state, ALICE, MakeOffer("CNYT", 10, "HKDT", 11, 9))
    assert sorted(open_ids(state)) == [1, 2, 3, 4, 5]
    run(state, BOB, Accept(2))  # from the middle
    run(state, ALICE, Cancel(5))  # the last
    run(state, BOB, Accept(1))  # the first
    assert sorted(open_ids(state)) == [3, 4]
    advance_to(state, 9)
    run(state, CAROL, Reclaim(4))
    assert open_ids(state) == [3]
    accepted = ask(state, "settlement", "offers_by_status", status="accepted")
    assert [o.offer_id for o in accepted.offers] == [2, 1]
    assert [o.offer_id for o in ask(state, "settlement", "offers_by_status",
                                    status="cancelled").offers] == [5]
    assert [o.offer_id for o in ask(state, "settlement", "offers_by_status",
                                    status="reclaimed").offers] == [4]
    made = ask(state, "settlement", "offers_by_maker", maker=ALICE.address)
    assert [(o.offer_id, o.status) for o in made.offers] == [
        (1, "accepted"), (2, "accepted"), (3, "open"), (4, "reclaimed"), (5, "cancelled")]
    assert made.offers[2].expired is True
    assert ask(state, "settlement", "escrow", token="CNYT").amount == 10


def test_locks_are_listed_for_both_parties() -> None:
    state = make_ledger()
    run(state, ALICE, MakeLock(BOB.address, "", 5, HASH, 9))
    run(state, BOB, MakeLock(CAROL.address, "HKDT", 6, HASH, 9))
    assert [lock.lock_id for lock in ask(state, "settlement", "locks_by_party",
                                         party=BOB.address).locks] == [1, 2]
    assert [lock.lock_id for lock in ask(state, "settlement", "locks_by_party",
                                         party=CAROL.address).locks] == [2]
    assert ask(state, "settlement", "locks_by_party", party=ALICE.address).total == 1


@pytest.fixture(scope="module")
def full() -> LedgerState:
    """Alice made COUNT offers (all open) and COUNT locks to Bob."""
    state = make_ledger()
    txs = [tx(ALICE, n, MakeOffer("CNYT", 1, "HKDT", 1, 50)) for n in range(COUNT)]
    txs += [tx(ALICE, COUNT + n, MakeLock(BOB.address, "CNYT", 1, HASH, 50))
            for n in range(COUNT)]
    assert all(r.ok for r in run_block(state, txs).receipts)
    run_block(state, [])  # the next header commits to the state
    return state


@pytest.mark.parametrize(
    ("query", "fields", "items"),
    [
        ("offers_by_maker", {"maker": ALICE.address}, "offers"),
        ("offers_by_status", {"status": "open"}, "offers"),
        ("locks_by_party", {"party": BOB.address}, "locks"),
    ],
)
def test_a_full_page_is_provable(
    full: LedgerState, query: str, fields: dict[str, Any], items: str
) -> None:
    request = from_json_value(to_json_value(fields), get_query(full, "settlement", query).request)
    proven = prove_query(full, "settlement", query, request)
    assert len(getattr(proven.answer, items)) == limits.page_items_max
    assert proven.answer.next == limits.page_items_max
    assert len(proven.proofs) <= PROVEN_KEYS_MAX
    values = {p.key: p.value for p in proven.proofs}
    again = rerun_query(values, proven.height, full.registry, "settlement", query, request)
    assert again == proven.answer
    last = from_json_value(to_json_value({**fields, "start": limits.page_items_max}),
                           type(request))
    page = prove_query(full, "settlement", query, last).answer
    assert len(getattr(page, items)) == 1 and page.next is None
