"""Replay determinism: a seed is a complete description of a run, success or failure."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

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


REPLAY_IN_A_PROCESS = """
from chainbook.sim import run_seed
from tests.sim.focused import focused_config
from chainbook.apps import assets, evidence, identity, private, trace
config = focused_config(identity.MODULE, private.MODULE, trace.MODULE, evidence.MODULE,
                        assets.MODULE, institution_changes=True)
result = run_seed(19, config)
print(result.trace_digest, result.chain_digest, sorted(result.institution_plan))
"""


def test_a_seed_replays_the_same_in_processes_with_other_hash_seeds() -> None:
    """Worker processes (runner.run_seeds(jobs=...)) hash strings and bytes with their own
    seed: nothing a run draws may depend on the order of a set or dict of them. Seed 19 of
    the institution workloads registers one late and revokes another."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", REPLAY_IN_A_PROCESS],
            env={**os.environ, "PYTHONHASHSEED": str(hash_seed)},
            cwd=Path(__file__).resolve().parents[2],
            stdout=subprocess.PIPE,
            text=True,
        )
        for hash_seed in (1, 2)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert outputs[0] == outputs[1], outputs
    assert "'institution:late', 'institution:revoked'" in outputs[0], outputs


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


def test_command_line_reports_outcomes_by_module_and_action_and_as_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The text lists ok/failed/refused per module and action; --json gives the same numbers
    (the same seeds replay the same runs)."""
    assert main(["--seeds", "2", "--first-seed", "20"]) == 0
    text = capsys.readouterr().out
    assert "transactions by module (ok/failed/refused" in text
    assert main(["--seeds", "2", "--first-seed", "20", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["seeds"], summary["passed"], summary["failures"]) == (2, 2, [])
    assert summary["modules"], summary
    for module, totals in summary["modules"].items():
        actions = ", ".join(
            f"{tag.split('.', 1)[1]} {o['ok']}/{o['failed']}/{o['refused']}"
            for tag, o in sorted(summary["actions"].items())
            if tag.startswith(module + ".")
        )
        line = f"  {module}: {totals['ok']}/{totals['failed']}/{totals['refused']} ({actions})"
        assert line in text.splitlines(), (line, text)
    assert summary["modules"]["bank"]["ok"] > 0
    refusals = sum(o["failed"] + o["refused"] for o in summary["actions"].values())
    assert sum(summary["refusal_codes"].values()) == refusals
    assert main(["--seed", "21", "--json"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert one["passed"] and one["seed"] == 21 and one["tx_outcomes"]["bank.transfer"]["ok"] > 0


def test_fault_plan_respects_the_fault_budget_with_4_validators() -> None:
    config = SimConfig(validators=4)
    for seed in range(200):
        plan = draw_fault_plan(random.Random(seed), config)
        if not plan.safety_only:
            assert not (plan.crashes and plan.adversaries), seed
