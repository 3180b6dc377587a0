"""The demo, the simulator, book verification and the benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
import typer

from chainbook.cli.output import (
    UserError,
    console,
    friendly_errors,
    import_optional,
    key_value_table,
)

commands = typer.Typer()
"""Merged into the root command (cli/main.py)."""


@commands.command("demo")
def demo(
    dir: Annotated[
        Path | None,
        typer.Option("--dir", help="Where to create the testnet (default: a temp dir)."),
    ] = None,
) -> None:
    """The guided tour: a 4-validator network, transfers, a crash, a tampered book, repair."""
    from chainbook.demo import run_demo

    with friendly_errors():
        run_demo(dir)


@commands.command(
    "simulate",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def simulate(ctx: typer.Context) -> None:
    """Deterministic simulation of many nodes in one process (chainbook.sim).

    Arguments are passed through: --seeds N [--first-seed K] | --seed S, --validators N,
    --jobs J, --verbose (see `chainbook simulate --help`).
    """
    with friendly_errors():
        sim_main = import_optional("chainbook.sim", "main", "the simulator")
        code = sim_main(list(ctx.args))
    raise typer.Exit(code if isinstance(code, int) else 0)


@commands.command("verify")
def verify(home: Annotated[Path, typer.Option("--home", help="The node's home folder.")]) -> None:
    """Re-verify a stopped node's whole book (hash chain, commits, app hash)."""
    with friendly_errors():
        verify_home = import_optional("chainbook.runtime.node", "verify_home", "book verification")
        report = verify_home(home.resolve())
        fields = msgspec.to_builtins(report) if isinstance(report, msgspec.Struct) else {}
        console.print(key_value_table(f"book of {home}", list(fields.items())))
        if fields.get("corrupt_height") is not None:
            raise UserError(f"the book is damaged at height {fields['corrupt_height']}")
        console.print("[bold green]book verified[/]")


@commands.command(
    "bench",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def bench(ctx: typer.Context) -> None:
    """Benchmarks (chainbook.bench); arguments are passed through."""
    with friendly_errors():
        bench_main = import_optional("chainbook.bench", "main", "the benchmarks")
        code = bench_main(list(ctx.args))
    raise typer.Exit(code if isinstance(code, int) else 0)


__all__ = ["commands"]
