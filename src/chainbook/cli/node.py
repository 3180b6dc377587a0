"""`chainbook node`: run a node."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chainbook.cli.output import friendly_errors, import_optional

node_app = typer.Typer(help="Run a node.", no_args_is_help=True)


@node_app.command("start")
def node_start(
    home: Annotated[Path, typer.Option("--home", help="The node's home folder.")],
) -> None:
    """Run a node in the foreground until SIGTERM or Ctrl-C."""
    from chainbook.runtime.home import Home

    with friendly_errors():
        Home(home.resolve()).verify()
        run_node = import_optional("chainbook.runtime.node", "run_node", "the node runtime")
        try:
            run_node(home.resolve())
        except KeyboardInterrupt:
            return


__all__ = ["node_app"]
