"""Options shared by several commands."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

NODE_URL_DEFAULT = os.environ.get("CHAINBOOK_NODE", "http://127.0.0.1:26700")
TESTNET_DIR_DEFAULT = Path("testnet")

NodeOption = Annotated[
    str, typer.Option("--node", help="API URL of the node to ask (env CHAINBOOK_NODE).")
]
DirOption = Annotated[Path, typer.Option("--dir", help="The testnet folder.")]
NodesOption = Annotated[
    list[str] | None, typer.Option("--node", help="Only this node (repeatable); default all.")
]

__all__ = ["NODE_URL_DEFAULT", "TESTNET_DIR_DEFAULT", "DirOption", "NodeOption", "NodesOption"]
