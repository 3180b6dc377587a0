"""The demo, the simulator, book verification and the benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
import typer

from chainbook.cli.output import (
    UserError,
    console,
    err_console,
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
        with err_console.status(f"simulating ({' '.join(ctx.args) or 'defaults'})"):
            code = sim_main(list(ctx.args))
    raise typer.Exit(code if isinstance(code, int) else 0)


@commands.command("verify")
def verify(
    home: Annotated[Path, typer.Option("--home", help="The node's home folder.")],
    no_repair: Annotated[
        bool,
        typer.Option(
            "--no-repair", help="Only report: change nothing, not even a damaged book file."
        ),
    ] = False,
) -> None:
    """Re-verify a stopped node's whole book (hash chain, commits, app hash).

    A damaged book file (SQLite reports it malformed, cut short, not a database) is first
    salvaged: moved aside as book.sqlite.damaged-<n>, every block still readable kept in a
    fresh book, the loss reported; the node syncs the rest from peers. With --no-repair the
    damage is only reported. Damage to the hash chain itself is reported, not repaired: the
    node truncates the book there when it starts, and syncs.
    """
    from chainbook.runtime.home import Home
    from chainbook.storage.sqlite import check_book_file, open_sqlite_book

    with friendly_errors():
        home_ = Home(home.resolve())
        home_.load_genesis()  # not a node's home: say so before touching anything
        book = home_.book_path
        if not book.is_file():
            raise UserError(f"no book at {book}: has this node ever run?")
        if no_repair:
            problem = check_book_file(book)
            if problem is not None:
                raise UserError(
                    f"the book file {book} is damaged: {problem}. Run `chainbook verify "
                    f"--home {home}` without --no-repair to keep what can be read"
                )
        else:
            store, salvage = open_sqlite_book(book)
            store.close()
            if salvage is not None:
                rows = list(msgspec.to_builtins(salvage).items())
                console.print(key_value_table(f"book file of {home} salvaged", rows))
                console.print(f"lost: {salvage.lost}")
        verify_home = import_optional("chainbook.runtime.node", "verify_home", "book verification")
        report = verify_home(home.resolve())
        fields = msgspec.to_builtins(report) if isinstance(report, msgspec.Struct) else {}
        console.print(key_value_table(f"book of {home}", list(fields.items())))
        if fields.get("corrupt_height") is not None:
            raise UserError(f"the book is damaged at height {fields['corrupt_height']}")
        base = fields.get("book_base", 1)
        if isinstance(base, int) and base > 1:
            console.print(
                f"started by state sync at height {base}: the validator-set changes from the "
                f"genesis file to it, block {base}'s commit and every block after it are "
                f"verified; blocks below {base} were never held, so they cannot be"
            )
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
        with err_console.status(f"benchmark {' '.join(ctx.args)} running"):
            code = bench_main(list(ctx.args))
    raise typer.Exit(code if isinstance(code, int) else 0)


__all__ = ["commands"]
