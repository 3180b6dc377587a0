"""`chainbook node id | csr | install-cert | install-revocation-list | install-genesis`: the
steps that take a home made by `chainbook init` to one that starts, each file checked before it
is installed (runtime/home.py says what each check is)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chainbook.cli.output import (
    JsonOption,
    UserError,
    console,
    friendly_errors,
    key_value_table,
    print_json,
)
from chainbook.cli.passphrases import PassphraseFileOption, existing_passphrase

commands = typer.Typer()
"""Merged into `chainbook node` (cli/main.py)."""

HomeOption = Annotated[Path, typer.Option("--home", help="The node's home folder.")]


@commands.command("id")
def node_id(home: HomeOption, json_output: JsonOption = False) -> None:
    """Print the node id (its public key) to give to the consortium; no passphrase needed."""
    from chainbook.runtime.home import Home

    with friendly_errors():
        info = Home(home.resolve()).key_info()
        if json_output:
            print_json({"node_id": info.public_key.hex(), "address": info.address.hex()})
            return
        typer.echo(info.public_key.hex())


@commands.command("csr")
def node_csr(
    home: HomeOption,
    out: Annotated[Path, typer.Option("--out", help="Write the certificate request here.")],
    name: Annotated[
        str | None, typer.Option(help="The name to ask for (default: the moniker).")
    ] = None,
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """A certificate request signed with the node key: proof to the CA that we hold it."""
    from chainbook.p2p.tls import create_certificate_request
    from chainbook.runtime.home import Home

    with friendly_errors():
        node_home = Home(home.resolve())
        config = node_home.load_config()
        if out.exists():
            raise UserError(f"{out} already exists; choose another --out")
        info = node_home.key_info()
        passphrase = (
            existing_passphrase(passphrase_file, f"node key {node_home.key_path}")
            if info.encrypted
            else None
        )
        key = node_home.load_key(passphrase)
        out.write_bytes(create_certificate_request(key.seed, name or config.moniker))
        console.print(
            f"request for [bold]{name or config.moniker}[/] (node id {info.public_key.hex()}) "
            f"written to {out}; send it to the CA (`chainbook ca issue --csr {out.name} ...`)"
        )


@commands.command("install-cert")
def node_install_cert(
    home: HomeOption,
    ca: Annotated[Path, typer.Option("--ca", help="The network CA's certificate (ca.pem).")],
    cert: Annotated[Path, typer.Option("--cert", help="This node's certificate.")],
    revocation_list: Annotated[
        Path | None, typer.Option(help="The CA's revocation list (revoked.json).")
    ] = None,
) -> None:
    """Check and install the CA certificate and this node's certificate (and revocation list)."""
    from chainbook.runtime.home import Home

    with friendly_errors():
        node_home = Home(home.resolve())
        revoked = revocation_list.read_bytes() if revocation_list is not None else None
        node = node_home.install_certificates(ca.read_bytes(), cert.read_bytes(), revoked)
        console.print(
            key_value_table(
                "certificates installed",
                [
                    ("node id", node.hex()),
                    ("ca", node_home.ca_cert_path),
                    ("certificate", node_home.node_cert_path),
                    ("revocation list", node_home.revocation_path if revoked else "-"),
                ],
            )
        )


@commands.command("install-revocation-list")
def node_install_revocation_list(
    home: HomeOption,
    file: Annotated[Path, typer.Option("--file", help="The CA's revoked.json.")],
) -> None:
    """Install a newer CA-signed revocation list (an older one is refused)."""
    from chainbook.runtime.home import Home

    with friendly_errors():
        node_home = Home(home.resolve())
        installed = node_home.install_revocation_list(file.read_bytes())
        console.print(
            f"revocation list sequence {installed.sequence} installed "
            f"({len(installed.revoked_node_ids)} revoked); restart the node to apply it"
        )


@commands.command("install-genesis")
def node_install_genesis(
    home: HomeOption,
    file: Annotated[Path, typer.Option("--file", help="The chain's genesis.json.")],
) -> None:
    """Check and install the chain's genesis (a different one already there is kept)."""
    from chainbook.runtime.home import Home

    with friendly_errors():
        genesis = Home(home.resolve()).install_genesis(file.read_bytes())
        console.print(
            f"genesis of chain [bold]{genesis.chain_id}[/] installed "
            f"({len(genesis.validators)} validators)"
        )


__all__ = ["commands"]
