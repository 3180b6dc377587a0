"""State sync end to end: separate node processes over mutual TLS on loopback.

A 4-validator network takes a snapshot every SNAPSHOT_INTERVAL_BLOCKS blocks. A fifth node
with `state_sync = true` and an empty book joins: it fetches and verifies a snapshot, stores it
as its checkpoint, block-syncs from there to the head and serves proven queries that verify
offline from the genesis file; `chainbook verify` says what its book holds. Before that, a node
whose only peer lies about a snapshot (tests/e2e/snapshot_liar.py) refuses it, bans the liar,
and writes nothing to its book.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from chainbook import testnet
from chainbook.apps.bank import Transfer
from chainbook.client.verify import trust_root_from_genesis, verify_state_proof_file
from chainbook.client.wallet import Wallet
from chainbook.keyfile import load_key_file
from chainbook.ledger.genesis import load_genesis
from chainbook.ledger.state import LedgerState
from chainbook.runtime.config import write_config
from chainbook.runtime.home import Home
from chainbook.runtime.node import verify_home
from chainbook.storage import SqliteBlockStore
from tests.e2e.snapshot_liar import SnapshotLiar

pytestmark = pytest.mark.integration

VALIDATORS = ["node0", "node1", "node2", "node3"]
SNAPSHOT_INTERVAL_BLOCKS = 4
WAIT_S = 60.0


def configure(root: Path, name: str, **changes: object) -> Home:
    home = testnet.load_testnet(root).home(name)
    config = msgspec.structs.replace(home.load_config(), **changes)
    write_config(home.config_path, config)
    return home


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("statesync")
    testnet.init_testnet(root, validators=4, seed="statesync")
    for name in VALIDATORS:
        configure(root, name, snapshot_interval_blocks=SNAPSHOT_INTERVAL_BLOCKS, snapshots_kept=2)
    testnet.up(root)
    try:
        testnet.wait_until_ready(root, timeout_s=30)
        node0 = testnet.load_testnet(root).client("node0")
        alice = Wallet.from_key_file(root / "accounts" / "alice.json", node0)
        bob = load_key_file(root / "accounts" / "bob.json").address
        for amount in (11, 12, 13):
            assert alice.send(Transfer(bob, amount), wait=True).status == "committed"
        # A snapshot exists once a multiple of the interval is committed, with the header after.
        testnet.wait_until_height(root, 2 * SNAPSHOT_INTERVAL_BLOCKS + 2, timeout_s=WAIT_S)
        yield root
    finally:
        testnet.down(root)


def book_rows(home: Home) -> dict[str, int]:
    db = sqlite3.connect(f"{home.book_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = ("blocks", "state", "txs")
        counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        meta = "SELECT value FROM meta WHERE key = 'latest_height'"
        counts["latest_height"] = db.execute(meta).fetchone()[0]
        return counts
    finally:
        db.close()


def test_a_lying_snapshot_peer_is_refused_and_nothing_is_written(network: Path) -> None:
    liar_entry = testnet.add_node(network)
    liar = SnapshotLiar(testnet.load_testnet(network).home(liar_entry.name).root, network / "node0")
    joiner = testnet.add_node(network)
    home = configure(network, joiner.name, state_sync=True, peers=[liar_entry.p2p_address])
    liar.start()
    try:
        testnet.up(network, [joiner.name])
        testnet.wait_until(
            network,
            lambda rows: "state_sync_snapshot_refused" in _read(home),
            "the joiner refuses the lie",
            [joiner.name],
            timeout_s=WAIT_S,
        )
        text = _read(home)
        assert "false snapshot" in text and "state_sync_peer_banned" in text
        assert "state_sync_restored" not in text
        assert {"SnapshotsRequest", "SnapshotProofRequest", "ChunkRequest"} <= set(liar.served)
        with testnet.load_testnet(network).client(joiner.name) as client:
            status = client.status()
        assert status.height == 0 and status.syncing
    finally:
        testnet.down(network, [joiner.name])
        liar.stop()
    # The book is as the node left it when it opened its empty book: no block, and the state
    # table is the genesis state at height 0; nothing of the lie.
    genesis = load_genesis((network / "genesis.json").read_bytes())
    assert book_rows(home) == {
        "blocks": 0,
        "state": len(LedgerState.from_genesis(genesis).kv),
        "txs": 0,
        "latest_height": 0,
    }
    with SqliteBlockStore(home.book_path) as store:
        assert store.load_state() == LedgerState.from_genesis(genesis).kv
        assert store.load_state_meta().height == 0 and store.load_book_base() == 1


def test_a_new_node_joins_by_state_sync_reaches_the_head_and_serves_proven_queries(
    network: Path,
) -> None:
    joiner = testnet.add_node(network)
    peers = [e.p2p_address for e in testnet.load_testnet(network).nodes if e.name in VALIDATORS]
    home = configure(network, joiner.name, state_sync=True, peers=peers)
    testnet.up(network, [joiner.name])
    try:
        target = max(testnet.get_heights(network, VALIDATORS).values())  # type: ignore[type-var]
        testnet.wait_until_height(network, target + 2, [*VALIDATORS, joiner.name], timeout_s=WAIT_S)
        text = _read(home)
        assert "state_sync_verified" in text and "state_sync_restored" in text
        assert "index_write_failed" not in text and '"level":"error"' not in text
        # At the joiner's height (above its snapshot's, the blocks it holds).
        joined = testnet.get_heights(network, [joiner.name])[joiner.name]
        assert joined is not None
        hashes = testnet.get_block_hashes(network, joined, [*VALIDATORS, joiner.name])
        assert len(set(hashes.values())) == 1, hashes
        genesis = load_genesis((network / "genesis.json").read_bytes())
        bob = load_key_file(network / "accounts" / "bob.json").address
        client = testnet.load_testnet(network).client(joiner.name)
        with client:
            proof = client.prove_query("bank", "balance", address=bob.hex())
            assert client.status().height >= target
        state = verify_state_proof_file(proof, trust_root_from_genesis(genesis))
        assert state.answer["balance"] >= 36
    finally:
        testnet.down(network, [joiner.name])
    rows = book_rows(home)
    report = verify_home(home.root)
    assert report.corrupt_height is None and report.book_base > 1
    assert rows["blocks"] == report.height - report.book_base + 1  # nothing below the base
    assert report.book_base % SNAPSHOT_INTERVAL_BLOCKS == 0


def _read(home: Home) -> str:
    return home.log_path.read_text(errors="replace") if home.log_path.exists() else ""
