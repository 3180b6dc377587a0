"""Builders for the mempool tests (deterministic keys and a small genesis)."""

from __future__ import annotations

import msgspec

from chainbook.apps.bank import MultiTransfer, Output, Transfer
from chainbook.chain.tx import sign_tx
from chainbook.core.mempool import Mempool
from chainbook.crypto import PrivateKey
from chainbook.ledger.execute import BlockContext, BlockResult, apply_block_result, execute_block
from chainbook.ledger.state import LedgerState

# The same deterministic keys and chain id as the ledger tests (re-exported for the tests).
from tests.support import (  # noqa: F401
    ALICE,
    BOB,
    CAROL,
    CHAIN_ID,
    DAVE,
    VALIDATOR,
)
from tests.support import make_state as support_make_state


def make_state() -> LedgerState:
    """ALICE 1,000, BOB 500, CAROL 500 at genesis."""
    return support_make_state(
        {ALICE.address: 1_000, BOB.address: 500, CAROL.address: 500}, genesis_time_ms=0
    )


def make_pool(state: LedgerState | None = None, **limits: int) -> Mempool:
    return Mempool(CHAIN_ID, state if state is not None else make_state(), **limits)


def pay(
    key: PrivateKey, nonce: int, to: PrivateKey, amount: int, chain_id: str = CHAIN_ID
) -> bytes:
    return sign_tx(key, chain_id, nonce, Transfer(to=to.address, amount=amount))


def sign(key: PrivateKey, nonce: int, action: msgspec.Struct) -> bytes:
    return sign_tx(key, CHAIN_ID, nonce, action)


def big_multi(key: PrivateKey, nonce: int, outputs: int) -> bytes:
    return sign(key, nonce, MultiTransfer([Output(BOB.address, 1)] * outputs))


def commit(state: LedgerState, txs_bytes: list[bytes]) -> BlockResult:
    from chainbook.chain.tx import decode_tx

    height = state.height + 1
    ctx = BlockContext(height=height, time_ms=height, proposer=VALIDATOR.address)
    result = execute_block(state, CHAIN_ID, [decode_tx(t) for t in txs_bytes], ctx)
    apply_block_result(state, result, height)
    return result
