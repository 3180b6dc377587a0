"""The machine a benchmark ran on, read from the machine itself (never typed in by hand).

A throughput number without its hardware is not a result: CometBFT's QA reports and BigchainDB's
BEP-23 both state CPU model, core count and memory next to every figure, and so do we.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any


def read_cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The first `model name` of /proc/cpuinfo; the platform's processor string elsewhere."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def read_memory_bytes(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def count_usable_cpus() -> int:
    """CPUs this process may run on (what `nproc` prints): the cgroup/affinity limit counts,
    not the host's total, since a container's 2 cores are what the nodes share."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def read_git_commit(repo: Path) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = done.stdout.strip() or "unknown"
    dirty = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True, text=True, timeout=5, check=False,
    ).stdout.strip()
    return commit + ("+dirty" if dirty else "")


def describe_machine() -> dict[str, Any]:
    """CPU model, usable CPUs, memory, OS, Python and the code's git commit."""
    memory = read_memory_bytes()
    return {
        "cpu_model": read_cpu_model(),
        "cpus_usable": count_usable_cpus(),
        "cpus_host": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1) if memory else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "git_commit": read_git_commit(Path(__file__).resolve().parents[3]),
    }


__all__ = ["count_usable_cpus", "describe_machine", "read_cpu_model", "read_memory_bytes"]
