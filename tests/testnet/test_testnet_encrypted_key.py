"""A real node process opens an encrypted node key with the passphrase from its environment,
and without one stops at start with the reason in its output."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainbook import keyfile, testnet

pytest.importorskip("chainbook.runtime.node")
pytestmark = [pytest.mark.integration]

FAST = keyfile.KdfCost(opslimit=1, memlimit_bytes=64 * 1024)
PASSPHRASE = "node0 passphrase"


def test_a_node_starts_with_an_encrypted_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    net = testnet.init_testnet(tmp_path / "net", validators=1, seed="encrypted")
    home = net.home("node0")
    keyfile.encrypt_key_file(home.key_path, PASSPHRASE.encode(), FAST)
    monkeypatch.delenv(keyfile.PASSPHRASE_ENV, raising=False)
    testnet.up(net.path)
    try:
        with pytest.raises(testnet.NodeExited, match="CHAINBOOK_KEY_PASSPHRASE"):
            testnet.wait_until_ready(net.path, timeout_s=30)
        monkeypatch.setenv(keyfile.PASSPHRASE_ENV, PASSPHRASE)
        testnet.up(net.path)
        testnet.wait_until_height(net.path, 1, timeout_s=30)
        (row,) = testnet.status(net.path)
        assert row.status is not None and row.status.node_id == home.node_id().hex()
    finally:
        testnet.down(net.path, timeout_s=10)
