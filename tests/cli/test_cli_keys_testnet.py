"""`chainbook keys` and `chainbook testnet init/add-node`: files, modes, genesis, ports, errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from chainbook.cli.main import app
from chainbook.keyfile import load_key_file
from chainbook.ledger.genesis import load_genesis
from chainbook.runtime.home import Home
from chainbook.testnet import API_PORT_OFFSET, load_testnet


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- keys --------------------------------------------------------------------------------------


def test_keys_new_writes_a_0600_file(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "me.json"
    result = runner.invoke(app, ["keys", "new", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert mode(out) == 0o600
    key = load_key_file(out)
    assert key.address.hex() in result.output


def test_keys_new_never_overwrites(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "me.json"
    runner.invoke(app, ["keys", "new", "--out", str(out)])
    before = out.read_bytes()
    result = runner.invoke(app, ["keys", "new", "--out", str(out)])
    assert result.exit_code == 1
    assert "already exists" in result.output and "Traceback" not in result.output
    assert out.read_bytes() == before


def test_keys_new_without_out_prints_the_key_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["keys", "new"])
    assert result.exit_code == 0
    parsed = json.loads(result.stdout.splitlines()[0])
    assert set(parsed) == {"seed", "public_key", "address"}


def test_keys_show_prints_address_not_seed(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "me.json"
    runner.invoke(app, ["keys", "new", "--out", str(out)])
    seed = json.loads(out.read_text())["seed"]
    result = runner.invoke(app, ["keys", "show", str(out)], terminal_width=200)
    assert result.exit_code == 0
    assert load_key_file(out).address.hex() in result.output
    assert seed not in result.output


def test_keys_address_prints_the_address_alone(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "me.json"
    runner.invoke(app, ["keys", "new", "--out", str(out)])
    result = runner.invoke(app, ["keys", "address", str(out)])
    assert result.exit_code == 0
    assert result.stdout == load_key_file(out).address.hex() + "\n"
    missing = runner.invoke(app, ["keys", "address", str(tmp_path / "nope.json")])
    assert missing.exit_code != 0 and "does not exist" in missing.output


def test_keys_show_refuses_a_group_readable_file(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "me.json"
    runner.invoke(app, ["keys", "new", "--out", str(out)])
    out.chmod(0o644)
    result = runner.invoke(app, ["keys", "show", str(out)], terminal_width=200)
    assert result.exit_code == 1
    assert "0644" in result.output and "chmod 600" in result.output


def test_keys_show_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["keys", "show", str(tmp_path / "nope.json")], terminal_width=200)
    assert result.exit_code == 1 and "does not exist" in result.output


def test_keys_show_corrupt_file(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"seed": "00", "public_key": "00", "address": "00"}')
    path.chmod(0o600)
    result = runner.invoke(app, ["keys", "show", str(path)], terminal_width=200)
    assert result.exit_code == 1 and "seed must be 64 hex" in result.output


# --- testnet init --------------------------------------------------------------------------------


@pytest.fixture
def testnet_dir(runner: CliRunner, tmp_path: Path) -> Path:
    root = tmp_path / "net"
    result = runner.invoke(
        app,
        ["testnet", "init", "--validators", "4", "--full-nodes", "1", "--dir", str(root)],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    return root


def test_init_creates_every_file(testnet_dir: Path) -> None:
    net = load_testnet(testnet_dir)
    assert [n.name for n in net.nodes] == ["node0", "node1", "node2", "node3", "node4"]
    assert [n.validator for n in net.nodes] == [True, True, True, True, False]
    for entry in net.nodes:
        home = Home(testnet_dir / entry.home)
        home.verify()  # config, key, genesis and TLS files all load
        for path in (home.config_path, home.genesis_path, home.key_path, home.node_cert_path):
            assert path.is_file(), path
        assert home.ca_cert_path.read_bytes() == (testnet_dir / "ca" / "ca.pem").read_bytes()
        assert home.data_dir.is_dir()


def test_init_key_files_are_0600(testnet_dir: Path) -> None:
    private = list(testnet_dir.glob("node*/node_key.json")) + list(testnet_dir.glob("accounts/*"))
    private.append(testnet_dir / "ca" / "ca.key")
    assert len(private) == 5 + 4 + 1
    for path in private:
        assert mode(path) == 0o600, path


def test_init_genesis_is_valid_and_shared(testnet_dir: Path) -> None:
    genesis_bytes = (testnet_dir / "genesis.json").read_bytes()
    genesis = load_genesis(genesis_bytes)
    assert genesis.chain_id == "chainbook-local"
    assert [v.power for v in genesis.validators] == [10] * 4
    bank = genesis.app_state["bank"]
    assert bank.coin.symbol == "CBK" and bank.coin.decimals == 6
    issuance = bank.issuance
    assert issuance.block_reward > 0 and issuance.halving_interval_blocks > 0
    assert sum(a.amount for a in bank.accounts) < issuance.supply_max
    net = load_testnet(testnet_dir)
    assert {a.address for a in bank.accounts} == {a.address for a in net.accounts}
    validator_keys = {v.public_key for v in genesis.validators}
    assert validator_keys == {n.public_key for n in net.nodes if n.validator}
    for entry in net.nodes:
        assert (testnet_dir / entry.home / "genesis.json").read_bytes() == genesis_bytes


def test_init_ports_are_distinct_and_peers_form_a_full_mesh(testnet_dir: Path) -> None:
    net = load_testnet(testnet_dir)
    ports = [p for n in net.nodes for p in (n.p2p_port, n.api_port)]
    assert len(set(ports)) == len(ports)
    for n in net.nodes:
        assert n.api_port == n.p2p_port + API_PORT_OFFSET
        config = Home(testnet_dir / n.home).load_config()
        assert (config.p2p_port, config.api_port) == (n.p2p_port, n.api_port)
        assert set(config.peers) == {o.p2p_address for o in net.nodes if o.name != n.name}


def test_init_certificates_carry_each_node_key(testnet_dir: Path) -> None:
    ca = x509.load_pem_x509_certificate((testnet_dir / "ca" / "ca.pem").read_bytes())
    for home_dir in sorted(testnet_dir.glob("node*")):
        home = Home(home_dir)
        cert = x509.load_pem_x509_certificate(home.node_cert_path.read_bytes())
        raw = cert.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        assert raw == home.load_key().public_key
        assert cert.issuer == ca.subject


def test_init_twice_is_refused(runner: CliRunner, testnet_dir: Path) -> None:
    result = runner.invoke(app, ["testnet", "init", "--dir", str(testnet_dir)], terminal_width=200)
    assert result.exit_code == 1 and "already holds a testnet" in result.output


def test_init_with_seed_is_reproducible(runner: CliRunner, tmp_path: Path) -> None:
    for name in ("a", "b"):
        args = ["testnet", "init", "--dir", str(tmp_path / name), "--seed", "7"]
        assert runner.invoke(app, args).exit_code == 0
    a, b = load_testnet(tmp_path / "a"), load_testnet(tmp_path / "b")
    assert [n.address for n in a.nodes] == [n.address for n in b.nodes]
    assert [x.address for x in a.accounts] == [x.address for x in b.accounts]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--validators", "0"], ["--validators", "greater than or equal to 1"]),
        (["--full-nodes", "-1"], ["--full-nodes"]),
        (["--validators", "many"], ["--validators", "valid integer"]),
        (["--base-port", "80"], ["base port 80", "1024"]),
        (["--chain-id", "Bad Chain"], ["chain_id", "Bad Chain"]),
    ],
)
def test_init_bad_arguments_name_the_value(
    runner: CliRunner, tmp_path: Path, args: list[str], words: list[str]
) -> None:
    result = runner.invoke(
        app, ["testnet", "init", "--dir", str(tmp_path / "x"), *args], terminal_width=200
    )
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output


def test_add_node_joins_with_the_same_ca_and_genesis(runner: CliRunner, testnet_dir: Path) -> None:
    result = runner.invoke(app, ["testnet", "add-node", "--dir", str(testnet_dir)])
    assert result.exit_code == 0, result.output
    net = load_testnet(testnet_dir)
    late = net.nodes[-1]
    assert late.name == "node5" and not late.validator
    home = Home(testnet_dir / late.home)
    home.verify()
    assert set(home.load_config().peers) == {n.p2p_address for n in net.nodes[:-1]}
    assert home.genesis_path.read_bytes() == (testnet_dir / "genesis.json").read_bytes()
    cert = x509.load_pem_x509_certificate(home.node_cert_path.read_bytes())
    ca = x509.load_pem_x509_certificate((testnet_dir / "ca" / "ca.pem").read_bytes())
    assert cert.issuer == ca.subject


def test_testnet_commands_on_a_missing_dir(runner: CliRunner, tmp_path: Path) -> None:
    for command in ("up", "down", "status", "add-node"):
        result = runner.invoke(
            app, ["testnet", command, "--dir", str(tmp_path / "none")], terminal_width=200
        )
        assert result.exit_code == 1, (command, result.output)
        assert "holds no testnet" in result.output


def test_status_of_a_stopped_testnet(runner: CliRunner, testnet_dir: Path) -> None:
    result = runner.invoke(
        app, ["testnet", "status", "--dir", str(testnet_dir)], terminal_width=200
    )
    assert result.exit_code == 0
    assert "node0" in result.output and "node4" in result.output


def test_node_start_with_a_broken_home(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["node", "start", "--home", str(tmp_path)], terminal_width=200)
    assert result.exit_code == 1 and "config.toml" in result.output
