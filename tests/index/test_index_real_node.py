"""A real node process feeds its index off the commit path and refeeds it at start: after a
SIGKILL and the loss of the whole index file, the restarted node answers the same searches
and block events (its start-up replay rebuilt them from the book)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainbook import testnet
from chainbook.apps.bank import Transfer
from chainbook.client import Wallet
from chainbook.runtime.chain_reads import INDEX_FILE
from chainbook.testnet.layout import API_PORT_OFFSET, get_busy_ports
from tests.conftest import free_port

pytestmark = [pytest.mark.integration]


def free_base_port() -> int:
    """A base port the OS just handed out (not testnet's first free block from its default,
    which every test run on a shared machine picks alike, so a restarted node could find
    its port taken by another run's server)."""
    for _ in range(50):
        port = free_port()
        if port + API_PORT_OFFSET < 65_000 and not get_busy_ports(port, range(1)):
            return port
    raise AssertionError("no free base port")


@pytest.fixture
def single(tmp_path: Path) -> Iterator[testnet.Testnet]:
    net = testnet.init_testnet(tmp_path / "net", validators=1, base_port=free_base_port())
    try:
        testnet.up(net.path)
        testnet.wait_until_ready(net.path, timeout_s=30)
        yield net
    finally:
        testnet.down(net.path, timeout_s=10)


def test_index_search_survives_kill_and_loss_of_the_index_file(single: testnet.Testnet) -> None:
    root = single.path
    bob = bytes.fromhex(single.account("bob").address)
    with single.client("node0") as client:
        alice = Wallet.from_key_file(single.account_key_path("alice"), client)
        sent = alice.send(Transfer(bob, 1_000), wait=True, timeout_s=20)
        assert sent.receipt is not None and sent.receipt.ok
        height = sent.receipt.height
        testnet.wait_until_height(root, height + 2, timeout_s=30)
        page = client.search_txs(account=bob)
        assert [t.hash for t in page.txs] == [sent.hash]
        before = client.get_block_results(height)
        assert client.health().status == "ok"
        assert client.status().index_height is not None

    assert testnet.kill(root, "node0", signal.SIGKILL)
    index_file = root / "node0" / "data" / INDEX_FILE
    for path in index_file.parent.glob(INDEX_FILE + "*"):
        path.unlink()  # the whole index, with its WAL

    testnet.up(root, ["node0"])
    testnet.wait_until_ready(root, ["node0"], timeout_s=30)
    with single.client("node0") as client:
        assert [t.hash for t in client.search_txs(account=bob).txs] == [sent.hash]
        after = client.get_block_results(height)
        assert after == before
        assert (client.status().index_height or 0) >= height
