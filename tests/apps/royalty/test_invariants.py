"""The commit invariants bite: a block's changes that break payment conservation, a log's
running totals, a split table or the append-only rule stop the node (AssertionError) instead
of being committed. Each tampering starts from a real block's changes."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from chainbook import codec
from chainbook.apps.base import encode_int
from chainbook.apps.royalty import Pay, Share
from chainbook.apps.royalty.state import (
    PaymentEntry,
    ReceivedEntry,
    WorkRecord,
    payee_key,
    payment_key,
    received_at_key,
    work_key,
)
from chainbook.ledger.execute import BlockResult, assert_module_invariants, execute_block
from chainbook.ledger.state import LedgerState
from tests.apps.royalty.helpers import AUTHOR, LISTENER, SONG, nonce, run, with_song
from tests.support import CHAIN_ID, ctx, tx

PREFIX = b"royalty/"
Changes = dict[bytes, bytes | None]


def paid_block() -> tuple[LedgerState, BlockResult]:
    """A chain with one payment committed, and the (uncommitted) result of a second one."""
    state = with_song()
    run(state, LISTENER, Pay(SONG, "download", 3, 300))
    payment = tx(LISTENER, nonce(state, LISTENER), Pay(SONG, "download", 1, 100))
    return state, execute_block(state, CHAIN_ID, [payment], ctx(state.height + 1))


def edit(changes: Changes, key: bytes, type_: type, **fields: object) -> None:
    value = changes[PREFIX + key]
    assert value is not None
    changes[PREFIX + key] = codec.encode(msgspec.structs.replace(codec.decode(value, type_),
                                                                 **fields))


def bump_payee(changes: Changes) -> None:
    changes[PREFIX + payee_key(SONG, AUTHOR.address)] = encode_int(150 + 50 + 1)


def bump_part(changes: Changes) -> None:
    edit(changes, received_at_key(AUTHOR.address, "", 1), ReceivedEntry, amount=51,
         amount_total=201)


def bump_running_total(changes: Changes) -> None:
    edit(changes, payment_key(SONG, 1), PaymentEntry, amount_total=401)


def bump_paid(changes: Changes) -> None:
    edit(changes, work_key(SONG), WorkRecord, paid=401)


def break_split(changes: Changes) -> None:
    edit(changes, work_key(SONG), WorkRecord,
         split=[Share(AUTHOR.address, 5_000), Share(LISTENER.address, 4_999)])


def delete_payee(changes: Changes) -> None:
    changes[PREFIX + payee_key(SONG, AUTHOR.address)] = None


def rewrite_first_payment(changes: Changes) -> None:
    changes[PREFIX + payment_key(SONG, 0)] = changes[PREFIX + payment_key(SONG, 1)]


def hide_a_payment(changes: Changes) -> None:
    del changes[PREFIX + payment_key(SONG, 1)]


TAMPERINGS: dict[str, Callable[[Changes], None]] = {
    "a payee gets a unit nobody paid": bump_payee,
    "a holder's part does not add up": bump_part,
    "a payment's running total is off": bump_running_total,
    "the work's total is off": bump_paid,
    "the split no longer sums to 10,000": break_split,
    "a payee is deleted": delete_payee,
    "a logged payment is rewritten": rewrite_first_payment,
    "a payment is counted but not logged": hide_a_payment,
}


def test_the_real_block_passes() -> None:
    state, result = paid_block()
    assert result.receipts[0].ok
    assert_module_invariants(state, result)


@pytest.mark.parametrize("name", TAMPERINGS, ids=list(TAMPERINGS))
def test_a_tampered_block_stops_the_node(name: str) -> None:
    state, result = paid_block()
    changes = dict(result.changes)
    TAMPERINGS[name](changes)
    with pytest.raises(AssertionError):
        assert_module_invariants(state, msgspec.structs.replace(result, changes=changes))
