"""Ledger-level builders: states, decoded transactions, blocks executed and committed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from chainbook.apps.bank import MultiTransfer, Output, Transfer
from chainbook.apps.fields import from_json_value, to_json_value
from chainbook.apps.registry import REGISTRY
from chainbook.chain.tx import DecodedTx, decode_tx
from chainbook.crypto import PrivateKey
from chainbook.ledger.execute import BlockContext, BlockResult, apply_block_result, execute_block
from chainbook.ledger.queries import get_query, run_query
from chainbook.ledger.receipts import Receipt
from chainbook.ledger.state import LedgerState, nonce_key
from tests.support.chain import CHAIN_ID, GENESIS_TIME_MS, VALIDATOR, make_genesis, signed


def make_state(balances: dict[bytes, int] | None = None, **kwargs: Any) -> LedgerState:
    """The genesis state of make_genesis(balances, **kwargs) (registry= may be given)."""
    registry = kwargs.get("registry", REGISTRY)
    return LedgerState.from_genesis(make_genesis(balances, **kwargs), registry)


def tx(
    key: PrivateKey | Sequence[PrivateKey],
    nonce: int,
    action: msgspec.Struct,
    *,
    fee: int = 0,
    accounts: Sequence[bytes] | None = None,
) -> DecodedTx:
    """A decoded transaction (its signatures are good: `signed`)."""
    return decode_tx(signed(key, nonce, action, fee=fee, accounts=accounts))


def transfer(key: PrivateKey, nonce: int, to: PrivateKey, amount: int, memo: str = "") -> DecodedTx:
    return tx(key, nonce, Transfer(to=to.address, amount=amount, memo=memo))


def multi(key: PrivateKey, nonce: int, outputs: list[tuple[PrivateKey, int]]) -> DecodedTx:
    return tx(key, nonce, MultiTransfer([Output(k.address, n) for k, n in outputs]))


def ctx(height: int, proposer: PrivateKey = VALIDATOR) -> BlockContext:
    return BlockContext(height=height, time_ms=GENESIS_TIME_MS + height, proposer=proposer.address)


def run_block(state: LedgerState, txs: list[DecodedTx]) -> BlockResult:
    """Execute the next block and commit it."""
    result = execute_block(state, CHAIN_ID, txs, ctx(state.height + 1))
    apply_block_result(state, result, state.height + 1)
    return result


def run_refused(state: LedgerState, tx_: DecodedTx, code: str) -> Receipt:
    """Execute `tx_` as the next block and commit it; assert it was refused with `code` and
    changed nothing but its sender's nonce (the same block without it writes the same keys
    otherwise, begin-block hooks included). Returns its receipt."""
    context = ctx(state.height + 1)
    without = execute_block(state, CHAIN_ID, [], context)
    result = execute_block(state, CHAIN_ID, [tx_], context)
    (receipt,) = result.receipts
    assert not receipt.ok and receipt.code == code, (receipt.code, receipt.error)
    assert receipt.error, "a refusal says why"
    changes = dict(result.changes)
    assert changes.pop(nonce_key(tx_.sender)) is not None
    assert changes == without.changes, "a refused action changed the state"
    apply_block_result(state, result, state.height + 1)
    return receipt


def ask(state: LedgerState, module: str, query: str, **fields: Any) -> Any:
    """A module's query on `state`, its request built from `fields`."""
    request_type = get_query(state, module, query).request
    return run_query(state, module, query, from_json_value(to_json_value(fields), request_type))


def balance_of(state: LedgerState, address: bytes) -> int:
    """The bank balance of `address`, through the bank's own query."""
    return int(ask(state, "bank", "balance", address=address).balance)


def supply_of(state: LedgerState) -> int:
    return int(ask(state, "bank", "supply").total)


__all__ = [
    "ask",
    "balance_of",
    "ctx",
    "make_state",
    "multi",
    "run_block",
    "run_refused",
    "supply_of",
    "transfer",
    "tx",
]
