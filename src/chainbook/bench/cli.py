"""`chainbook bench <scenario> [options]`: argument parsing and dispatch.

argparse rather than typer: the main CLI forwards its extra arguments here untouched
(`chainbook bench sweep --rates 500,1000`), and `python -m chainbook.bench` works the same.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from chainbook.bench.mix import COMPONENTS, parse_mix
from chainbook.bench.scenarios import BenchOptions, run_catchup, run_rates

SWEEP_RATES_DEFAULT = "500,1000,2000,3000,4000,6000"
SMOKE_VALIDATORS = 4
SMOKE_RATE_TPS = 200.0
SMOKE_DURATION_S = 10.0
SMOKE_ACCOUNTS = 200
SMOKE_WARMUP_S = 2.0


def parse_rates(text: str) -> list[float]:
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"rates: comma-separated numbers, got {text!r}") from None
    if not rates or any(r <= 0 for r in rates):
        raise argparse.ArgumentTypeError(f"rates: at least one, each > 0, got {text!r}")
    return rates


def _parse_mix(text: str) -> tuple[tuple[str, int], ...]:
    try:
        return parse_mix(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _common(parser: argparse.ArgumentParser, validators: int | None = 4) -> None:
    if validators is not None:
        parser.add_argument("--validators", type=int, default=validators)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per rate")
    parser.add_argument("--accounts", type=int, default=2000, help="funded senders per rate")
    parser.add_argument("--tx-bytes", type=int, default=250, help="signed transfer size target")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds excluded at start")
    parser.add_argument("--submit", choices=("auto", "batch", "single"), default="auto")
    parser.add_argument("--connections", type=int, default=0, help="per node; 0 = automatic")
    parser.add_argument("--drain-timeout", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    parser.add_argument("--profile", action="store_true", help="py-spy every node during load")
    parser.add_argument("--profile-seconds", type=float, default=20.0)
    parser.add_argument("--dir", type=Path, default=None, help="network folder (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the network folder")


def _mix_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mix", type=_parse_mix, default=(),
                        help="module actions instead of transfers, e.g. bank=4,assets=3 "
                             f"(components: {', '.join(COMPONENTS)})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chainbook bench", description=__doc__)
    sub = parser.add_subparsers(dest="scenario", required=True)
    run = sub.add_parser("run", help="open-loop load at one offered rate")
    run.add_argument("--rate", type=float, default=1000.0, help="offered tx/s")
    _common(run)
    _mix_option(run)
    sweep = sub.add_parser("sweep", help="one run per offered rate, to find saturation")
    sweep.add_argument("--rates", type=parse_rates, default=parse_rates(SWEEP_RATES_DEFAULT))
    _common(sweep)
    _mix_option(sweep)
    single = sub.add_parser("single", help="one validator alone")
    single.add_argument("--rates", type=parse_rates, default=parse_rates("2000,5000,10000"))
    _common(single, validators=None)
    catchup = sub.add_parser("catchup", help="a full node joining after --txs transactions")
    catchup.add_argument("--txs", type=int, default=200_000)
    catchup.add_argument("--load-rate", type=float, default=0.0,
                         help="tx/s while loading the chain; 0 = as fast as it takes them")
    _common(catchup)
    stages = sub.add_parser("stages", help="CPU per tx of each ledger stage, one process")
    stages.add_argument("--blocks", type=int, default=5)
    stages.add_argument("--txs", type=int, default=3000, help="transactions per block")
    stages.add_argument("--accounts", type=int, default=2000)
    stages.add_argument("--tx-bytes", type=int, default=250)
    stages.add_argument("--out", type=Path, default=Path("bench-results"))
    statesync = sub.add_parser("statesync", help="a node joining by state sync after --txs txs")
    statesync.add_argument("--txs", type=int, default=1_000_000)
    statesync.add_argument("--out", type=Path, default=Path("bench-results"))
    statesync.add_argument("--dir", type=Path, default=None, help="network folder (default: temp)")
    statesync.add_argument("--keep", action="store_true", help="keep the network folder")
    statesync.add_argument("--base-port", type=int, default=36_600)
    smoke = sub.add_parser("smoke", help="small end-to-end run for CI (< 1 minute)")
    smoke.add_argument("--out", type=Path, default=Path("bench-results"))
    smoke.add_argument("--duration", type=float, default=SMOKE_DURATION_S)
    smoke.add_argument("--rate", type=float, default=SMOKE_RATE_TPS)
    return parser


def options_from_args(args: argparse.Namespace) -> BenchOptions:
    if args.scenario == "smoke":
        return BenchOptions(validators=SMOKE_VALIDATORS, duration_s=args.duration,
                            rates_tps=[args.rate], accounts_per_step=SMOKE_ACCOUNTS,
                            warmup_s=SMOKE_WARMUP_S, drain_timeout_s=20.0, out_dir=args.out)
    rates = args.rates if hasattr(args, "rates") else [getattr(args, "rate", 1000.0)]
    return BenchOptions(
        validators=getattr(args, "validators", 1),
        duration_s=args.duration,
        rates_tps=rates,
        accounts_per_step=args.accounts,
        tx_bytes=args.tx_bytes,
        warmup_s=args.warmup,
        submit_mode=args.submit,
        connections_per_node=args.connections,
        drain_timeout_s=args.drain_timeout,
        out_dir=args.out,
        profile=args.profile,
        profile_s=args.profile_seconds,
        network_dir=args.dir,
        keep_network=args.keep,
        catchup_txs=getattr(args, "txs", 200_000),
        mix=getattr(args, "mix", ()),
        catchup_load_tps=getattr(args, "load_rate", 0.0),
    )


def run_stages_command(args: argparse.Namespace) -> int:
    from chainbook.bench.report import print_stages, write_json
    from chainbook.bench.stages import run_stages

    for name in ("blocks", "txs", "accounts"):
        if getattr(args, name) < 1:
            raise SystemExit(f"chainbook bench stages: --{name} must be >= 1")
    result = run_stages(args.blocks, args.txs, args.accounts, args.tx_bytes)
    args.out.mkdir(parents=True, exist_ok=True)
    result["files"] = {"json": str(write_json(args.out / "stages.json", result))}
    print_stages(result)
    return 0


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C, so the `finally` that stops the network runs."""
    raise KeyboardInterrupt(f"signal {signum}")


def run_scenario(scenario: str, options: BenchOptions) -> dict[str, Any]:
    if scenario == "catchup":
        return run_catchup(options)
    return run_rates(options, scenario)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `chainbook bench`; returns the process exit code."""
    from chainbook.bench.report import console, print_result

    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.scenario == "stages":
        return run_stages_command(args)
    if args.scenario == "statesync":
        from chainbook.bench.statesync import run_statesync

        result = run_statesync(args.txs, args.dir, args.out, args.keep, args.base_port)
        console.print(result)
        return 0
    options = options_from_args(args)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        result = run_scenario(args.scenario, options)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; the network was stopped[/]")
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    print_result(result)
    return 0


__all__ = ["build_parser", "main", "options_from_args", "parse_rates"]
