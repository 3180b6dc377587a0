"""Deliberately broken consensus variants, to prove the simulator's checkers can fail.

A checker that cannot fail is worthless: each variant here breaks one rule the real machine
keeps, and tests/sim asserts that some seed catches it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chainbook.consensus.machine import ConsensusMachine
from chainbook.sim import FaultKind, SimConfig, SimulationFailure, run_seed


class AmnesiacMachine(ConsensusMachine):
    """Forgets its consensus record at restart: it may sign a vote contrary to one it sent."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["record"] = None
        super().__init__(**kwargs)


class LockIgnoringMachine(ConsensusMachine):
    """Prevotes any valid proposal, ignoring its lock (the paper's L22-L33 without the lock)."""

    def _rule_prevote_on_proposal(self) -> bool:
        self.locked_round, self.locked_hash = -1, b""
        return super()._rule_prevote_on_proposal()

    def _rule_prevote_on_proposal_with_polka(self) -> bool:
        self.locked_round, self.locked_hash = -1, b""
        return super()._rule_prevote_on_proposal_with_polka()


AMNESIAC_CONFIG = SimConfig(
    machine_factory=AmnesiacMachine,
    fault_kinds=frozenset({FaultKind.CRASH, FaultKind.LOSS}),
    torn_crash_chance=0.9,
)


def find_failing_seed(
    config: SimConfig, seeds: Iterable[int]
) -> tuple[int, SimulationFailure]:
    for seed in seeds:
        try:
            run_seed(seed, config)
        except SimulationFailure as failure:
            return seed, failure
    raise AssertionError("no seed failed: the checkers did not catch the broken variant")
