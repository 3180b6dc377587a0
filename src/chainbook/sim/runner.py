"""Running many seeds, replaying one, and the command line (`chainbook simulate`).

    run_seeds(range(300))                -> Summary (failures are collected, not raised)
    replay(seed)                         -> SeedResult, or raises the same SimulationFailure
    main(["--seeds", "300"])             -> exit status 0 when every seed passed, 1 otherwise

A failing seed prints one line with its reason and the command that replays it; `--verbose`
prints every trace line of a run (use it with `--seed`). The summary ends with what the
simulated clients' transactions did, per module and action: ok (committed, ok receipt), failed
(committed, failed receipt) and refused (at admission), with the refusal codes; `--json`
prints the whole summary as one JSON object instead (Summary.to_json).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from chainbook.sim.config import SimConfig
from chainbook.sim.results import SeedResult, SimulationFailure
from chainbook.sim.simulator import run_seed
from chainbook.sim.workload import OUTCOMES, Outcomes, count_outcome


@dataclass(slots=True)
class Summary:
    seeds: int = 0
    passed: int = 0
    failures: list[SimulationFailure] = field(default_factory=list)
    results: list[SeedResult] = field(default_factory=list)
    """Every passing seed's result, in seed order."""
    heights_committed: int = 0
    """Sum over seeds of the height every honest node reached."""
    txs_committed: int = 0
    events: int = 0
    sim_time_ms: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    """Faults injected, by kind, over all seeds."""
    fault_kinds: Counter[str] = field(default_factory=Counter)
    """How many seeds had each kind of fault in their plan (with "byz:<strategy>" for each
    Byzantine strategy and "skew:<mode>" for the clock skew mode)."""
    honest_counters: Counter[str] = field(default_factory=Counter)
    """Honest nodes' refusals and no-ops by reason, over all seeds."""
    adversary_counters: Counter[str] = field(default_factory=Counter)
    """What the Byzantine validators did, over all seeds."""
    tx_outcomes: Outcomes = field(default_factory=dict)
    """Action tag -> ok / failed / refused -> count, over all seeds (SeedResult.tx_outcomes)."""
    refusals: Counter[str] = field(default_factory=Counter)
    """Refusal code -> count, over all seeds."""
    registry_outcomes: dict[str, Outcomes] = field(default_factory=dict)
    """SeedResult.registry_outcomes summed: a revoked or late institution's outcomes."""
    institution_plans: Counter[str] = field(default_factory=Counter)
    """How many seeds revoked an institution, or registered one late."""
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def seeds_per_s(self) -> float:
        return self.seeds / self.wall_s if self.wall_s > 0 else 0.0

    def add(self, result: SeedResult) -> None:
        self.seeds += 1
        self.passed += 1
        self.results.append(result)
        self.heights_committed += result.height_min
        self.txs_committed += result.txs_committed
        self.events += result.events
        self.sim_time_ms += result.sim_time_ms
        self.faults.update(result.faults)
        self.fault_kinds.update(result.fault_kinds)
        self.honest_counters.update(result.honest_counters)
        self.adversary_counters.update(result.adversary_counters)
        _add_outcomes(self.tx_outcomes, result.tx_outcomes)
        self.refusals.update(result.refusals)
        for phase, outcomes in result.registry_outcomes.items():
            _add_outcomes(self.registry_outcomes.setdefault(phase, {}), outcomes)
        self.institution_plans.update(result.institution_plan)

    def module_outcomes(self) -> dict[str, dict[str, int]]:
        """Module -> ok / failed / refused, summed over its actions."""
        modules: Outcomes = {}
        for tag, outcomes in self.tx_outcomes.items():
            for outcome, count in outcomes.items():
                count_outcome(modules, tag.split(".", 1)[0], outcome, count)
        return modules

    def add_failure(self, failure: SimulationFailure) -> None:
        self.seeds += 1
        self.failures.append(failure)

    def render(self) -> str:
        faults = ", ".join(f"{kind}={count}" for kind, count in sorted(self.faults.items()))
        plans = ", ".join(f"{kind}={count}" for kind, count in sorted(self.fault_kinds.items()))
        return "\n".join([
            f"seeds: {self.seeds} run, {self.passed} passed, {len(self.failures)} failed",
            f"heights committed: {self.heights_committed}, txs committed: {self.txs_committed}, "
            f"events: {self.events}, simulated time: {self.sim_time_ms / 1000:.1f} s",
            f"seeds with fault kind: {plans or 'none'}",
            f"faults injected: {faults or 'none'}",
            f"adversary did: {_render_counts(self.adversary_counters) or 'nothing'}",
            f"honest nodes refused: {_render_counts(self._refusals()) or 'nothing'}",
            f"registry changes: {_render_counts(self.institution_plans) or 'none'}",
            *self._render_outcomes(),
            f"wall time: {self.wall_s:.1f} s ({self.seeds_per_s:.1f} seeds/s)",
        ])

    def _render_outcomes(self) -> list[str]:
        """One line per module: its totals, then each action's ok/failed/refused."""
        lines = ["transactions by module (ok/failed/refused; failed: in a block, refused: at "
                 "admission):"]
        for module, totals in sorted(self.module_outcomes().items()):
            actions = ", ".join(
                f"{tag.split('.', 1)[1]} {'/'.join(str(o[k]) for k in OUTCOMES)}"
                for tag, o in sorted(self.tx_outcomes.items())
                if tag.split(".", 1)[0] == module
            )
            total = "/".join(str(totals[k]) for k in OUTCOMES)
            lines.append(f"  {module}: {total} ({actions})")
        lines.append(f"refusal codes: {_render_counts(self.refusals) or 'none'}")
        return lines

    def to_json(self) -> dict[str, object]:
        """The summary as plain JSON values (`chainbook simulate --json`)."""
        return {
            "seeds": self.seeds,
            "passed": self.passed,
            "failures": [
                {"seed": f.seed, "reason": f.reason, "replay": f.replay_command}
                for f in self.failures
            ],
            "heights_committed": self.heights_committed,
            "txs_committed": self.txs_committed,
            "events": self.events,
            "sim_time_ms": self.sim_time_ms,
            "fault_kinds": dict(sorted(self.fault_kinds.items())),
            "faults": dict(sorted(self.faults.items())),
            "adversary": dict(sorted(self.adversary_counters.items())),
            "honest_refused": dict(sorted(self._refusals().items())),
            "registry_changes": dict(sorted(self.institution_plans.items())),
            "modules": dict(sorted(self.module_outcomes().items())),
            "actions": dict(sorted(self.tx_outcomes.items())),
            "refusal_codes": dict(sorted(self.refusals.items())),
            "registry_outcomes": {
                phase: dict(sorted(outcomes.items()))
                for phase, outcomes in sorted(self.registry_outcomes.items())
            },
            "wall_s": round(self.wall_s, 3),
        }


    def _refusals(self) -> Counter[str]:
        return Counter(
            {k: v for k, v in self.honest_counters.items() if k.startswith(REFUSAL_PREFIXES)}
        )


REFUSAL_PREFIXES = (
    "block_",
    "proposal_",
    "vote_",
    "next_height_",
    "message_",
    "commit_invalid",
    "peer_message_malformed",
    "sync_",
)
"""The honest counters a summary shows: what honest nodes refused and why."""


def _add_outcomes(total: Outcomes, more: Outcomes) -> None:
    for tag, outcomes in more.items():
        for outcome, count in outcomes.items():
            count_outcome(total, tag, outcome, count)


def _render_counts(counts: Counter[str]) -> str:
    return ", ".join(f"{kind}={count}" for kind, count in sorted(counts.items()) if count)


Outcome = SeedResult | SimulationFailure


def run_seeds(
    seeds: Iterable[int],
    config: SimConfig | None = None,
    on_result: Callable[[int, Outcome], None] | None = None,
    jobs: int = 1,
) -> Summary:
    """Run every seed; a failing seed is recorded in the summary and the run goes on.

    With jobs > 1 the seeds run in that many worker processes. Each seed is independent and
    deterministic, so the outcomes are the same as with jobs=1, reported in seed order.
    """
    config = config or SimConfig()
    summary = Summary()
    started = time.perf_counter()
    seed_list = list(seeds)
    for seed, outcome in zip(seed_list, _outcomes(seed_list, config, jobs), strict=True):
        if isinstance(outcome, SimulationFailure):
            summary.add_failure(outcome)
        else:
            summary.add(outcome)
        if on_result is not None:
            on_result(seed, outcome)
    summary.wall_s = time.perf_counter() - started
    return summary


def run_seed_outcome(seed: int, config: SimConfig) -> Outcome:
    """One seed's result or failure, as a value (what a worker process sends back)."""
    try:
        return run_seed(seed, config)
    except SimulationFailure as failure:
        return failure


def _outcomes(seeds: list[int], config: SimConfig, jobs: int) -> Iterator[Outcome]:
    if jobs <= 1 or len(seeds) < 2:
        return (run_seed_outcome(seed, config) for seed in seeds)
    pool = ProcessPoolExecutor(max_workers=jobs)
    chunk = max(1, len(seeds) // (jobs * 8))
    outcomes = pool.map(run_seed_outcome, seeds, [config] * len(seeds), chunksize=chunk)
    return _closing(outcomes, pool)


def _closing(outcomes: Iterator[Outcome], pool: ProcessPoolExecutor) -> Iterator[Outcome]:
    with pool:
        yield from outcomes


def replay(seed: int, config: SimConfig | None = None, verbose: bool = False) -> SeedResult:
    """Run one seed again, exactly as before; raises its SimulationFailure if it fails."""
    return run_seed(seed, config, verbose=verbose)


# ---------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainbook simulate",
        description="Deterministic simulation of a chainbook cluster under seeded faults.",
    )
    parser.add_argument("--seeds", type=int, default=100, help="how many seeds to run")
    parser.add_argument("--first-seed", type=int, default=0, help="first seed of the range")
    parser.add_argument("--seed", type=int, default=None, help="run (replay) this one seed")
    parser.add_argument("--validators", type=int, default=4, help="cluster size (n >= 4)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for --seeds")
    parser.add_argument(
        "--verbose", action="store_true",
        help="with --seed: print every trace line; with --seeds: one line per seed",
    )
    parser.add_argument(
        "--json", action="store_true",
        help="print the summary (or the one seed's result) as one JSON object",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.validators < 4:
        print(f"--validators {args.validators}: the simulator needs n >= 4 (f >= 1)")
        return 2
    config = SimConfig(validators=args.validators)
    if args.seed is not None:
        return _main_one(args.seed, config, args.verbose, args.json)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    report = _print_outcome if args.verbose and not args.json else _print_failure
    summary = run_seeds(seeds, config, on_result=None if args.json else report, jobs=args.jobs)
    print(json.dumps(summary.to_json(), indent=2) if args.json else summary.render())
    return 0 if summary.ok else 1


def _main_one(seed: int, config: SimConfig, verbose: bool, as_json: bool = False) -> int:
    try:
        result = replay(seed, config, verbose=verbose and not as_json)
    except SimulationFailure as failure:
        if as_json:
            print(json.dumps({"seed": seed, "passed": False, "reason": failure.reason,
                              "replay": failure.replay_command, "trace": failure.trace}))
        else:
            print(failure.report())
        return 1
    if as_json:
        print(json.dumps({"seed": seed, "passed": True, **_result_json(result)}, indent=2))
        return 0
    print(
        f"seed {seed} passed: height {result.height_min}, {result.txs_committed} txs, "
        f"faults {result.fault_kinds or 'none'}, {result.events} events, "
        f"trace {result.trace_digest[:16]}"
    )
    return 0


def _result_json(result: SeedResult) -> dict[str, object]:
    fields = SeedResult.__dataclass_fields__
    values = {name: getattr(result, name) for name in fields if name != "seed"}
    return values


def _print_outcome(seed: int, outcome: Outcome) -> None:
    if isinstance(outcome, SimulationFailure):
        _print_failure(seed, outcome)
        return
    print(
        f"ok   seed {seed}: height {outcome.height_min}, {outcome.txs_committed} txs, "
        f"faults {','.join(outcome.fault_kinds) or 'none'}, {outcome.events} events"
    )


def _print_failure(seed: int, outcome: Outcome) -> None:
    if isinstance(outcome, SimulationFailure):
        reason = outcome.reason.splitlines()[0][:160]
        print(f"FAIL seed {seed}: {reason}  -> replay: {outcome.replay_command}")


__all__ = ["Outcome", "Summary", "build_parser", "main", "replay", "run_seed_outcome", "run_seeds"]
