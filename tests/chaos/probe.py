"""Which network faults this machine can make in the kernel: network namespaces and tc netem.

The chaos suite runs each node in its own network namespace with netem where the machine has
both (root, iproute2, the sch_netem module); elsewhere it runs one forwarding proxy per link
(proxy.py). `probe_netem` says which, and why, in one line that the report prints.
"""

from __future__ import annotations

import os
import shutil
import subprocess

PROBE_NAMESPACE = "chainbook-chaos-probe"
PROBE_TIMEOUT_S = 10


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
    )


def probe_netem() -> str:
    """"netem available" or the reason it is not (as the kernel or the tool said it)."""
    if os.geteuid() != 0:
        return "netem not tried: not root"
    if shutil.which("ip") is None or shutil.which("tc") is None:
        return "netem not tried: iproute2 (ip, tc) not installed"
    added = _run("ip", "netns", "add", PROBE_NAMESPACE)
    if added.returncode != 0:
        return f"no network namespaces: {added.stderr.strip()}"
    try:
        _run("ip", "netns", "exec", PROBE_NAMESPACE, "ip", "link", "set", "lo", "up")
        netem = _run(
            "ip", "netns", "exec", PROBE_NAMESPACE,
            "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "10ms",
        )
        if netem.returncode != 0:
            return f"namespaces work, netem does not: {netem.stderr.strip()}"
        return "netem available"
    finally:
        _run("ip", "netns", "del", PROBE_NAMESPACE)


__all__ = ["probe_netem"]
