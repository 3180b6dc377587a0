"""The guided demo (`chainbook demo`, `make demo`): the main job of chainbook in five minutes.

    1. create a 4-validator testnet and start it (four OS processes on loopback)
    2. send payments with the Python SDK and show their receipts; check one proof offline
    3. crash one validator (SIGKILL): the other three keep committing (3 of 4 > 2/3)
    4. restart it: it catches up and holds the same book (same block and app hashes)
    5. stop a node, change one byte of a committed block in its SQLite book, restart it: the node
       detects the tampering at start ("book_corrupt" in node.log), repairs the book from its
       peers, and /status counts the repair
    6. print every node's height and hashes (identical), stop the network

Every wait is bounded and fails with a message saying which node is where; the network is
stopped whatever happens, so the demo never leaves processes behind.
"""

from __future__ import annotations

import signal
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.status import Status
from rich.table import Table

from chainbook import testnet
from chainbook.apps.bank import Transfer
from chainbook.chain.block import decode_block
from chainbook.chain.verify import get_genesis_validators
from chainbook.client.http import Client
from chainbook.client.verify import check_tx_proof
from chainbook.client.wallet import Wallet
from chainbook.errors import ChainbookError
from chainbook.ledger.genesis import load_genesis
from chainbook.runtime.home import read_log_events

START_TIMEOUT_S = 60.0
COMMIT_TIMEOUT_S = 60.0
CATCH_UP_TIMEOUT_S = 90.0
REPAIR_TIMEOUT_S = 90.0
WAIT_COMMIT_S = 20.0
BLOCKS_WHILE_DOWN = 3
VICTIM = "node3"
TAMPER_MEMO = "demo: rent for March"
PAYMENTS = (
    ("alice", "bob", 25 * testnet.COIN_UNIT, TAMPER_MEMO),
    ("bob", "carol", 10 * testnet.COIN_UNIT, "demo: lunch"),
    ("carol", "dave", 5 * testnet.COIN_UNIT, "demo: coffee"),
    ("dave", "alice", 1 * testnet.COIN_UNIT, "demo: thanks"),
)


class DemoFailed(ChainbookError):
    """A step of the demo did not happen as it should; the message says which and why."""


def run_demo(root: Path | None = None, console: Console | None = None) -> None:
    console = console or Console()
    root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="chainbook-demo-"))
    step(console, 1, f"create a 4-validator testnet in {root}")
    net = testnet.init_testnet(root, validators=4)
    console.print(f"chain [bold]{net.chain_id}[/], validators node0..node3, accounts alice..dave")
    try:
        start_network(console, root)
        payment_height = send_payments(console, root)
        crash_and_restart(console, root)
        tamper_and_repair(console, root, payment_height)
        show_identical_books(console, root)
        console.print(Panel.fit("[bold green]demo complete[/]: one book, four nodes, no trust"))
    finally:
        console.print("stopping the network")
        testnet.down(root)
        console.print(f"logs and books stay in {root} (node*/node.log, node*/data/book.sqlite)")


def step(console: Console, number: int, title: str) -> None:
    console.rule(f"[bold]{number}. {title}")


def heights_text(rows: dict[str, testnet.NodeRow]) -> str:
    return "  ".join(
        f"{name} {row.height if row.height is not None else '-'}" for name, row in rows.items()
    )


def progress(
    console: Console, what: str
) -> tuple[Callable[[dict[str, testnet.NodeRow]], None], Status]:
    spinner = console.status(what)

    def on_progress(rows: dict[str, testnet.NodeRow]) -> None:
        spinner.update(f"{what}: {heights_text(rows)}")

    return on_progress, spinner


def wait_for_height(
    console: Console, root: Path, height: int, nodes: list[str] | None, timeout_s: float
) -> dict[str, int]:
    what = f"waiting for height {height}"
    on_progress, spinner = progress(console, what)
    with spinner:
        try:
            return testnet.wait_until_height(root, height, nodes, timeout_s, on_progress)
        except TimeoutError as exc:
            raise DemoFailed(str(exc)) from None


# --- 1. start ----------------------------------------------------------------------------------


def start_network(console: Console, root: Path) -> None:
    pids = testnet.up(root)
    console.print("started " + ", ".join(f"{name} (pid {pid})" for name, pid in pids.items()))
    with console.status("waiting for the nodes' APIs"):
        try:
            testnet.wait_until_ready(root, timeout_s=START_TIMEOUT_S)
        except TimeoutError as exc:
            raise DemoFailed(f"the nodes did not start: {exc}") from None
    heights = wait_for_height(console, root, 2, None, COMMIT_TIMEOUT_S)
    console.print(f"committing blocks: {heights}")


# --- 2. payments -------------------------------------------------------------------------------


def send_payments(console: Console, root: Path) -> int:
    """Send PAYMENTS, show the receipts, verify the first offline; returns its block height."""
    step(console, 2, "payments with the Python SDK, each waiting for its receipt")
    net = testnet.load_testnet(root)
    table = Table(title="receipts")
    for column in ("from", "to", "amount", "tx hash", "height", "index", "ok"):
        table.add_column(column)
    first_hash = ""
    first_height = 0
    with net.client("node0", timeout_s=10.0) as client:
        wallets = {
            a.name: Wallet.from_key_file(net.account_key_path(a.name), client, net.chain_id)
            for a in net.accounts
        }
        for sender, recipient, amount, memo in PAYMENTS:
            to = net.account(recipient).address
            result = wallets[sender].send(
                Transfer(to=bytes.fromhex(to), amount=amount, memo=memo),
                wait=True,
                timeout_s=WAIT_COMMIT_S,
            )
            receipt = result.receipt
            if receipt is None:
                raise DemoFailed(
                    f"{sender}'s payment {result.hash} not committed in {WAIT_COMMIT_S}s"
                )
            if not receipt.ok:
                raise DemoFailed(f"{sender}'s payment failed: {receipt.error}")
            first_hash, first_height = first_hash or result.hash, first_height or receipt.height
            table.add_row(
                sender,
                recipient,
                f"{amount // testnet.COIN_UNIT} CBK",
                result.hash[:16],
                str(receipt.height),
                str(receipt.index),
                "[green]yes[/]",
            )
        console.print(table)
        show_balances(console, net, client)
        verify_offline(console, net, client, first_hash)
    return first_height


def show_balances(console: Console, net: testnet.Testnet, client: Client) -> None:
    table = Table(title="balances (1 CBK = 1,000,000 units)")
    for column in ("account", "balance (units)", "nonce"):
        table.add_column(column)
    for account in net.accounts:
        view = client.get_account(account.address)
        balance = client.apps.bank.balance(address=account.address).balance
        table.add_row(account.name, f"{balance:,}", str(view.nonce))
    console.print(table)


def verify_offline(console: Console, net: testnet.Testnet, client: Client, tx_hash: str) -> None:
    """Check a receipt with nothing but the genesis file: Merkle path, header hash, commit."""
    genesis = load_genesis((net.path / "genesis.json").read_bytes())
    proof = client.get_tx(tx_hash)
    check_tx_proof(proof, get_genesis_validators(genesis))
    assert proof.proof is not None, "check_tx_proof refuses an answer without a proof"
    path_length = len(proof.proof.audit_path)
    signers = len(proof.proof.commit.signatures)
    console.print(
        f"receipt of {tx_hash[:16]} verified offline with the genesis file only: "
        f"audit path of {path_length} hashes to txs_root, header hash, "
        f"{signers} validator signatures (> 2/3 of power)"
    )


# --- 3-4. crash and restart --------------------------------------------------------------------


def crash_and_restart(console: Console, root: Path) -> None:
    step(console, 3, f"crash {VICTIM} with SIGKILL: the other three keep committing")
    survivors = ["node0", "node1", "node2"]
    testnet.kill(root, VICTIM, signal.SIGKILL)
    before = testnet.get_heights(root, survivors)
    target = max(h or 0 for h in before.values()) + BLOCKS_WHILE_DOWN
    after = wait_for_height(console, root, target, survivors, COMMIT_TIMEOUT_S)
    console.print(f"while {VICTIM} was down: {before} -> {after}")

    step(console, 4, f"restart {VICTIM}: it catches up from its peers")
    testnet.up(root, [VICTIM])
    target = max(testnet.get_heights(root, survivors).values(), key=lambda h: h or 0) or 0
    # Every node must hold `target` before comparing: it may be one survivor's height alone.
    heights = wait_for_height(console, root, target, [*survivors, VICTIM], CATCH_UP_TIMEOUT_S)
    compare_at(console, root, target)
    console.print(f"{VICTIM} caught up to height {heights[VICTIM]}")


def compare_at(console: Console, root: Path, height: int) -> None:
    hashes = testnet.get_block_hashes(root, height)
    if len(set(hashes.values())) != 1:
        raise DemoFailed(f"nodes disagree at height {height}: {hashes}")
    block_hash, app_hash = next(iter(hashes.values()))
    console.print(
        f"height {height}: every node has block {block_hash[:16]}, app hash {app_hash[:16]}"
    )


# --- 5. tamper and repair ----------------------------------------------------------------------


def tamper_with_block(book_path: Path, height: int) -> str:
    """Change one byte of the stored block at `height` (in the payment memo when present, else
    in the header's txs_root); returns what was changed, for the narration."""
    connection = sqlite3.connect(book_path)
    try:
        row = connection.execute("SELECT block FROM blocks WHERE height = ?", (height,)).fetchone()
        if row is None:
            raise DemoFailed(f"no block at height {height} in {book_path}")
        blob = bytearray(row[0])
        offset = blob.find(TAMPER_MEMO.encode())
        if offset >= 0:
            offset += len("demo: rent for ")
            what = f"memo {TAMPER_MEMO!r} -> {TAMPER_MEMO.replace('March', 'Narch')!r}"
            blob[offset] = ord("N")
        else:
            offset = blob.find(decode_block(bytes(blob)).header.txs_root)
            blob[offset] ^= 0x01
            what = "one bit of the header's txs_root"
        connection.execute("UPDATE blocks SET block = ? WHERE height = ?", (bytes(blob), height))
        connection.commit()
    finally:
        connection.close()
    return what


def has_repaired_book(rows: dict[str, testnet.NodeRow]) -> bool:
    node_status = rows[VICTIM].status
    return node_status is not None and node_status.book_repairs >= 1


def tamper_and_repair(console: Console, root: Path, height: int) -> None:
    step(console, 5, f"tamper with {VICTIM}'s book: one byte of block {height}")
    net = testnet.load_testnet(root)
    home = net.home(VICTIM)
    testnet.down(root, [VICTIM], signal=signal.SIGTERM)
    what = tamper_with_block(home.book_path, height)
    console.print(f"stopped {VICTIM}; in {home.book_path} changed {what}")
    testnet.up(root, [VICTIM])
    on_progress, spinner = progress(console, f"waiting for {VICTIM} to detect and repair")
    with spinner:
        try:
            testnet.wait_until(
                root,
                has_repaired_book,
                f"{VICTIM} repairs its book (book_repairs >= 1)",
                [VICTIM],
                REPAIR_TIMEOUT_S,
                on_progress,
            )
        except TimeoutError as exc:
            raise DemoFailed(f"{exc}; see {home.log_path}") from None
    events = read_log_events(home, "book_corrupt")
    if not events:
        raise DemoFailed(
            f"{VICTIM} repaired its book but logged no book_corrupt event in {home.log_path}"
        )
    console.print(f"{VICTIM} logged: [yellow]{events[-1]}[/]")
    survivors = ["node0", "node1", "node2"]
    target = max(h or 0 for h in testnet.get_heights(root, survivors).values())
    wait_for_height(console, root, target, [VICTIM], CATCH_UP_TIMEOUT_S)
    compare_at(console, root, height)
    console.print(f"{VICTIM} repaired block {height} from its peers and is back at the tip")


# --- 6. the end --------------------------------------------------------------------------------


def show_identical_books(console: Console, root: Path) -> None:
    step(console, 6, "every node holds the same book")
    heights = testnet.get_heights(root)
    common = min(h or 0 for h in heights.values())
    hashes = testnet.get_block_hashes(root, common)
    table = Table(title=f"block {common} on each node")
    for column in ("node", "latest height", "block hash", "app hash"):
        table.add_column(column)
    for name, (block_hash, app_hash) in hashes.items():
        table.add_row(name, str(heights[name]), block_hash[:24], app_hash[:24])
    console.print(table)
    if len(set(hashes.values())) != 1:
        raise DemoFailed(f"the books differ at height {common}: {hashes}")


__all__ = ["DemoFailed", "run_demo", "tamper_with_block"]
