"""The commit invariants bite: a block's changes as the module writes them pass, and the same
changes broken one way at a time (what a bug in process.py would write) stop the node."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from chainbook import codec
from chainbook.apps.base import PrefixedReader, encode_int
from chainbook.apps.invoice import Reimburse, Void
from chainbook.apps.invoice.invariants import assert_invariants
from chainbook.apps.invoice.state import (
    CHAIN_COUNT_KEY,
    InvoiceRecord,
    ListEntry,
    Status,
    SumEntry,
    buyer_count_key,
    chain_at_key,
    record_key,
    sum_at_key,
)
from chainbook.ledger.execute import BlockResult, execute_block
from chainbook.ledger.state import LedgerState
from tests.apps.invoice.helpers import (
    ALICE,
    BOB,
    EMPLOYER,
    SHOP,
    make_ledger,
    offer,
    run,
    signed_pay,
)
from tests.support import CHAIN_ID, ctx, tx

PREFIX = b"invoice/"
Changes = dict[bytes, bytes | None]


def block_of(state: LedgerState, *txs: object) -> BlockResult:
    return execute_block(state, CHAIN_ID, list(txs), ctx(state.height + 1))  # type: ignore[arg-type]


def check(state: LedgerState, changes: Changes) -> None:
    """The module's invariants over `changes` on top of `state` (as the commit runs them)."""
    mine = {k[len(PREFIX):]: v for k, v in changes.items() if k.startswith(PREFIX)}
    after = {**{k[len(PREFIX):]: v for k, v in state.kv.items() if k.startswith(PREFIX)}}
    for key, value in mine.items():
        if value is None:
            after.pop(key, None)
        else:
            after[key] = value
    before = PrefixedReader(state.kv, PREFIX)
    assert_invariants(before, after, list(mine))  # type: ignore[arg-type]


def record_of(changes: Changes, invoice_id: str) -> InvoiceRecord:
    raw = changes[PREFIX + record_key(invoice_id)]
    assert raw is not None
    return codec.decode(raw, InvoiceRecord)


def with_record(changes: Changes, invoice_id: str, **fields: object) -> Changes:
    record = msgspec.structs.replace(record_of(changes, invoice_id), **fields)
    return {**changes, PREFIX + record_key(invoice_id): codec.encode(record)}


ID = "sz-shop/2025-0001"


@pytest.fixture
def paid() -> tuple[LedgerState, Changes]:
    """A state, and the changes of a block in which Alice pays an invoice."""
    state = make_ledger()
    result = block_of(state, tx(ALICE, 0, signed_pay(offer())))
    assert result.receipts[0].ok
    return state, result.changes


def test_the_changes_as_written_pass(paid: tuple[LedgerState, Changes]) -> None:
    check(*paid)


BREAKS: dict[str, tuple[Callable[[Changes], Changes], str]] = {
    "total is not amount + tax": (lambda c: with_record(c, ID, total=1), "total"),
    "no buyer": (lambda c: with_record(c, ID, buyer=b""), ID),
    "paid to its buyer": (lambda c: with_record(c, ID, pay_to=ALICE.address), "paid to its buyer"),
    "no paying transaction": (lambda c: with_record(c, ID, tx_hash=b""), ID),
    "claimed without a claimant": (lambda c: with_record(c, ID, status=Status.REIMBURSED), ID),
    "a record under another id": (
        lambda c: {**c, PREFIX + record_key("sz-shop/other"): c[PREFIX + record_key(ID)]},
        "sz-shop/other"),
    "a record deleted": (lambda c: {**c, PREFIX + record_key(ID): None}, "deleted"),
    "a sum that is not running": (
        lambda c: {**c, PREFIX + sum_at_key("sz-shop", "", 0):
                   codec.encode(SumEntry(ID, 1, 1, 0))}, ID),
    "an entry without its counter": (
        lambda c: {k: v for k, v in c.items() if k != PREFIX + buyer_count_key(ALICE.address)},
        "buyer"),
    "a counter grown twice": (
        lambda c: {**c, PREFIX + CHAIN_COUNT_KEY: encode_int(2)}, "chain"),
    "a list entry missing": (
        lambda c: {k: v for k, v in c.items() if k != PREFIX + chain_at_key(0)}, "chain"),
}


@pytest.mark.parametrize("name", BREAKS)
def test_a_broken_change_stops_the_node(paid: tuple[LedgerState, Changes], name: str) -> None:
    state, changes = paid
    breaking, words = BREAKS[name]
    with pytest.raises(AssertionError, match=words):
        check(state, breaking(changes))


def test_a_list_out_of_height_order_stops_the_node() -> None:
    """The chain's list ends with an entry of a later height than the block's (what a bug
    writing the wrong height would leave): the block's append is caught."""
    state = make_ledger()
    state.kv[PREFIX + CHAIN_COUNT_KEY] = encode_int(1)
    state.kv[PREFIX + chain_at_key(0)] = codec.encode(ListEntry("hk-shop/1", 10**6))
    result = block_of(state, tx(ALICE, 0, signed_pay(offer())))
    assert result.receipts[0].ok
    with pytest.raises(AssertionError, match="out of height order"):
        check(state, result.changes)


def test_a_record_only_moves_from_paid_to_reimbursed() -> None:
    state = make_ledger()
    run(state, ALICE, signed_pay(offer()))
    run(state, SHOP, Void("v"))
    claim = tx([EMPLOYER, ALICE], 0, Reimburse(ID, 1), accounts=[EMPLOYER.address, ALICE.address])
    result = block_of(state, claim)
    assert result.receipts[0].ok
    check(state, result.changes)
    for change in (
        with_record(result.changes, ID, amount=0, tax=279),  # the payment rewritten
        with_record(result.changes, ID, buyer=BOB.address),
        {**result.changes, PREFIX + record_key(ID): codec.encode(msgspec.structs.replace(
            record_of(result.changes, ID), status=Status.PAID, claimant=b"",
            claimant_institution="", reimbursed_amount=0, reimbursed_height=0,
            reimbursed_tx=b""))},  # "un-reimbursed"
    ):
        with pytest.raises(AssertionError):
            check(state, change)
    void = codec.decode(state.kv[PREFIX + record_key("sz-shop/v")], InvoiceRecord)
    paid_void = msgspec.structs.replace(record_of(result.changes, ID), number="v")
    assert void.status is Status.VOIDED
    with pytest.raises(AssertionError):
        check(state, {PREFIX + record_key("sz-shop/v"): codec.encode(paid_void)})
