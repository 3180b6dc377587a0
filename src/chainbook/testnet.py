"""A local network on loopback: create node homes, start and stop node processes, wait on them.

Layout of a testnet folder D:

    D/testnet.json           what is in it: chain id, nodes (ports, keys' public halves), accounts
    D/ca/ca.key  ca.pem      the network CA; ca.key is mode 0600 and never leaves D/ca
    D/node0 .. nodeN-1       validator homes (chainbook.runtime.home), power 10 each
    D/nodeN ..               full nodes (follow and verify, do not vote)
    D/accounts/<name>.json   funded demo accounts' key files (alice, bob, ...), mode 0600

Ports: node i listens for peers on base_port + i and serves the API on base_port + 100 + i, so a
person can tell a port's role by its value (26600 = node0's p2p, 26700 = node0's API).

Processes: `up` starts each node as its own OS process (`python -m chainbook node start`) in its
own session, output to H/node.out, pid to H/node.pid. Before signalling a pid, `down` and `kill`
check that the process is still the node of that home (its command line names the home), so a
recycled pid never gets a signal meant for a node. Every wait has a timeout and fails with a
message that says which node is where.

Everything returns plain values (paths, ports, pids, heights), so tests drive a network with the
same functions as the CLI and the demo.
"""

from __future__ import annotations

import contextlib
import os
import signal as signals
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import msgspec
import psutil

from chainbook.api.service import NodeStatus
from chainbook.apps.bank import BankGenesis, GenesisAccount, Issuance
from chainbook.chain.genesis import Genesis, GenesisValidator
from chainbook.client.http import Client, ClientError
from chainbook.crypto import PrivateKey
from chainbook.errors import ChainbookError, ConfigError
from chainbook.keyfile import KEY_FILE_MODE, write_key_file
from chainbook.ledger.genesis import dump_genesis, load_genesis, make_genesis
from chainbook.runtime.config import NodeConfig
from chainbook.runtime.home import Home, create_home, now_ms

BASE_PORT_DEFAULT = 26600
API_PORT_OFFSET = 100
"""API port = p2p port + this; it also bounds the number of nodes of one testnet."""
NODES_MAX = API_PORT_OFFSET
BASE_PORT_TRIES_MAX = 20
BASE_PORT_STEP = 1000
HOST = "127.0.0.1"
CHAIN_ID_DEFAULT = "chainbook-local"
VALIDATOR_POWER = 10
DEMO_ACCOUNTS = ("alice", "bob", "carol", "dave")
COIN_UNIT = 10**6
"""1 CBK in the smallest unit (decimals 6)."""
DEMO_ACCOUNT_AMOUNT = 1_000_000 * COIN_UNIT
BLOCK_REWARD = 1 * COIN_UNIT
HALVING_INTERVAL_BLOCKS = 100_000
SUPPLY_MAX = 21_000_000 * COIN_UNIT
STOP_TIMEOUT_S_DEFAULT = 15.0
STATUS_TIMEOUT_S = 2.0
POLL_S = 0.25


# --- description of a testnet ------------------------------------------------------------------


class NodeEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    home: str
    """Relative to the testnet folder, so the folder can be moved."""
    validator: bool
    address: str
    public_key: str
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


def _busy_ports(base_port: int, indexes: Iterable[int]) -> list[int]:
    ports = [p for i in indexes for p in compute_ports(base_port, i)]
    return [p for p in ports if not is_port_free(p)]


def choose_base_port(node_count: int, base_port: int | None) -> int:
    """The given base port if its ports are free, else the first free block from the default."""
    if base_port is not None:
        if not 1024 <= base_port <= 65535 - API_PORT_OFFSET - NODES_MAX:
            raise ConfigError(f"base port {base_port}: accepted 1024..{65535 - 2 * NODES_MAX}")
        busy = _busy_ports(base_port, range(node_count))
        if busy:
            raise ConfigError(f"base port {base_port}: ports {busy} are in use; pick another")
        return base_port
    for attempt in range(BASE_PORT_TRIES_MAX):
        candidate = BASE_PORT_DEFAULT + attempt * BASE_PORT_STEP
        if not _busy_ports(candidate, range(node_count)):
            return candidate
    raise ConfigError("no free block of ports found; pass a base port explicitly")


# --- init ------------------------------------------------------------------------------------


def _new_key(seed: str | None, label: str) -> PrivateKey:
    """Random keys, or with a seed the same keys every time (for tests; never for real funds)."""
    return (
        PrivateKey.generate() if seed is None else PrivateKey.from_label(f"testnet/{seed}/{label}")
    )


def build_genesis(
    chain_id: str, validator_keys: list[tuple[str, PrivateKey]], accounts: list[AccountEntry]
) -> Genesis:
    """The shared genesis: equal-power validators, funded demo accounts, a capped issuance."""
    bank = BankGenesis(
        accounts=[GenesisAccount(address=a.address, amount=a.amount) for a in accounts],
        issuance=Issuance(
            block_reward=BLOCK_REWARD,
            halving_interval_blocks=HALVING_INTERVAL_BLOCKS,
            supply_max=SUPPLY_MAX,
        ),
    )
    return make_genesis(
        chain_id=chain_id,
        genesis_time_ms=now_ms(),
        validators=[
            GenesisValidator(name=name, public_key=key.public_key.hex(), power=VALIDATOR_POWER)
            for name, key in validator_keys
        ],
        app_state={"bank": bank},
    )


def _write_ca(ca_dir: Path, chain_id: str) -> tuple[bytes, bytes]:
    from chainbook.p2p.tls import create_network_ca

    ca_key_pem, ca_cert_pem = create_network_ca(f"{chain_id} network CA")
    ca_dir.mkdir(mode=0o700, parents=True)
    key_path = ca_dir / "ca.key"
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    with os.fdopen(fd, "wb") as key_file:
        os.fchmod(fd, KEY_FILE_MODE)
        key_file.write(ca_key_pem)
    (ca_dir / "ca.pem").write_bytes(ca_cert_pem)
    return ca_key_pem, ca_cert_pem


def _read_ca(ca_dir: Path) -> tuple[bytes, bytes]:
    key_path, cert_path = ca_dir / "ca.key", ca_dir / "ca.pem"
    if not key_path.is_file() or not cert_path.is_file():
        raise ConfigError(f"the network CA is missing from {ca_dir} (ca.key, ca.pem)")
    return key_path.read_bytes(), cert_path.read_bytes()


def _write_accounts(root: Path, names: Iterable[str], seed: str | None) -> list[AccountEntry]:
    accounts_dir = root / "accounts"
    accounts_dir.mkdir(mode=0o700)
    entries = []
    for name in names:
        key = _new_key(seed, f"account/{name}")
        key_path = write_key_file(accounts_dir / f"{name}.json", key)
        entries.append(
            AccountEntry(
                name=name,
                address=key.address.hex(),
                key_file=str(key_path.relative_to(root)),
                amount=DEMO_ACCOUNT_AMOUNT,
            )
        )
    return entries


def _make_node_home(
    root: Path,
    entry: NodeEntry,
    key: PrivateKey,
    genesis: Genesis,
    ca: tuple[bytes, bytes],
    peers: list[str],
    nodes_on_machine: int,
) -> None:
    from chainbook.p2p.tls import issue_node_certificate

    ca_key_pem, ca_cert_pem = ca
    config = NodeConfig(
        moniker=entry.name,
        p2p_host=entry.host,
        p2p_port=entry.p2p_port,
        api_host=entry.host,
        api_port=entry.api_port,
        peers=peers,
        verify_threads=max(1, (os.cpu_count() or 1) // nodes_on_machine),
    )
    node_cert_pem = issue_node_certificate(ca_key_pem, ca_cert_pem, key.seed, entry.name)
    create_home(
        root / entry.home,
        config=config,
        key=key,
        genesis=genesis,
        ca_cert_pem=ca_cert_pem,
        node_cert_pem=node_cert_pem,
    )


def _node_entry(
    name: str, key: PrivateKey, validator: bool, base_port: int, index: int
) -> NodeEntry:
    p2p_port, api_port = compute_ports(base_port, index)
    return NodeEntry(
        name=name,
        home=name,
        validator=validator,
        address=key.address.hex(),
        public_key=key.public_key.hex(),
        p2p_port=p2p_port,
        api_port=api_port,
    )


def verify_init_args(validators: int, full_nodes: int) -> None:
    if validators < 1:
        raise ConfigError(f"validators: need at least 1, got {validators} (4 tolerates 1 fault)")
    if full_nodes < 0:
        raise ConfigError(f"full nodes: must be >= 0, got {full_nodes}")
    if validators + full_nodes > NODES_MAX:
        raise ConfigError(
            f"{validators + full_nodes} nodes: a local testnet holds at most {NODES_MAX}"
        )


def init_testnet(
    root: Path,
    validators: int = 4,
    full_nodes: int = 0,
    base_port: int | None = None,
    chain_id: str = CHAIN_ID_DEFAULT,
    seed: str | int | None = None,
    accounts: Iterable[str] = DEMO_ACCOUNTS,
) -> Testnet:
    """Create a testnet folder: CA, node homes (full mesh), shared genesis, funded accounts.

    `seed` makes node and account keys reproducible (the CA key is always fresh).
    """
    verify_init_args(validators, full_nodes)
    root = Path(root).resolve()
    if testnet_file(root).exists() or (root / "node0").exists():
        raise ConfigError(f"{root} already holds a testnet; choose another folder or delete it")
    seed_text = None if seed is None else str(seed)
    node_count = validators + full_nodes
    base_port = choose_base_port(node_count, base_port)
    root.mkdir(parents=True, exist_ok=True)
    keys = [_new_key(seed_text, f"node{i}") for i in range(node_count)]
    entries = [
        _node_entry(f"node{i}", keys[i], i < validators, base_port, i) for i in range(node_count)
    ]
    account_entries = _write_accounts(root, accounts, seed_text)
    genesis = build_genesis(
        chain_id,
        [(e.name, k) for e, k in zip(entries, keys, strict=True) if e.validator],
        account_entries,
    )
    load_genesis(dump_genesis(genesis))  # refuse to write a genesis that would not load
    ca = _write_ca(root / "ca", chain_id)
    (root / "genesis.json").write_bytes(dump_genesis(genesis))
    for entry, key in zip(entries, keys, strict=True):
        peers = [other.p2p_address for other in entries if other.name != entry.name]
        _make_node_home(root, entry, key, genesis, ca, peers, node_count)
    testnet = Testnet(
        chain_id=chain_id,
        created_ms=now_ms(),
        base_port=base_port,
        nodes=entries,
        accounts=account_entries,
        root=str(root),
    )
    save_testnet(testnet)
    return testnet


def add_node(root: Path, validator: bool = False, seed: str | int | None = None) -> NodeEntry:
    """Create a late full node's home: a CA-issued certificate, the shared genesis, and every
    existing node as a peer. It joins by block sync; existing nodes accept it when it dials."""
    if validator:
        raise ConfigError(
            "a validator cannot be added by editing files: the validator set changes only by a "
            "governance transaction approved by > 2/3 of the current power; add a full node"
        )
    testnet = load_testnet(root)
    index = len(testnet.nodes)
    verify_init_args(1, index)
    key = _new_key(None if seed is None else str(seed), f"node{index}")
    entry = _node_entry(f"node{index}", key, False, testnet.base_port, index)
    busy = [p for p in (entry.p2p_port, entry.api_port) if not is_port_free(p)]
    if busy:
        raise ConfigError(f"ports {busy} for {entry.name} are in use")
    genesis = load_genesis((testnet.path / "genesis.json").read_bytes())
    peers = [n.p2p_address for n in testnet.nodes]
    ca = _read_ca(testnet.ca_dir)
    _make_node_home(testnet.path, entry, key, genesis, ca, peers, len(testnet.nodes) + 1)
    testnet.nodes.append(entry)
    save_testnet(testnet)
    return entry


# --- processes -------------------------------------------------------------------------------

_children: dict[int, subprocess.Popen[bytes]] = {}
"""Node processes this Python process started: polled so that dead ones are reaped, not
left as zombies that would look alive."""


def node_command(home: Path) -> list[str]:
    return [sys.executable, "-m", "chainbook", "node", "start", "--home", str(home)]


def get_node_process(home: Home) -> psutil.Process | None:
    """The live process of the node of `home`, or None (no pid file, exited, or pid reused)."""
    pid = home.read_pid()
    if pid is None:
        return None
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        _children.pop(pid, None)
        return None
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        command = process.cmdline()
    except psutil.Error:
        return None
    return process if str(home.root) in command else None


def _start_node(home: Home) -> int:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    src = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    with home.out_path.open("ab") as out:
        process = subprocess.Popen(
            node_command(home.root),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=home.root,
            env=env,
            start_new_session=True,
        )
    _children[process.pid] = process
    home.write_pid(process.pid)
    return process.pid


def up(root: Path, nodes: Iterable[str] | None = None) -> dict[str, int]:
    """Start the nodes (all by default) that are not running; returns {name: pid}."""
    testnet = load_testnet(root)
    pids = {}
    for entry in testnet.select(nodes):
        home = testnet.home(entry.name)
        running = get_node_process(home)
        pids[entry.name] = running.pid if running is not None else _start_node(home)
    return pids


def _signal_node(home: Home, sig: int) -> psutil.Process | None:
    process = get_node_process(home)
    if process is None:
        return None
    with contextlib.suppress(psutil.NoSuchProcess):
        process.send_signal(sig)
    return process


def down(
    root: Path,
    nodes: Iterable[str] | None = None,
    signal: int = signals.SIGTERM,
    timeout_s: float = STOP_TIMEOUT_S_DEFAULT,
) -> dict[str, str]:
    """Stop nodes with `signal`; one still alive after `timeout_s` gets SIGKILL.

    Returns {name: "stopped" | "killed" | "not running"}.
    """
    testnet = load_testnet(root)
    signalled: dict[str, psutil.Process] = {}
    outcome: dict[str, str] = {}
    for entry in testnet.select(nodes):
        process = _signal_node(testnet.home(entry.name), signal)
        if process is None:
            outcome[entry.name] = "not running"
            testnet.home(entry.name).remove_pid()
        else:
            signalled[entry.name] = process
    _, alive = psutil.wait_procs(list(signalled.values()), timeout=timeout_s)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(alive, timeout=timeout_s)
    for name, process in signalled.items():
        outcome[name] = "killed" if process in alive else "stopped"
        _children.pop(process.pid, None)
        testnet.home(name).remove_pid()
    return outcome


def kill(root: Path, node: str, signal: int = signals.SIGKILL, timeout_s: float = 10.0) -> bool:
    """Send `signal` to one node (a crash by default) and wait for it to exit; False if it was
    not running."""
    testnet = load_testnet(root)
    home = testnet.home(node)
    process = _signal_node(home, signal)
    if process is None:
        return False
    psutil.wait_procs([process], timeout=timeout_s)
    child = _children.pop(process.pid, None)
    if child is not None:
        child.poll()
    return True


# --- observing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeRow:
    """One node as seen from outside: its process and its /status (None when unreachable)."""

    name: str
    validator: bool
    api_url: str
    pid: int | None
    alive: bool
    status: NodeStatus | None
    error: str = ""

    @property
    def height(self) -> int | None:
        return self.status.height if self.status is not None else None


def query_node(testnet: Testnet, entry: NodeEntry) -> NodeRow:
    home = testnet.home(entry.name)
    process = get_node_process(home)
    node_status: NodeStatus | None = None
    error = ""
    try:
        with Client(entry.api_url, timeout_s=STATUS_TIMEOUT_S) as client:
            node_status = client.status()
    except ClientError as exc:
        error = str(exc)
    return NodeRow(
        name=entry.name,
        validator=entry.validator,
        api_url=entry.api_url,
        pid=process.pid if process is not None else home.read_pid(),
        alive=process is not None,
        status=node_status,
        error=error,
    )


def status(root: Path, nodes: Iterable[str] | None = None) -> list[NodeRow]:
    testnet = load_testnet(root)
    return [query_node(testnet, entry) for entry in testnet.select(nodes)]


def status_table(rows: list[NodeRow], title: str = "testnet") -> object:
    """A rich Table of `rows` (rich is imported here only, for callers that print)."""
    from rich.table import Table

    table = Table(title=title)
    for column in (
        "node",
        "role",
        "pid",
        "alive",
        "height",
        "app hash",
        "peers",
        "round",
        "repairs",
        "api",
    ):
        table.add_column(
            column, justify="right" if column in ("height", "peers", "round") else "left"
        )
    for row in rows:
        s = row.status
        table.add_row(
            row.name,
            "validator" if row.validator else "full",
            str(row.pid or "-"),
            "[green]yes[/]" if row.alive else "[red]no[/]",
            str(s.height) if s else "-",
            s.app_hash[:12] if s else "-",
            str(len(s.peers)) if s else "-",
            str(s.round) if s else "-",
            str(s.book_repairs) if s else "-",
            row.api_url if s else f"[red]{row.error[:40] or 'unreachable'}[/]",
        )
    return table


class NodeExited(ChainbookError):
    """A node process we were waiting on is gone."""


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no output)"


def _check_alive(testnet: Testnet, names: Iterable[str]) -> None:
    for name in names:
        home = testnet.home(name)
        if home.read_pid() is not None and get_node_process(home) is None:
            raise NodeExited(
                f"{name} exited; last lines of {home.out_path}:\n{tail(home.out_path)}"
            )


def wait_until(
    root: Path,
    is_done: Callable[[dict[str, NodeRow]], bool],
    what: str,
    nodes: Iterable[str] | None = None,
    timeout_s: float = 60.0,
    on_progress: Callable[[dict[str, NodeRow]], None] | None = None,
) -> dict[str, NodeRow]:
    """Poll the nodes' status until `is_done(rows)`; raise TimeoutError naming each node's state,
    or NodeExited as soon as a node process is found dead."""
    testnet = load_testnet(root)
    entries = testnet.select(nodes)
    deadline = time.monotonic() + timeout_s
    while True:
        rows = {e.name: query_node(testnet, e) for e in entries}
        if on_progress is not None:
            on_progress(rows)
        if is_done(rows):
            return rows
        _check_alive(testnet, rows)
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not reached within {timeout_s:g}s; {describe(rows)}")
        time.sleep(POLL_S)


def describe(rows: dict[str, NodeRow]) -> str:
    parts = []
    for name, row in rows.items():
        state = f"height {row.height}" if row.status else f"unreachable ({row.error[:60]})"
        parts.append(f"{name}: {state}")
    return "; ".join(parts)


def wait_until_height(
    root: Path,
    height: int,
    nodes: Iterable[str] | None = None,
    timeout_s: float = 60.0,
    on_progress: Callable[[dict[str, NodeRow]], None] | None = None,
) -> dict[str, int]:
    """Wait until every selected node has committed `height`; returns {name: height}."""
    rows = wait_until(
        root,
        lambda rows: all((r.height or 0) >= height for r in rows.values()),
        f"height {height}",
        nodes,
        timeout_s,
        on_progress,
    )
    return {name: row.height or 0 for name, row in rows.items()}


def wait_until_ready(
    root: Path, nodes: Iterable[str] | None = None, timeout_s: float = 30.0
) -> dict[str, NodeRow]:
    """Wait until every selected node answers /status."""
    return wait_until(
        root,
        lambda rows: all(r.status is not None for r in rows.values()),
        "API ready",
        nodes,
        timeout_s,
    )


def get_heights(root: Path, nodes: Iterable[str] | None = None) -> dict[str, int | None]:
    return {row.name: row.height for row in status(root, nodes)}


def get_block_hashes(
    root: Path, height: int, nodes: Iterable[str] | None = None
) -> dict[str, tuple[str, str]]:
    """{name: (block hash, app hash)} of the block at `height` on each node: identical books
    give identical pairs."""
    testnet = load_testnet(root)
    hashes = {}
    for entry in testnet.select(nodes):
        with testnet.client(entry.name) as client:
            block = client.get_block(height)
        hashes[entry.name] = (block.hash, block.header.app_hash)
    return hashes


__all__ = [
    "API_PORT_OFFSET",
    "BASE_PORT_DEFAULT",
    "CHAIN_ID_DEFAULT",
    "COIN_UNIT",
    "DEMO_ACCOUNTS",
    "AccountEntry",
    "NodeEntry",
    "NodeExited",
    "NodeRow",
    "Testnet",
    "add_node",
    "build_genesis",
    "choose_base_port",
    "compute_ports",
    "down",
    "get_block_hashes",
    "get_heights",
    "get_node_process",
    "init_testnet",
    "is_port_free",
    "kill",
    "load_testnet",
    "node_command",
    "status",
    "status_table",
    "up",
    "wait_until",
    "wait_until_height",
    "wait_until_ready",
]
