"""Focused simulator runs of one module's workload (or a few), for tests that count what it did.

With every module of the registry in the mix a seed gives each module two or three
transactions, too few for a flow of several steps (a lot created, handed over, accepted).
A focused run keeps the real cluster, faults and checkers, and gives the modules under test
the clients' turns: the bank (it funds the accounts at genesis and moves the coins modules
ask it to) and governance (it answers the institution registry and registers the simulated
institutions at genesis) are in the registry with workloads that send nothing of their own,
and the clients send more often (the validators' governance still runs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import msgspec

from chainbook.apps import bank, governance
from chainbook.apps.bank.workload import BankWorkload
from chainbook.apps.base import Module, PrefixedReader, Rng
from chainbook.apps.governance.workload import GovernanceWorkload
from chainbook.apps.registry import Registry
from chainbook.chain.tx import decode_tx
from chainbook.ledger.receipts import Receipt
from chainbook.sim import SimConfig, Simulation
from chainbook.sim.node import SimNode
from chainbook.sim.results import SeedResult
from chainbook.sim.workload import Outcomes, count_outcome
from chainbook.types import Address


class QuietGovernanceWorkload(GovernanceWorkload):
    """Governance's genesis (proposers, the simulated institutions), none of its proposals."""

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        return None


class QuietBankWorkload(BankWorkload):
    """The bank's genesis (every account funded), none of its transfers."""

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        return None


QUIET_GOVERNANCE = dataclasses.replace(governance.MODULE, workload=QuietGovernanceWorkload)
QUIET_BANK = dataclasses.replace(bank.MODULE, workload=QuietBankWorkload)


def focused_config(*modules: Module, institution_changes: bool = False) -> SimConfig:
    return SimConfig(
        registry=Registry([QUIET_BANK, QUIET_GOVERNANCE, *modules]),
        tx_interval_ms_min=10,
        tx_interval_ms_max=40,
        txs_in_flight_per_account_max=3,
        heal_ms=4_000,
        institution_changes=institution_changes,
    )


def add_outcomes(total: Outcomes, more: Outcomes) -> None:
    for tag, outcomes in more.items():
        for outcome, count in outcomes.items():
            count_outcome(total, tag, outcome, count)


def most_advanced(simulation: Simulation) -> SimNode:
    nodes = [n for n in simulation.honest_nodes() if n.core is not None]
    return max(nodes, key=lambda n: n.height)


def assert_module_invariants(simulation: Simulation, module: Module) -> int:
    """The module's assert_invariants over its whole final state, as if written in one block
    from nothing (every record checked alone, and the sums across records: supply = balances);
    on every honest node. Returns the number of module keys checked on one node."""
    assert module.assert_invariants is not None
    checked = 0
    for node in simulation.honest_nodes():
        assert node.core is not None
        kv = node.core.ledger.state.kv
        keys = [key[len(module.prefix) :] for key in kv if key.startswith(module.prefix)]
        empty = PrefixedReader({}, module.prefix)
        module.assert_invariants(empty, PrefixedReader(kv, module.prefix), keys)
        checked = len(keys)
    return checked


def committed(node: SimNode) -> list[tuple[Address, msgspec.Struct, Receipt]]:
    """Every committed transaction of `node`'s chain: its sender, action and receipt."""
    registry = node.config.registry
    found = []
    for height in range(1, node.height + 1):
        block = node.store.load_block(height)
        receipts = node.store.load_receipts(height)
        assert block is not None and receipts is not None
        for tx, receipt in zip(block.txs, receipts, strict=True):
            decoded = decode_tx(tx)
            found.append((decoded.sender, registry.decode_action(decoded.action_bytes), receipt))
    return found


def run_focused(seed: int, config: SimConfig) -> tuple[SeedResult, Simulation]:
    simulation = Simulation(seed, config)
    return simulation.run(), simulation


__all__ = [
    "QUIET_BANK",
    "QUIET_GOVERNANCE",
    "QuietBankWorkload",
    "QuietGovernanceWorkload",
    "add_outcomes",
    "assert_module_invariants",
    "committed",
    "focused_config",
    "most_advanced",
    "run_focused",
]
