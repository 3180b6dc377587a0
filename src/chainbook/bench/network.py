"""A fresh local network for one benchmark: init, fund the bench accounts, start, always stop.

It reuses chainbook.testnet (init_testnet, up, down, add_node, wait_until_height) and adds one
thing: after init_testnet and before `up`, the genesis of every home is rewritten with the
funded bench accounts appended (identical bytes everywhere, so the genesis hash agrees). The
hook a future init_testnet could offer instead: `extra_accounts: list[GenesisAccount]`.

`bench_network` is a context manager whose exit stops every node (SIGTERM, then SIGKILL after a
bounded wait), on success, on error and on Ctrl-C alike.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import msgspec
import psutil
from prometheus_client.parser import text_string_to_metric_families

from chainbook import testnet
from chainbook.apps.bank import BankGenesis, GenesisAccount
from chainbook.bench.mix import extend_genesis
from chainbook.bench.workload import bench_key
from chainbook.ledger.genesis import dump_genesis, load_genesis
from chainbook.runtime.home import Home

ACCOUNT_AMOUNT = 100 * testnet.COIN_UNIT
"""Per bench account: enough for every transfer of any step (1 unit each), small enough that
100,000 accounts stay under the supply cap."""
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
FIRST_HEIGHT = 2
"""Heights every node must reach before the load starts: consensus is running, peers are up."""


def fund_bench_accounts(root: Path, accounts: int, mix: Sequence[tuple[str, int]] = ()) -> int:
    """Append `accounts` bench accounts to the genesis of the testnet and of every home, with
    what the mix's module actions need (bench/mix.py).

    Returns the genesis size in bytes. Must run before the first `up`.
    """
    net = testnet.load_testnet(root)
    genesis = load_genesis((net.path / "genesis.json").read_bytes())
    extra = [
        GenesisAccount(address=bench_key(i).address.hex(), amount=ACCOUNT_AMOUNT)
        for i in range(accounts)
    ]
    bank: BankGenesis = genesis.app_state["bank"]
    bank = msgspec.structs.replace(bank, accounts=[*bank.accounts, *extra])
    funded = msgspec.structs.replace(genesis, app_state={**genesis.app_state, "bank": bank})
    funded = extend_genesis(funded, mix, accounts)
    data = dump_genesis(funded)
    load_genesis(data)  # refuse to write a genesis the nodes would not load
    (net.path / "genesis.json").write_bytes(data)
    for entry in net.nodes:
        net.home(entry.name).genesis_path.write_bytes(data)
    return len(data)


@dataclass
class BenchNetwork:
    """A running benchmark network and what the bench needs to measure it."""

    root: Path
    chain_id: str
    api_urls: list[str]
    """Validators' API base URLs, node0 first."""
    pids: dict[str, int]
    node_names: list[str] = field(default_factory=list)

    def home(self, name: str) -> Home:
        return testnet.load_testnet(self.root).home(name)

    def processes(self) -> dict[str, psutil.Process]:
        return {name: psutil.Process(pid) for name, pid in self.pids.items()}


def create_bench_network(
    root: Path, validators: int, accounts: int, mix: Sequence[tuple[str, int]] = ()
) -> BenchNetwork:
    # A block every timeout_commit, as the measurements in docs/BENCHMARKS.md were made.
    net = testnet.init_testnet(
        root, validators=validators, seed="bench", empty_block_interval_ms=0
    )
    fund_bench_accounts(root, accounts, mix)
    names = [e.name for e in net.nodes]
    return BenchNetwork(root=net.path, chain_id=net.chain_id,
                        api_urls=[e.api_url for e in net.nodes], pids={}, node_names=names)


def start_nodes(network: BenchNetwork, names: list[str] | None = None) -> None:
    started = testnet.up(network.root, names)
    network.pids.update(started)
    testnet.wait_until_height(network.root, FIRST_HEIGHT, names, timeout_s=START_TIMEOUT_S)


@contextlib.contextmanager
def bench_network(
    validators: int,
    accounts: int,
    root: Path | None = None,
    keep: bool = False,
    mix: Sequence[tuple[str, int]] = (),
) -> Iterator[BenchNetwork]:
    """Create, fund and start a network; stop it (and delete it unless `keep`) on exit."""
    made_root = root is None
    root = Path(tempfile.mkdtemp(prefix="chainbook-bench-")) if root is None else root
    if made_root:
        root.rmdir()  # init_testnet wants to create it
    network = create_bench_network(root, validators, accounts, mix)
    try:
        start_nodes(network)
        yield network
    finally:
        with contextlib.suppress(Exception):
            testnet.down(network.root, timeout_s=STOP_TIMEOUT_S)
        if made_root and not keep:
            shutil.rmtree(root, ignore_errors=True)


# --- measuring the nodes from outside ------------------------------------------------------


NODE_COUNTERS = {
    "txs_checked_in_blocks": "chainbook_txs_checked_in_blocks",
    "txs_refused": "chainbook_txs_refused",
    "peer_messages_dropped": "chainbook_peer_messages_dropped",
}
"""Counters of each node's /metrics the bench reports per step (summed over labels)."""
METRICS_TIMEOUT_S = 5.0


def read_node_counters(network: BenchNetwork) -> dict[str, dict[str, float] | None]:
    """NODE_COUNTERS of each node now (None for a node that does not answer)."""
    wanted = {metric: key for key, metric in NODE_COUNTERS.items()}
    counters: dict[str, dict[str, float] | None] = {}
    for name, url in zip(network.node_names, network.api_urls, strict=True):
        try:
            text = httpx.get(f"{url}/metrics", timeout=METRICS_TIMEOUT_S).text
        except httpx.HTTPError:
            counters[name] = None
            continue
        values = dict.fromkeys(NODE_COUNTERS, 0.0)
        for family in text_string_to_metric_families(text):
            key = wanted.get(family.name)
            if key is not None:
                values[key] += sum(s.value for s in family.samples if s.name.endswith("_total"))
        counters[name] = values
    return counters


def count_node_counters(
    before: dict[str, dict[str, float] | None], after: dict[str, dict[str, float] | None]
) -> dict[str, dict[str, float] | None]:
    """What each counter counted between two read_node_counters (None if either read failed)."""
    deltas: dict[str, dict[str, float] | None] = {}
    for name, last in after.items():
        first = before.get(name)
        deltas[name] = (
            None if first is None or last is None else {k: v - first[k] for k, v in last.items()}
        )
    return deltas


def read_cpu_seconds(processes: dict[str, psutil.Process]) -> dict[str, float]:
    """User + system CPU seconds of each node so far, its signature worker processes included
    (0.0 for one that is gone)."""
    seconds = {}
    for name, process in processes.items():
        try:
            family = [process, *process.children(recursive=True)]
        except psutil.Error:
            seconds[name] = 0.0
            continue
        total = 0.0
        for member in family:
            with contextlib.suppress(psutil.Error):
                times = member.cpu_times()
                total += times.user + times.system
        seconds[name] = total
    return seconds


def read_book_bytes(book_path: Path) -> int:
    """Logical size of a node's SQLite book: used pages (WAL content included) x page size.

    Read through a read-only connection, so it counts what the node has committed whether the
    pages still sit in the -wal file or were checkpointed into the main file; file sizes alone
    would count the WAL's stale frames and preallocated space.
    """
    uri = f"file:{book_path}?mode=ro"
    db = sqlite3.connect(uri, uri=True, timeout=5.0)
    try:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
    finally:
        db.close()
    return int((pages - free) * page_size)


def read_files_bytes(data_dir: Path) -> int:
    """Bytes of every file in a node's data folder (book, -wal, -shm): what `du` would see."""
    return sum(p.stat().st_size for p in data_dir.iterdir() if p.is_file())


__all__ = [
    "ACCOUNT_AMOUNT",
    "BenchNetwork",
    "bench_network",
    "create_bench_network",
    "fund_bench_accounts",
    "read_book_bytes",
    "read_cpu_seconds",
    "read_files_bytes",
    "start_nodes",
]
