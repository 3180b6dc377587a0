"""How the CLI talks to a person: errors without tracebacks, amounts without floats, tables
that fit a terminal, and `--json` for scripts.

Rules kept:
- At 80 columns every table stays readable: no box, one space between columns, values that
  matter whole (a 64-hex hash, a 40-hex address, a URL) are never cut with an ellipsis; a
  key-value table's keys are at most 14 characters so a hash fits beside them in 80.
- Every command that reads something has `--json`: one JSON document on stdout (hashes and
  bytes as hex, amounts as integers in the smallest unit), nothing else on stdout.
- Long waits show progress on stderr (a spinner or a bar), never on stdout.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chainbook.client.amounts import COIN_DECIMALS, COIN_SYMBOL, format_amount
from chainbook.client.http import ApiError, ClientError, NodeUnreachable
from chainbook.client.verify import ProofError
from chainbook.errors import ChainbookError

P = ParamSpec("P")
R = TypeVar("R")


def _fresh(
    method: Callable[Concatenate[Console, P], R],
) -> Callable[Concatenate[_FreshConsole, P], R]:
    """`method` of a rich Console made for this one call, with the method's own signature."""

    def call(self: _FreshConsole, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return method(Console(stderr=self.stderr), *args, **kwargs)

    return call


class _FreshConsole:
    """A rich Console made at each use, so the terminal width (or COLUMNS, when the output is
    a pipe or a test runner) is read when printing rather than once at import. Only the
    methods the CLI uses are offered, each with rich's signature, so mypy checks every call."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr

    print = _fresh(Console.print)
    status = _fresh(Console.status)


console = _FreshConsole()
err_console = _FreshConsole(stderr=True)



class UserError(Exception):
    """A mistake a person can fix (bad argument, missing file); printed without a traceback."""


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextlib.contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn the errors a user can act on into one red line and exit code 1 (2 for the node
    refusing a request, 3 when no node answered), instead of a traceback."""
    try:
        yield
    except NodeUnreachable as exc:
        hint = "is the node running? (`chainbook testnet up`, or pass --node URL)"
        raise fail(f"{exc}\n  {hint}", 3) from None
    except ApiError as exc:
        raise fail(f"the node refused: {exc.message} [{exc.code}, HTTP {exc.status}]", 2) from None
    except (ChainbookError, ClientError, ProofError, UserError, TimeoutError) as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        raise fail(f"{exc.strerror or exc}{where}") from None
    except KeyboardInterrupt:
        raise fail("interrupted", 130) from None


def key_value_table(title: str, rows: list[tuple[str, Any]]) -> Table:
    table = compact_table(title, show_header=False)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, escape(str(value)))
    return table


def compact_table(title: str | None = None, *, show_header: bool = True) -> Table:
    """A table without a box (one space between columns): what fits 80 columns."""
    return Table(
        title=title,
        show_header=show_header,
        title_justify="left",
        title_style="bold",
        box=None,
        padding=(0, 1, 0, 0),
        header_style="bold",
    )


def print_json(value: Any) -> None:
    """One JSON document on stdout (msgspec views, Structs, dicts; bytes as hex)."""
    import sys

    import msgspec

    from chainbook.apps.fields import to_json_value

    builtins = to_json_value(value) if isinstance(value, msgspec.Struct) else value
    sys.stdout.write(msgspec.json.encode(builtins).decode() + "\n")


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]


def import_optional(module: str, attribute: str, what: str) -> Callable[..., Any]:
    """Import `module.attribute` at the moment it is needed, so a part that is not built yet
    (or whose dependency is missing) breaks only its own command, with a clear message."""
    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing == module or module.startswith(missing + "."):
            raise UserError(
                f"{what} is not available in this build: module {module} is missing "
                "(it is being written separately; see the project's issue tracker)"
            ) from None
        raise
    function: object = getattr(loaded, attribute, None)
    if not callable(function):
        raise UserError(f"{what} is not available: {module}.{attribute} is missing")
    return function


__all__ = [
    "COIN_DECIMALS",
    "COIN_SYMBOL",
    "UserError",
    "console",
    "err_console",
    "fail",
    "format_amount",
    "friendly_errors",
    "import_optional",
    "JsonOption",
    "compact_table",
    "key_value_table",
    "print_json",
]
