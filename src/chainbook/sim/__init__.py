"""Deterministic simulation of a chainbook cluster (TigerBeetle's VOPR, FoundationDB's simulator).

Many nodes run in one process -- the real ConsensusMachine, LedgerApplication, ledger, bank
module, Mempool and MemoryBlockStore -- on a simulated clock and network, under faults drawn
from one seed: message loss, delay and reordering, partitions, crash and restart (clean or in
the middle of a step), clock skew and one equivocating validator, while the validators change
their set by governance. Checkers assert agreement, one validator set per height, validity,
no double-signing, no lost transaction and equal app hashes after every step, liveness once
the faults heal, and that a caught equivocator ends with no power. A failure names its seed,
and `replay(seed)` reproduces it.

Modules: config (SimConfig, fault plans), clock (event queue), events (what it holds),
network, node (one simulated node), byzantine (the equivocator), workload (every module's
simulated clients), governance (the validators' proposals and votes: validator-set changes),
checkers, trace, results, simulator (one seed), runner (many seeds, replay, command line).
"""

from chainbook.sim.checkers import Checkers, InvariantViolation
from chainbook.sim.config import SIM_CONSENSUS_PARAMS, FaultKind, FaultPlan, SimConfig
from chainbook.sim.runner import Summary, main, replay, run_seeds
from chainbook.sim.simulator import SeedResult, Simulation, SimulationFailure, run_seed

__all__ = [
    "SIM_CONSENSUS_PARAMS",
    "Checkers",
    "FaultKind",
    "FaultPlan",
    "InvariantViolation",
    "SeedResult",
    "SimConfig",
    "Simulation",
    "SimulationFailure",
    "Summary",
    "main",
    "replay",
    "run_seed",
    "run_seeds",
]
