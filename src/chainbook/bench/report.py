"""Printing (rich tables), JSON and PNG (matplotlib) of benchmark results."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from chainbook.bench.load import NOT_SENT, LoadRecords

console = Console()


def write_json(path: Path, result: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
    return path


def write_tx_records(path: Path, records: LoadRecords) -> Path:
    """Every transaction's times (BEP-23 style), gzip CSV: hash, scheduled, submit, commit, height,
    error. Times are Unix seconds; an empty commit means not committed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["hash", "scheduled_s", "submit_s", "commit_s", "height", "error"])
        for k, tx_hash in enumerate(records.hashes):
            commit = records.commit_s[k]
            writer.writerow([
                tx_hash, f"{records.scheduled_s[k]:.4f}", f"{records.submit_s[k]:.4f}",
                f"{commit:.4f}" if commit != NOT_SENT else "", records.height[k] or "",
                records.error[k],
            ])
    return path


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value >= 1000:
            return f"{value:,.0f}"
        return f"{value:,.3f}" if value < 10 else f"{value:,.1f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in value.items()) or "-"
    return str(value)


def steps_table(title: str, steps: list[dict[str, Any]]) -> Table:
    # No box and short headers: the eleven columns fit 80 (README "Benchmarks" names them).
    table = Table(title=title, box=None, padding=(0, 1, 0, 0), title_justify="left",
                  caption="tx/s: offered and committed; p50-p99: latency s; blk s: block "
                  "interval; us/tx: CPU per tx per node; B/tx: bytes on disk; all: all "
                  "committed", caption_justify="left")
    columns = ("offered", "tx/s", "p50", "p95", "p99", "blk s", "tx/blk", "us/tx", "B/tx",
               "refused", "all")
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True)
    for s in steps:
        per_node = s["cpu_us_per_tx_per_node"].values()
        known = [v for v in per_node if v is not None]
        table.add_row(
            _fmt(s["offered_tps"]), _fmt(s["committed_tps"]), _fmt(s["latency_s"]["p50"]),
            _fmt(s["latency_s"]["p95"]), _fmt(s["latency_s"]["p99"]),
            _fmt(s["block_time_s_mean"]), _fmt(s["txs_per_block_mean"]),
            _fmt(sum(known) / len(known) if known else None), _fmt(s["bytes_on_disk_per_tx"]),
            _fmt(sum(s["refused"].values())), "yes" if s["all_committed"] else "[red]no[/]",
        )
    return table


def config_table(config: dict[str, Any]) -> Table:
    table = Table(title="configuration", box=None, padding=(0, 1, 0, 0), title_justify="left")
    table.add_column("setting", no_wrap=True)
    table.add_column("value", overflow="fold")
    for key, value in config.items():
        if isinstance(value, dict):
            for sub, sub_value in value.items():
                table.add_row(f"{key}.{sub}", _fmt(sub_value))
        else:
            table.add_row(key, _fmt(value))
    return table


def print_result(result: dict[str, Any]) -> None:
    console.print(config_table(result["config"]))
    if result.get("steps"):
        console.print(steps_table(result["scenario"], result["steps"]))
    for step in result.get("steps", []):
        for module, outcome in step.get("receipts_by_module", {}).items():
            refused = _fmt(outcome["refused_codes"])
            console.print(f"receipts at {_fmt(step['offered_tps'])} tx/s, {module}: "
                          f"{outcome['ok']} of {outcome['read']} ok; refused: {refused}")
    if result.get("saturation"):
        console.print(f"saturation: {result['saturation']}")
    if result.get("catchup"):
        console.print(f"catch-up: {_fmt(result['catchup'])}")
    for name, path in result.get("files", {}).items():
        console.print(f"{name}: {path}")


def print_stages(result: dict[str, Any]) -> None:
    console.print(config_table(result["config"]))
    table = Table(title="CPU per transaction, by stage (one process, no network)")
    table.add_column("stage")
    table.add_column("us/tx", justify="right")
    for stage, us in result["cpu_us_per_tx"].items():
        table.add_row(stage, f"{us:.2f}")
    table.add_row("validator (all but propose)", f"{result['cpu_us_per_tx_validator']:.2f}")
    console.print(table)
    for name, path in result.get("files", {}).items():
        console.print(f"{name}: {path}")


def plot_steps(path: Path, title: str, steps: list[dict[str, Any]],
               timeline: dict[str, list[float]] | None) -> Path:
    """Committed vs offered tx/s and latency percentiles vs offered (a sweep); for a single
    rate, also the per-second timeline of committed tx/s and latency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 3 if timeline and timeline["second"] else 2
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 4.2))
    offered = [s["offered_tps"] for s in steps]
    committed = [s["committed_tps"] for s in steps]
    axes[0].plot(offered, committed, "o-", label="committed")
    top = max([*offered, *committed, 1])
    axes[0].plot([0, top], [0, top], "--", color="grey", label="committed = offered")
    axes[0].set(xlabel="offered tx/s", ylabel="committed tx/s", title="throughput")
    axes[0].legend()
    for p in ("p50", "p95", "p99"):
        axes[1].plot(offered, [s["latency_s"][p] for s in steps], "o-", label=p)
    axes[1].set(xlabel="offered tx/s", ylabel="submit to commit (s)", title="latency")
    axes[1].legend()
    if panels == 3 and timeline is not None:
        ax = axes[2]
        ax.plot(timeline["second"], timeline["committed"], label="committed tx/s")
        ax.set(xlabel="seconds since load start", ylabel="committed tx/s", title="timeline")
        twin = ax.twinx()
        twin.plot(timeline["second"], timeline["p50"], color="tab:orange", label="p50 s")
        twin.plot(timeline["second"], timeline["p99"], color="tab:red", label="p99 s")
        twin.set_ylabel("latency (s)")
        ax.legend(loc="upper left")
        twin.legend(loc="upper right")
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_catchup(path: Path, samples: list[dict[str, float]], title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    ax.plot([s["t_s"] for s in samples], [s["txs_per_s"] for s in samples], label="tx/s")
    ax.set(xlabel="seconds since the node started", ylabel="verified tx/s", title=title)
    twin = ax.twinx()
    twin.plot([s["t_s"] for s in samples], [s["height"] for s in samples], color="tab:green",
              label="height")
    twin.set_ylabel("height")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


__all__ = [
    "plot_catchup",
    "plot_steps",
    "print_result",
    "print_stages",
    "write_json",
    "write_tx_records",
]
