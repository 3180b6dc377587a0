"""The genesis file: chain id, first validators, initial coin allocation, issuance schedule.

It is JSON so that people can read and review it; its hash (SHA-256 of the canonical MessagePack
encoding of the parsed structure) is the prev_block_hash of block 1, so every block descends
from exactly one genesis. The whole issuance of the native coin is fixed here: the initial
allocation plus a block reward paid to each block's proposer, halving every
`halving_interval_blocks`, and never pushing the supply past `supply_max`.
"""

from __future__ import annotations

import re
from functools import cached_property

import msgspec

from chainbook import codec, limits
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.crypto import parse_address, sha256
from chainbook.errors import ConfigError
from chainbook.types import Address, Amount, Hash, Height

CHAIN_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class GenesisValidator(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    public_key: str
    """64 hex characters."""
    power: int


class GenesisAccount(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    address: str
    """40 hex characters."""
    amount: Amount


class Coin(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    symbol: str = "CBK"
    decimals: int = 6


class Issuance(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    block_reward: Amount = 0
    """Paid to the proposer of each block (minted), in the smallest unit."""
    halving_interval_blocks: Height = 0
    """Every this many blocks the reward halves; 0 means it never halves."""
    supply_max: Amount = 0
    """The hard cap on the total supply: initial allocation plus everything ever minted."""


class ConsensusParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Timeouts grow linearly with the round: timeout(r) = base + r * delta (the paper's rule)."""

    timeout_propose_ms: int = 1000
    timeout_propose_delta_ms: int = 500
    timeout_prevote_ms: int = 500
    timeout_prevote_delta_ms: int = 500
    timeout_precommit_ms: int = 500
    timeout_precommit_delta_ms: int = 500
    timeout_commit_ms: int = 100
    """Pause after a commit before the next height, to collect the remaining precommits."""
    block_txs_max: int = 5_000
    """Kept well under limits.block_txs_max so a block executes and commits in a fraction of
    timeout_propose even on a slow machine (bigger blocks only add latency under load)."""
    block_bytes_max: int = limits.block_bytes_max
    time_drift_ms_max: int = 10_000
    """A proposed block time further ahead of the local clock than this is refused."""


class Genesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True, dict=True):
    chain_id: str
    genesis_time_ms: int
    validators: list[GenesisValidator]
    accounts: list[GenesisAccount] = []
    coin: Coin = Coin()
    issuance: Issuance = Issuance()
    consensus: ConsensusParams = ConsensusParams()

    @cached_property
    def hash(self) -> Hash:
        return sha256(codec.encode(self))

    @cached_property
    def validator_set(self) -> ValidatorSet:
        return ValidatorSet(
            [
                Validator(public_key=bytes.fromhex(v.public_key), power=v.power, name=v.name)
                for v in self.validators
            ]
        )

    def allocations(self) -> list[tuple[Address, Amount]]:
        return [(parse_address(a.address), a.amount) for a in self.accounts]


def verify_genesis(genesis: Genesis) -> None:
    """Refuse a genesis that could not run: each reason names the field and the value."""
    if (
        not CHAIN_ID_PATTERN.match(genesis.chain_id)
        or len(genesis.chain_id) > limits.chain_id_chars_max
    ):
        raise ConfigError(
            f"chain_id {genesis.chain_id!r}: use lowercase letters, digits and '-', "
            f"at most {limits.chain_id_chars_max} characters"
        )
    try:
        genesis.validator_set  # noqa: B018 - builds and checks the set
        allocations = genesis.allocations()
    except ValueError as exc:
        raise ConfigError(f"genesis: {exc}") from None
    if len({a for a, _ in allocations}) != len(allocations):
        raise ConfigError("genesis: an account appears twice in accounts")
    if any(amount <= 0 for _, amount in allocations):
        raise ConfigError("genesis: every account amount must be > 0")
    initial = sum(amount for _, amount in allocations)
    issuance = genesis.issuance
    if issuance.block_reward < 0 or issuance.halving_interval_blocks < 0:
        raise ConfigError("genesis: issuance values must be >= 0")
    if issuance.supply_max and initial > issuance.supply_max:
        raise ConfigError(
            f"genesis: initial allocation {initial} exceeds supply_max {issuance.supply_max}"
        )
    params = genesis.consensus
    if not 1 <= params.block_txs_max <= limits.block_txs_max:
        raise ConfigError(
            f"genesis: consensus.block_txs_max {params.block_txs_max}, "
            f"accepted 1..{limits.block_txs_max}"
        )
    if not 1 <= params.block_bytes_max <= limits.block_bytes_max:
        raise ConfigError(
            f"genesis: consensus.block_bytes_max {params.block_bytes_max}, "
            f"accepted 1..{limits.block_bytes_max}"
        )
    if issuance.block_reward and not issuance.supply_max:
        raise ConfigError("genesis: a block_reward needs a supply_max (the supply must be capped)")


def load_genesis(data: bytes) -> Genesis:
    try:
        genesis = msgspec.json.decode(data, type=Genesis)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ConfigError(f"genesis file: {exc}") from None
    verify_genesis(genesis)
    return genesis


def dump_genesis(genesis: Genesis) -> bytes:
    return msgspec.json.format(msgspec.json.encode(genesis), indent=2)


__all__ = [
    "Coin",
    "ConsensusParams",
    "Genesis",
    "GenesisAccount",
    "GenesisValidator",
    "Issuance",
    "dump_genesis",
    "load_genesis",
    "verify_genesis",
]
