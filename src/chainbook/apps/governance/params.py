"""Chain parameters: which exist, their ranges, and their value at a height.

Rules kept:
- The parameters are those the modules of the registry declare (`Module.params`) plus the
  consensus ones below (the fields of chain.genesis.ConsensusParams that are safe to change
  while the chain runs). At genesis every declared parameter is written into state with its
  range (`param_specs`) and its genesis value (`params`): the consensus ones from the genesis
  file's `consensus` section, the others from their declared default. Execution therefore reads
  parameters from state only.
- A `set_parameter` change names a declared parameter and a value within its range; it takes
  effect at its activation height like every change. The value at height h is the value in
  `params` with every scheduled `set_parameter` due by h applied (so the parameters of the
  next height are known before it starts, as the validator set is).
- Ranges keep the chain able to govern itself: a block must still hold the largest
  transaction (block_bytes_max >= limits.tx_bytes_max, block_txs_max >= 1), so no parameter
  change can lock governance transactions out.
"""

from __future__ import annotations

from chainbook import limits
from chainbook.apps.base import KVReader
from chainbook.apps.chain_governance import ParamSpec
from chainbook.apps.governance.actions import SetParameter
from chainbook.apps.governance.errors import ParameterOutOfRange, UnknownParameter
from chainbook.apps.governance.state import get_param_specs, get_params, get_schedule
from chainbook.chain.genesis import EMPTY_BLOCK_INTERVAL_MS_DEFAULT
from chainbook.types import Height

TIMEOUT_MS_MAX = 60_000

CONSENSUS_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("consensus.block_txs_max", 5_000, 1, limits.block_txs_max, "transactions per block"),
    ParamSpec(
        "consensus.block_bytes_max",
        limits.block_bytes_max,
        limits.tx_bytes_max,
        limits.block_bytes_max,
        "bytes of transactions per block",
    ),
    ParamSpec("consensus.timeout_propose_ms", 1_000, 50, TIMEOUT_MS_MAX, "wait for a proposal"),
    ParamSpec("consensus.timeout_propose_delta_ms", 500, 0, TIMEOUT_MS_MAX, "added per round"),
    ParamSpec("consensus.timeout_prevote_ms", 500, 10, TIMEOUT_MS_MAX, "wait for prevotes"),
    ParamSpec("consensus.timeout_prevote_delta_ms", 500, 0, TIMEOUT_MS_MAX, "added per round"),
    ParamSpec("consensus.timeout_precommit_ms", 500, 10, TIMEOUT_MS_MAX, "wait for precommits"),
    ParamSpec("consensus.timeout_precommit_delta_ms", 500, 0, TIMEOUT_MS_MAX, "added per round"),
    ParamSpec(
        "consensus.timeout_commit_ms", 100, 0, TIMEOUT_MS_MAX, "pause after a commit (interval)"
    ),
    ParamSpec(
        "consensus.time_drift_ms_max",
        10_000,
        1_000,
        600_000,
        "how far a block time may be ahead of a validator's clock",
    ),
    ParamSpec(
        "consensus.empty_block_interval_ms",
        EMPTY_BLOCK_INTERVAL_MS_DEFAULT,
        0,
        3_600_000,
        "longest wait for a transaction before an empty block (0: never wait)",
    ),
)
"""The consensus parameters governance may change (their defaults are ConsensusParams')."""

VOTING_PERIOD = "governance.voting_period_blocks"
VOTING_PERIOD_MAX = "governance.voting_period_blocks_max"
ACTIVATION_DELAY_MAX = "governance.activation_delay_blocks_max"
EVIDENCE_AGE_MAX = "governance.evidence_age_blocks_max"

GOVERNANCE_PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec(VOTING_PERIOD, 100, 2, 1_000_000, "deadline of a proposal that names none"),
    ParamSpec(VOTING_PERIOD_MAX, 100_000, 2, 10_000_000, "latest deadline a proposal may name"),
    ParamSpec(
        ACTIVATION_DELAY_MAX,
        1_000_000,
        2,
        100_000_000,
        "latest activation height a proposal may name, after its deadline",
    ),
    ParamSpec(
        EVIDENCE_AGE_MAX,
        1_000,
        10,
        1_000_000,
        "evidence for a height further back than this is refused",
    ),
)
"""Governance's own parameters."""

PARAMS = CONSENSUS_PARAMS + GOVERNANCE_PARAMS


def get_param_values(view: KVReader, height: Height) -> dict[str, int]:
    """Every parameter's value at `height` (<= committed height + 2)."""
    values = get_params(view)
    for item in get_schedule(view):
        if item.activation_height <= height and isinstance(item.change, SetParameter):
            values[item.change.name] = item.change.value
    return values


def get_param_value(view: KVReader, height: Height, name: str) -> int:
    values = get_param_values(view, height)
    assert name in values, f"parameter {name} missing from state"
    return values[name]


def get_param_spec(view: KVReader, name: str) -> ParamSpec:
    for spec in get_param_specs(view):
        if spec.name == name:
            return spec
    known = ", ".join(sorted(spec.name for spec in get_param_specs(view)))
    raise UnknownParameter(f"unknown parameter {name!r}; parameters: {known}")


def verify_set_parameter(view: KVReader, change: SetParameter) -> None:
    spec = get_param_spec(view, change.name)
    if not spec.is_allowed(change.value):
        raise ParameterOutOfRange(
            f"parameter {change.name} = {change.value} is out of range: accepted "
            f"{spec.minimum}..{spec.maximum}"
        )


__all__ = [
    "ACTIVATION_DELAY_MAX",
    "CONSENSUS_PARAMS",
    "EVIDENCE_AGE_MAX",
    "GOVERNANCE_PARAMS",
    "PARAMS",
    "VOTING_PERIOD",
    "VOTING_PERIOD_MAX",
    "get_param_spec",
    "get_param_value",
    "get_param_values",
    "verify_set_parameter",
]
