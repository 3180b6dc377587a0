"""`chainbook testnet`: a local multi-node network on loopback."""

from __future__ import annotations

import signal as signals
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import msgspec
import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table

from chainbook.cli.options import TESTNET_DIR_DEFAULT, DirOption, NodesOption
from chainbook.cli.output import (
    JsonOption,
    UserError,
    compact_table,
    console,
    format_amount,
    friendly_errors,
    print_json,
)

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
    json: JsonOption = False,
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
        if json:
            print_json(
                {
                    "chain_id": net.chain_id,
                    "root": str(net.root),
                    "nodes": [_node_json(node) for node in net.nodes],
                    "accounts": [msgspec.to_builtins(a) for a in net.accounts],
                }
            )
            return
        console.print(nodes_table(net))
        console.print(accounts_table(net))
        console.print(f"key files: {escape(str(dir))}/accounts/<name>.json")
        console.print(f"next: [bold]chainbook testnet up --dir {escape(str(dir))}[/]")


def _node_json(node: object) -> dict[str, object]:
    return {
        name: getattr(node, name)
        for name in ("name", "validator", "p2p_address", "api_url", "address")
    }


def nodes_table(net: Testnet) -> Group:
    """Node, role, p2p and API addresses whole (~60 columns), then each node's address (40
    hex) in a table of its own: together they would not fit 80 columns."""
    table = compact_table(f"testnet {net.chain_id} in {net.root}")
    for column in ("node", "role", "p2p", "api"):
        table.add_column(column, no_wrap=True)
    for node in net.nodes:
        role = "validator" if node.validator else "full node"
        table.add_row(node.name, role, node.p2p_address, node.api_url)
    addresses = compact_table()
    for column in ("node", "address"):
        addresses.add_column(column, no_wrap=True)
    for node in net.nodes:
        addresses.add_row(node.name, node.address)
    return Group(table, addresses)


def accounts_table(net: Testnet) -> Table:
    table = compact_table("funded accounts")
    for column in ("name", "address", "balance"):
        table.add_column(column, no_wrap=True, justify="right" if column == "balance" else "left")
    for account in net.accounts:
        table.add_row(account.name, account.address, format_amount(account.amount))
    return table


STATUS_COLUMNS = (
    "node",
    "role",
    "pid",
    "up",
    "height",
    "app hash",
    "peers",
    "round",
    "rep",
    "api",
)
RIGHT_ALIGNED = ("pid", "height", "peers", "round", "rep")


def status_table(rows: list[NodeRow], title: str = "testnet") -> Table:
    """Each node's process and /status in ~75 columns (the API URL whole); why a node did
    not answer (or that another node answered its port, in red) on a line below."""
    table = compact_table(title)
    for column in STATUS_COLUMNS:
        table.add_column(
            column, justify="right" if column in RIGHT_ALIGNED else "left", no_wrap=True
        )
    problems: list[str] = []
    for row in rows:
        s = row.status
        if s is None and row.wrong_node:
            problems.append(f"[bold red]{row.name}: NOT THIS NODE: {escape(row.wrong_node)}[/]")
        elif s is None:
            problems.append(f"[red]{row.name}: {escape(row.error) or 'unreachable'}[/]")
        table.add_row(
            row.name,
            "val" if row.validator else "full",
            str(row.pid or "-"),
            "[green]yes[/]" if row.alive else "[red]no[/]",
            str(s.height) if s else "-",
            s.app_hash[:12] if s else "-",
            str(len(s.peers)) if s else "-",
            str(s.round) if s else "-",
            str(s.book_repairs) if s else "-",
            row.api_url,
        )
    if problems:
        table.caption = "\n".join(problems)
        table.caption_justify = "left"
    return table


def status_json(rows: list[NodeRow]) -> list[dict[str, object]]:
    return [
        {
            "node": row.name,
            "validator": row.validator,
            "pid": row.pid,
            "alive": row.alive,
            "api": row.api_url,
            "status": msgspec.to_builtins(row.status) if row.status is not None else None,
            "error": row.error or None,
            "wrong_node": row.wrong_node or None,
        }
        for row in rows
    ]


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
def testnet_status(dir: DirOption = TESTNET_DIR_DEFAULT, json: JsonOption = False) -> None:
    """Each node's process and /status: height, app hash, peers, round, book repairs."""
    from chainbook import testnet

    with friendly_errors():
        rows = testnet.status(dir)
        if json:
            print_json(status_json(rows))
        else:
            console.print(status_table(rows))
        wrong = [f"{row.name}: {row.wrong_node}" for row in rows if row.wrong_node]
        if wrong:
            raise UserError("not this testnet's node:\n  " + "\n  ".join(wrong))


@testnet_app.command("add-node")
def testnet_add_node(
    dir: DirOption = TESTNET_DIR_DEFAULT,
    start: Annotated[bool, typer.Option(help="Start it right away.")] = False,
    sync_wait_s: Annotated[
        float,
        typer.Option("--sync-wait-s", help="With --start, show its sync for this long (0: no)."),
    ] = 120.0,
) -> None:
    """Add a full node that joins late and syncs the book from its peers."""
    from chainbook import testnet

    with friendly_errors():
        entry = testnet.add_node(dir)
        console.print(f"{entry.name}: p2p {entry.p2p_address}, api {entry.api_url}")
        if start:
            pids = testnet.up(dir, [entry.name])
            console.print(f"{entry.name}: pid {pids[entry.name]}")
            if sync_wait_s > 0:
                show_sync(dir, entry.name, sync_wait_s)


def show_sync(root: Path, name: str, timeout_s: float) -> None:
    """A progress bar of `name`'s height toward the others' highest, until it gets there."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from chainbook import testnet

    others = [n.name for n in testnet.load_testnet(root).nodes if n.name != name]
    target = max((h or 0 for h in testnet.get_heights(root, others).values()), default=0)
    columns = (TextColumn(f"{name} syncing"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("sync", total=max(target, 1))

        def on_progress(rows: dict[str, NodeRow]) -> None:
            row = rows.get(name)
            progress.update(task, completed=(row.height or 0) if row is not None else 0)

        testnet.wait_until_height(root, target, [name], timeout_s, on_progress)
    console.print(f"{name}: synced to height {target}")


__all__ = ["nodes_table", "status_table", "testnet_app"]
