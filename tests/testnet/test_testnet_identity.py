"""A testnet never takes another node for its own: /status must carry its chain id and the
node id of the home; a taken port stops `up` before anything starts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainbook import testnet
from chainbook.cli.main import app
from chainbook.errors import ConfigError
from chainbook.ledger.genesis import dump_genesis
from chainbook.runtime.config import env_name
from chainbook.testnet.processes import compute_node_environment

from .conftest import Impostor


@pytest.fixture
def net(tmp_path: Path) -> testnet.Testnet:
    return testnet.init_testnet(tmp_path / "net", validators=1, seed="identity")


def test_a_port_answered_by_another_chain_is_not_our_node(
    net: testnet.Testnet, impostor: Impostor
) -> None:
    entry = net.nodes[0]
    impostor(entry.api_port, "another-chain")
    (row,) = testnet.status(net.path)
    assert row.status is None and row.height is None
    assert "'another-chain', not 'chainbook-local'" in row.wrong_node
    with pytest.raises(testnet.WrongNode, match="node0.*another-chain"):
        testnet.wait_until_ready(net.path, timeout_s=5)


def test_same_chain_but_another_node_id_is_not_our_node(tmp_path: Path, impostor: Impostor) -> None:
    net = testnet.init_testnet(tmp_path / "net", validators=1, chain_id="test-chain", seed="x")
    impostor(net.nodes[0].api_port, "test-chain")
    (row,) = testnet.status(net.path)
    assert row.status is None
    assert "node id" in row.wrong_node and "not 'test-chain'" not in row.wrong_node


def test_our_own_node_is_recognised(tmp_path: Path, impostor: Impostor) -> None:
    """The positive case: the FakeNode reports validator0's key, so a testnet whose node0 has
    that key, the same chain id and the same genesis accepts it (no false alarm); with
    another genesis.json the same node is not ours."""
    net = testnet.init_testnet(tmp_path / "net", validators=1, chain_id="test-chain", seed="y")
    from tests.support.fake_node import VALIDATOR_KEYS

    entry = net.nodes[0]
    forged = [
        testnet.NodeEntry(**{**_fields(entry), "public_key": VALIDATOR_KEYS[0].public_key.hex()})
    ]
    net.nodes = forged
    testnet.save_testnet(net)
    fake = impostor(entry.api_port, "test-chain")
    (row,) = testnet.status(net.path)
    assert "genesis" in row.wrong_node and "node id" not in row.wrong_node  # our genesis.json
    net.genesis_path.write_bytes(dump_genesis(fake.genesis))  # now the FakeNode's genesis too
    (row,) = testnet.status(net.path)
    assert row.wrong_node == "" and row.status is not None


def _fields(entry: testnet.NodeEntry) -> dict[str, object]:
    return {name: getattr(entry, name) for name in entry.__struct_fields__}


def test_status_command_says_not_this_node(net: testnet.Testnet, impostor: Impostor) -> None:
    impostor(net.nodes[0].api_port, "another-chain")
    result = CliRunner().invoke(
        app, ["testnet", "status", "--dir", str(net.path)], terminal_width=250
    )
    assert result.exit_code == 1
    assert "not this testnet's node" in result.output and "another-chain" in result.output


def test_up_refuses_when_a_port_is_taken_and_starts_nothing(
    net: testnet.Testnet, impostor: Impostor
) -> None:
    impostor(net.nodes[0].api_port, "another-chain")
    with pytest.raises(ConfigError, match=rf"node0: api {net.nodes[0].api_port}"):
        testnet.up(net.path)
    assert net.home("node0").read_pid() is None


def test_node_processes_do_not_inherit_config_overrides() -> None:
    environ = {env_name("api_port"): "9999", env_name("moniker"): "x", "CHAINBOOK_NODE": "u"}
    environ["HOME"] = os.environ.get("HOME", "/")
    env = compute_node_environment(environ)
    assert env_name("api_port") not in env and env_name("moniker") not in env
    assert env["CHAINBOOK_NODE"] == "u" and env["PYTHONUNBUFFERED"] == "1"
    assert Path(env["PYTHONPATH"].split(os.pathsep)[0], "chainbook", "testnet").is_dir()


def test_package_keeps_the_old_surface() -> None:
    """`from chainbook import testnet` callers (demo, bench, tests) keep working."""
    for name in (
        "init_testnet",
        "up",
        "down",
        "kill",
        "status",
        "wait_until_height",
        "tail",
        "query_node",
        "COIN_UNIT",
        "NodeRow",
        "Testnet",
        "add_node",
        "get_block_hashes",
    ):
        assert name in testnet.__all__ and hasattr(testnet, name), name
