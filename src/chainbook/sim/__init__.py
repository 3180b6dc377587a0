"""Deterministic simulation of a chainbook cluster (TigerBeetle's VOPR, FoundationDB's simulator).

Many nodes run in one process -- the real node core (core/node.py, booted by core/boot.py:
consensus, ledger, modules, mempool, gossip, sync) over MemoryBlockStores -- on a simulated
clock and network carrying the real wire frames, under faults drawn from one seed: message
loss, delay and reordering, partitions, crash and restart (clean or in the middle of a step),
clock skew up to and beyond the drift bound, and Byzantine validators with named strategies
(equivocation, conflicting proposals, lies about pol_round, withheld votes, junk, proposals at
the clock bound), faulty validators holding less than a third of the power; or more than
that, with safety checked only. Meanwhile the validators change their set by governance
(spare nodes join and are voted in, validators are voted out, powers and keys change).
Checkers assert agreement, one validator set per height, validity, timeliness, no
double-signing, no false evidence or ban, no lost transaction and equal app hashes after every
step, liveness once the faults heal, and that an equivocator ends punished (its evidence
committed, its power taken). A failure names its seed, and `replay(seed)` reproduces it.

Modules: config (SimConfig, fault plans, strategies), clock (event queue), events (what it
holds), network, node (one simulated node), adversary (a Byzantine validator's strategies),
byzantine (equivocation twins), junk (the junk it sends), workload (every module's simulated
clients, and what their transactions did), institutions (the simulated accounts that sign as
registered institutions, and the registry changes of a seed), governance (the validators'
proposals and votes: validator-set changes, institutions registered and revoked), faults
(partitions, crashes and the faulty budget), checkers, trace, results, simulator (one seed),
runner (many seeds, replay, command line).
"""

from chainbook.sim.checkers import Checkers, InvariantViolation
from chainbook.sim.config import (
    SIM_CONSENSUS_PARAMS,
    ClockSkew,
    FaultKind,
    FaultPlan,
    SimConfig,
    Strategy,
)
from chainbook.sim.results import SeedResult, SimulationFailure
from chainbook.sim.runner import Summary, main, replay, run_seeds
from chainbook.sim.simulator import Simulation, run_seed

__all__ = [
    "SIM_CONSENSUS_PARAMS",
    "Checkers",
    "ClockSkew",
    "FaultKind",
    "FaultPlan",
    "InvariantViolation",
    "SeedResult",
    "SimConfig",
    "Simulation",
    "SimulationFailure",
    "Strategy",
    "Summary",
    "main",
    "replay",
    "run_seed",
    "run_seeds",
]
