"""The genesis: chain id, first validators, consensus parameters, and each module's section.

It is a JSON file so that people can read and review it:

    {"chain_id": "...", "genesis_time_ms": 1700000000000,
     "validators": [{"name": "...", "public_key": "<64 hex>", "power": 10}, ...],
     "consensus": {"timeout_propose_ms": 1000, ..., "empty_block_interval_ms": 30000},
     "app_state": {"bank": {...}, ...}}

`app_state` holds one section per app module, typed by the module (apps/<module>/genesis.py);
ledger/genesis.py loads and checks the file against the modules of a registry.

The genesis hash binds the whole chain to one genesis (it is the prev_block_hash of block 1).
It is defined over a canonical encoding that does not depend on how the JSON is written
(spacing, key order, a default left out or written out):

    genesis_hash = SHA-256(b"chainbook/genesis/v1" 0x00 || MessagePack(canonical(genesis)))

where canonical() turns every struct into the array of its fields in declaration order (the
field order of this file and of each module's section type), every map into an array of
[key, value] pairs sorted by key, and leaves integers, strings, booleans and nil as they are;
app_state holds every module of the registry, a module whose section the file leaves out
with that section's defaults. docs/PROTOCOL.md gives a worked example.
"""

from __future__ import annotations

import enum
import re
from functools import cached_property
from typing import Any

import msgspec

from chainbook import codec, limits
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.crypto import sha256
from chainbook.types import Hash, Power

CHAIN_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
EMPTY_BLOCK_INTERVAL_MS_DEFAULT = 30_000
"""The production default: an empty block every 30 s keeps an idle 4-validator book growing
by ~3 MB a day per node (docs/BENCHMARKS.md), and a stalled chain visible within a minute."""
EMPTY_BLOCK_INTERVAL_MS_MAX = 3_600_000
"""An hour: longer would hide a stalled chain from monitoring for longer than that."""
GENESIS_HASH_TAG = b"chainbook/genesis/v1\x00"


class GenesisValidator(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    public_key: str
    """64 hex characters."""
    power: Power


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
    empty_block_interval_ms: int = EMPTY_BLOCK_INTERVAL_MS_DEFAULT
    """An idle chain makes an empty block this often; a block carrying transactions comes as
    soon as one waits (core/empty_blocks.py). 0: a block every timeout_commit, empty or not
    (the simulator and the benchmarks). Chain-wide: every validator must wait alike."""


class Genesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True, dict=True):
    chain_id: str
    genesis_time_ms: int
    validators: list[GenesisValidator]
    consensus: ConsensusParams = ConsensusParams()
    app_state: dict[str, Any] = {}
    """Module name -> that module's typed section (a msgspec Struct); see ledger/genesis.py."""

    @cached_property
    def hash(self) -> Hash:
        return compute_genesis_hash(self)

    @cached_property
    def validator_set(self) -> ValidatorSet:
        return get_genesis_validators(self)


def canonical(value: Any) -> Any:
    """The canonical form of a genesis value (see the module docstring)."""
    if isinstance(value, msgspec.Struct):
        return [canonical(getattr(value, name)) for name in value.__struct_fields__]
    if isinstance(value, dict):
        return [[key, canonical(value[key])] for key in sorted(value)]
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if value is None or isinstance(value, bool | int | str | bytes):
        return value
    raise TypeError(f"no canonical form for {type(value).__name__} in a genesis")


def compute_genesis_hash(genesis: Genesis) -> Hash:
    return sha256(GENESIS_HASH_TAG + codec.encode(canonical(genesis)))


def get_genesis_validators(genesis: Genesis) -> ValidatorSet:
    """The validator set of height 1. Raises ValueError for a bad entry."""
    return ValidatorSet(
        [
            Validator(public_key=bytes.fromhex(v.public_key), power=v.power, name=v.name)
            for v in genesis.validators
        ]
    )


__all__ = [
    "CHAIN_ID_PATTERN",
    "EMPTY_BLOCK_INTERVAL_MS_DEFAULT",
    "EMPTY_BLOCK_INTERVAL_MS_MAX",
    "GENESIS_HASH_TAG",
    "ConsensusParams",
    "Genesis",
    "GenesisValidator",
    "canonical",
    "compute_genesis_hash",
    "get_genesis_validators",
]
