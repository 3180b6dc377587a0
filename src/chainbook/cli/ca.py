"""`chainbook ca`: the consortium's network CA (chainbook.ca): create, issue, revoke, show.

The CA is run by whoever the consortium trusts with admission, on a machine of its own; it
sees only public keys (node ids) and signed requests, never a node's secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from chainbook.cli.output import (
    JsonOption,
    UserError,
    console,
    friendly_errors,
    key_value_table,
    print_json,
)
from chainbook.cli.passphrases import PassphraseFileOption, existing_passphrase, new_passphrase

if TYPE_CHECKING:
    from chainbook.ca import CaFolder

ca_app = typer.Typer(
    help="The network CA: admit nodes by their public keys, revoke them.", no_args_is_help=True
)

CaDirOption = Annotated[Path, typer.Option("--dir", help="The CA folder.")]


def _ca_passphrase(folder: CaFolder, passphrase_file: Path | None) -> bytes | None:
    from chainbook.ca import CA_PASSPHRASE_ENV

    if not folder.is_key_encrypted():
        return None
    return existing_passphrase(passphrase_file, f"CA key {folder.key_path}", CA_PASSPHRASE_ENV)


@ca_app.command("init")
def ca_init(
    dir: CaDirOption,
    name: Annotated[str, typer.Option(help="The CA's name, in its certificate.")] = (
        "chainbook network CA"
    ),
    encrypt: Annotated[
        bool, typer.Option("--encrypt", help="Encrypt the CA key under a passphrase.")
    ] = False,
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Create a CA folder: key (0600), self-signed certificate, empty revocation list."""
    from chainbook import ca
    from chainbook.keyfile import verify_new_passphrase

    with friendly_errors():
        passphrase = None
        if encrypt:
            passphrase = new_passphrase(
                passphrase_file, f"the CA key in {dir}", ca.CA_PASSPHRASE_ENV
            )
            verify_new_passphrase(passphrase)
        folder = ca.init_ca(dir, name, passphrase)
        console.print(
            key_value_table(
                f"network CA in {dir}",
                [
                    ("certificate", f"{folder.cert_path} (give a copy to every node)"),
                    ("key", f"{folder.key_path} (0600; never leaves this folder)"),
                    ("revocation list", folder.revocation_path),
                ],
            )
        )


@ca_app.command("issue")
def ca_issue(
    dir: CaDirOption,
    out: Annotated[Path, typer.Option("--out", help="Write the node certificate here.")],
    node_id: Annotated[
        str | None, typer.Option("--node-id", help="The node's public key (64 hex).")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The node's name in its certificate.")
    ] = None,
    csr: Annotated[
        Path | None, typer.Option("--csr", help="Issue from this certificate request instead.")
    ] = None,
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Issue a node certificate from a node id (public key) or a signed request."""
    from chainbook import ca

    with friendly_errors():
        if (node_id is None) == (csr is None):
            raise UserError("give exactly one of --node-id HEX (with --name) or --csr FILE")
        if out.exists():
            raise UserError(f"{out} already exists; choose another --out")
        folder = ca.CaFolder(dir)
        folder.load_cert()
        passphrase = _ca_passphrase(folder, passphrase_file)
        if csr is not None:
            outcome = ca.issue_from_request(folder, csr.read_bytes(), passphrase, name or "")
        else:
            assert node_id is not None
            if not name:
                raise UserError("--node-id needs --name NAME (the node's name in the certificate)")
            outcome = ca.issue(folder, ca.parse_node_id(node_id), name, passphrase)
        out.write_bytes(outcome.certificate_pem)
        console.print(
            key_value_table(
                f"certificate for {outcome.common_name}",
                [
                    ("node id", outcome.node_id.hex()),
                    ("written to", out),
                    ("recorded in", outcome.record_path),
                ],
            )
        )
        console.print(
            f"next: send {out}, {folder.cert_path} and {folder.revocation_path} to the node"
        )


@ca_app.command("revoke")
def ca_revoke(
    dir: CaDirOption,
    node_id: Annotated[str, typer.Option("--node-id", help="The node id to revoke (64 hex).")],
    passphrase_file: PassphraseFileOption = None,
) -> None:
    """Add a node id to the CA-signed revocation list (revoked.json)."""
    from chainbook import ca

    with friendly_errors():
        folder = ca.CaFolder(dir)
        folder.load_cert()
        parsed = ca.parse_node_id(node_id)
        outcome = ca.revoke(folder, parsed, _ca_passphrase(folder, passphrase_file))
        if outcome.already_revoked:
            console.print(f"{parsed.hex()} was already revoked; nothing changed")
            return
        console.print(
            f"revoked {parsed.hex()}: {folder.revocation_path} is now sequence "
            f"{outcome.sequence} ({outcome.revoked_count} revoked). Copy it to every node "
            "(`chainbook node install-revocation-list`) and restart them."
        )


@ca_app.command("show")
def ca_show(dir: CaDirOption, json_output: JsonOption = False) -> None:
    """The CA's certificate fingerprint, revocation list and issued certificates."""
    from chainbook import ca
    from chainbook.p2p.revocation import ca_fingerprint

    with friendly_errors():
        folder = ca.CaFolder(dir)
        cert = folder.load_cert()
        listing = folder.load_revocation_list()
        issued = sorted(p.stem for p in folder.issued_dir.glob("*.pem"))
        rows: list[tuple[str, object]] = [
            ("fingerprint", ca_fingerprint(cert)),
            ("key encrypted", "yes" if folder.is_key_encrypted() else "no"),
            ("revocation sequence", listing.sequence),
            ("issued", len(issued)),
        ]
        if json_output:
            print_json({
                "fingerprint": str(rows[0][1]), "key_encrypted": folder.is_key_encrypted(),
                "revocation_sequence": listing.sequence, "issued": issued,
                "revoked": list(listing.revoked_node_ids),
            })
            return
        rows += [("revoked", node) for node in listing.revoked_node_ids]
        console.print(key_value_table(f"network CA in {dir}", rows))


__all__ = ["ca_app"]
