"""Deterministic keys, the tests' chain id, genesis files and signed transactions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from chainbook.apps.bank import BankGenesis, GenesisAccount, Issuance
from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.genesis import ConsensusParams, Genesis, GenesisValidator
from chainbook.chain.tx import sign_tx, sign_tx_by
from chainbook.crypto import PrivateKey
from chainbook.ledger.genesis import make_genesis as make_checked_genesis

CHAIN_ID = "test-chain"
GENESIS_TIME_MS = 1_700_000_000_000

ALICE = PrivateKey.from_label("alice")
BOB = PrivateKey.from_label("bob")
CAROL = PrivateKey.from_label("carol")
DAVE = PrivateKey.from_label("dave")
"""Never funded by make_genesis's default balances."""
VALIDATOR = PrivateKey.from_label("validator")


def validator_keys(count: int) -> list[PrivateKey]:
    return [PrivateKey.from_label(f"validator-{i}") for i in range(count)]


def make_genesis(
    balances: dict[bytes, int] | None = None,
    *,
    validators: Sequence[PrivateKey] = (VALIDATOR,),
    powers: Sequence[int] | None = None,
    block_reward: int = 0,
    halving_interval_blocks: int = 0,
    supply_max: int = 0,
    consensus: ConsensusParams | None = None,
    chain_id: str = CHAIN_ID,
    genesis_time_ms: int = GENESIS_TIME_MS,
    app_state: dict[str, Any] | None = None,
    registry: Registry = REGISTRY,
) -> Genesis:
    """A checked genesis with these validators (power 1 each unless `powers`), bank balances
    (default: ALICE 1,000 and BOB 500) and issuance; other modules' sections from
    `app_state`, or their defaults."""
    if balances is None:
        balances = {ALICE.address: 1_000, BOB.address: 500}
    if powers is None:
        powers = [1] * len(validators)
    bank = BankGenesis(
        accounts=[GenesisAccount(address=a.hex(), amount=n) for a, n in balances.items()],
        issuance=Issuance(
            block_reward=block_reward,
            halving_interval_blocks=halving_interval_blocks,
            supply_max=supply_max,
        ),
    )
    return make_checked_genesis(
        chain_id=chain_id,
        genesis_time_ms=genesis_time_ms,
        validators=[
            GenesisValidator(name=f"v{i}", public_key=key.public_key.hex(), power=power)
            for i, (key, power) in enumerate(zip(validators, powers, strict=True))
        ],
        consensus=consensus,
        app_state={"bank": bank, **(app_state or {})},
        registry=registry,
    )


def signed(
    key: PrivateKey | Sequence[PrivateKey],
    nonce: int,
    action: msgspec.Struct,
    chain_id: str = CHAIN_ID,
    *,
    fee: int = 0,
    accounts: Sequence[bytes] | None = None,
) -> bytes:
    """A signed transaction's bytes: by one key, or by several keys in this order (then
    acting for `accounts`, the sender first; None: the address of the first key)."""
    if isinstance(key, PrivateKey):
        if accounts is None:
            return sign_tx(key, chain_id, nonce, action, fee=fee)
        key = [key]
    return sign_tx_by(key, chain_id, nonce, action, fee=fee, accounts=accounts)


__all__ = [
    "ALICE",
    "BOB",
    "CAROL",
    "CHAIN_ID",
    "DAVE",
    "GENESIS_TIME_MS",
    "VALIDATOR",
    "make_genesis",
    "signed",
    "validator_keys",
]
