"""`chainbook keys`: create and inspect Ed25519 key files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from chainbook.cli.output import console, err_console, friendly_errors, key_value_table
from chainbook.crypto import PrivateKey
from chainbook.keyfile import compute_key_file, load_key_file, write_key_file

keys_app = typer.Typer(help="Create and inspect Ed25519 key files.", no_args_is_help=True)


@keys_app.command("new")
def keys_new(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the key here (mode 0600, never overwritten)."),
    ] = None,
) -> None:
    """Create a new random key. Without --out, print the key file JSON to stdout."""
    with friendly_errors():
        key = PrivateKey.generate()
        if out is None:
            sys.stdout.write(msgspec.json.encode(compute_key_file(key)).decode() + "\n")
            err_console.print("[yellow]not saved: this output holds the secret seed[/]")
            return
        write_key_file(out, key)
        console.print(f"address [bold]{key.address.hex()}[/]  saved to {out} (mode 0600)")


@keys_app.command("show")
def keys_show(file: Annotated[Path, typer.Argument(help="A key file.")]) -> None:
    """Show a key file's address and public key (never its seed)."""
    with friendly_errors():
        key = load_key_file(file)
        console.print(
            key_value_table(
                str(file), [("address", key.address.hex()), ("public key", key.public_key.hex())]
            )
        )


__all__ = ["keys_app"]
