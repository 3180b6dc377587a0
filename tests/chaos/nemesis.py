"""The faults of a chaos run: each one applied, held, healed, then judged.

A fault is a named function `(run, rng) -> FaultResult`. It picks its target with the run's
seeded random source, applies the fault, holds it for `run.hold_s`, heals it, and waits until
every node commits again (liveness), timing the recovery. Faults that take away the quorum
(two of four validators down, a 2|2 split) must also stop the chain while they hold: a block
committed then would need a fork-free quorum that does not exist.

    kill_restart       SIGKILL one validator, restart it
    pause_resume       SIGSTOP one validator (it holds its sockets but answers nothing), SIGCONT
    partition_halves   2|2: nobody has a quorum, the chain must stop
    isolate_one        one validator cut off from all; the other three go on
    one_way            one validator hears everyone but nobody hears it
    bridge             two sides that reach each other only through one bridge node
    latency_loss       every link: 40 ms +- 20 ms, 5 % of segments lost (an RTO each)
    clock_skew         one validator restarted with its clock 12 s ahead (beyond the 10 s drift
                       the others accept), later with its clock 12 s behind
    wal_deleted        SIGKILL one validator and delete its book's SQLite -wal (its latest
                       blocks are gone, its consensus record is not): it re-syncs, never
                       double-signs
    page_corrupted     stop one validator, overwrite one page of its book: salvaged, re-synced
    record_deleted     stop one validator, delete its consensus record: it must refuse to sign
                       (and still follow); the operator's reset-signing brings it back
    two_down           SIGKILL two validators: the chain must stop; restart them
    kill_all           SIGKILL all validators at once, restart all
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from tests.chaos.checker import get_heights, wait_for_heights, wait_for_progress
from tests.chaos.cluster import ChaosCluster

RECOVERY_TIMEOUT_S = 60.0
CLOCK_SKEW_MS = 12_000
READY_TIMEOUT_S = 30.0


@dataclass
class FaultResult:
    fault: str
    target: str
    held_s: float
    advanced_during: int
    """Blocks the highest node committed while the fault held."""
    recovery_s: float
    note: str = ""
    problem: str = ""


@dataclass
class Run:
    cluster: ChaosCluster
    hold_s: float

    @property
    def names(self) -> list[str]:
        return self.cluster.names

    def top_height(self) -> int:
        return max((h or 0) for h in get_heights(self.cluster.net, self.names).values())

    def hold(self) -> tuple[float, int]:
        before = self.top_height()
        started = time.monotonic()
        time.sleep(self.hold_s)
        return time.monotonic() - started, self.top_height() - before

    def recover(self) -> float:
        seconds, _ = wait_for_progress(self.cluster.net, self.names, 2, RECOVERY_TIMEOUT_S)
        return seconds

    def wait_ready(self, name: str) -> None:
        wait_for_heights(
            self.cluster.net, [name], lambda hs: True, READY_TIMEOUT_S, f"{name} answering"
        )


Fault = Callable[[Run, random.Random], FaultResult]


def _result(fault: str, target: str, held: tuple[float, int], recovery_s: float) -> FaultResult:
    return FaultResult(fault, target, round(held[0], 1), held[1], round(recovery_s, 1))


def kill_restart(run: Run, rng: random.Random) -> FaultResult:
    target = rng.choice(run.names)
    run.cluster.kill(target)
    held = run.hold()
    run.cluster.start(target)
    return _result("kill_restart", target, held, run.recover())


def pause_resume(run: Run, rng: random.Random) -> FaultResult:
    target = rng.choice(run.names)
    run.cluster.signal(target, signal.SIGSTOP)
    try:
        held = run.hold()
    finally:
        run.cluster.signal(target, signal.SIGCONT)
    return _result("pause_resume", target, held, run.recover())


def partition_halves(run: Run, rng: random.Random) -> FaultResult:
    order = list(range(len(run.names)))
    rng.shuffle(order)
    half = len(order) // 2
    run.cluster.network.partition(order[:half], order[half:])
    held = run.hold()
    run.cluster.network.heal()
    result = _result("partition_halves", f"{sorted(order[:half])}|{sorted(order[half:])}", held,
                     run.recover())
    return _expect_stopped(result)


def isolate_one(run: Run, rng: random.Random) -> FaultResult:
    target = rng.randrange(len(run.names))
    others = [i for i in range(len(run.names)) if i != target]
    run.cluster.network.partition([target], others)
    held = run.hold()
    run.cluster.network.heal()
    return _result("isolate_one", run.names[target], held, run.recover())


def one_way(run: Run, rng: random.Random) -> FaultResult:
    target = rng.randrange(len(run.names))
    for other in range(len(run.names)):
        if other != target:
            run.cluster.network.block_one_way(target, other)
    held = run.hold()
    run.cluster.network.heal()
    return _result("one_way", f"{run.names[target]} unheard", held, run.recover())


def bridge(run: Run, rng: random.Random) -> FaultResult:
    order = list(range(len(run.names)))
    rng.shuffle(order)
    bridge_node, rest = order[0], order[1:]
    side_a, side_b = rest[: len(rest) // 2 + 1], rest[len(rest) // 2 + 1 :]
    network = run.cluster.network
    for a in side_a:
        for b in side_b:
            network.block_one_way(a, b)
            network.block_one_way(b, a)
    held = run.hold()
    network.heal()
    target = f"{sorted(side_a)} <{bridge_node}> {sorted(side_b)}"
    return _result("bridge", target, held, run.recover())


def latency_loss(run: Run, rng: random.Random) -> FaultResult:
    run.cluster.network.degrade_all(delay_ms=40, jitter_ms=20, loss_percent=5.0)
    held = run.hold()
    run.cluster.network.heal()
    result = _result("latency_loss", "all links", held, run.recover())
    if result.advanced_during == 0:
        result.problem = "no block committed under 40 ms latency and 5 % loss"
    return result


def clock_skew(run: Run, rng: random.Random) -> FaultResult:
    target = rng.choice(run.names)
    notes = []
    advanced = 0
    held_s = 0.0
    for offset_ms in (CLOCK_SKEW_MS, -CLOCK_SKEW_MS):
        run.cluster.kill(target, signal.SIGTERM)
        run.cluster.start(target, clock_offset_ms=offset_ms)
        run.wait_ready(target)
        seconds, blocks = run.hold()
        held_s += seconds
        advanced += blocks
        notes.append(f"{offset_ms:+d} ms: {blocks} blocks")
    run.cluster.kill(target, signal.SIGTERM)
    run.cluster.start(target)
    result = _result("clock_skew", target, (held_s, advanced), run.recover())
    result.note = "; ".join(notes)
    if advanced == 0:
        result.problem = "the chain stopped while one validator's clock was skewed"
    return result


def wal_deleted(run: Run, rng: random.Random) -> FaultResult:
    target = rng.choice(run.names)
    run.cluster.kill(target)
    existed = run.cluster.delete_book_wal(target)
    held = run.hold()
    run.cluster.start(target)
    result = _result("wal_deleted", target, held, run.recover())
    result.note = "a -wal with blocks was deleted" if existed else "the -wal was empty"
    return result


def page_corrupted(run: Run, rng: random.Random) -> FaultResult:
    target = rng.choice(run.names)
    run.cluster.kill(target, signal.SIGTERM)
    run.cluster.corrupt_page(target, page=rng.randrange(2, 64))
    held = run.hold()
    run.cluster.start(target)
    return _result("page_corrupted", target, held, run.recover())


def record_deleted(run: Run, rng: random.Random) -> FaultResult:
    target = rng.choice(run.names)
    cluster = run.cluster
    cluster.kill(target, signal.SIGTERM)
    cluster.delete_consensus_record(target)
    cluster.start(target)
    run.wait_ready(target)
    held = run.hold()
    with cluster.net.client(target) as client:
        refused = client.status().signing_refused
    result = FaultResult("record_deleted", target, round(held[0], 1), held[1], 0.0)
    if not refused:
        result.problem = "a validator that lost its consensus record signs again unasked"
    cluster.kill(target, signal.SIGTERM)
    cluster.reset_signing(target, above_height=run.top_height() + 5)
    cluster.start(target)
    result.recovery_s = round(run.recover(), 1)
    with cluster.net.client(target) as client:
        if client.status().signing_refused:
            result.problem = "still refusing to sign after reset-signing"
    result.note = f"refused to sign: {(refused or '')[:60]}"
    return result


def two_down(run: Run, rng: random.Random) -> FaultResult:
    targets = rng.sample(run.names, 2)
    for target in targets:
        run.cluster.kill(target)
    held = run.hold()
    for target in targets:
        run.cluster.start(target)
    return _expect_stopped(_result("two_down", ",".join(sorted(targets)), held, run.recover()))


def kill_all(run: Run, rng: random.Random) -> FaultResult:
    for name in run.names:
        run.cluster.kill(name)
    held = run.hold()
    run.cluster.start_all()
    return _result("kill_all", "all", held, run.recover())


def _expect_stopped(result: FaultResult) -> FaultResult:
    # One block may be in flight at the moment the fault begins (its precommits already sent).
    if result.advanced_during > 1:
        result.problem = f"{result.advanced_during} blocks committed without a quorum"
    return result


FAULTS: dict[str, Fault] = {
    fault.__name__: fault
    for fault in (
        kill_restart,
        pause_resume,
        partition_halves,
        isolate_one,
        one_way,
        bridge,
        latency_loss,
        clock_skew,
        wal_deleted,
        page_corrupted,
        record_deleted,
        two_down,
        kill_all,
    )
}

__all__ = ["FAULTS", "Fault", "FaultResult", "Run"]
