"""`chainbook settlement ...`: the two-party signing flow of a swap, and a fresh HTLC secret.

    chainbook settlement prepare-swap --key K --counterparty-key HEX [--counterparty ADDR]
        --give-token T --give-amount N --get-token T --get-amount N [--memo M] --out FILE
    chainbook settlement show-tx FILE [--json]
    chainbook settlement cosign FILE --key K
    chainbook settlement submit-tx FILE [--wait] [--json]
    chainbook settlement new-secret [--json]

A swap is one transaction that both parties sign (docs/PROTOCOL.md, "Signing by several
parties"). The sender prepares it: its next nonce, the least fee for the signed size, the keys
of both parties in the body, its own signature in its slot; the file ({"tx": "<hex>"}, the body
of POST /txs) goes to the counterparty, who reads it (`show-tx`, offline) and adds its
signature (`cosign`, offline); then either submits it. The counterparty is named by the public
key that signs for it (`chainbook keys show --json` prints it) and, when that key is not its
own address's (an account with a policy, apps/accounts), by its address; several
--counterparty-key for a multi-key account. The other actions (make-offer, accept, make-lock,
claim, refund, ...) are the generated one-signer commands of the same group.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from chainbook.cli.options import NODE_URL_DEFAULT, NodeOption
from chainbook.cli.output import (
    JsonOption,
    UserError,
    console,
    err_console,
    friendly_errors,
    key_value_table,
    print_json,
)
from chainbook.cli.passphrases import PassphraseFileOption

TX_FILE_FIELD = "tx"
KeyOption = Annotated[Path, typer.Option("--key", help="The signer's key file.")]
TxFileArgument = Annotated[Path, typer.Argument(help='A transaction file ({"tx": "<hex>"}).')]


# --- the transaction file -------------------------------------------------------------------


def read_tx_file(path: Path) -> bytes:
    """The transaction bytes of a file written by prepare-swap or cosign."""
    try:
        document = json.loads(path.read_text())
        tx_hex = document[TX_FILE_FIELD]
        return bytes.fromhex(tx_hex)
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(
            f"{path} is not a transaction file: expected JSON {{\"tx\": \"<hex>\"}} ({exc})"
        ) from None


def write_tx_file(path: Path, tx_bytes: bytes) -> None:
    path.write_text(json.dumps({TX_FILE_FIELD: tx_bytes.hex()}) + "\n")


def describe_tx_file(tx_bytes: bytes) -> dict[str, Any]:
    """What a signer is asked to sign: chain, accounts, nonce, fee, the action, who signed."""
    from chainbook.apps.fields import to_json_value
    from chainbook.apps.registry import REGISTRY
    from chainbook.chain.tx import get_unsigned_keys, tx_hash
    from chainbook.client.wallet import describe
    from chainbook.crypto import address_from_public_key

    body = describe(tx_bytes)
    unsigned = set(get_unsigned_keys(tx_bytes))
    accounts = list(body.accounts) if body.accounts else [address_from_public_key(body.keys[0])]
    action = REGISTRY.decode_action(bytes(body.action))
    complete = not unsigned
    return {
        "chain_id": body.chain_id,
        "sender": accounts[0].hex(),
        "cosigners": [a.hex() for a in accounts[1:]],
        "nonce": body.nonce,
        "fee": body.fee,
        "action": to_json_value(action),
        "keys": [{"public_key": k.hex(), "signed": k not in unsigned} for k in body.keys],
        "complete": complete,
        "hash": tx_hash(tx_bytes).hex() if complete else None,
    }


def print_description(title: str, described: dict[str, Any]) -> None:
    rows: list[tuple[str, object]] = [
        ("chain", described["chain_id"]),
        ("sender", described["sender"]),
        *[("co-signer", c) for c in described["cosigners"]],
        ("nonce", described["nonce"]),
        ("fee", described["fee"]),
        ("action", json.dumps(described["action"])),
        *[("key", f"{k['public_key']} {'signed' if k['signed'] else 'NOT signed yet'}")
          for k in described["keys"]],
        ("hash", described["hash"] or "(once every key has signed)"),
    ]
    console.print(key_value_table(title, rows))


def _load_key(path: Path, passphrase_file: Path | None) -> Any:
    from chainbook.cli.passphrases import existing_passphrase
    from chainbook.keyfile import load_key_file

    return load_key_file(path, lambda: existing_passphrase(passphrase_file, f"key file {path}"))


def _hex(text: str, what: str, size: int) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        value = b""
    if len(value) != size:
        raise UserError(f"{what}: expected {2 * size} hex characters, got {text!r}")
    return value


# --- commands -------------------------------------------------------------------------------


def prepare_swap(
    key: KeyOption,
    counterparty_key: Annotated[list[str], typer.Option(
        "--counterparty-key", help="The public key (64 hex) that signs for the counterparty "
        "(`chainbook keys show --json`); repeat it for an account that needs several.")],
    give_token: Annotated[str, typer.Option("--give-token", help='What you pay ("" the '
                                            "native coin).")],
    give_amount: Annotated[int, typer.Option("--give-amount", help="In base units.")],
    get_token: Annotated[str, typer.Option("--get-token", help="What the counterparty pays.")],
    get_amount: Annotated[int, typer.Option("--get-amount", help="In base units.")],
    out: Annotated[Path, typer.Option("--out", help="Write the transaction file here.")],
    counterparty: Annotated[str | None, typer.Option(
        "--counterparty", help="The counterparty's address (40 hex); default: the address of "
        "the first --counterparty-key.")] = None,
    memo: Annotated[str, typer.Option("--memo", help="A reference both parties sign.")] = "",
    passphrase_file: PassphraseFileOption = None,
    json_output: JsonOption = False,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Prepare a swap both parties sign: your leg, theirs, your signature; then they cosign."""
    from chainbook.apps.settlement import Swap
    from chainbook.client.http import Client
    from chainbook.client.wallet import Wallet
    from chainbook.crypto import ADDRESS_BYTES, PUBLIC_KEY_BYTES, address_from_public_key

    with friendly_errors():
        keys = [_hex(k, "--counterparty-key", PUBLIC_KEY_BYTES) for k in counterparty_key]
        if not keys:
            raise UserError("--counterparty-key is needed: the key that signs for them")
        address = (
            _hex(counterparty, "--counterparty", ADDRESS_BYTES)
            if counterparty is not None else address_from_public_key(keys[0])
        )
        own = _load_key(key, passphrase_file)
        action = Swap(address, give_token, give_amount, get_token, get_amount, memo)
        with Client(node) as client:
            wallet = Wallet(own, client.status().chain_id, client)
            tx_bytes = wallet.prepare(
                action, keys=[own.public_key, *keys], accounts=[wallet.address, address]
            )
        write_tx_file(out, tx_bytes)
        if json_output:
            print_json(describe_tx_file(tx_bytes))
        else:
            print_description(f"swap prepared: {out}", describe_tx_file(tx_bytes))
        err_console.print(
            f"send {out} to the counterparty: `chainbook settlement cosign {out} --key ...`, "
            f"then `chainbook settlement submit-tx {out} --wait` (before you send another "
            "transaction: it holds your next nonce)", soft_wrap=True, highlight=False,
        )


def show_tx(file: TxFileArgument, json_output: JsonOption = False) -> None:
    """Show a transaction file: the action, the accounts, the fee, who signed (offline)."""
    with friendly_errors():
        described = describe_tx_file(read_tx_file(file))
        if json_output:
            print_json(described)
            return
        print_description(f"transaction {file}", described)


def cosign(
    file: TxFileArgument, key: KeyOption, passphrase_file: PassphraseFileOption = None,
    json_output: JsonOption = False,
) -> None:
    """Add your signature to a transaction file (offline), after reading what it does."""
    from chainbook.chain.tx import add_signature

    with friendly_errors():
        tx_bytes = add_signature(read_tx_file(file), _load_key(key, passphrase_file))
        write_tx_file(file, tx_bytes)
        described = describe_tx_file(tx_bytes)
        if json_output:
            print_json(described)
            return
        print_description(f"signed: {file}", described)


def submit_tx(
    file: TxFileArgument,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the receipt.")] = False,
    json_output: JsonOption = False,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """Submit a transaction file once every key has signed it."""
    from chainbook.chain.tx import get_unsigned_keys
    from chainbook.client.http import Client

    with friendly_errors():
        tx_bytes = read_tx_file(file)
        unsigned = get_unsigned_keys(tx_bytes)
        if unsigned:
            missing = ", ".join(k.hex() for k in unsigned)
            raise UserError(f"{file} still needs the signature of: {missing} (cosign it)")
        with Client(node) as client:
            submitted = client.submit_tx(tx_bytes, wait=wait)
        if json_output:
            sys.stdout.write(msgspec.json.encode(submitted).decode() + "\n")
        else:
            rows: list[tuple[str, object]] = [("hash", submitted.hash),
                                              ("status", submitted.status)]
            receipt = submitted.receipt
            if receipt is not None:
                rows += [("height", receipt.height), ("ok", receipt.ok)]
                if receipt.error:
                    rows.append(("error", f"{receipt.code}: {receipt.error}"))
                rows += [(f"event {e.kind}", dict(e.attributes)) for e in receipt.events]
            console.print(key_value_table(f"submitted {file}", rows))
        if submitted.receipt is not None and not submitted.receipt.ok:
            raise typer.Exit(1)


def new_secret(json_output: JsonOption = False) -> None:
    """A random 32-byte HTLC preimage and its SHA-256, the hash_lock of make-lock."""
    from chainbook.apps.settlement.limits import preimage_bytes
    from chainbook.crypto import sha256

    preimage = secrets.token_bytes(preimage_bytes)
    document = {"preimage": preimage.hex(), "hash_lock": sha256(preimage).hex()}
    if json_output:
        print_json(document)
        return
    console.print(key_value_table("HTLC secret", list(document.items())))
    err_console.print("keep the preimage secret until you claim: whoever holds it can claim "
                      "every lock under this hash_lock that names them", soft_wrap=True)


COMMANDS: dict[str, Callable[..., None]] = {
    "prepare-swap": prepare_swap,
    "show-tx": show_tx,
    "cosign": cosign,
    "submit-tx": submit_tx,
    "new-secret": new_secret,
}


def add_settlement_commands(app: typer.Typer) -> None:
    """Put the two-party commands in the generated `settlement` group of `app`."""
    for group in app.registered_groups:
        if group.name == "settlement" and group.typer_instance is not None:
            for name, command in COMMANDS.items():
                group.typer_instance.command(name)(command)
            return


__all__ = [
    "add_settlement_commands",
    "describe_tx_file",
    "read_tx_file",
    "write_tx_file",
]
