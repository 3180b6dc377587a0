"""What the vote tests share: a ballot builder, blocks at a chosen height, a voter's nonce."""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.apps.vote import Create
from chainbook.crypto import PrivateKey
from chainbook.ledger.execute import BlockResult
from chainbook.ledger.receipts import Event, Receipt
from chainbook.ledger.state import LedgerState, get_nonce
from tests.support import ALICE, BOB, CAROL, DAVE, run_block, run_refused, tx

VOTERS = [ALICE, BOB, CAROL, DAVE]


def nonce(state: LedgerState, key: PrivateKey) -> int:
    return get_nonce(state.kv, key.address)


def ballot(name: str = "b1", **fields: Any) -> Create:
    """A public, equally weighted ballot of ALICE, BOB and CAROL, open at 1, closing at 10."""
    base: dict[str, Any] = {
        "ballot": name,
        "title": "Adopt the budget?",
        "options": ["yes", "no", "abstain"],
        "voters": [ALICE.address, BOB.address, CAROL.address],
        "open_height": 1,
        "close_height": 10,
    }
    return Create(**{**base, **fields})


def send(state: LedgerState, key: PrivateKey, action: msgspec.Struct) -> Receipt:
    """`action` of `key` alone in the next block; its receipt (ok or not)."""
    receipt: Receipt = run_block(state, [tx(key, nonce(state, key), action)]).receipts[0]
    return receipt


def ok(state: LedgerState, key: PrivateKey, action: msgspec.Struct) -> list[Event]:
    receipt = send(state, key, action)
    assert receipt.ok, (receipt.code, receipt.error)
    return receipt.events


def refused(state: LedgerState, key: PrivateKey, action: msgspec.Struct, code: str) -> str:
    return run_refused(state, tx(key, nonce(state, key), action), code).error


def advance_to(state: LedgerState, height: int) -> list[Event]:
    """Empty blocks until the next block is at `height`; the block-level events they had."""
    assert state.height < height, (state.height, height)
    events: list[Event] = []
    while state.height + 1 < height:
        result: BlockResult = run_block(state, [])
        events += result.events
    return events


__all__ = ["VOTERS", "advance_to", "ballot", "nonce", "ok", "refused", "send"]
