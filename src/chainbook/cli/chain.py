"""Commands that talk to a running node: send, status, account, tx, block."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from chainbook import limits
from chainbook.api.views import TxView
from chainbook.cli.options import NODE_URL_DEFAULT, NodeOption
from chainbook.cli.output import (
    JsonOption,
    UserError,
    console,
    err_console,
    format_amount,
    friendly_errors,
    key_value_table,
    print_json,
)
from chainbook.client.http import Client, ReceiptTimeout
from chainbook.crypto import parse_address

commands = typer.Typer()
"""Merged into the root command (cli/main.py)."""


@commands.command("send")
def send(
    key: Annotated[Path, typer.Option("--key", help="The sender's key file.")],
    to: Annotated[str, typer.Option("--to", help="Recipient address (40 hex).")],
    amount: Annotated[
        int, typer.Option("--amount", min=1, help="In the smallest unit: 1 CBK = 1000000.")
    ],
    memo: Annotated[str, typer.Option("--memo")] = "",
    node: NodeOption = NODE_URL_DEFAULT,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for the commit and the receipt.")
    ] = False,
    timeout_s: Annotated[
        float,
        typer.Option(
            "--timeout", min=0.1, max=limits.api_wait_commit_s_max,
            help="Seconds --wait waits for the receipt.",
        ),
    ] = 20.0,
    json: JsonOption = False,
) -> None:
    """Transfer coins from the key's account (the same as `chainbook bank transfer`).

    With --wait, a spinner shows the chain's height while waiting; if the chain commits
    nothing for the whole --timeout, it says the chain is not committing and exits 1."""
    from chainbook.apps.bank import Transfer
    from chainbook.client.wallet import Wallet

    with friendly_errors():
        recipient = _parse_address_arg(to)
        with Client(node) as client:
            wallet = Wallet.from_key_file(key, client)
            action = Transfer(to=recipient, amount=amount, memo=memo)
            first_height = client.status().height if wait else 0
            with err_console.status("waiting for the commit") if wait else nullcontext():
                submitted = wallet.send(action, wait=wait, timeout_s=timeout_s)
            receipt = submitted.receipt
            if wait and receipt is None:  # the node waited timeout_s: is the chain moving?
                height = client.status().height
                raise ReceiptTimeout(submitted.hash, timeout_s, height, height > first_height)
        if json:
            print_json({"hash": submitted.hash, "status": "committed" if receipt else "pending",
                        "receipt": msgspec.to_builtins(receipt) if receipt else None})
        else:
            rows: list[tuple[str, object]] = [
                ("hash", submitted.hash),
                ("status", "committed" if receipt else submitted.status),
            ]
            if receipt is not None:
                rows += [("height", receipt.height), ("index", receipt.index), ("ok", receipt.ok)]
                if receipt.error:
                    rows.append(("error", receipt.error))
            console.print(key_value_table(f"transfer of {format_amount(amount)}", rows))
        if receipt is not None and not receipt.ok:
            raise typer.Exit(1)


def _parse_address_arg(text: str) -> bytes:
    try:
        return parse_address(text)
    except ValueError as exc:
        raise UserError(str(exc)) from None


@commands.command("status")
def status(
    node: NodeOption = NODE_URL_DEFAULT,
    json: JsonOption = False,
) -> None:
    """A node's view of the chain."""
    with friendly_errors(), Client(node) as client:
        node_status = client.status()
        if json:
            print_json(node_status)
            return
        rows: list[tuple[str, object]] = [
            ("chain id", node_status.chain_id),
            ("moniker", node_status.moniker),
            ("validator", node_status.is_validator),
            ("height", node_status.height),
            ("round", node_status.round),
            ("app hash", node_status.app_hash),
            ("latest block", node_status.latest_block_hash),
            ("syncing", node_status.syncing),
            ("mempool txs", node_status.mempool_txs),
            ("peers", len(node_status.peers)),
            ("book repairs", node_status.book_repairs),
            ("index height", "-" if node_status.index_height is None else node_status.index_height),
            ("version", f"{node_status.node_version} (protocol {node_status.protocol_version})"),
            ("genesis hash", node_status.genesis_hash),
        ]
        console.print(key_value_table(node, rows))


@commands.command("account")
def account(
    address: Annotated[str, typer.Argument(help="Account address (40 hex).")],
    node: NodeOption = NODE_URL_DEFAULT,
    json: JsonOption = False,
) -> None:
    """An account's balance and nonces."""
    with friendly_errors():
        parsed = _parse_address_arg(address)
        with Client(node) as client:
            view = client.get_account(parsed)
            balance = client.apps.bank.balance(address=parsed).balance
        if json:
            print_json({**msgspec.to_builtins(view), "balance": balance})
            return
        rows: list[tuple[str, object]] = [
            ("address", view.address),
            ("balance", f"{format_amount(balance)} ({balance})"),
            ("nonce", view.nonce),
            ("pending nonce", view.pending_nonce),
        ]
        console.print(key_value_table("account", rows))


@commands.command("tx")
def tx(
    hash: Annotated[str, typer.Argument(help="Transaction hash (64 hex).")],
    verify: Annotated[bool, typer.Option("--verify", help="Check the proof offline.")] = False,
    genesis: Annotated[
        Path | None,
        typer.Option(help="Trust the validators of this genesis file (default: ask the node)."),
    ] = None,
    node: NodeOption = NODE_URL_DEFAULT,
    json: JsonOption = False,
) -> None:
    """A committed transaction, decoded, its receipt, and (with --verify) an offline proof
    check."""
    with friendly_errors(), Client(node) as client:
        view = client.get_tx(hash)
        if json and not verify:
            print_json(view)
            return
        receipt = view.receipt
        rows: list[tuple[str, object]] = [
            ("hash", view.hash),
            ("height", view.height),
            ("index", view.index),
            ("ok", receipt.ok),
            ("error", receipt.error or "-"),
        ]
        if view.decoded is not None:
            decoded = view.decoded
            rows += [("signer", decoded.signer), ("nonce", decoded.nonce),
                     ("action", decoded.action)]
            rows += [(f"  {name}", value) for name, value in decoded.fields.items()]
        for e in receipt.events:
            rows.append((f"event {e.module}.{e.kind}"[:14], ""))
            rows += [(f"  {k}"[:14], v) for k, v in e.attributes]
        if not json:
            console.print(key_value_table("transaction", rows))
        if verify:
            _verify_tx(view, genesis, client)
            if json:
                print_json(view)


def _verify_tx(view: TxView, genesis_path: Path | None, client: Client) -> None:
    from chainbook.chain.validators import Validator, ValidatorSet
    from chainbook.client.verify import check_tx_proof
    from chainbook.ledger.genesis import load_genesis

    if genesis_path is not None:
        from chainbook.client.verify import trust_root_from_genesis, verify_receipt_file

        # The receipt file: inclusion, outcome, and the validator-set changes since genesis.
        root = trust_root_from_genesis(load_genesis(genesis_path.read_bytes()))
        verified = verify_receipt_file(client.get_receipt_file(view.hash), root)
        outcome = "ok" if verified.ok else f"failed ({verified.code})"
        console.print(
            f"[bold green]proof verified[/]: final at height {verified.height}, outcome "
            f"{outcome}, under the validators of the genesis file {genesis_path}"
        )
        return
    else:
        answer = client.validators()
        validators = ValidatorSet(
            [Validator(bytes.fromhex(v.public_key), v.power, v.name) for v in answer.validators]
        )
        source = "the node's /validators (pass --genesis to trust a file instead)"
    check_tx_proof(view, validators)
    err_console.print(f"[bold green]proof verified[/]: final under the validators of {source}")


@commands.command("block")
def block(
    height: Annotated[str, typer.Argument(help="A height, or 'latest'.")] = "latest",
    node: NodeOption = NODE_URL_DEFAULT,
    json: JsonOption = False,
) -> None:
    """A committed block: header, transaction hashes and commit."""
    with friendly_errors(), Client(node) as client:
        view = client.get_block(height)
        if json:
            print_json(view)
            return
        header = view.header
        signers = len(view.commit.signatures) if view.commit else 0
        rows: list[tuple[str, object]] = [
            ("hash", view.hash),
            ("time ms", header.time_ms),
            ("proposer", header.proposer),
            ("txs", header.tx_count),
            ("txs root", header.txs_root),
            ("app hash", header.app_hash),
            ("prev block", header.prev_block_hash),
            ("signatures", signers),
        ]
        rows += [(f"tx {i}", h) for i, h in enumerate(view.tx_hashes)]
        console.print(key_value_table(f"block {header.height}", rows))


__all__ = ["commands"]
