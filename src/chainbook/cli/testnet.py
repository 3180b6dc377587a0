"""`chainbook testnet`: a local multi-node network on loopback."""

from __future__ import annotations

import signal as signals
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from chainbook.cli.options import TESTNET_DIR_DEFAULT, DirOption, NodesOption
from chainbook.cli.output import UserError, console, format_amount, friendly_errors

if TYPE_CHECKING:
    from chainbook.testnet import NodeRow, Testnet

testnet_app = typer.Typer(help="A local multi-node network on loopback.", no_args_is_help=True)


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
    empty_block_interval_ms: Annotated[
        int,
        typer.Option(
            help="When idle, an empty block this often (0: a block every timeout_commit). "
            "A consortium's genesis defaults to 30000 (`chainbook genesis new`)."
        ),
    ] = 1_000,
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
            empty_block_interval_ms=empty_block_interval_ms,
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


def nodes_table(net: Testnet) -> Table:
    table = Table(title=f"testnet {net.chain_id} in {net.root}")
    for column in ("node", "role", "p2p", "api", "address"):
        table.add_column(column)
    for node in net.nodes:
        role = "validator" if node.validator else "full node"
        table.add_row(node.name, role, node.p2p_address, node.api_url, node.address)
    return table


STATUS_COLUMNS = (
    "node",
    "role",
    "pid",
    "alive",
    "height",
    "app hash",
    "peers",
    "round",
    "repairs",
    "api",
)
RIGHT_ALIGNED = ("height", "peers", "round")


def status_table(rows: list[NodeRow], title: str = "testnet") -> Table:
    """Each node's process and /status; a port answered by another node shows who, in red."""
    table = Table(title=title)
    for column in STATUS_COLUMNS:
        table.add_column(column, justify="right" if column in RIGHT_ALIGNED else "left")
    for row in rows:
        s = row.status
        if s is not None:
            api = row.api_url
        elif row.wrong_node:
            api = f"[bold red]NOT THIS NODE: {escape(row.wrong_node)}[/]"
        else:
            api = f"[red]{escape(row.error[:40]) or 'unreachable'}[/]"
        table.add_row(
            row.name,
            "validator" if row.validator else "full",
            str(row.pid or "-"),
            "[green]yes[/]" if row.alive else "[red]no[/]",
            str(s.height) if s else "-",
            s.app_hash[:12] if s else "-",
            str(len(s.peers)) if s else "-",
            str(s.round) if s else "-",
            str(s.book_repairs) if s else "-",
            api,
        )
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
            console.print(status_table(testnet.status(dir)))


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
        rows = testnet.status(dir)
        console.print(status_table(rows))
        wrong = [f"{row.name}: {row.wrong_node}" for row in rows if row.wrong_node]
        if wrong:
            raise UserError("not this testnet's node:\n  " + "\n  ".join(wrong))


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


__all__ = ["nodes_table", "status_table", "testnet_app"]
