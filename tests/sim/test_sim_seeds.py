"""Many seeds of the real cluster under faults: every safety rule holds, liveness after heal.

(a) 300 seeds with n = 4 and a drawn mix of fault kinds (f = 1: crashes or an equivocator);
(b) seeds with n = 7 that have both crashes and an equivocator (f = 2).
Seeds run in two worker processes (outcomes do not depend on it; see runner.run_seeds).
"""

from __future__ import annotations

from chainbook.sim import FaultKind, SimConfig, Summary, run_seeds


def _assert_all_passed(summary: Summary) -> None:
    reports = "\n\n".join(failure.report() for failure in summary.failures)
    assert summary.ok, f"{len(summary.failures)} seeds failed:\n{reports}"


def test_300_seeds_with_4_validators_keep_every_rule() -> None:
    summary = run_seeds(range(300), SimConfig(validators=4), jobs=2)
    _assert_all_passed(summary)
    assert summary.seeds == 300
    for kind in FaultKind:
        assert summary.fault_kinds[kind.value] >= 30, f"too few seeds with {kind.value}"
    assert summary.faults["crash"] + summary.faults["crash_torn"] > 100
    assert summary.faults["equivocation"] > 100
    assert summary.heights_committed >= 300 * 8
    assert summary.txs_committed > 300 * 5


def test_seeds_with_7_validators_crashes_and_an_equivocator() -> None:
    config = SimConfig(
        validators=7,
        fault_kinds=frozenset({FaultKind.CRASH, FaultKind.EQUIVOCATION, FaultKind.LOSS}),
    )
    summary = run_seeds(range(1000, 1008), config, jobs=2)
    _assert_all_passed(summary)
    assert summary.fault_kinds[FaultKind.CRASH.value] == 8
    assert summary.fault_kinds[FaultKind.EQUIVOCATION.value] == 8
    assert summary.faults["crash"] + summary.faults["crash_torn"] >= 8
    assert summary.faults["equivocation"] > 0
