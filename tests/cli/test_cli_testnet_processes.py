"""Real node processes on loopback, driven by chainbook.testnet: up, commit, pay, crash, down.

Skipped when the node runtime is not built. Every wait is bounded; the network is always
stopped, so a failing test leaves no process behind.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainbook import testnet
from chainbook.apps.bank import Transfer
from chainbook.chain.verify import get_genesis_validators
from chainbook.client import Wallet, verify_tx_proof
from chainbook.ledger.genesis import load_genesis

pytest.importorskip("chainbook.runtime.node")
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def running(tmp_path: Path) -> Iterator[testnet.Testnet]:
    net = testnet.init_testnet(tmp_path / "net", validators=4)
    try:
        testnet.up(net.path)
        testnet.wait_until_ready(net.path, timeout_s=30)
        yield net
    finally:
        testnet.down(net.path, timeout_s=10)


def test_network_commits_pays_and_survives_a_crash(running: testnet.Testnet) -> None:
    root = running.path
    testnet.wait_until_height(root, 2, timeout_s=60)
    with running.client("node1") as client:
        alice = Wallet.from_key_file(running.account_key_path("alice"), client)
        result = alice.send(
            Transfer(bytes.fromhex(running.account("bob").address), 1_000), wait=True, timeout_s=20
        )
        assert result.receipt is not None and result.receipt.ok
        genesis = load_genesis((root / "genesis.json").read_bytes())
        assert verify_tx_proof(client.get_tx(result.hash), get_genesis_validators(genesis))

    assert testnet.kill(root, "node3", signal.SIGKILL)
    survivors = ["node0", "node1", "node2"]
    start = max(h or 0 for h in testnet.get_heights(root, survivors).values())
    testnet.wait_until_height(root, start + 2, survivors, timeout_s=60)
    rows = {row.name: row for row in testnet.status(root)}
    assert not rows["node3"].alive and rows["node0"].alive

    testnet.up(root, ["node3"])
    target = max(h or 0 for h in testnet.get_heights(root, survivors).values())
    testnet.wait_until_height(root, target, timeout_s=60)  # every node: target may be one's
    assert len(set(testnet.get_block_hashes(root, target).values())) == 1

    outcome = testnet.down(root, timeout_s=10)
    assert set(outcome.values()) <= {"stopped", "killed"}
    assert all(not row.alive for row in testnet.status(root))
