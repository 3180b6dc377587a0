"""`chainbook private submit|get|disclose|verify|status`: private contents, off chain.

    chainbook private submit COLLECTION RECORD FILE --key K [--node URL] [--wait]
    chainbook private get COLLECTION RECORD [-o OUT] [--node URL]
    chainbook private disclose COLLECTION RECORD -o OUT [--node URL]
    chainbook private verify FILE --genesis G [--content-out OUT]
    chainbook private status [--node URL]

`submit` draws a random salt, signs private.record(COLLECTION, RECORD, SHA-256(salt ||
content of FILE)) with K and sends transaction, salt and content to the node at --node,
which must be a node of K's organisation (a member node): the content goes nowhere else but
to the other member nodes. `get` prints (or writes) what that node holds. `disclose` writes a
disclosure file of one record for a third party, who checks it with `verify`, offline,
trusting only the genesis file. These stand beside the generated commands of the module
(`create-collection`, `approve-members`, `record`, `collection`, `recorded`, `member-node`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from chainbook.cli.options import NODE_URL_DEFAULT, NodeOption
from chainbook.cli.output import (
    JsonOption,
    UserError,
    console,
    friendly_errors,
    key_value_table,
    print_json,
)

DISCLOSE_WAIT_S = 30.0
"""How long `disclose` waits for the block that makes a fresh record provable."""
DISCLOSE_RETRY_S = 0.5


def submit(
    collection: Annotated[str, typer.Argument(help="The collection id.")],
    record: Annotated[str, typer.Argument(help="The record id (public: say nothing private).")],
    file: Annotated[Path, typer.Argument(help="The content (stays among member nodes).")],
    key: Annotated[Path, typer.Option("--key", help="Key file of a member institution.")],
    node: NodeOption = NODE_URL_DEFAULT,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the commit.")] = False,
) -> None:
    """Record a file's content privately: its salted hash on chain, the content to members."""
    from chainbook.apps.private import limits
    from chainbook.client import Client, Wallet
    from chainbook.client.private import submit_private

    with friendly_errors():
        size = file.stat().st_size
        if size > limits.content_bytes_max:
            raise UserError(f"{file}: {size} bytes, a private content has at most "
                            f"{limits.content_bytes_max} (record a larger file's hash instead)")
        content = file.read_bytes()
        with Client(node) as client:
            wallet = Wallet.from_key_file(key, client)
            answer = submit_private(wallet, collection, record, content, wait=wait)
        rows: list[tuple[str, object]] = [
            ("collection", collection),
            ("record", record),
            ("record hash", answer.record_hash),
            ("transaction", answer.hash),
            ("status", answer.status),
        ]
        if answer.height is not None:
            rows.append(("height", answer.height))
        console.print(key_value_table("private.record", rows))


def get(
    collection: Annotated[str, typer.Argument(help="The collection id.")],
    record: Annotated[str, typer.Argument(help="The record id.")],
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Write the content here.")
    ] = None,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """The content of a record, as this organisation's node holds it (stdout or -o)."""
    from chainbook.client import Client
    from chainbook.client.private import get_private

    with friendly_errors(), Client(node) as client:
        content = bytes.fromhex(get_private(client, collection, record).content)
    if out is None:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    else:
        out.write_bytes(content)


def disclose(
    collection: Annotated[str, typer.Argument(help="The collection id.")],
    record: Annotated[str, typer.Argument(help="The record id.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="The disclosure file to write.")],
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Write a disclosure file: one record's content and salt with a proof of its hash."""
    from chainbook.client import ApiError, Client
    from chainbook.client.private import get_disclosure

    with friendly_errors(), Client(node) as client:
        if out.exists():
            raise UserError(f"{out} exists; a disclosure file is never overwritten")
        deadline = time.monotonic() + DISCLOSE_WAIT_S
        while True:
            try:
                data = get_disclosure(client, collection, record)
                break
            except ApiError as exc:
                if exc.code != "not_provable_yet" or time.monotonic() > deadline:
                    raise
                time.sleep(DISCLOSE_RETRY_S)
        with out.open("xb") as file:
            file.write(data)
    console.print(f"wrote {out}: record {record!r} of {collection!r}, its content and salt, "
                  "with the proof of its hash", highlight=False)


def verify(
    file: Annotated[Path, typer.Argument(help="A disclosure file.")],
    genesis: Annotated[
        Path, typer.Option("--genesis", help="The genesis file whose validators are trusted.")
    ],
    content_out: Annotated[
        Path | None, typer.Option("--content-out", help="Write the disclosed content here.")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Check a disclosure file offline: the content is the one the chain records."""
    from chainbook.client.private import DISCLOSURE_FILE_BYTES_MAX, verify_disclosure
    from chainbook.client.verify import trust_root_from_genesis
    from chainbook.ledger.genesis import load_genesis

    with friendly_errors():
        size = file.stat().st_size
        if size > DISCLOSURE_FILE_BYTES_MAX:
            raise UserError(f"{file}: {size} bytes, a disclosure file has at most "
                            f"{DISCLOSURE_FILE_BYTES_MAX}")
        trust = trust_root_from_genesis(
            load_genesis(genesis.read_bytes()), f"the genesis file {genesis}"
        )
        verified = verify_disclosure(file.read_bytes(), trust)
        if content_out is not None:
            content_out.write_bytes(verified.content)
    if json:
        print_json(
            {
                "chain_id": verified.chain_id,
                "collection": verified.collection,
                "record": verified.record,
                "hash": verified.hash.hex(),
                "content_bytes": len(verified.content),
                "institution": verified.institution,
                "submitter": verified.submitter.hex(),
                "height": verified.height,
                "tx_hash": verified.tx_hash.hex(),
                "proven_height": verified.proven_height,
            }
        )
        return
    console.print(
        key_value_table(
            "private disclosure",
            [
                ("chain", verified.chain_id),
                ("collection", verified.collection),
                ("record", verified.record),
                ("hash", verified.hash.hex()),
                ("content", f"{len(verified.content)} bytes"),
                ("institution", verified.institution),
                ("submitter", verified.submitter.hex()),
                ("height", verified.height),
                ("transaction", verified.tx_hash.hex()),
                ("proven at", f"the state after block {verified.proven_height}"),
            ],
        )
    )
    console.print(
        f"[bold green]verified[/]: the content is the one recorded as {verified.record!r} in "
        f"{verified.collection!r} at height {verified.height} by {verified.institution}, "
        "certified by more than 2/3 of the validators followed from the genesis file",
        soft_wrap=True,
        highlight=False,
    )


def status(node: NodeOption = NODE_URL_DEFAULT, json: JsonOption = False) -> None:
    """This node's private-data counters (stored, pending, missing, pushes, pulls)."""
    from chainbook.client import Client
    from chainbook.client.private import get_private_status

    with friendly_errors(), Client(node) as client:
        answer = get_private_status(client)
    if json:
        print_json({"node": answer.node_id, "counters": dict(answer.counters)})
        return
    rows: list[tuple[str, object]] = [("node", answer.node_id)]
    rows += sorted(answer.counters.items())
    console.print(key_value_table("private data", rows))


COMMANDS: dict[str, Callable[..., None]] = {
    "submit": submit, "get": get, "disclose": disclose, "verify": verify, "status": status
}


def add_private_commands(app: typer.Typer) -> None:
    """Put these commands in the generated `private` group of `app`."""
    for group in app.registered_groups:
        if group.name == "private" and group.typer_instance is not None:
            commands = group.typer_instance.registered_commands
            clash = {str(c.name) for c in commands} & set(COMMANDS)
            if clash:
                raise ValueError(f"private commands {sorted(clash)} are generated already")
            for name, command in COMMANDS.items():
                group.typer_instance.command(name)(command)
            return


__all__ = ["add_private_commands"]
