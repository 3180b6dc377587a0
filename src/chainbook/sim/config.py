"""What one simulated run looks like: the cluster, the fault budget and the time bounds.

Rules kept:
- A run is a pure function of (seed, SimConfig). Everything random is drawn from one
  `random.Random(seed)`; `draw_fault_plan` is the first thing drawn, so the plan of a seed
  does not change when later parts of the simulator change what they draw.
- Faulty validators hold less than a third of the power of the current validator set at
  any instant (the set changes during a run by governance: sim/governance.py; sim/faults.py
  keeps the budget). A Byzantine validator is faulty while it holds power, and so is an
  honest one whose clock is off by more than the bound (ClockSkew.BEYOND); a crashed
  validator is faulty while it is down; a node that is not a validator (a spare, one voted
  out) may crash freely. The plan is drawn against the genesis set, f = (n - 1) // 3: with
  n = 4 (f = 1) a seed has either crashes or a Byzantine validator, never both; with n = 7
  (f = 2) it may have both.
- Each Byzantine validator follows named strategies (Strategy, sim/adversary.py carries them
  out), drawn per seed; the seed's fault kinds name them ("byz:<strategy>").
- A BEYOND_F seed has more than f faulty validators: f that lie, plus silent ones (they
  withhold everything) and further crashes. No protocol can promise liveness then, so the
  run demands safety only. The liars always hold less than a third of the power: with a
  third, two quorums may overlap in liars only, and no BFT protocol keeps agreement (a fork
  there is no bug).
- A run with a late state-sync validator (`state_sync_start_ms`: the last genesis validator
  boots late, by state sync) counts it as faulty while it is down: the validators faulty for
  the whole run are at most f - 1 (`faults_fixed_max`), crashes keep within the power budget
  with it counted (sim/faults.py), and no run is safety-only (it must find a chain to join).
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
    time_drift_ms_max=1_000,
    empty_block_interval_ms=0,
)
"""Small timeouts so that a seed reaches 10-20 heights in a few simulated seconds, and a
clock bound scaled down with them (a node's default is 10 s for a 1 s timeout_propose), so
that skews and block times at the bound are reached, and recovered from, within a run."""

MachineFactory = Callable[..., ConsensusMachine]
"""Builds a node's ConsensusMachine from ConsensusMachine's keyword arguments (a test hook:
tests pass a deliberately unsafe variant to prove the checkers fire)."""


class FaultKind(enum.Enum):
    LOSS = "loss"
    PARTITION = "partition"
    CRASH = "crash"
    EQUIVOCATION = "equivocation"
    """One Byzantine validator with the EQUIVOCATE strategy only (never drawn in a mix:
    BYZANTINE covers it; tests force it)."""
    BYZANTINE = "byzantine"
    """1..f Byzantine validators, each with strategies drawn from Strategy."""
    CLOCK_SKEW = "clock_skew"
    BEYOND_F = "beyond_f"
    """More than f faulty validators; the run checks safety only (module docstring)."""


_DRAWN_KINDS = (
    FaultKind.LOSS,
    FaultKind.PARTITION,
    FaultKind.CRASH,
    FaultKind.BYZANTINE,
    FaultKind.CLOCK_SKEW,
)


class Strategy(enum.Enum):
    """What a Byzantine validator does with the messages its real machine signs (and more).
    sim/adversary.py carries each out; its docstring says how each is caught."""

    EQUIVOCATE = "equivocate"
    """A conflicting twin of every vote and proposal, original and twin to different halves."""
    CONFLICTING_PROPOSALS = "conflicting_proposals"
    """A different block to every peer in each of its proposals."""
    BAD_POL_ROUND = "bad_pol_round"
    """Proposals that claim a pol_round it has no polka for, or an impossible one."""
    WITHHOLD_ALL = "withhold_all"
    """Sends none of its votes and proposals (it stays connected and answers sync)."""
    WITHHOLD_SOME = "withhold_some"
    """Sends each vote and proposal to some peers only."""
    FUTURE_JUNK = "future_junk"
    """Far-future, next-height, out-of-window and stale messages, validly signed and forged,
    status lies and malformed frames, with every status it announces."""
    CLOCK_EDGE = "clock_edge"
    """Fresh proposals re-timed at the time_drift_ms_max bound, just past it or far past it."""


LYING_STRATEGIES = tuple(Strategy)


class ClockSkew(enum.Enum):
    """How far the clocks of the nodes are off (each node's skew is fixed for the run)."""

    NONE = "none"
    SMALL = "small"
    """Every node within +-clock_skew_ms_max."""
    BOUND = "bound"
    """Every node within +-time_drift_ms_max / 2 (some exactly there): two honest clocks differ
    by up to the bound, the most that keeps every honest proposal timely for every honest node."""
    BEYOND = "beyond"
    """SMALL, and one honest validator off by more than time_drift_ms_max: it counts as faulty
    (its proposals are untimely everywhere, or it finds every other proposal untimely)."""


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
    strategies: frozenset[Strategy] | None = None
    """Force these strategies on every lying Byzantine validator; None draws them per validator."""
    clock_skew_mode: ClockSkew | None = None
    """Force this clock skew mode when CLOCK_SKEW is in the plan; None draws one."""
    beyond_f_chance: float = 0.1
    """In a drawn mix, how often a seed has more than f faulty validators (safety only)."""
    safety_only_run_ms: int = 2_000
    """A safety-only (BEYOND_F) run stops this long after heal_ms, or at the target height."""
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
    institution_changes: bool = True
    """Draw what a seed does to the institution registry (sim/institutions.py: an
    institution registered late by a proposal, one revoked); False registers every simulated
    institution at genesis and changes none."""
    snapshot_interval_blocks: int = 0
    """Every node cuts a state snapshot after every this many blocks and serves it to nodes
    that state-sync (0: none)."""
    state_sync_start_ms: int | None = None
    """The last genesis validator stays down until this simulated time, then joins by state
    sync from the snapshots its peers serve, block-syncs to the head and votes (needs
    snapshot_interval_blocks); None: every genesis validator boots at 0."""
    state_sync_restart_after_ms: int | None = None
    """The state-synced node crashes (clean) this long after it restored, if that is before
    heal_ms and within the fault budget, and restarts from its own book downtime_ms_min later
    (at heal_ms at the latest); None: only the seed's drawn crashes may strike it."""

    @property
    def faults_max(self) -> int:
        """f: the most validators that may be faulty at one instant."""
        return (self.validators - 1) // 3

    @property
    def faults_fixed_max(self) -> int:
        """The most validators faulty for the whole run (Byzantine, a clock past the bound):
        f, less the late state-sync validator, which is down for the first part of the run."""
        return self.faults_max - (self.state_sync_start_ms is not None)

    def replace(self, **changes: Any) -> SimConfig:
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(changes)
        return SimConfig(**values)


@dataclass(frozen=True, slots=True)
class AdversaryPlan:
    """One Byzantine validator: its node index and what it does."""

    index: int
    strategies: frozenset[Strategy]

    @property
    def is_silent(self) -> bool:
        """It sends no consensus message of its own and no junk: an omission fault only."""
        return self.strategies == frozenset({Strategy.WITHHOLD_ALL})


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Which faults one seed injects, and how hard; drawn once per seed."""

    loss: float
    """Per-message loss probability before heal (0 when LOSS is not in the plan)."""
    partitions: bool
    crashes: bool
    adversaries: tuple[AdversaryPlan, ...]
    """The Byzantine validators, by node index."""
    clock_skew: ClockSkew
    skewed_beyond: int | None
    """The honest validator whose clock is off by more than the bound (ClockSkew.BEYOND)."""
    faulty_max: int
    """The most validators faulty at one instant (crashes are injected only below it): f,
    or more in a safety-only run."""
    safety_only: bool
    """More than f faulty validators: liveness is not demanded."""

    @property
    def byzantine(self) -> frozenset[int]:
        return frozenset(adversary.index for adversary in self.adversaries)

    @property
    def liars(self) -> frozenset[int]:
        """The Byzantine validators that send what they sign (or junk): not the silent ones."""
        return frozenset(a.index for a in self.adversaries if not a.is_silent)

    @property
    def equivocators(self) -> frozenset[int]:
        """The Byzantine validators with Strategy.EQUIVOCATE (a twin of every vote)."""
        return frozenset(a.index for a in self.adversaries if Strategy.EQUIVOCATE in a.strategies)

    @property
    def faulty_fixed(self) -> frozenset[int]:
        """The validators faulty for the whole run (while they hold power): the Byzantine
        ones and an honest one whose clock is past the bound."""
        beyond = frozenset() if self.skewed_beyond is None else frozenset({self.skewed_beyond})
        return self.byzantine | beyond

    @property
    def power_guarded(self) -> frozenset[int]:
        """The validators that must hold less than a third of the power whatever the
        validator-set changes (sim/governance.py): every fixed faulty one in a run that demands
        liveness, the liars in a safety-only run."""
        return self.liars if self.safety_only else self.faulty_fixed

    @property
    def kinds(self) -> list[str]:
        kinds = []
        if self.loss > 0:
            kinds.append(FaultKind.LOSS.value)
        if self.partitions:
            kinds.append(FaultKind.PARTITION.value)
        if self.crashes:
            kinds.append(FaultKind.CRASH.value)
        if self.adversaries:
            kinds.append(FaultKind.BYZANTINE.value)
        strategies = {s for adversary in self.adversaries for s in adversary.strategies}
        kinds += [f"byz:{s.value}" for s in Strategy if s in strategies]
        if self.clock_skew is not ClockSkew.NONE:
            kinds.append(FaultKind.CLOCK_SKEW.value)
            kinds.append(f"skew:{self.clock_skew.value}")
        if self.safety_only:
            kinds.append(FaultKind.BEYOND_F.value)
        return kinds


def draw_fault_plan(rng: random.Random, config: SimConfig) -> FaultPlan:
    """A mix of fault kinds for one seed, within the fault budget (f, or more for BEYOND_F)."""
    kinds = config.fault_kinds
    if kinds is None:
        kinds = _draw_fault_kinds(rng, config)
    if config.state_sync_start_ms is not None:
        kinds = kinds - {FaultKind.BEYOND_F}  # the late node must find a live chain to join
    f = config.faults_fixed_max
    safety_only = FaultKind.BEYOND_F in kinds
    loss = rng.uniform(0.0, config.loss_max) if FaultKind.LOSS in kinds else 0.0
    crash_wanted = FaultKind.CRASH in kinds
    liars = _draw_liar_count(rng, kinds, f, crash_wanted, safety_only)
    silent = rng.randint(1, f) if safety_only else 0
    skew = _draw_clock_skew(rng, config, kinds)
    if skew is ClockSkew.BEYOND and liars + 1 > f and not safety_only:
        skew = ClockSkew.BOUND  # no room in the budget for a faulty clock
    # The late state-sync validator (the last) is honest: it is the one being tested.
    indexes = list(range(config.validators - (config.state_sync_start_ms is not None)))
    rng.shuffle(indexes)
    adversaries = tuple(
        AdversaryPlan(index, _draw_strategies(rng, config, kinds))
        for index in sorted(indexes[:liars])
    ) + tuple(
        AdversaryPlan(index, frozenset({Strategy.WITHHOLD_ALL}))
        for index in sorted(indexes[liars : liars + silent])
    )
    skewed_beyond = indexes[liars + silent] if skew is ClockSkew.BEYOND else None
    faulty_fixed = liars + silent + (skewed_beyond is not None)
    faulty_max = faulty_fixed + rng.randint(0, f) if safety_only else config.faults_max
    return FaultPlan(
        loss=loss,
        partitions=FaultKind.PARTITION in kinds,
        crashes=crash_wanted and faulty_max - faulty_fixed >= 1,
        adversaries=adversaries,
        clock_skew=skew,
        skewed_beyond=skewed_beyond,
        faulty_max=faulty_max,
        safety_only=safety_only,
    )


def _draw_fault_kinds(rng: random.Random, config: SimConfig) -> frozenset[FaultKind]:
    kinds = {kind for kind in _DRAWN_KINDS if rng.random() < 0.5}
    if rng.random() < config.beyond_f_chance:
        kinds.add(FaultKind.BEYOND_F)
    both_fit = config.faults_max >= 2 or FaultKind.BEYOND_F in kinds
    if FaultKind.CRASH in kinds and FaultKind.BYZANTINE in kinds and not both_fit:
        kinds.discard(rng.choice([FaultKind.CRASH, FaultKind.BYZANTINE]))
    return frozenset(kinds)


def _draw_liar_count(
    rng: random.Random, kinds: frozenset[FaultKind], f: int, crash: bool, safety_only: bool
) -> int:
    """How many Byzantine validators lie: all f in a safety-only run, else 1..f (leaving
    room for a crash when the plan has crashes)."""
    if FaultKind.EQUIVOCATION in kinds:
        return 1 if f >= 1 else 0
    if FaultKind.BYZANTINE not in kinds or f < 1:
        return f if safety_only else 0
    if safety_only:
        return f
    most = f - 1 if crash and f >= 2 else f
    return rng.randint(1, most)


def _draw_strategies(
    rng: random.Random, config: SimConfig, kinds: frozenset[FaultKind]
) -> frozenset[Strategy]:
    if FaultKind.EQUIVOCATION in kinds:
        return frozenset({Strategy.EQUIVOCATE})
    if config.strategies is not None:
        return config.strategies
    drawn = {s for s in LYING_STRATEGIES if rng.random() < 0.3}
    if not drawn:
        drawn = {rng.choice(LYING_STRATEGIES)}
    if Strategy.WITHHOLD_ALL in drawn:
        # Sending nothing of its own makes the other ways to lie about its messages moot.
        drawn &= {Strategy.WITHHOLD_ALL, Strategy.FUTURE_JUNK}
    return frozenset(drawn)


def _draw_clock_skew(
    rng: random.Random, config: SimConfig, kinds: frozenset[FaultKind]
) -> ClockSkew:
    if FaultKind.CLOCK_SKEW not in kinds:
        return ClockSkew.NONE
    if config.clock_skew_mode is not None:
        return config.clock_skew_mode
    return rng.choices(
        [ClockSkew.SMALL, ClockSkew.BOUND, ClockSkew.BEYOND], weights=[4, 4, 2]
    )[0]


def draw_clock_skews(
    rng: random.Random, config: SimConfig, plan: FaultPlan, nodes: int
) -> list[int]:
    """Each node's clock skew (ms) under the plan's mode (`nodes`: the genesis validators
    and the spare nodes)."""
    drift_ms = config.params.time_drift_ms_max
    skews = []
    for index in range(nodes):
        if plan.clock_skew is ClockSkew.NONE:
            skews.append(0)
        elif plan.clock_skew is ClockSkew.BOUND:
            half = drift_ms // 2
            # A quarter of the nodes sit exactly at an edge: two of them are a bound apart.
            edge = rng.random() < 0.25
            skews.append(rng.choice([-half, half]) if edge else rng.randint(-half, half))
        elif index == plan.skewed_beyond:
            skews.append(rng.choice([-1, 1]) * (drift_ms + rng.randint(1, drift_ms)))
        else:
            skews.append(rng.randint(-config.clock_skew_ms_max, config.clock_skew_ms_max))
    return skews


__all__ = [
    "LYING_STRATEGIES",
    "SIM_CONSENSUS_PARAMS",
    "AdversaryPlan",
    "ClockSkew",
    "FaultKind",
    "FaultPlan",
    "MachineFactory",
    "SimConfig",
    "Strategy",
    "draw_clock_skews",
    "draw_fault_plan",
]
