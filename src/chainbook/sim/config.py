"""What one simulated run looks like: the cluster, the fault budget and the time bounds.

Rules kept:
- A run is a pure function of (seed, SimConfig). Everything random is drawn from one
  `random.Random(seed)`; `draw_fault_plan` is the first thing drawn, so the plan of a seed
  does not change when later parts of the simulator change what they draw.
- Faulty validators never hold a third of the power of the current validator set (the set
  changes during a run: sim/governance.py). The equivocator is faulty while it is a validator;
  a crashed validator is faulty while it is down; a node that is not a validator may crash
  freely. With n = 4 at genesis (f = 1) a seed has either crashes or an equivocator, never
  both; with n = 7 (f = 2) it may have both.
- Faults are injected only before `heal_ms`. From then on every node is up, partitions are
  healed and messages are delivered within `delay_ms_max` (the paper's global stabilisation
  time), so every honest node must reach the target height within `liveness_ms_max`.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.genesis import ConsensusParams
from chainbook.consensus.machine import ConsensusMachine

SIM_CONSENSUS_PARAMS = ConsensusParams(
    timeout_propose_ms=300,
    timeout_propose_delta_ms=100,
    timeout_prevote_ms=100,
    timeout_prevote_delta_ms=100,
    timeout_precommit_ms=100,
    timeout_precommit_delta_ms=100,
    timeout_commit_ms=30,
    time_drift_ms_max=10_000,
    empty_block_interval_ms=0,
)
"""Small timeouts so that a seed reaches 10-20 heights in a few simulated seconds."""

MachineFactory = Callable[..., ConsensusMachine]
"""Builds a node's ConsensusMachine from ConsensusMachine's keyword arguments (a test hook:
tests pass a deliberately unsafe variant to prove the checkers fire)."""


class FaultKind(enum.Enum):
    LOSS = "loss"
    PARTITION = "partition"
    CRASH = "crash"
    EQUIVOCATION = "equivocation"
    CLOCK_SKEW = "clock_skew"


@dataclass(frozen=True, slots=True)
class SimConfig:
    validators: int = 4
    accounts: int = 4
    """Simulated client accounts (each module's workload funds or registers them at genesis)."""
    heal_ms: int = 2_500
    """No fault is injected at or after this simulated time; all nodes are up from then on."""
    liveness_ms_max: int = 20_000
    """After heal_ms, every honest node must reach the target height within this."""
    heights_after_heal: int = 3
    """Target height = highest honest height at heal_ms + this."""
    target_height_min: int = 8
    loss_max: float = 0.30
    delay_ms_min: int = 1
    delay_ms_max: int = 300
    delay_ms_typical_max: int = 40
    """Most messages take 1..delay_ms_typical_max ms; a few take up to delay_ms_max."""
    slow_message_chance: float = 0.1
    resend_interval_ms_min: int = 200
    resend_interval_ms_max: int = 500
    """Each node re-sends its votes (and announces its height) at an interval drawn from this."""
    gossip_flush_ms: int = 10
    sync_retry_ms: int = 300
    """An unanswered sync request is sent again (to another peer) after this long."""
    tx_interval_ms_min: int = 20
    tx_interval_ms_max: int = 120
    txs_in_flight_per_account_max: int = 2
    tx_resubmit_after_ms: int = 800
    fault_interval_ms_min: int = 100
    fault_interval_ms_max: int = 400
    downtime_ms_min: int = 100
    downtime_ms_max: int = 1_200
    partition_ms_min: int = 200
    partition_ms_max: int = 1_200
    clock_skew_ms_max: int = 200
    torn_crash_chance: float = 0.5
    """A crash lands in the middle of carrying out a step's effects this often."""
    fault_kinds: frozenset[FaultKind] | None = None
    """Force exactly these fault kinds (still capped by the fault budget); None draws a mix."""
    params: ConsensusParams = SIM_CONSENSUS_PARAMS
    trace_lines_max: int = 40
    machine_factory: MachineFactory = field(default=ConsensusMachine)
    registry: Registry = field(default=REGISTRY)
    """The modules the cluster runs; their workloads are mixed (tests add a module here)."""
    validator_changes: bool = True
    """Drive random validator-set changes by governance (sim/governance.py)."""
    spare_nodes: int = 3
    """Nodes beyond the genesis validators that the changes may add (each boots as a full
    node the first time it is proposed, and syncs from genesis)."""
    governance_interval_ms_min: int = 150
    governance_interval_ms_max: int = 400

    @property
    def faults_max(self) -> int:
        """f: the most validators that may be faulty at one instant."""
        return (self.validators - 1) // 3

    def replace(self, **changes: Any) -> SimConfig:
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(changes)
        return SimConfig(**values)


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Which faults one seed injects, and how hard; drawn once per seed."""

    loss: float
    """Per-message loss probability before heal (0 when LOSS is not in the plan)."""
    partitions: bool
    crashes: bool
    equivocator: int | None
    """Index of the Byzantine validator, or None."""
    clock_skew: bool

    @property
    def kinds(self) -> list[str]:
        kinds = []
        if self.loss > 0:
            kinds.append(FaultKind.LOSS.value)
        if self.partitions:
            kinds.append(FaultKind.PARTITION.value)
        if self.crashes:
            kinds.append(FaultKind.CRASH.value)
        if self.equivocator is not None:
            kinds.append(FaultKind.EQUIVOCATION.value)
        if self.clock_skew:
            kinds.append(FaultKind.CLOCK_SKEW.value)
        return kinds


def draw_fault_plan(rng: random.Random, config: SimConfig) -> FaultPlan:
    """A mix of fault kinds for one seed, within the fault budget f."""
    kinds = config.fault_kinds
    if kinds is None:
        kinds = _draw_fault_kinds(rng, config)
    loss = rng.uniform(0.0, config.loss_max) if FaultKind.LOSS in kinds else 0.0
    equivocator = None
    if FaultKind.EQUIVOCATION in kinds and config.faults_max >= 1:
        equivocator = rng.randrange(config.validators)
    crashes = FaultKind.CRASH in kinds and config.faults_max - (equivocator is not None) >= 1
    return FaultPlan(
        loss=loss,
        partitions=FaultKind.PARTITION in kinds,
        crashes=crashes,
        equivocator=equivocator,
        clock_skew=FaultKind.CLOCK_SKEW in kinds,
    )


def _draw_fault_kinds(rng: random.Random, config: SimConfig) -> frozenset[FaultKind]:
    kinds = {kind for kind in FaultKind if rng.random() < 0.5}
    both_fit = config.faults_max >= 2
    if FaultKind.CRASH in kinds and FaultKind.EQUIVOCATION in kinds and not both_fit:
        kinds.discard(rng.choice([FaultKind.CRASH, FaultKind.EQUIVOCATION]))
    return frozenset(kinds)


__all__ = [
    "SIM_CONSENSUS_PARAMS",
    "FaultKind",
    "FaultPlan",
    "MachineFactory",
    "SimConfig",
    "draw_fault_plan",
]
