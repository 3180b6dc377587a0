"""What a testnet folder holds and where: the description file, the names, the ports.

Layout of a testnet folder D:

    D/testnet.json           what is in it: chain id, nodes (ports, keys' public halves), accounts
    D/genesis.json           the shared genesis (each home holds a copy)
    D/ca/                    the network CA (chainbook.ca): ca.key (0600, never leaves D/ca),
                             ca.pem, revoked.json, issued/
    D/node0 .. nodeN-1       validator homes (chainbook.runtime.home), power 10 each
    D/nodeN ..               full nodes (follow and verify, do not vote)
    D/accounts/<name>.json   funded demo accounts' key files (alice, bob, ...), mode 0600

Ports: node i listens for peers on base_port + i and serves the API on base_port + 100 + i, so a
person can tell a port's role by its value (26600 = node0's p2p, 26700 = node0's API).
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from pathlib import Path

import msgspec

from chainbook.client.http import Client
from chainbook.errors import ConfigError
from chainbook.runtime.home import Home

BASE_PORT_DEFAULT = 26600
API_PORT_OFFSET = 100
"""API port = p2p port + this; it also bounds the number of nodes of one testnet."""
NODES_MAX = API_PORT_OFFSET
BASE_PORT_TRIES_MAX = 20
BASE_PORT_STEP = 1000
HOST = "127.0.0.1"
CHAIN_ID_DEFAULT = "chainbook-local"


class NodeEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    home: str
    """Relative to the testnet folder, so the folder can be moved."""
    validator: bool
    address: str
    public_key: str
    """The node id: its Ed25519 public key, hex; what its /status must report as node_id."""
    p2p_port: int
    api_port: int
    host: str = HOST

    @property
    def p2p_address(self) -> str:
        return f"{self.host}:{self.p2p_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"


class AccountEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    address: str
    key_file: str
    """Relative to the testnet folder."""
    amount: int


class Testnet(msgspec.Struct, forbid_unknown_fields=True):
    """The content of D/testnet.json, plus `root` (not stored) once loaded."""

    chain_id: str
    created_ms: int
    base_port: int
    nodes: list[NodeEntry]
    accounts: list[AccountEntry]
    root: str = ""

    @property
    def path(self) -> Path:
        return Path(self.root)

    @property
    def ca_dir(self) -> Path:
        return self.path / "ca"

    @property
    def genesis_path(self) -> Path:
        return self.path / "genesis.json"

    def node(self, name: str) -> NodeEntry:
        for entry in self.nodes:
            if entry.name == name:
                return entry
        known = ", ".join(n.name for n in self.nodes)
        raise ConfigError(f"no node {name!r} in {self.path} (nodes: {known})")

    def home(self, name: str) -> Home:
        return Home(self.path / self.node(name).home)

    def account(self, name: str) -> AccountEntry:
        for entry in self.accounts:
            if entry.name == name:
                return entry
        known = ", ".join(a.name for a in self.accounts)
        raise ConfigError(f"no account {name!r} in {self.path} (accounts: {known})")

    def account_key_path(self, name: str) -> Path:
        return self.path / self.account(name).key_file

    def client(self, name: str, timeout_s: float = 10.0) -> Client:
        return Client(self.node(name).api_url, timeout_s=timeout_s)

    def select(self, names: Iterable[str] | None) -> list[NodeEntry]:
        return list(self.nodes) if names is None else [self.node(n) for n in names]


def testnet_file(root: Path) -> Path:
    return Path(root) / "testnet.json"


def load_testnet(root: Path) -> Testnet:
    path = testnet_file(root)
    if not path.is_file():
        raise ConfigError(f"{root} holds no testnet ({path} is missing); run `testnet init`")
    try:
        testnet = msgspec.json.decode(path.read_bytes(), type=Testnet)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    testnet.root = str(Path(root).resolve())
    return testnet


def save_testnet(testnet: Testnet) -> None:
    stored = msgspec.structs.replace(testnet, root="")
    data = msgspec.json.format(msgspec.json.encode(stored), indent=2) + b"\n"
    testnet_file(testnet.path).write_bytes(data)


# --- ports -----------------------------------------------------------------------------------


def is_port_free(port: int, host: str = HOST) -> bool:
    """True when nothing listens on (host, port). SO_REUSEADDR as servers use, so a port whose
    old connections are in TIME_WAIT counts as free, as it is for the node that will bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def compute_ports(base_port: int, index: int) -> tuple[int, int]:
    """(p2p_port, api_port) of node `index`."""
    return base_port + index, base_port + API_PORT_OFFSET + index


def get_busy_ports(base_port: int, indexes: Iterable[int]) -> list[int]:
    ports = [p for i in indexes for p in compute_ports(base_port, i)]
    return [p for p in ports if not is_port_free(p)]


def choose_base_port(node_count: int, base_port: int | None) -> int:
    """The given base port if its ports are free, else the first free block from the default."""
    if base_port is not None:
        if not 1024 <= base_port <= 65535 - API_PORT_OFFSET - NODES_MAX:
            raise ConfigError(f"base port {base_port}: accepted 1024..{65535 - 2 * NODES_MAX}")
        busy = get_busy_ports(base_port, range(node_count))
        if busy:
            raise ConfigError(f"base port {base_port}: ports {busy} are in use; pick another")
        return base_port
    for attempt in range(BASE_PORT_TRIES_MAX):
        candidate = BASE_PORT_DEFAULT + attempt * BASE_PORT_STEP
        if not get_busy_ports(candidate, range(node_count)):
            return candidate
    raise ConfigError("no free block of ports found; pass a base port explicitly")


__all__ = [
    "API_PORT_OFFSET",
    "BASE_PORT_DEFAULT",
    "CHAIN_ID_DEFAULT",
    "HOST",
    "NODES_MAX",
    "AccountEntry",
    "NodeEntry",
    "Testnet",
    "choose_base_port",
    "compute_ports",
    "get_busy_ports",
    "is_port_free",
    "load_testnet",
    "save_testnet",
    "testnet_file",
]
