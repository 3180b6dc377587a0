"""A chaos testnet: `chainbook testnet init` homes, node processes, the links between them, and
every fault a node or its disk can suffer.

Rules kept:
- Homes come from chainbook.testnet.init_testnet (the same CA, genesis and config steps as
  `chainbook testnet init`); only each node's `peers` is rewritten, to the proxy of each link
  (tests/chaos/proxy.py), so every byte between two nodes crosses a link the suite controls.
- A node is one OS process started by tests/chaos/node_entry.py (the real runtime Node; a clock
  offset or a Byzantine behaviour only when asked), in its own session, its pid in the home, so
  chainbook.testnet's status and pid checks work on it unchanged.
- Disk faults are made only on a stopped node, as an operator or a failing disk would leave it.
- Every wait has a deadline; every process this module starts is stopped by `close()`.
"""

from __future__ import annotations

import contextlib
import os
import signal as signals
import subprocess
import sys
from pathlib import Path

import psutil

from chainbook import testnet
from chainbook.runtime.config import NodeConfig, write_config
from chainbook.runtime.home import Home
from chainbook.storage import consensus_record_path
from chainbook.testnet.processes import compute_node_environment
from tests.chaos.proxy import ProxyNetwork

REPO_ROOT = Path(__file__).resolve().parents[2]
PROXY_PORT_OFFSET = 200
"""Link (i, j) listens on base_port + 200 + 10 i + j (node ports are base + i, base + 100 + i)."""
NODES_MAX = 10
EXIT_TIMEOUT_S = 15.0
SQLITE_PAGE_BYTES = 4096


BASE_PORTS = range(12_000, 24_000, 400)
"""Below the kernel's ephemeral ports (32768+) and apart from the ports `testnet init` picks
(26600 + k * 1000): while all nodes of a chaos run are down, another testnet on the machine
must not see their ports free and take them (measured: it did, with the default ports)."""


def choose_base_port() -> int:
    start = os.getpid() % len(BASE_PORTS)
    for offset in range(len(BASE_PORTS)):
        base = BASE_PORTS[(start + offset) % len(BASE_PORTS)]
        ports = [base + k for k in range(PROXY_PORT_OFFSET + NODES_MAX * NODES_MAX)]
        if all(testnet.is_port_free(p) for p in ports):
            return base
    raise RuntimeError(f"no free port range among {BASE_PORTS}")


class ChaosCluster:
    def __init__(self, root: Path, validators: int, seed: int) -> None:
        if not 1 <= validators <= NODES_MAX:
            raise ValueError(f"validators: 1..{NODES_MAX}, got {validators}")
        self.root = Path(root).resolve()
        self.seed = seed
        self.net = testnet.init_testnet(
            self.root, validators=validators, seed=f"chaos/{seed}", base_port=choose_base_port()
        )
        self.names = [entry.name for entry in self.net.nodes]
        base = self.net.base_port
        busy = [
            p for p in (self.proxy_port(i, j) for i in range(validators) for j in range(validators))
            if not testnet.is_port_free(p)
        ]
        if busy:
            raise RuntimeError(f"proxy ports {busy} are in use; remove {self.root} and retry")
        self.network = ProxyNetwork([base + i for i in range(validators)], self.proxy_port, seed)
        for i, name in enumerate(self.names):
            home = self.home(name)
            config = home.load_config()
            peers = [f"127.0.0.1:{self.proxy_port(i, j)}" for j in range(validators) if j != i]
            write_config(home.config_path, _with_peers(config, peers))
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self.network.start()

    def proxy_port(self, source: int, target: int) -> int:
        return self.net.base_port + PROXY_PORT_OFFSET + NODES_MAX * source + target

    def home(self, name: str) -> Home:
        return self.net.home(name)

    def index(self, name: str) -> int:
        return self.names.index(name)

    # ------------------------------------------------------------------ processes

    def start(self, name: str, clock_offset_ms: int = 0, byzantine: str | None = None) -> int:
        home = self.home(name)
        if self.is_running(name):
            raise RuntimeError(f"{name} is running already")
        command = [sys.executable, "-m", "tests.chaos.node_entry", "--home", str(home.root)]
        if clock_offset_ms:
            command += ["--clock-offset-ms", str(clock_offset_ms)]
        if byzantine is not None:
            command += ["--byzantine", byzantine]
        env = compute_node_environment(dict(os.environ))
        env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env["PYTHONPATH"]])
        with home.out_path.open("ab") as out:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=home.root,
                env=env,
                start_new_session=True,
            )
        self._processes[name] = process
        home.write_pid(process.pid)
        return process.pid

    def start_all(self) -> None:
        for name in self.names:
            if not self.is_running(name):
                self.start(name)

    def is_running(self, name: str) -> bool:
        process = self._processes.get(name)
        return process is not None and process.poll() is None

    def signal(self, name: str, sig: int) -> None:
        process = self._processes.get(name)
        if process is None or process.poll() is not None:
            raise RuntimeError(f"{name} is not running")
        process.send_signal(sig)

    def kill(self, name: str, sig: int = signals.SIGKILL) -> None:
        """Stop `name` with `sig` (a crash by default) and wait for it to exit."""
        process = self._processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            workers = psutil.Process(process.pid).children(recursive=True)
        except psutil.Error:
            workers = []
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signals.SIGCONT)  # a stopped process cannot act on SIGTERM
            process.send_signal(sig)
        try:
            process.wait(EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(EXIT_TIMEOUT_S)
        # A SIGKILLed node cannot stop its signature workers; they exit when its pipes close.
        # Wait for that, so a restarted node never shares the machine with the old workers.
        _, alive = psutil.wait_procs(workers, timeout=5)
        for worker in alive:
            with contextlib.suppress(psutil.Error):
                worker.kill()
        self.home(name).remove_pid()

    def close(self) -> None:
        for name in list(self._processes):
            self.kill(name, signals.SIGTERM)
        self.network.stop()

    # ------------------------------------------------------------------ disk faults

    def corrupt_page(self, name: str, page: int) -> None:
        """Overwrite one page of the stopped node's book with junk (a disk that lost a write)."""
        assert not self.is_running(name)
        book = self.home(name).book_path
        _checkpoint_removed(book)
        with book.open("r+b") as f:
            size = f.seek(0, os.SEEK_END)
            page = min(page, size // SQLITE_PAGE_BYTES - 1)
            f.seek(page * SQLITE_PAGE_BYTES)
            f.write(bytes((i * 37 + 11) % 256 for i in range(SQLITE_PAGE_BYTES)))

    def delete_book_wal(self, name: str) -> bool:
        """Delete the SQLite write-ahead log of a node that crashed: its latest committed blocks
        are gone from its book (its consensus record is not). True if there was one."""
        assert not self.is_running(name)
        book = self.home(name).book_path
        wal = book.with_name(book.name + "-wal")
        existed = wal.exists() and wal.stat().st_size > 0
        for suffix in ("-wal", "-shm"):
            book.with_name(book.name + suffix).unlink(missing_ok=True)
        return existed

    def delete_consensus_record(self, name: str) -> None:
        assert not self.is_running(name)
        consensus_record_path(self.home(name).root).unlink()

    def reset_signing(self, name: str, above_height: int) -> None:
        """The operator's way back after a lost record (`chainbook node reset-signing`)."""
        subprocess.run(
            [
                sys.executable, "-m", "chainbook", "node", "reset-signing",
                "--home", str(self.home(name).root), "--above-height", str(above_height),
            ],
            check=True,
            capture_output=True,
            env=compute_node_environment(dict(os.environ)),
            timeout=60,
        )


def _with_peers(config: NodeConfig, peers: list[str]) -> NodeConfig:
    import msgspec

    return msgspec.structs.replace(config, peers=peers)


def _checkpoint_removed(book: Path) -> None:
    """Page numbers are those of the main file only when no -wal holds newer pages: a node
    stopped with SIGTERM has checkpointed; after a crash the -wal is folded in first."""
    import sqlite3

    wal = book.with_name(book.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        with contextlib.closing(sqlite3.connect(book)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


__all__ = ["ChaosCluster"]
