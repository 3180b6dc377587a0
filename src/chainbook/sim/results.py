"""What one seed's run gives back: its result, or the failure that names the rule and the replay.

Both are picklable values, so that seeds can run in worker processes (runner.run_seeds).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chainbook.types import Height, TimeMs


class SimulationFailure(Exception):
    """A seed broke a rule. `str()` names the seed, the rule and how to replay it."""

    def __init__(self, seed: int, validators: int, reason: str, trace: list[str]) -> None:
        self.seed = seed
        self.validators = validators
        self.reason = reason
        self.trace = trace
        super().__init__(self.report())

    def __reduce__(self) -> tuple[object, ...]:
        """Picklable, so that seeds can run in worker processes (runner.run_seeds(jobs=...))."""
        return (SimulationFailure, (self.seed, self.validators, self.reason, self.trace))

    @property
    def replay_command(self) -> str:
        return f"chainbook simulate --seed {self.seed} --validators {self.validators} --verbose"

    def report(self) -> str:
        lines = [f"seed {self.seed} failed: {self.reason}", "last events:"]
        lines += [f"  {line}" for line in self.trace]
        lines.append(f"replay: {self.replay_command}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class SeedResult:
    seed: int
    fault_kinds: list[str]
    height_min: Height
    """The lowest height every honest node committed."""
    height_max: Height
    txs_committed: int
    faults: dict[str, int]
    sim_time_ms: TimeMs
    events: int
    trace_digest: str
    chain_digest: str
    """SHA-256 over the agreed block hashes and app hashes, height by height."""
    counters: dict[str, int] = field(default_factory=dict)
    validator_set_sizes: list[int] = field(default_factory=list)
    """The size of the agreed validator set, height by height, repeats left out."""
    txs_by_module: dict[str, int] = field(default_factory=dict)
    """The simulated clients' transactions committed, by module."""
    honest_counters: dict[str, int] = field(default_factory=dict)
    """Honest nodes' core counters summed (refusals by reason: block_untimely, ...)."""
    adversary_counters: dict[str, int] = field(default_factory=dict)
    """What the Byzantine validators did (lies by strategy, frames withheld, junk by kind)."""
    tx_outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    """Action tag -> "ok" / "failed" (in a block) / "refused" (at admission) -> count, for
    every transaction of the workload (sim/workload.py)."""
    refusals: dict[str, int] = field(default_factory=dict)
    """Refusal code -> count (failed receipts and admission refusals)."""
    registry_outcomes: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    """"revoked", "before_registration", "after_registration" -> the outcomes of the
    transactions of the institution the registry revoked, or registered late, in that phase."""
    institution_plan: list[str] = field(default_factory=list)
    """What the seed did to the registry ("institution:late", "institution:revoked")."""


__all__ = ["SeedResult", "SimulationFailure"]
