"""docs/OPERATIONS.md's runbook, run: four organisations on separate hosts bootstrap a consortium
sharing only public material, the chain commits, a fifth organisation joins as a full node and
syncs, and a node on another genesis is refused at the handshake without harm to anyone.

Hosts are network namespaces with their own addresses (tests/e2e/hosts.py), or distinct
loopback addresses where namespaces cannot be made (the test says so with a warning). Each
organisation's files are made in its own folder by the CLI, as the runbook says; what crosses
between folders (`share`) is public: node ids and certificate requests to the CA,
certificates and the CA's public certificate and revocation list back, the genesis file, peer
addresses. The nodes are real `chainbook node start` processes, one per host.
"""

from __future__ import annotations

import shutil
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainbook import keyfile
from chainbook.api.service import NodeStatus
from chainbook.cli.main import app
from chainbook.client.http import Client, ClientError
from chainbook.runtime.config import CONFIG_KEYS, env_name
from tests.e2e.hosts import Host, Hosts, free_port, separate_hosts

pytestmark = pytest.mark.integration

FAST = keyfile.KdfCost(opslimit=1, memlimit_bytes=64 * 1024)
WIDTH = 250
VALIDATOR_ORGS = ["org-a", "org-b", "org-c", "org-d"]
WAIT_S = 40.0
CHAIN_ID = "acme-1"


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(keyfile, "KDF_COST_DEFAULT", FAST)
    monkeypatch.delenv(keyfile.PASSPHRASE_ENV, raising=False)
    yield


def cli(*args: object, code: int = 0) -> str:
    result = CliRunner().invoke(
        app, [str(a) for a in args], terminal_width=WIDTH, env={"COLUMNS": str(WIDTH)}
    )
    assert result.exit_code == code, f"chainbook {' '.join(map(str, args))}: {result.output}"
    return result.output


def share(source: Path, folder: Path) -> Path:
    """Hand a public file to another organisation (by mail, in real life)."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(source, folder / source.name))


class Org:
    def __init__(self, name: str, root: Path, host: Host, hosts: Hosts) -> None:
        self.name, self.folder, self.host = name, root / name, host
        self.home = self.folder / "node"
        same_ports = hosts.isolated  # a host of its own has the whole port range
        self.p2p = f"{host.ip}:{26600 if same_ports else free_port(host.ip)}"
        self.api = f"{host.ip}:{26700 if same_ports else free_port(host.ip)}"
        self.log = self.folder / "node.out"

    @property
    def url(self) -> str:
        return f"http://{self.api}"

    def init(self, *extra: object) -> str:
        cli("init", "--home", self.home, "--moniker", self.name, "--p2p", self.p2p,
            "--api", self.api, *extra)  # fmt: skip
        return cli("node", "id", "--home", self.home).strip()

    def start(self, peers: list[str], **env: str) -> None:
        environment = {
            k: v for k, v in _base_environment().items() if k not in _CONFIG_VARIABLES
        }
        environment.update(CHAINBOOK_PEERS=",".join(peers), CHAINBOOK_SIGNATURE_WORKERS="1")
        environment.update(env)
        with self.log.open("ab") as out:
            self.host.popen(
                [sys.executable, "-m", "chainbook", "node", "start", "--home", str(self.home)],
                env=environment, stdout=out, stderr=out,
            )  # fmt: skip

    def status(self) -> NodeStatus | None:
        try:
            with Client(self.url, timeout_s=2.0) as client:
                return client.status()
        except ClientError:
            return None


_CONFIG_VARIABLES = {env_name(key) for key in CONFIG_KEYS}


def _base_environment() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def wait_for(what: str, check: Callable[[], bool], orgs: list[Org]) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    states = {o.name: (s.height, len(s.peers)) if (s := o.status()) else None for o in orgs}
    tails = {o.name: o.log.read_text()[-600:] for o in orgs if o.log.exists()}
    raise AssertionError(f"{what}: not within {WAIT_S} s; (height, peers) {states}; {tails}")


def heights(orgs: list[Org]) -> list[int]:
    return [s.height if (s := o.status()) else -1 for o in orgs]


def test_the_runbook_on_separate_hosts(tmp_path: Path) -> None:
    with separate_hosts(6) as hosts:
        if not hosts.isolated:
            warnings.warn(
                f"runbook test on loopback addresses, not network namespaces: {hosts.reason}",
                stacklevel=1,
            )
        run_the_runbook(tmp_path, hosts)


def run_the_runbook(root: Path, hosts: Hosts) -> None:
    orgs = [Org(name, root, hosts[i], hosts) for i, name in enumerate(VALIDATOR_ORGS)]
    joiner = Org("org-e", root, hosts[4], hosts)
    stranger = Org("org-f", root, hosts[5], hosts)
    ca_folder = root / "consortium-ca"
    coordinator = orgs[0]

    # 1. Each organisation makes its node's home; org-a's key is encrypted (runbook step 1).
    passphrase = coordinator.folder / "passphrase"
    coordinator.folder.mkdir(parents=True)
    passphrase.write_text("org-a's passphrase")
    passphrase.chmod(0o600)
    node_ids = {}
    for org in [*orgs, joiner, stranger]:
        extra = ["--encrypt", "--passphrase-file", passphrase] if org is coordinator else []
        node_ids[org.name] = org.init(*extra)
        request = org.folder / f"{org.name}.csr"
        cli("node", "csr", "--home", org.home, "--out", request,
            *(["--passphrase-file", passphrase] if org is coordinator else []))  # fmt: skip
        share(request, ca_folder / "inbox")

    # 2. The CA operator admits every node from its request; 3. each installs what came back.
    cli("ca", "init", "--dir", ca_folder / "ca", "--name", "acme consortium CA")
    for org in [*orgs, joiner, stranger]:
        certificate = ca_folder / "outbox" / f"{org.name}.pem"
        certificate.parent.mkdir(exist_ok=True)
        request = ca_folder / "inbox" / f"{org.name}.csr"
        cli("ca", "issue", "--dir", ca_folder / "ca", "--csr", request, "--out", certificate)
        received = org.folder / "from-ca"
        for public in (certificate, ca_folder / "ca" / "ca.pem", ca_folder / "ca" / "revoked.json"):
            share(public, received)
        cli("node", "install-cert", "--home", org.home, "--ca", received / "ca.pem",
            "--cert", received / f"{org.name}.pem",
            "--revocation-list", received / "revoked.json")  # fmt: skip

    # 4. The coordinator assembles the genesis from the node ids; everyone checks its hash.
    account = coordinator.folder / "treasury.json"
    cli("keys", "new", "--out", account)
    treasury = keyfile.read_key_file_info(account).address.hex()
    draft = coordinator.folder / "genesis.json"
    cli("genesis", "new", draft, "--chain-id", CHAIN_ID, "--empty-block-interval-ms", "1000")
    for org in orgs:
        cli("genesis", "add-validator", draft, "--public-key", node_ids[org.name],
            "--power", "10", "--name", org.name)  # fmt: skip
    cli("genesis", "add-account", draft, "--address", treasury, "--amount", "1000000")
    announced = cli("genesis", "hash", draft).strip()
    for org in [*orgs, joiner]:
        copy = share(draft, org.folder / "from-coordinator")
        assert cli("genesis", "hash", copy).strip() == announced, org.name
        cli("node", "install-genesis", "--home", org.home, "--file", copy)

    # 5-6. Peers and start: each validator on its own host, dialing the other validators.
    validator_p2p = [org.p2p for org in orgs]
    for org in orgs:
        env = {"CHAINBOOK_KEY_PASSPHRASE_FILE": str(passphrase)} if org is coordinator else {}
        org.start([p for p in validator_p2p if p != org.p2p], **env)
    wait_for("the consortium commits", lambda: min(heights(orgs)) >= 3, orgs)
    receipt = cli("send", "--key", account, "--to", "00" * 20, "--amount", "5",
                  "--wait", "--node", orgs[2].url)  # fmt: skip
    assert "committed" in receipt
    statuses = [o.status() for o in orgs]
    assert all(s is not None and s.genesis_hash == announced for s in statuses)

    # 7. A fifth organisation joins as a full node and syncs; meanwhile a node on another
    # genesis (same chain id, same validators, another genesis time) tries to join too.
    foreign = stranger.folder / "genesis.json"
    cli("genesis", "new", foreign, "--chain-id", CHAIN_ID, "--genesis-time-ms", "1700000000000")
    for org in orgs:
        cli("genesis", "add-validator", foreign, "--public-key", node_ids[org.name],
            "--power", "10", "--name", org.name)  # fmt: skip
    assert cli("genesis", "hash", foreign).strip() != announced
    cli("node", "install-genesis", "--home", stranger.home, "--file", foreign)
    before = max(heights(orgs))
    joiner.start(validator_p2p)
    stranger.start(validator_p2p)
    wait_for("org-e syncs", lambda: heights([joiner])[0] >= before, [*orgs, joiner])
    joined = joiner.status()
    assert joined is not None and not joined.is_validator
    with Client(joiner.url) as client, Client(orgs[1].url) as other:
        assert client.get_block(before).header == other.get_block(before).header

    # The stranger is refused at the handshake, with the reason logged, and nobody is harmed.
    wait_for(
        "org-f is refused for its genesis",
        lambda: "network_id_mismatch" in stranger.log.read_text(errors="replace"),
        [stranger],
    )
    refused_at = max(heights(orgs))
    wait_for("the consortium keeps committing", lambda: min(heights(orgs)) > refused_at, orgs)
    alone = stranger.status()
    assert alone is not None and alone.height == 0 and alone.peers == []
    assert alone.genesis_hash != announced
    assert any("network_id_mismatch" in o.log.read_text(errors="replace") for o in orgs)
    for org in [*orgs, joiner]:
        peers = org.status().peers  # type: ignore[union-attr]
        assert node_ids["org-f"] not in {p.node_id for p in peers}, org.name
    common = min(heights([*orgs, joiner]))
    hashes = set()
    for org in [*orgs, joiner]:
        with Client(org.url) as client:
            hashes.add(client.get_block(common).hash)
    assert len(hashes) == 1
