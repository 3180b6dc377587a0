"""`chainbook init`: one node's home, for an organisation that runs its own node.

It makes the node's own key and config and nothing shared: no certificate, no genesis. It
prints the node id (the node's public key), which is all the consortium needs from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chainbook.cli.output import UserError, console, friendly_errors, key_value_table
from chainbook.cli.passphrases import PassphraseFileOption, new_passphrase

commands = typer.Typer()
"""Merged into the root command (cli/main.py)."""

P2P_DEFAULT = "0.0.0.0:26600"
API_DEFAULT = "127.0.0.1:26700"


def _split_address(option: str, text: str) -> tuple[str, int]:
    from chainbook.runtime.config import parse_peer

    try:
        address = parse_peer(text)
        if address.node_id is not None:
            raise ValueError("no node id in a listen address")
        return address.host, address.port
    except ValueError:
        raise UserError(
            f"{option} {text!r}: expected HOST:PORT with a port in 1..65535 "
            "(e.g. 0.0.0.0:26600, [::]:26600)"
        ) from None


@commands.command("init")
def init(
    home: Annotated[Path, typer.Option("--home", help="The node's home folder (created).")],
    moniker: Annotated[
        str | None, typer.Option(help="A human name for the node (default: the folder's name).")
    ] = None,
    p2p: Annotated[
        str, typer.Option("--p2p", help="Where to listen for peers, HOST:PORT.")
    ] = P2P_DEFAULT,
    api: Annotated[
        str, typer.Option("--api", help="Where to serve the API, HOST:PORT (keep it private).")
    ] = API_DEFAULT,
    peer: Annotated[
        list[str] | None, typer.Option("--peer", help="A peer's p2p HOST:PORT (repeatable).")
    ] = None,
    encrypt: Annotated[
        bool, typer.Option("--encrypt", help="Encrypt the node key under a passphrase.")
    ] = False,
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Create a node's home: its own fresh key and config.toml, no genesis yet."""
    from chainbook.keyfile import verify_new_passphrase
    from chainbook.runtime.config import NodeConfig, decode_config, encode_config
    from chainbook.runtime.home import init_home

    with friendly_errors():
        p2p_host, p2p_port = _split_address("--p2p", p2p)
        api_host, api_port = _split_address("--api", api)
        root = home.resolve()
        config = NodeConfig(
            moniker=moniker or root.name,
            p2p_host=p2p_host,
            p2p_port=p2p_port,
            api_host=api_host,
            api_port=api_port,
            peers=list(peer or []),
        )
        # A Struct is checked when decoded, not when built: check the options as a file would be.
        config = decode_config(encode_config(config), "the given options")
        passphrase = None
        if encrypt:
            passphrase = new_passphrase(passphrase_file, f"the node key of {root}")
            verify_new_passphrase(passphrase)
        created = init_home(root, config=config, passphrase=passphrase)
        info = created.key_info()
        rows: list[tuple[str, object]] = [
            ("node id", info.public_key.hex()),
            ("address", info.address.hex()),
            ("key", f"{created.key_path} ({'encrypted' if encrypt else 'plaintext'}, 0600)"),
            ("config", created.config_path),
            ("p2p", config.p2p_address),
            ("api", config.api_url),
        ]
        console.print(key_value_table(f"node home {root}", rows))
        console.print(
            "next: send the [bold]node id[/] to the consortium's CA (or a request: "
            f"`chainbook node csr --home {home} --out node.csr`), install what it returns "
            f"with `chainbook node install-cert --home {home} ...`, then the genesis."
        )


__all__ = ["commands"]
