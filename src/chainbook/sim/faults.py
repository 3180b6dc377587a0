"""Partitions and crashes for one seed, and the faulty budget they are injected under.

Rules kept:
- Faults start only before heal_ms. At heal (`heal`) every partition ends, every armed torn
  crash is disarmed and every node that ever ran is up again; from then on only the network's
  delays remain (the paper's global stabilisation time).
- At each fault tick (every fault_interval_ms_min..max) a partition starts with chance 0.3
  when the plan has partitions and none is on: the nodes split in two random non-empty sides
  for partition_ms_min..max. A crash is tried with chance 0.4 when the plan has crashes.
- A crash strikes an honest node that is up, has no torn crash armed, and fits the budget; it
  is torn with torn_crash_chance (it strikes after 0..3 outputs of a later step, part way
  through carrying them out) or clean. The node restarts from its store after
  downtime_ms_min..max, at heal_ms at the latest.
- The budget (`crash_fits`), in a run that demands liveness: the faulty validators -- the
  Byzantine while they hold power, an honest one whose clock is past the bound, the down and
  the armed, and the candidate -- keep less than a third of the power of each of the sets of
  the next two heights (those are final, apps/governance/valset.py; a crash cannot reach
  further before it may restart). A node in neither set (a spare, one voted out) may always
  crash. Later sets are governance's, and sim/governance.py keeps the fixed faulty ones (the
  Byzantine and the bad clock) below a third there; a change may still leave the down ones
  a third until they restart, which can stall the chain before heal and nothing more
  (crashes break no safety rule, and all are up at heal). With the genesis set this is the
  f = (n - 1) // 3 of config.py.
- In a safety-only run the budget is the plan's count instead: at most plan.faulty_max
  validators faulty at once, by count (no quorum is promised there).
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Protocol

from chainbook.chain.validators import ValidatorSet
from chainbook.core.inputs import Input, PeerDisconnected
from chainbook.sim.clock import EventQueue
from chainbook.sim.config import FaultPlan, SimConfig
from chainbook.sim.events import FaultTick, PartitionHeal, Restart, Scheduled
from chainbook.sim.network import SimNetwork
from chainbook.sim.node import SimNode
from chainbook.sim.trace import Trace
from chainbook.types import Height

PARTITION_CHANCE = 0.3
CRASH_CHANCE = 0.4
TORN_CRASH_OUTPUTS_MAX = 3


class FaultedCluster(Protocol):
    """What the injector asks of the simulation."""

    config: SimConfig
    nodes: list[SimNode]
    queue: EventQueue[Scheduled]
    network: SimNetwork
    trace: Trace

    def step(self, node: SimNode, input_: Input) -> None: ...

    def boot(self, node: SimNode) -> None: ...

    def honest_nodes(self) -> list[SimNode]: ...

    def agreed_height(self) -> Height: ...

    def agreed_validators(self, height: Height) -> ValidatorSet: ...


class FaultInjector:
    def __init__(
        self,
        cluster: FaultedCluster,
        plan: FaultPlan,
        faults: Counter[str],
        rng: random.Random,
    ) -> None:
        self.cluster = cluster
        self.config = cluster.config
        self.plan = plan
        self.faults = faults
        """Faults injected, by kind (the simulation's counter, shared)."""
        self.rng = rng
        """The seed's one random source (shared with the simulation)."""

    def next_tick_delay_ms(self) -> int:
        config = self.config
        return self.rng.randint(config.fault_interval_ms_min, config.fault_interval_ms_max)

    # ------------------------------------------------------------------ ticks

    def on_tick(self) -> None:
        queue = self.cluster.queue
        now = queue.now_ms
        if now >= self.config.heal_ms:
            return
        partition_free = self.cluster.network.partition is None
        if self.plan.partitions and partition_free and self.rng.random() < PARTITION_CHANCE:
            self._start_partition()
        if self.plan.crashes and self.rng.random() < CRASH_CHANCE:
            self._inject_crash()
        next_ms = now + self.next_tick_delay_ms()
        if next_ms < self.config.heal_ms:
            queue.push_at(next_ms, FaultTick())

    def _start_partition(self) -> None:
        cluster = self.cluster
        indexes = list(range(len(cluster.nodes)))
        self.rng.shuffle(indexes)
        cut = self.rng.randint(1, len(indexes) - 1)
        side_a, side_b = frozenset(indexes[:cut]), frozenset(indexes[cut:])
        cluster.network.start_partition(side_a, side_b)
        duration = self.rng.randint(self.config.partition_ms_min, self.config.partition_ms_max)
        now = cluster.queue.now_ms
        cluster.queue.push_at(min(now + duration, self.config.heal_ms), PartitionHeal())
        self.faults["partition"] += 1
        cluster.trace.record(now, f"partition {sorted(side_a)} | {sorted(side_b)}")

    def _inject_crash(self) -> None:
        candidates = [
            n
            for n in self.cluster.honest_nodes()
            if n.up and n.crash_after_outputs is None and self.crash_fits(n)
        ]
        if not candidates:
            return
        node = self.rng.choice(candidates)
        if self.rng.random() < self.config.torn_crash_chance:
            node.crash_after_outputs = self.rng.randrange(0, TORN_CRASH_OUTPUTS_MAX + 1)
            self.faults["torn_crash_armed"] += 1
            self._trace(node, f"torn crash armed after {node.crash_after_outputs} outputs")
        else:
            self.crash(node, "clean")
        downtime = self.rng.randint(self.config.downtime_ms_min, self.config.downtime_ms_max)
        restart_ms = min(self.cluster.queue.now_ms + downtime, self.config.heal_ms)
        self.cluster.queue.push_at(restart_ms, Restart(node.index))

    def crash(self, node: SimNode, how: str) -> None:
        """`node` loses every volatile part now (a clean crash, or a torn one striking)."""
        node.crash()
        for peer in self.cluster.nodes:
            if peer is not node and peer.is_running:
                self.cluster.step(peer, PeerDisconnected(node.key.public_key))
        self.faults["crash_torn" if how.startswith("torn") else "crash"] += 1
        self._trace(node, f"CRASH ({how})")

    def on_restart(self, node: SimNode) -> None:
        if node.up:
            node.crash_after_outputs = None  # the torn crash never struck
            return
        self.cluster.boot(node)

    def heal(self) -> None:
        self.cluster.network.heal()
        for node in self.cluster.nodes:
            node.crash_after_outputs = None
            if not node.up and node.boots > 0:
                self.cluster.boot(node)

    # ------------------------------------------------------------------ the budget

    def crash_fits(self, candidate: SimNode) -> bool:
        """Crashing `candidate` keeps within the budget (module docstring)."""
        if self.plan.safety_only:
            return self.down_count() + len(self.plan.faulty_fixed) < self.plan.faulty_max
        height = self.cluster.agreed_height()
        faulty = [
            n
            for n in self.cluster.nodes
            if n.byzantine
            or n.index == self.plan.skewed_beyond
            or n is candidate
            or not n.up
            or n.crash_after_outputs is not None
        ]
        for offset in (1, 2):
            validators = self.cluster.agreed_validators(height + offset)
            power = {v.address: v.power for v in validators.validators}
            if not any(candidate.is_own_address(address) for address in power):
                continue
            faulty_power = sum(
                power.get(key.address, 0) for n in faulty for key in n.consensus_keys
            )
            if 3 * faulty_power >= validators.power_total:
                return False
        return True

    def down_count(self) -> int:
        """Honest nodes down, or armed to crash."""
        return sum(
            1
            for n in self.cluster.honest_nodes()
            if not n.up or n.crash_after_outputs is not None
        )

    def _trace(self, node: SimNode, text: str) -> None:
        self.cluster.trace.record(self.cluster.queue.now_ms, f"{node.name} {text}")


__all__ = ["FaultInjector", "FaultedCluster"]
