"""Builders shared by the ledger tests: deterministic keys, genesis, signed transactions."""

from __future__ import annotations

import msgspec

from chainbook.apps.bank import MultiTransfer, Output, Transfer
from chainbook.chain.genesis import Genesis, GenesisAccount, GenesisValidator, Issuance
from chainbook.chain.tx import DecodedTx, decode_tx, sign_tx
from chainbook.crypto import PrivateKey
from chainbook.ledger.execute import BlockContext, BlockResult, apply_block_result, execute_block
from chainbook.ledger.state import LedgerState

CHAIN_ID = "test-chain"
ALICE = PrivateKey.from_label("alice")
BOB = PrivateKey.from_label("bob")
CAROL = PrivateKey.from_label("carol")
DAVE = PrivateKey.from_label("dave")  # never funded
VALIDATOR = PrivateKey.from_label("validator")


def make_genesis(
    balances: dict[bytes, int] | None = None,
    *,
    block_reward: int = 0,
    halving_interval_blocks: int = 0,
    supply_max: int = 0,
) -> Genesis:
    if balances is None:
        balances = {ALICE.address: 1_000, BOB.address: 500}
    return Genesis(
        chain_id=CHAIN_ID,
        genesis_time_ms=1_700_000_000_000,
        validators=[
            GenesisValidator(name="v", public_key=VALIDATOR.public_key.hex(), power=1)
        ],
        accounts=[GenesisAccount(address=a.hex(), amount=n) for a, n in balances.items()],
        issuance=Issuance(
            block_reward=block_reward,
            halving_interval_blocks=halving_interval_blocks,
            supply_max=supply_max,
        ),
    )


def make_state(balances: dict[bytes, int] | None = None, **kwargs: int) -> LedgerState:
    return LedgerState.from_genesis(make_genesis(balances, **kwargs))


def signed(key: PrivateKey, nonce: int, action: msgspec.Struct, chain_id: str = CHAIN_ID) -> bytes:
    return sign_tx(key, chain_id, nonce, action)


def tx(key: PrivateKey, nonce: int, action: msgspec.Struct) -> DecodedTx:
    return decode_tx(signed(key, nonce, action))


def transfer(key: PrivateKey, nonce: int, to: PrivateKey, amount: int, memo: str = "") -> DecodedTx:
    return tx(key, nonce, Transfer(to=to.address, amount=amount, memo=memo))


def multi(key: PrivateKey, nonce: int, outputs: list[tuple[PrivateKey, int]]) -> DecodedTx:
    return tx(key, nonce, MultiTransfer([Output(k.address, n) for k, n in outputs]))


def ctx(height: int, proposer: PrivateKey = VALIDATOR) -> BlockContext:
    time_ms = 1_700_000_000_000 + height
    return BlockContext(height=height, time_ms=time_ms, proposer=proposer.address)


def run_block(state: LedgerState, txs: list[DecodedTx]) -> BlockResult:
    """Execute the next block and commit it."""
    result = execute_block(state, CHAIN_ID, txs, ctx(state.height + 1))
    apply_block_result(state, result, state.height + 1)
    return result
