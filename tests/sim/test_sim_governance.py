"""Validator-set changes in the simulator: the cluster grows from 4 to 7 and shrinks back, keys
rotate, the proposer is removed, nodes join late and sync through the changes, equivocators are
punished, all under the usual faults and with every checker on; and a node that keeps using the
genesis set is caught."""

from __future__ import annotations

from typing import Any

from chainbook.consensus.machine import ConsensusMachine
from chainbook.sim import FaultKind, SimConfig, Simulation, run_seeds
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
    assert counters.get("governance_executed", 0) > 30
    assert counters.get("spare_joined_after_changes", 0) > 0
    assert counters.get("governance_proposed_remove_of_the_proposer", 0) > 0


def test_an_equivocator_ends_with_its_evidence_committed_and_no_power() -> None:
    config = SimConfig(fault_kinds=frozenset({FaultKind.EQUIVOCATION, FaultKind.LOSS}))
    punished = 0
    for seed in range(10):
        simulation = Simulation(seed, config)
        simulation.run()  # its final check fails the seed if a caught equivocator kept power
        assert simulation.plan.equivocator is not None
        if simulation.evidence_seen:
            punished += 1
            node = simulation._most_advanced()
            assert node is not None and node.core is not None
            height: Height = node.core.height
            [equivocator] = simulation.evidence_seen
            assert not node.core.app.get_validators(height).is_validator(equivocator)
    assert punished >= 5


class GenesisSetMachine(ConsensusMachine):
    """A node that takes the validator set from its genesis (its config), never the chain."""

    def _enter_height(self, height: Height, last_commit: Any) -> None:
        super()._enter_height(height, last_commit)
        self.validators = self.app.genesis.validator_set  # type: ignore[attr-defined]


def test_a_node_that_keeps_the_genesis_set_is_caught() -> None:
    config = SimConfig(machine_factory=GenesisSetMachine, fault_kinds=frozenset())
    _, failure = find_failing_seed(config, range(20))
    assert "same_validator_set" in failure.reason or "validity" in failure.reason, failure.reason


def test_same_validator_set_fires_when_two_nodes_use_different_sets_at_one_height() -> None:
    import pytest

    from chainbook.chain.validators import Validator, ValidatorSet
    from chainbook.sim import Checkers, InvariantViolation
    from chainbook.sim.simulator import validator_key

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
