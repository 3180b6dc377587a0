"""One chaos run: a testnet of real node processes, clients, a sequence of faults, the verdict.

    short   every fault of nemesis.FAULTS once, in a seeded order, each held `hold_s` (CI)
    long    faults drawn at random (seeded) until `duration_s` has passed

After the last fault heals the checker (checker.py) judges the whole history, and the node
logs are read for what must never be there: `equivocation_evidence` (no honest validator of
this run may sign twice, not after a crash, a lost -wal or a salvaged book) and
`state_divergence`. Every node must still be running.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.chaos import checker
from tests.chaos.cluster import ChaosCluster
from tests.chaos.nemesis import FAULTS, FaultResult, Run
from tests.chaos.probe import probe_netem
from tests.chaos.workload import Workload

VALIDATORS = 4
START_TIMEOUT_S = 60.0
FINAL_TIMEOUT_S = 90.0
FORBIDDEN_LOG_EVENTS = ('"event":"equivocation_evidence"', '"event":"state_divergence"')


@dataclass
class ChaosReport:
    seed: int
    profile: str
    network: str
    seconds: float = 0.0
    faults: list[FaultResult] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    facts: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not any(f.problem for f in self.faults)

    def table(self) -> str:
        lines = [
            f"chaos {self.profile} seed {self.seed}, {self.network}, {self.seconds:.0f} s",
            f"{'fault':<18} {'target':<22} {'held s':>6} {'blocks':>6} {'recover s':>9}  note",
        ]
        for f in self.faults:
            lines.append(
                f"{f.fault:<18} {f.target:<22} {f.held_s:>6} {f.advanced_during:>6} "
                f"{f.recovery_s:>9}  {f.problem or f.note}"
            )
        lines.append(f"client outcomes: {self.outcomes}")
        lines.append(f"checks: {self.facts}")
        lines.append("PASS" if self.ok else "FAIL: " + "; ".join(self.problems))
        return "\n".join(lines)


def choose_faults(profile: str, rng: random.Random, duration_s: float) -> list[str] | None:
    if profile == "short":
        names = list(FAULTS)
        rng.shuffle(names)
        return names
    if profile == "long":
        return None  # drawn one by one until the time is up
    raise ValueError(f"profile {profile!r}: accepted short, long")


def run_chaos(
    root: Path, seed: int, profile: str = "short", hold_s: float = 2.5, duration_s: float = 600.0
) -> ChaosReport:
    root = Path(root)
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(seed)
    netem = probe_netem()
    report = ChaosReport(seed, profile, f"proxy per link ({netem})")
    started = time.monotonic()
    cluster = ChaosCluster(root, VALIDATORS, seed)
    workload = Workload(cluster.net, seed)
    try:
        cluster.start_all()
        checker.wait_for_progress(cluster.net, cluster.names, 2, START_TIMEOUT_S)
        workload.start()
        run = Run(cluster, hold_s)
        plan = choose_faults(profile, rng, duration_s)
        while True:
            if plan is not None:
                if not plan:
                    break
                name = plan.pop(0)
            else:
                if time.monotonic() - started >= duration_s:
                    break
                name = rng.choice(list(FAULTS))
            result = _run_fault(name, run, rng)
            report.faults.append(result)
            print(f"  {result}", flush=True)
            if result.problem:
                break  # the faults after it would judge a network that is still broken
        cluster.network.heal()
        history = workload.stop()
        report.outcomes = dict(sorted(history.outcomes.items()))
        verdict = checker.check_network(cluster.net, cluster.names, history, FINAL_TIMEOUT_S)
        report.facts = verdict.facts
        report.problems += verdict.problems
        report.problems += _check_logs_and_processes(cluster)
    finally:
        workload.stop()
        cluster.close()
    report.seconds = time.monotonic() - started
    (root / "chaos_report.json").write_text(json.dumps(asdict(report), indent=1, default=str))
    return report


def _run_fault(name: str, run: Run, rng: random.Random) -> FaultResult:
    try:
        return FAULTS[name](run, rng)
    except (TimeoutError, RuntimeError) as exc:
        return FaultResult(name, "?", 0.0, 0, 0.0, problem=f"{type(exc).__name__}: {exc}")


def _check_logs_and_processes(cluster: ChaosCluster) -> list[str]:
    problems = []
    for name in cluster.names:
        home = cluster.home(name)
        if not cluster.is_running(name):
            problems.append(f"{name} is not running at the end")
        logs = sorted(home.root.glob("node.log*"))
        text = "".join(path.read_text(errors="replace") for path in logs)
        for event in FORBIDDEN_LOG_EVENTS:
            if event in text:
                problems.append(f"{name}'s log has {event}")
    return problems


__all__ = ["ChaosReport", "run_chaos"]
