"""Replay determinism: a seed is a complete description of a run, success or failure."""

from __future__ import annotations

import random

import pytest

from chainbook.sim import SimConfig, SimulationFailure, main, replay, run_seed
from chainbook.sim.config import draw_fault_plan
from tests.sim.unsafe import AMNESIAC_CONFIG, find_failing_seed


def test_one_seed_twice_gives_the_same_trace_and_chain() -> None:
    first = run_seed(7)
    second = replay(7)
    assert first == second
    assert first.trace_digest == second.trace_digest
    assert first.chain_digest == second.chain_digest
    assert first.height_min >= 8


def test_different_seeds_give_different_runs() -> None:
    assert run_seed(3).trace_digest != run_seed(4).trace_digest


def test_a_failing_seed_fails_again_with_the_same_trace() -> None:
    seed, failure = find_failing_seed(AMNESIAC_CONFIG, range(60))
    with pytest.raises(SimulationFailure) as again:
        replay(seed, AMNESIAC_CONFIG)
    assert again.value.reason == failure.reason
    assert again.value.trace == failure.trace
    assert f"--seed {seed}" in failure.report()


def test_command_line_runs_seeds_and_one_seed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seeds", "3", "--first-seed", "20"]) == 0
    out = capsys.readouterr().out
    assert "seeds: 3 run, 3 passed, 0 failed" in out
    assert "seeds/s" in out
    assert main(["--seed", "21"]) == 0
    assert "seed 21 passed" in capsys.readouterr().out


def test_fault_plan_respects_the_fault_budget_with_4_validators() -> None:
    config = SimConfig(validators=4)
    for seed in range(200):
        plan = draw_fault_plan(random.Random(seed), config)
        if not plan.safety_only:
            assert not (plan.crashes and plan.adversaries), seed
