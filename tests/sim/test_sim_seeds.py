"""Many seeds of the real cluster under faults: every safety rule holds, liveness after heal.

What CI runs (each seed draws its own mix: loss, partitions, crashes, Byzantine validators
with named strategies, clock skew up to and beyond the bound, a safety-only run with more
than f faulty; config.py): 150 seeds of 4 validators, 30 of 7 and 10 of 10, in two worker
processes (outcomes do not depend on it; see runner.run_seeds). The long runs (2,000+ seeds
across 4, 7 and 10 validators) and their results are in docs/RELIABILITY.md, "Simulation".
"""

from __future__ import annotations

from chainbook.sim import FaultKind, SimConfig, Summary, run_seeds
from chainbook.sim.config import LYING_STRATEGIES


def _assert_all_passed(summary: Summary) -> None:
    reports = "\n\n".join(failure.report() for failure in summary.failures)
    assert summary.ok, f"{len(summary.failures)} seeds failed:\n{reports}"


def test_150_seeds_with_4_validators_keep_every_rule() -> None:
    summary = run_seeds(range(150), SimConfig(validators=4), jobs=2)
    _assert_all_passed(summary)
    assert summary.seeds == 150
    for kind in (FaultKind.LOSS, FaultKind.PARTITION, FaultKind.CRASH, FaultKind.BYZANTINE):
        assert summary.fault_kinds[kind.value] >= 40, f"too few seeds with {kind.value}"
    for strategy in LYING_STRATEGIES:
        assert summary.fault_kinds[f"byz:{strategy.value}"] >= 8, strategy
    for mode in ("small", "bound", "beyond"):
        assert summary.fault_kinds[f"skew:{mode}"] >= 8, mode
    assert summary.fault_kinds[FaultKind.BEYOND_F.value] >= 5
    assert summary.faults["crash"] + summary.faults["crash_torn"] > 50
    assert summary.heights_committed >= 150 * 6
    assert summary.txs_committed > 150 * 5


def test_30_seeds_with_7_validators() -> None:
    summary = run_seeds(range(1000, 1030), SimConfig(validators=7), jobs=2)
    _assert_all_passed(summary)
    assert summary.fault_kinds[FaultKind.BYZANTINE.value] >= 10
    assert summary.fault_kinds[FaultKind.CRASH.value] >= 10


def test_seeds_with_7_validators_crashes_and_two_byzantine() -> None:
    """f = 2: a crash and a Byzantine validator at once, or two Byzantine validators."""
    config = SimConfig(
        validators=7,
        fault_kinds=frozenset({FaultKind.CRASH, FaultKind.BYZANTINE, FaultKind.LOSS}),
    )
    summary = run_seeds(range(1100, 1106), config, jobs=2)
    _assert_all_passed(summary)
    assert summary.faults["crash"] + summary.faults["crash_torn"] >= 6


def test_10_seeds_with_10_validators() -> None:
    summary = run_seeds(range(2000, 2010), SimConfig(validators=10), jobs=2)
    _assert_all_passed(summary)
    assert summary.fault_kinds[FaultKind.BYZANTINE.value] >= 3
