"""Validator-set changes in the simulator: the cluster grows from 4 to 7 and shrinks back, keys
rotate, the proposer is removed, nodes join late and sync through the changes, equivocators are
punished, all under the usual faults and with every checker on; and a node that keeps using the
genesis set is caught."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from chainbook.apps.governance.actions import (
    AddValidator,
    RemoveValidator,
    RotateValidatorKey,
    SetValidatorPower,
)
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.consensus.machine import ConsensusMachine
from chainbook.crypto import PrivateKey
from chainbook.sim import FaultKind, InvariantViolation, SimConfig, Simulation, Strategy, run_seeds
from chainbook.sim.config import AdversaryPlan
from chainbook.sim.governance import GovernanceDriver
from chainbook.sim.simulator import validator_key
from chainbook.types import Height
from tests.sim.unsafe import find_failing_seed

LONG = SimConfig(heal_ms=15_000, liveness_ms_max=30_000)
"""Runs long enough for several changes (a change takes about six heights)."""


def test_the_cluster_grows_to_seven_and_shrinks_back_under_faults() -> None:
    summary = run_seeds(range(6), LONG, jobs=2)
    assert summary.ok, "\n\n".join(f.report() for f in summary.failures)
    results = summary.results
    grew_and_shrank = [
        r.seed
        for r in results
        if 7 in r.validator_set_sizes
        and min(r.validator_set_sizes[r.validator_set_sizes.index(7) :]) <= 5
    ]
    counters: dict[str, int] = {}
    for result in results:
        for name, value in result.counters.items():
            counters[name] = counters.get(name, 0) + value
    assert grew_and_shrank, [r.validator_set_sizes for r in results]
    for kind in ("add", "remove", "rotate", "power"):
        assert counters.get(f"governance_proposed_{kind}", 0) > 0, (kind, counters)
    # Executed proposals include the simulated accounts' registry proposals, whose share of the
    # seeded mix falls each time a module's workload joins it (seeds 0-5: 43 before the invoice
    # workload joined, 30 after); the validators' own changes are checked above and below.
    assert counters.get("governance_executed", 0) > 20
    assert counters.get("spare_joined_after_changes", 0) > 0
    assert counters.get("governance_proposed_remove_of_the_proposer", 0) > 0


def test_an_equivocator_ends_with_its_evidence_committed_and_no_power() -> None:
    """Every seed: the run is not done before (Simulation._unpunished), and it is done."""
    config = SimConfig(fault_kinds=frozenset({FaultKind.EQUIVOCATION, FaultKind.LOSS}))
    for seed in range(10):
        simulation = Simulation(seed, config)
        simulation.run()
        (index,) = simulation.plan.equivocators
        equivocator = validator_key(index).address
        node = simulation._most_advanced()
        assert node is not None and node.core is not None
        height: Height = node.core.height
        assert equivocator in simulation.evidence_seen
        assert simulation._accused(node) == {equivocator}
        assert not node.core.ledger.get_validators(height).is_validator(equivocator)


class GenesisSetMachine(ConsensusMachine):
    """A node that takes the validator set from its genesis (its config), never the chain."""

    def _enter_height(self, height: Height, last_commit: Any) -> None:
        super()._enter_height(height, last_commit)
        self.validators = self.ledger.genesis.validator_set  # type: ignore[attr-defined]


def test_a_node_that_keeps_the_genesis_set_is_caught() -> None:
    config = SimConfig(machine_factory=GenesisSetMachine, fault_kinds=frozenset())
    _, failure = find_failing_seed(config, range(20))
    assert "same_validator_set" in failure.reason or "validity" in failure.reason, failure.reason


def test_same_validator_set_fires_when_two_nodes_use_different_sets_at_one_height() -> None:
    from chainbook.sim import Checkers

    four = ValidatorSet([Validator(validator_key(i).public_key, 1, "") for i in range(4)])
    five = ValidatorSet([Validator(validator_key(i).public_key, 1, "") for i in range(5)])
    checkers = Checkers("chainbook-sim", four)
    checkers.on_validator_set("n0", 3, four)
    checkers.on_validator_set("n1", 4, five)
    checkers.on_validator_set("n2", 4, five)
    with pytest.raises(InvariantViolation) as excinfo:
        checkers.on_validator_set("n3", 4, four)
    assert excinfo.value.rule == "same_validator_set"
    with pytest.raises(InvariantViolation, match="same_validator_set"):
        checkers.on_validator_set("n3", 1, five)  # the genesis set holds at 1 and 2


# ---------------------------------------------------------------------- with the adversary


def test_several_equivocators_all_end_punished() -> None:
    """f = 2 of 7: each Byzantine validator with Strategy.EQUIVOCATE ends with its evidence
    committed and no power, while the set changes around them."""
    config = SimConfig(
        validators=7,
        fault_kinds=frozenset({FaultKind.BYZANTINE, FaultKind.LOSS}),
        strategies=frozenset({Strategy.EQUIVOCATE}),
    )
    equivocators_seen = 0
    for seed in range(3):
        simulation = Simulation(seed, config)
        simulation.run()
        node = simulation._most_advanced()
        assert node is not None and node.core is not None
        validators = node.core.ledger.get_validators(node.core.height)
        for index in simulation.plan.equivocators:
            address = validator_key(index).address
            assert address in simulation._accused(node)
            assert not validators.is_validator(address)
            equivocators_seen += 1
    assert equivocators_seen >= 4


def test_a_safety_only_run_does_not_wait_for_punishment() -> None:
    """More than f faulty: no block need ever be committed again, so nothing is demanded of
    the evidence (committed evidence must still name Byzantine validators only)."""
    config = SimConfig(
        fault_kinds=frozenset({FaultKind.BEYOND_F, FaultKind.BYZANTINE}),
        strategies=frozenset({Strategy.EQUIVOCATE}),
    )
    still_in_power = 0
    for seed in range(3):
        simulation = Simulation(seed, config)
        simulation.run()
        assert simulation.plan.safety_only and simulation.plan.equivocators
        assert simulation._unpunished() == []
        # It ends at the first event from heal + safety_only_run_ms on, at the latest.
        end_ms = config.heal_ms + config.safety_only_run_ms
        assert simulation.queue.now_ms <= end_ms + config.delay_ms_max
        node = simulation._most_advanced()
        assert node is not None and node.core is not None
        validators = node.core.ledger.get_validators(max(node.core.height, 1))
        still_in_power += any(
            validators.is_validator(validator_key(i).address) for i in simulation.plan.equivocators
        )
    assert still_in_power > 0


class _Cluster:
    """The driver's view of a cluster of seven with a fixed agreed set (no IO)."""

    def __init__(self, simulation: Simulation) -> None:
        self.nodes = simulation.nodes
        self.validators = simulation.genesis.validator_set

    def agreed_height(self) -> Height:
        return 10

    def agreed_validators(self, height: Height) -> ValidatorSet:
        return self.validators


def test_governance_skips_a_change_that_gives_the_byzantine_a_third() -> None:
    """Two Byzantine of seven hold 2/7: removing an honest validator would give them a third
    (6 validators), raising one of theirs too; adding, rotating or raising an honest one does
    not. (The simulator checks the budget at every height, fault_budget, in every seed.)"""
    simulation = Simulation(0, SimConfig(validators=7, fault_kinds=frozenset()))
    cluster = _Cluster(simulation)
    driver = GovernanceDriver(
        simulation.rng, simulation.workload, cluster, frozenset({0, 1}), frozenset({0, 1}), 7
    )  # type: ignore[arg-type]
    honest, byzantine = validator_key(5), validator_key(0)
    keeps = driver._keeps_guarded_below_a_third
    assert not keeps(RemoveValidator(address=honest.address), 10)
    assert not keeps(SetValidatorPower(address=byzantine.address, power=2), 10)
    assert keeps(SetValidatorPower(address=honest.address, power=3), 10)
    spare = validator_key(8)
    assert keeps(AddValidator(public_key=spare.public_key, power=1, name="n8"), 10)
    new_key = PrivateKey.from_label("rotated")
    assert keeps(RotateValidatorKey(address=honest.address, new_public_key=new_key.public_key), 10)
    # With the spare in, a removal fits again (2 of 7).
    cluster.validators = ValidatorSet(
        [*cluster.validators.validators, Validator(spare.public_key, 1, "n8")]
    )
    assert keeps(RemoveValidator(address=honest.address), 10)


def test_the_simulator_checks_the_fault_budget_at_every_height() -> None:
    simulation = Simulation(0, SimConfig(validators=7, fault_kinds=frozenset()))
    simulation.plan = dataclasses.replace(
        simulation.plan, adversaries=tuple(AdversaryPlan(i, frozenset()) for i in range(3))
    )
    with pytest.raises(InvariantViolation, match="fault_budget"):
        simulation._check_power_budget(3, simulation.genesis.validator_set)
