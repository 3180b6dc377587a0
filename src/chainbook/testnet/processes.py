"""Start and stop a testnet's node processes, and find them again by pid.

Rules kept:

- `up` starts each node as its own OS process (`python -m chainbook node start`) in its own
  session, output to H/node.out, pid to H/node.pid; a node already running is left alone.
- Before starting a node, `up` checks that its two ports are free: a port held by another
  process (another testnet, an old node) would otherwise make the new node die at bind while
  the other one answers in its place. Nothing is started if any port is taken.
- The nodes' environment is the caller's minus every CHAINBOOK_<config key> variable: one such
  variable in an operator's shell would otherwise give all nodes of the testnet the same
  port or moniker.
- Before signalling a pid, `down` and `kill` check that the process is still the node of that
  home (its command line names the home), so a recycled pid never gets a signal meant for a
  node. Every wait has a timeout.
"""

from __future__ import annotations

import contextlib
import os
import signal as signals
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import psutil

from chainbook.errors import ConfigError
from chainbook.runtime.config import CONFIG_KEYS, env_name
from chainbook.runtime.home import Home
from chainbook.testnet.layout import NodeEntry, is_port_free, load_testnet

STOP_TIMEOUT_S_DEFAULT = 15.0

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


def compute_node_environment(environ: dict[str, str]) -> dict[str, str]:
    """The environment of a node process: `environ` without config overrides, unbuffered
    output, and this source tree importable."""
    config_variables = {env_name(key) for key in CONFIG_KEYS}
    env = {k: v for k, v in environ.items() if k not in config_variables}
    env["PYTHONUNBUFFERED"] = "1"
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    return env


def _start_node(home: Home) -> int:
    with home.out_path.open("ab") as out:
        process = subprocess.Popen(
            node_command(home.root),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=home.root,
            env=compute_node_environment(dict(os.environ)),
            start_new_session=True,
        )
    _children[process.pid] = process
    home.write_pid(process.pid)
    return process.pid


def verify_ports_free(entries: Iterable[NodeEntry]) -> None:
    """Raise ConfigError naming each node whose p2p or API port another process holds."""
    problems = []
    for entry in entries:
        busy = [
            f"{role} {port}"
            for role, port in (("p2p", entry.p2p_port), ("api", entry.api_port))
            if not is_port_free(port, entry.host)
        ]
        if busy:
            problems.append(f"{entry.name}: {', '.join(busy)}")
    if problems:
        raise ConfigError(
            "ports in use by another process, so these nodes were not started (nothing was): "
            + "; ".join(problems)
            + ". Stop that process, or create the testnet again with another --base-port"
        )


def up(root: Path, nodes: Iterable[str] | None = None) -> dict[str, int]:
    """Start the nodes (all by default) that are not running; returns {name: pid}."""
    testnet = load_testnet(root)
    entries = testnet.select(nodes)
    running = {e.name: get_node_process(testnet.home(e.name)) for e in entries}
    verify_ports_free(e for e in entries if running[e.name] is None)
    pids = {}
    for entry in entries:
        process = running[entry.name]
        pids[entry.name] = (
            process.pid if process is not None else _start_node(testnet.home(entry.name))
        )
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


__all__ = [
    "STOP_TIMEOUT_S_DEFAULT",
    "compute_node_environment",
    "down",
    "get_node_process",
    "kill",
    "node_command",
    "up",
    "verify_ports_free",
]
