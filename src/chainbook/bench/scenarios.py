"""The benchmarks: run (one offered rate), sweep (several), single (one validator), catch-up
(a late full node syncing a loaded chain) and smoke (small, for CI).

Each scenario starts its own fresh network (chainbook.bench.network), drives it from a separate
load process (chainbook.bench.load), and stops it in a `finally`, whatever happens.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from chainbook import testnet
from chainbook.bench import profile as profiling
from chainbook.bench.hardware import describe_machine
from chainbook.bench.load import LoadRecords, LoadSpec, read_records, run_load_process
from chainbook.bench.measure import compute_timeline, find_saturation, summarize_step
from chainbook.bench.mix import read_receipt_outcomes
from chainbook.bench.network import (
    BenchNetwork,
    bench_network,
    count_node_counters,
    read_book_bytes,
    read_cpu_seconds,
    read_node_counters,
)
from chainbook.bench.report import plot_catchup, plot_steps, write_json, write_tx_records
from chainbook.bench.workload import TX_BYTES_DEFAULT

LOAD_READY_TIMEOUT_S = 600.0
LOAD_SLACK_S = 120.0
"""Beyond the schedule and the drain, how long the load process may take before it is killed."""
CATCHUP_POLL_S = 0.2
CATCHUP_TIMEOUT_S_MIN = 300.0


@dataclass
class BenchOptions:
    validators: int = 4
    duration_s: float = 30.0
    rates_tps: list[float] = field(default_factory=lambda: [1000.0])
    accounts_per_step: int = 2000
    tx_bytes: int = TX_BYTES_DEFAULT
    warmup_s: float = 3.0
    submit_mode: str = "auto"
    connections_per_node: int = 0
    drain_timeout_s: float = 60.0
    out_dir: Path = Path("bench-results")
    profile: bool = False
    profile_s: float = 20.0
    network_dir: Path | None = None
    keep_network: bool = False
    catchup_txs: int = 200_000
    catchup_load_tps: float = 0.0
    """0 = closed loop at whatever rate the network takes (fastest way to fill the chain)."""
    mix: tuple[tuple[str, int], ...] = ()
    """run / sweep: module actions instead of bank transfers (bench/mix.py)."""


def describe_config(options: BenchOptions, network: BenchNetwork, accounts: int) -> dict[str, Any]:
    genesis = network.home(network.node_names[0]).load_genesis()
    return {
        "validators": options.validators,
        "duration_s": options.duration_s,
        "warmup_s": options.warmup_s,
        "tx_bytes_target": options.tx_bytes if not options.mix else "the mix's own sizes",
        "mix": dict(options.mix) or None,
        "accounts_funded": accounts,
        "accounts_per_step": options.accounts_per_step,
        "submit_mode_requested": options.submit_mode,
        "connections_per_node": options.connections_per_node or "automatic",
        "timeout_commit_ms": genesis.consensus.timeout_commit_ms,
        "block_txs_max": genesis.consensus.block_txs_max,
        "commit_time_method": "first GET /blocks/{h} 200 on node0, polled every 10 ms",
        "machine": describe_machine(),
    }


# --- one load step ----------------------------------------------------------------------------


@dataclass
class StepOutcome:
    summary: dict[str, Any]
    records: LoadRecords
    profiles: dict[str, Any]


def _wait_for(event: Any, process: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not event.wait(0.1):
        if not process.is_alive():
            raise RuntimeError(f"the load process exited (code {process.exitcode}) before {what}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout_s:g}s")


def run_step(
    network: BenchNetwork,
    options: BenchOptions,
    rate_tps: float,
    count: int,
    first_account: int,
    accounts_total: int,
    label: str,
    profile: bool = False,
) -> StepOutcome:
    """One step: start the load process, measure the nodes around it, summarise."""
    records_path = options.out_dir / f"{label}.records"
    options.out_dir.mkdir(parents=True, exist_ok=True)
    spec = LoadSpec(
        chain_id=network.chain_id,
        api_urls=network.api_urls[: options.validators],
        follow_url=network.api_urls[0],
        rate_tps=rate_tps,
        count=count,
        first_account=first_account,
        accounts=options.accounts_per_step,
        accounts_total=accounts_total,
        records_path=str(records_path),
        tx_bytes=options.tx_bytes,
        submit_mode=options.submit_mode,
        connections_per_node=options.connections_per_node,
        drain_timeout_s=options.drain_timeout_s,
        mix=options.mix,
    )
    context = multiprocessing.get_context("spawn")
    ready, go, load_done = context.Event(), context.Event(), context.Event()
    process = context.Process(target=run_load_process, args=(spec, ready, go, load_done),
                              name=f"bench-load-{label}", daemon=True)
    process.start()
    profilers: dict[str, Any] = {}
    try:
        _wait_for(ready, process, LOAD_READY_TIMEOUT_S, "signing and connecting")
        nodes = network.processes()
        book = network.home(network.node_names[0]).book_path
        load_process = psutil.Process(process.pid)
        load_cpu_before = sum(load_process.cpu_times()[:2])
        cpu_before, book_before = read_cpu_seconds(nodes), read_book_bytes(book)
        counters_before = read_node_counters(network)
        if profile:
            profilers = profiling.start_profilers(
                network.pids, min(options.profile_s, options.duration_s),
                options.out_dir / "profiles", label)
        go.set()
        schedule_s = count / rate_tps if rate_tps > 0 else options.duration_s * 10
        _wait_for(load_done, process, schedule_s + LOAD_SLACK_S, "the end of the load")
        load_cpu_after = sum(load_process.cpu_times()[:2])
        process.join(options.drain_timeout_s + LOAD_SLACK_S)
        if process.exitcode is None and not records_path.exists():
            raise TimeoutError(f"the load process did not finish its drain within "
                               f"{options.drain_timeout_s + LOAD_SLACK_S:g}s")
        if process.exitcode is None:
            # It wrote its records and then did not exit: use them, stop it.
            process.kill()
            process.join(5)
        elif process.exitcode != 0:
            raise RuntimeError(f"the load process failed (exit code {process.exitcode})")
        cpu_after, book_after = read_cpu_seconds(nodes), read_book_bytes(book)
        counters_after = read_node_counters(network)
    finally:
        if process.is_alive():
            process.terminate()
            process.join(5)
        profiled = profiling.wait_profilers(profilers, options.profile_s + 30) if profilers else {}
    records = read_records(records_path)
    records_path.unlink()
    duration_s = count / rate_tps if rate_tps > 0 else records.t_load_end - records.t_go
    summary = summarize_step(
        records, offered_tps=rate_tps, duration_s=duration_s,
        warmup_s=min(options.warmup_s, duration_s / 4),
        cpu_before=cpu_before, cpu_after=cpu_after, load_cpu_s=load_cpu_after - load_cpu_before,
        book_bytes_before=book_before, book_bytes_after=book_after,
    )
    summary["node_counters"] = count_node_counters(counters_before, counters_after)
    if options.mix:
        outcomes = read_receipt_outcomes(network.api_urls[0], records.hashes, records.height)
        summary["receipts_by_module"] = {m: asdict(o) for m, o in sorted(outcomes.items())}
    profiles = {
        name: profiling.summarize_profile(raw, min(options.profile_s, options.duration_s))
        for name, raw in profiled.items()
    }
    return StepOutcome(summary, records, profiles)


def _files(options: BenchOptions, scenario: str) -> dict[str, Path]:
    return {
        "json": options.out_dir / f"{scenario}.json",
        "png": options.out_dir / f"{scenario}.png",
        "txs": options.out_dir / f"{scenario}-txs.csv.gz",
    }


# --- scenarios --------------------------------------------------------------------------------


def run_rates(options: BenchOptions, scenario: str) -> dict[str, Any]:
    """run / sweep / single / smoke: one network, one step per offered rate."""
    steps_count = len(options.rates_tps)
    accounts = options.accounts_per_step * steps_count
    files = _files(options, scenario)
    steps, profiles = [], {}
    last: StepOutcome | None = None
    with bench_network(options.validators, accounts, options.network_dir,
                       options.keep_network, options.mix) as network:
        config = describe_config(options, network, accounts)
        for index, rate in enumerate(options.rates_tps):
            count = max(1, int(rate * options.duration_s))
            label = f"{scenario}-{int(rate)}"
            last = run_step(network, options, rate, count, index * options.accounts_per_step,
                            accounts, label, profile=options.profile)
            steps.append(last.summary)
            if last.profiles:
                profiles[str(int(rate))] = last.profiles
    assert last is not None
    timeline = compute_timeline(last.records) if steps_count == 1 else None
    write_tx_records(files["txs"], last.records)
    plot_steps(files["png"], f"chainbook {scenario}: {options.validators} validators", steps,
               timeline)
    result: dict[str, Any] = {
        "scenario": scenario,
        "config": {**config, "rates_tps": options.rates_tps,
                   "tx_bytes_measured": steps[-1]["tx_bytes"],
                   "submit_mode": steps[-1]["submit_mode"]},
        "steps": steps,
        "saturation": find_saturation(steps) if steps_count > 1 else None,
        "timeline": timeline,
        "profiles": profiles,
        "files": {k: str(v) for k, v in files.items()},
    }
    write_json(files["json"], result)
    return result


def follow_sync(
    root: Path, name: str, target_height: int, timeout_s: float
) -> list[dict[str, float]]:
    """Poll a syncing node's height until it reaches `target_height`; samples over time."""
    net = testnet.load_testnet(root)
    entry = net.node(name)
    started = time.monotonic()
    samples: list[dict[str, float]] = []
    while time.monotonic() - started < timeout_s:
        row = testnet.query_node(net, entry)
        if row.status is not None:
            samples.append({"t_s": round(time.monotonic() - started, 3),
                            "height": float(row.status.height)})
            if row.status.height >= target_height:
                return samples
        elif row.pid is not None and not row.alive:
            out = testnet.tail(net.home(name).out_path)
            raise RuntimeError(f"{name} exited while syncing:\n{out}")
        time.sleep(CATCHUP_POLL_S)
    raise TimeoutError(f"{name} did not reach height {target_height} within {timeout_s:g}s")


def add_rates(samples: list[dict[str, float]], txs_by_height: list[int]) -> None:
    """Give each sample the tx/s since the previous one (txs_by_height is cumulative)."""
    previous_t, previous_txs = 0.0, 0
    for sample in samples:
        height = min(int(sample["height"]), len(txs_by_height) - 1)
        txs = txs_by_height[height]
        elapsed = sample["t_s"] - previous_t
        sample["txs_per_s"] = round((txs - previous_txs) / elapsed, 1) if elapsed > 0 else 0.0
        previous_t, previous_txs = sample["t_s"], txs


def cumulative_txs(records: LoadRecords, height_max: int) -> list[int]:
    per_height = [0] * (height_max + 1)
    for block in records.blocks:
        if block.height <= height_max:
            per_height[block.height] = block.tx_count
    total, cumulative = 0, []
    for count in per_height:
        total += count
        cumulative.append(total)
    return cumulative


def run_catchup(options: BenchOptions) -> dict[str, Any]:
    """Load `catchup_txs` transactions, then start a new full node and time its sync."""
    accounts = options.accounts_per_step
    files = _files(options, "catchup")
    with bench_network(options.validators, accounts, options.network_dir,
                       options.keep_network) as network:
        config = describe_config(options, network, accounts)
        load = run_step(network, options, options.catchup_load_tps, options.catchup_txs, 0,
                        accounts, "catchup-load")
        target = testnet.get_heights(network.root, [network.node_names[0]])["node0"] or 0
        entry = testnet.add_node(network.root)
        started = time.monotonic()
        pid = testnet.up(network.root, [entry.name])[entry.name]
        network.pids[entry.name] = pid
        cpu_before = read_cpu_seconds({entry.name: psutil.Process(pid)})
        timeout_s = max(CATCHUP_TIMEOUT_S_MIN, options.catchup_txs / 500)
        samples = follow_sync(network.root, entry.name, target, timeout_s)
        cpu_after = read_cpu_seconds({entry.name: psutil.Process(pid)})
        total_s = time.monotonic() - started
    txs_by_height = cumulative_txs(load.records, target)
    add_rates(samples, txs_by_height)
    # From the process start: the node syncs over p2p before its API answers, so the time from
    # "API ready" would miss part of the work. It includes interpreter start-up (~1 s), which
    # makes the rate conservative for short chains.
    sync_s = max(samples[-1]["t_s"], 1e-3)
    txs = txs_by_height[-1]
    catchup = {
        "target_height": target,
        "txs": txs,
        "seconds_from_process_start": round(total_s, 2),
        "first_answer_s": samples[0]["t_s"],
        "first_answer_height": samples[0]["height"],
        "blocks_per_s": round(target / sync_s, 1),
        "txs_per_s": round(txs / sync_s, 1),
        "cpu_s": round(cpu_after[entry.name] - cpu_before[entry.name], 2),
        "cpu_us_per_tx": round((cpu_after[entry.name] - cpu_before[entry.name]) / txs * 1e6, 1)
        if txs else None,
        "samples": samples,
    }
    plot_catchup(files["png"], samples, f"catch-up of a full node ({txs:,} txs)")
    result = {
        "scenario": "catchup",
        "config": {**config, "catchup_txs": options.catchup_txs,
                   "catchup_load_tps": options.catchup_load_tps},
        "steps": [load.summary],
        "catchup": {k: v for k, v in catchup.items() if k != "samples"},
        "catchup_samples": samples,
        "files": {"json": str(files["json"]), "png": str(files["png"])},
    }
    write_json(files["json"], result)
    return result


def options_dict(options: BenchOptions) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items()}


__all__ = ["BenchOptions", "run_catchup", "run_rates", "run_step"]
