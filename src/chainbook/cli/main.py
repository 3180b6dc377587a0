"""`chainbook`: keys, local testnets, a node, transfers, queries, the demo and the simulator.

Exit codes: 0 success; 1 a mistake the message explains (bad argument, missing or unsafe file,
timeout); 2 the node refused the request; 3 no node answered; 2 is also typer's code for a
malformed command line. Heavy or separately built parts (node runtime, simulator, benchmarks)
are imported only by the command that needs them.
"""

from __future__ import annotations

import os
import signal as signals
import sys
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.table import Table

from chainbook.api.views import TxView
from chainbook.cli.output import (
    UserError,
    console,
    err_console,
    format_amount,
    friendly_errors,
    import_optional,
    key_value_table,
)
from chainbook.client.http import Client
from chainbook.client.keyfile import compute_key_file, load_key_file, write_key_file
from chainbook.crypto import PrivateKey, parse_address

NODE_URL_DEFAULT = os.environ.get("CHAINBOOK_NODE", "http://127.0.0.1:26700")
TESTNET_DIR_DEFAULT = Path("testnet")

app = typer.Typer(
    name="chainbook",
    help="chainbook: a decentralized ledger with BFT consensus and offline-verifiable receipts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold key seeds
)
keys_app = typer.Typer(help="Create and inspect Ed25519 key files.", no_args_is_help=True)
testnet_app = typer.Typer(help="A local multi-node network on loopback.", no_args_is_help=True)
node_app = typer.Typer(help="Run a node.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(testnet_app, name="testnet")
app.add_typer(node_app, name="node")

NodeOption = Annotated[
    str, typer.Option("--node", help="API URL of the node to ask (env CHAINBOOK_NODE).")
]
DirOption = Annotated[Path, typer.Option("--dir", help="The testnet folder.")]
NodesOption = Annotated[
    list[str] | None, typer.Option("--node", help="Only this node (repeatable); default all.")
]


# --- keys ------------------------------------------------------------------------------------


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


# --- testnet ---------------------------------------------------------------------------------


@testnet_app.command("init")
def testnet_init(
    validators: Annotated[int, typer.Option(min=1, help="Number of validators.")] = 4,
    dir: DirOption = TESTNET_DIR_DEFAULT,
    full_nodes: Annotated[int, typer.Option(min=0, help="Non-voting full nodes.")] = 0,
    base_port: Annotated[
        int | None, typer.Option(help="p2p port of node0; API ports are +100. Default: a free one.")
    ] = None,
    chain_id: Annotated[str, typer.Option(help="Chain id.")] = "chainbook-local",
    seed: Annotated[
        str | None, typer.Option(help="Derive keys from this seed (reproducible; tests only).")
    ] = None,
) -> None:
    """Create a testnet folder: CA, node homes, shared genesis, funded demo accounts."""
    from chainbook import testnet

    with friendly_errors():
        net = testnet.init_testnet(
            dir,
            validators=validators,
            full_nodes=full_nodes,
            base_port=base_port,
            chain_id=chain_id,
            seed=seed,
        )
        console.print(nodes_table(net))
        accounts = Table(title="funded accounts")
        for column in ("name", "address", "balance", "key file"):
            accounts.add_column(column)
        for account in net.accounts:
            accounts.add_row(
                account.name, account.address, format_amount(account.amount), account.key_file
            )
        console.print(accounts)
        console.print(f"next: [bold]chainbook testnet up --dir {dir}[/]")


def nodes_table(net: object) -> Table:
    from chainbook.testnet import Testnet

    assert isinstance(net, Testnet)
    table = Table(title=f"testnet {net.chain_id} in {net.root}")
    for column in ("node", "role", "p2p", "api", "address"):
        table.add_column(column)
    for node in net.nodes:
        role = "validator" if node.validator else "full node"
        table.add_row(node.name, role, node.p2p_address, node.api_url, node.address)
    return table


@testnet_app.command("up")
def testnet_up(
    dir: DirOption = TESTNET_DIR_DEFAULT,
    node: NodesOption = None,
    wait_s: Annotated[
        float, typer.Option("--wait-s", help="Wait this long for the APIs; 0 to not wait.")
    ] = 30.0,
) -> None:
    """Start the nodes as background processes (output in <home>/node.out)."""
    from chainbook import testnet

    with friendly_errors():
        pids = testnet.up(dir, node)
        for name, pid in pids.items():
            console.print(f"{name}: pid {pid}")
        if wait_s > 0:
            with console.status("waiting for the nodes' APIs"):
                testnet.wait_until_ready(dir, list(pids), timeout_s=wait_s)
            console.print(testnet.status_table(testnet.status(dir)))


@testnet_app.command("down")
def testnet_down(
    dir: DirOption = TESTNET_DIR_DEFAULT,
    node: NodesOption = None,
    kill: Annotated[bool, typer.Option("--kill", help="SIGKILL instead of SIGTERM.")] = False,
) -> None:
    """Stop the nodes (SIGTERM, then SIGKILL for any still alive after 15 s)."""
    from chainbook import testnet

    with friendly_errors():
        sig = signals.SIGKILL if kill else signals.SIGTERM
        for name, outcome in testnet.down(dir, node, signal=sig).items():
            console.print(f"{name}: {outcome}")


@testnet_app.command("kill")
def testnet_kill(
    node: Annotated[str, typer.Argument(help="The node to crash, e.g. node3.")],
    dir: DirOption = TESTNET_DIR_DEFAULT,
) -> None:
    """Crash one node with SIGKILL (to watch the others keep committing)."""
    from chainbook import testnet

    with friendly_errors():
        if not testnet.kill(dir, node):
            raise UserError(f"{node} is not running")
        console.print(f"{node}: killed")


@testnet_app.command("status")
def testnet_status(dir: DirOption = TESTNET_DIR_DEFAULT) -> None:
    """Each node's process and /status: height, app hash, peers, round, book repairs."""
    from chainbook import testnet

    with friendly_errors():
        console.print(testnet.status_table(testnet.status(dir)))


@testnet_app.command("add-node")
def testnet_add_node(
    dir: DirOption = TESTNET_DIR_DEFAULT,
    start: Annotated[bool, typer.Option(help="Start it right away.")] = False,
) -> None:
    """Add a full node that joins late and syncs the book from its peers."""
    from chainbook import testnet

    with friendly_errors():
        entry = testnet.add_node(dir)
        console.print(f"{entry.name}: p2p {entry.p2p_address}, api {entry.api_url}")
        if start:
            pids = testnet.up(dir, [entry.name])
            console.print(f"{entry.name}: pid {pids[entry.name]}")


# --- node ------------------------------------------------------------------------------------


@node_app.command("start")
def node_start(
    home: Annotated[Path, typer.Option("--home", help="The node's home folder.")],
) -> None:
    """Run a node in the foreground until SIGTERM or Ctrl-C."""
    from chainbook.node.home import Home

    with friendly_errors():
        Home(home.resolve()).verify()
        run_node = import_optional("chainbook.node.runtime", "run_node", "the node runtime")
        try:
            run_node(home.resolve())
        except KeyboardInterrupt:
            return


# --- talking to a node -------------------------------------------------------------------------


@app.command("send")
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
) -> None:
    """Transfer coins from the key's account."""
    from chainbook.client.wallet import Wallet

    with friendly_errors():
        recipient = _parse_address_arg(to)
        with Client(node) as client:
            wallet = Wallet.from_key_file(key, client)
            submitted = wallet.transfer(recipient, amount, memo=memo, wait=wait)
        rows: list[tuple[str, object]] = [("hash", submitted.hash), ("status", submitted.status)]
        if submitted.receipt is not None:
            receipt = submitted.receipt
            rows += [("height", receipt.height), ("index", receipt.index), ("ok", receipt.ok)]
            if receipt.error:
                rows.append(("error", receipt.error))
        console.print(key_value_table(f"transfer of {format_amount(amount)}", rows))
        if submitted.receipt is not None and not submitted.receipt.ok:
            raise typer.Exit(1)


def _parse_address_arg(text: str) -> bytes:
    try:
        return parse_address(text)
    except ValueError as exc:
        raise UserError(str(exc)) from None


@app.command("status")
def status(
    node: NodeOption = NODE_URL_DEFAULT,
    json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
) -> None:
    """A node's view of the chain."""
    with friendly_errors(), Client(node) as client:
        node_status = client.status()
        if json:
            sys.stdout.write(msgspec.json.encode(node_status).decode() + "\n")
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
        ]
        console.print(key_value_table(node, rows))


@app.command("account")
def account(
    address: Annotated[str, typer.Argument(help="Account address (40 hex).")],
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """An account's balance and nonces."""
    with friendly_errors():
        parsed = _parse_address_arg(address)
        with Client(node) as client:
            view = client.get_account(parsed)
        rows: list[tuple[str, object]] = [
            ("balance", f"{format_amount(view.balance)} ({view.balance})"),
            ("nonce", view.nonce),
            ("pending nonce", view.pending_nonce),
        ]
        console.print(key_value_table(view.address, rows))


@app.command("tx")
def tx(
    hash: Annotated[str, typer.Argument(help="Transaction hash (64 hex).")],
    verify: Annotated[bool, typer.Option("--verify", help="Check the proof offline.")] = False,
    genesis: Annotated[
        Path | None,
        typer.Option(help="Trust the validators of this genesis file (default: ask the node)."),
    ] = None,
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """A committed transaction, its receipt, and (with --verify) an offline proof check."""
    with friendly_errors(), Client(node) as client:
        view = client.get_tx(hash)
        receipt = view.receipt
        rows: list[tuple[str, object]] = [
            ("height", view.height),
            ("index", view.index),
            ("ok", receipt.ok),
            ("error", receipt.error or "-"),
        ]
        rows += [(f"event {e.module}.{e.kind}", dict(e.attributes)) for e in receipt.events]
        console.print(key_value_table(f"tx {view.hash}", rows))
        if verify:
            _verify_tx(view, genesis, client)


def _verify_tx(view: TxView, genesis_path: Path | None, client: Client) -> None:
    from chainbook.chain.genesis import load_genesis
    from chainbook.chain.validators import Validator, ValidatorSet
    from chainbook.chain.verify import get_genesis_validators
    from chainbook.client.verify import check_tx_proof

    if genesis_path is not None:
        validators = get_genesis_validators(load_genesis(genesis_path.read_bytes()))
        source = f"the genesis file {genesis_path}"
    else:
        answer = client.validators()
        validators = ValidatorSet(
            [Validator(bytes.fromhex(v.public_key), v.power, v.name) for v in answer.validators]
        )
        source = "the node's /validators (pass --genesis to trust a file instead)"
    check_tx_proof(view, validators)
    console.print(f"[bold green]proof verified[/]: final under the validators of {source}")


@app.command("block")
def block(
    height: Annotated[str, typer.Argument(help="A height, or 'latest'.")] = "latest",
    node: NodeOption = NODE_URL_DEFAULT,
) -> None:
    """A committed block: header, transaction hashes and commit."""
    with friendly_errors(), Client(node) as client:
        view = client.get_block(height)
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
            ("commit signatures", signers),
        ]
        rows += [(f"tx {i}", h) for i, h in enumerate(view.tx_hashes)]
        console.print(key_value_table(f"block {header.height}", rows))


# --- the demo, the simulator, verification, benchmarks ---------------------------------------


@app.command("demo")
def demo(
    dir: Annotated[
        Path | None,
        typer.Option("--dir", help="Where to create the testnet (default: a temp dir)."),
    ] = None,
) -> None:
    """The guided tour: a 4-validator network, transfers, a crash, a tampered book, repair."""
    from chainbook.demo import run_demo

    with friendly_errors():
        run_demo(dir)


@app.command(
    "simulate",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def simulate(ctx: typer.Context) -> None:
    """Deterministic simulation of many nodes in one process (chainbook.sim).

    Arguments are passed through: --seeds N [--first-seed K] | --seed S, --validators N,
    --jobs J, --verbose (see `chainbook simulate --help`).
    """
    with friendly_errors():
        sim_main = import_optional("chainbook.sim", "main", "the simulator")
        code = sim_main(list(ctx.args))
    raise typer.Exit(code if isinstance(code, int) else 0)


@app.command("verify")
def verify(home: Annotated[Path, typer.Option("--home", help="The node's home folder.")]) -> None:
    """Re-verify a stopped node's whole book (hash chain, commits, app hash)."""
    with friendly_errors():
        verify_home = import_optional("chainbook.node.runtime", "verify_home", "book verification")
        report = verify_home(home.resolve())
        fields = msgspec.to_builtins(report) if isinstance(report, msgspec.Struct) else {}
        console.print(key_value_table(f"book of {home}", list(fields.items())))
        if fields.get("corrupt_height") is not None:
            raise UserError(f"the book is damaged at height {fields['corrupt_height']}")
        console.print("[bold green]book verified[/]")


@app.command(
    "bench",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def bench(ctx: typer.Context) -> None:
    """Benchmarks (chainbook.bench); arguments are passed through."""
    with friendly_errors():
        bench_main = import_optional("chainbook.bench", "main", "the benchmarks")
        code = bench_main(list(ctx.args))
    raise typer.Exit(code if isinstance(code, int) else 0)


__all__ = ["app"]
