"""A real node process as a service: metrics on a port of their own with the families monitoring
expects, its genesis hash in /status, a SIGTERM stop that leaves a clean book and a checkpoint
at its last block, and a start refused, changing nothing, on a genesis that is not its book's."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import psutil
import pytest

from chainbook import testnet
from chainbook.apps.bank import Transfer
from chainbook.client import Wallet
from chainbook.ledger.genesis import dump_genesis, load_genesis
from chainbook.runtime.config import write_config
from chainbook.runtime.home import read_log_events
from chainbook.runtime.node import verify_home
from chainbook.storage import CONSENSUS_RECORD_FILE_NAME, SqliteBlockStore

pytest.importorskip("chainbook.runtime.node")
pytestmark = [pytest.mark.integration]

STOP_TIMEOUT_S = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[testnet.Testnet]:
    root = tmp_path_factory.mktemp("service") / "net"
    created = testnet.init_testnet(root, validators=1, seed="service")
    home = created.home("node0")
    config = msgspec.structs.replace(home.load_config(), metrics_port=free_port())
    write_config(home.config_path, config)
    try:
        testnet.up(root)
        testnet.wait_until_height(root, 2, timeout_s=30)
        yield created
    finally:
        testnet.down(root, timeout_s=STOP_TIMEOUT_S)


def test_metrics_have_a_port_of_their_own_and_the_monitoring_families(
    net: testnet.Testnet,
) -> None:
    home = net.home("node0")
    port = home.load_config().metrics_port
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    values = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert values["chainbook_validators"] == 1 and values["chainbook_validators_power"] == 10
    assert values["chainbook_missing_validators"] == 0
    assert values["chainbook_byzantine_validators"] == 0
    assert values["chainbook_syncing"] == 0
    assert values["chainbook_height"] >= 2
    assert values["chainbook_latest_block_time_seconds"] > time.time() - 600
    assert values["chainbook_book_file_bytes"] > 0
    for family in (
        "chainbook_p2p_bytes_received_total",
        "chainbook_p2p_bytes_sent_total",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_max_fds",
    ):
        assert family in values, family
    assert httpx.get(f"http://127.0.0.1:{port}/status", timeout=10).status_code == 404
    assert "chainbook_validators" in httpx.get(f"{net.nodes[0].api_url}/metrics", timeout=10).text


def test_status_names_the_genesis_the_node_runs(net: testnet.Testnet) -> None:
    genesis = load_genesis(net.genesis_path.read_bytes())
    with net.client("node0") as client:
        assert client.status().genesis_hash == genesis.hash.hex()


def test_sigterm_leaves_a_clean_book_with_its_checkpoint_at_the_last_block(
    net: testnet.Testnet,
) -> None:
    home = net.home("node0")
    with net.client("node0") as client:
        alice = Wallet.from_key_file(net.account_key_path("alice"), client)
        to = bytes.fromhex(net.account("bob").address)
        for _ in range(20):  # in flight when the signal comes
            alice.send(Transfer(to, 1), wait=False)
    process = psutil.Process(home.read_pid())  # type: ignore[arg-type]
    process.send_signal(15)
    assert process.wait(timeout=STOP_TIMEOUT_S) == 0
    assert read_log_events(home, "node_stopped"), "the stop path ran to its end"
    assert not Path(f"{home.book_path}-wal").exists(), "SQLite folded its -wal into the book"
    report = verify_home(home.root)
    assert report.corrupt_height is None and report.state_table_matches is True
    with SqliteBlockStore(home.book_path) as store:
        latest = store.latest_height()
        assert store.load_state_meta().height == latest, "the final checkpoint"
    testnet.up(net.path)
    testnet.wait_until_height(net.path, latest + 1, timeout_s=30)
    opened = read_log_events(home, "node_opened")[-1]
    assert opened["height"] == latest and opened["checkpoint_height"] == latest, opened


def test_a_start_on_another_genesis_is_refused_and_changes_nothing(
    net: testnet.Testnet,
) -> None:
    home = net.home("node0")
    testnet.down(net.path, timeout_s=STOP_TIMEOUT_S)
    genesis = load_genesis(home.genesis_path.read_bytes())
    other = msgspec.structs.replace(genesis, genesis_time_ms=genesis.genesis_time_ms + 1)
    original = home.genesis_path.read_bytes()
    record_path = home.root / CONSENSUS_RECORD_FILE_NAME
    record = record_path.read_bytes()
    db = sqlite3.connect(home.book_path)
    before = list(db.iterdump())
    db.close()
    files_before = sorted(p.name for p in home.data_dir.iterdir())
    home.genesis_path.write_bytes(dump_genesis(other))
    try:
        started = subprocess.run(
            [sys.executable, "-m", "chainbook", "node", "start", "--home", str(home.root)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        home.genesis_path.write_bytes(original)
    assert started.returncode == 1, started.stderr
    message = " ".join(started.stderr.split())
    assert genesis.hash.hex() in message and other.hash.hex() in message
    assert "changed nothing" in message
    db = sqlite3.connect(home.book_path)
    assert list(db.iterdump()) == before
    db.close()
    assert sorted(p.name for p in home.data_dir.iterdir()) == files_before, "no salvage, no copy"
    assert record_path.read_bytes() == record
    testnet.up(net.path)  # with its own genesis back, it starts
    testnet.wait_until_ready(net.path, timeout_s=30)
