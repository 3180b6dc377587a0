"""Look at a running testnet from outside: each node's process and /status, and bounded waits.

Rules kept:

- A node is only counted as ours if its /status says so: the chain id is the testnet's, the
  genesis hash that of its genesis.json, and the node id is the public key of that node's
  home. A port answered by another network's node (a testnet left running elsewhere, a stale
  process) is reported as such, never as our node's height, and makes every wait fail at once
  with `WrongNode` (waiting would not help).
- Every wait has a deadline and fails naming each node's state, or as soon as a node process is
  found dead (NodeExited, with the last lines of its output).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from chainbook.api.service import NodeStatus
from chainbook.client.http import Client, ClientError
from chainbook.errors import ChainbookError, ConfigError
from chainbook.ledger.genesis import load_genesis
from chainbook.testnet.layout import NodeEntry, Testnet, load_testnet
from chainbook.testnet.processes import get_node_process

STATUS_TIMEOUT_S = 2.0
POLL_S = 0.25


class NodeExited(ChainbookError):
    """A node process we were waiting on is gone."""


class WrongNode(ChainbookError):
    """A node's API port is answered by a node of another chain, or another node."""


@dataclass(frozen=True)
class NodeRow:
    """One node as seen from outside: its process and its /status (None when unreachable, or
    when the port answers as another node: then `wrong_node` says who answered)."""

    name: str
    validator: bool
    api_url: str
    pid: int | None
    alive: bool
    status: NodeStatus | None
    error: str = ""
    wrong_node: str = ""

    @property
    def height(self) -> int | None:
        return self.status.height if self.status is not None else None


def compute_identity_mismatch(testnet: Testnet, entry: NodeEntry, status: NodeStatus) -> str:
    """"" if `status` is that of `entry`'s node, else a sentence saying who answered."""
    problems = []
    if status.chain_id != testnet.chain_id:
        problems.append(f"chain {status.chain_id!r}, not {testnet.chain_id!r}")
    if status.node_id.lower() != entry.public_key.lower():
        problems.append(f"node id {status.node_id[:16]}..., not {entry.public_key[:16]}...")
    genesis_hash = get_genesis_hash(testnet)
    if status.genesis_hash and genesis_hash and status.genesis_hash != genesis_hash:
        problems.append(f"genesis {status.genesis_hash[:16]}..., not {genesis_hash[:16]}...")
    if not problems:
        return ""
    return (
        f"{entry.api_url} answers as {status.moniker!r} of another network or node "
        f"({'; '.join(problems)}): another process holds {entry.name}'s port"
    )


def get_genesis_hash(testnet: Testnet) -> str:
    """The hash of the testnet's genesis.json ("" if it cannot be read), cached per file."""
    path = testnet.genesis_path
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    cached = _GENESIS_HASHES.get(path)
    if cached is None or cached[0] != data:
        try:
            cached = (data, load_genesis(data).hash.hex())
        except ConfigError:
            cached = (data, "")
        _GENESIS_HASHES[path] = cached
    return cached[1]


_GENESIS_HASHES: dict[Path, tuple[bytes, str]] = {}


def query_node(testnet: Testnet, entry: NodeEntry) -> NodeRow:
    home = testnet.home(entry.name)
    process = get_node_process(home)
    node_status: NodeStatus | None = None
    error = wrong_node = ""
    try:
        with Client(entry.api_url, timeout_s=STATUS_TIMEOUT_S) as client:
            node_status = client.status()
    except ClientError as exc:
        error = str(exc)
    if node_status is not None:
        wrong_node = compute_identity_mismatch(testnet, entry, node_status)
        if wrong_node:
            node_status, error = None, wrong_node
    return NodeRow(
        name=entry.name,
        validator=entry.validator,
        api_url=entry.api_url,
        pid=process.pid if process is not None else home.read_pid(),
        alive=process is not None,
        status=node_status,
        error=error,
        wrong_node=wrong_node,
    )


def status(root: Path, nodes: Iterable[str] | None = None) -> list[NodeRow]:
    testnet = load_testnet(root)
    return [query_node(testnet, entry) for entry in testnet.select(nodes)]


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


def _check_identity(rows: dict[str, NodeRow]) -> None:
    wrong = [f"{row.name}: {row.wrong_node}" for row in rows.values() if row.wrong_node]
    if wrong:
        raise WrongNode("; ".join(wrong))


def wait_until(
    root: Path,
    is_done: Callable[[dict[str, NodeRow]], bool],
    what: str,
    nodes: Iterable[str] | None = None,
    timeout_s: float = 60.0,
    on_progress: Callable[[dict[str, NodeRow]], None] | None = None,
) -> dict[str, NodeRow]:
    """Poll the nodes' status until `is_done(rows)`; raise TimeoutError naming each node's state,
    NodeExited as soon as a node process is found dead, WrongNode as soon as a port answers as
    another node."""
    testnet = load_testnet(root)
    entries = testnet.select(nodes)
    deadline = time.monotonic() + timeout_s
    while True:
        rows = {e.name: query_node(testnet, e) for e in entries}
        if on_progress is not None:
            on_progress(rows)
        _check_identity(rows)
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
    """Wait until every selected node answers /status as itself."""
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
    "NodeExited",
    "NodeRow",
    "WrongNode",
    "compute_identity_mismatch",
    "describe",
    "get_block_hashes",
    "get_heights",
    "query_node",
    "status",
    "tail",
    "wait_until",
    "wait_until_height",
    "wait_until_ready",
]
