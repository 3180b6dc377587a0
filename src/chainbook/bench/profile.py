"""Sampling profiles of the node processes during a load (py-spy), summarised per function.

py-spy samples a running process from outside (no code change, no restart) with
`--nonblocking`, so the node is not paused while sampled. The raw (collapsed-stack) output
is summarised here into:
- self %: share of samples whose innermost frame is the function (where time is spent);
- inclusive %: share of samples with the function anywhere on the stack (what it costs);
- busy: samples / (rate x duration), how much of the wall time the main thread was on CPU
  or waiting in a call (py-spy skips idle threads unless --idle).
An SVG flame graph is written next to the raw file for people to read.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

SAMPLE_RATE_HZ = 100
_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def find_py_spy() -> str | None:
    import sys

    candidate = Path(sys.executable).with_name("py-spy")
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


def start_profilers(
    pids: dict[str, int], duration_s: float, out_dir: Path, label: str
) -> dict[str, tuple[subprocess.Popen[bytes], Path]]:
    """One `py-spy record` per node, raw format; returns {node: (process, raw path)}."""
    py_spy = find_py_spy()
    if py_spy is None:
        raise RuntimeError("py-spy is not installed: pip install py-spy")
    out_dir.mkdir(parents=True, exist_ok=True)
    running = {}
    for name, pid in pids.items():
        raw = out_dir / f"{label}-{name}.txt"
        command = [py_spy, "record", "--pid", str(pid), "--duration", str(int(duration_s)),
                   "--rate", str(SAMPLE_RATE_HZ), "--nonblocking", "--format", "raw",
                   "-o", str(raw)]
        running[name] = (subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL), raw)
    return running


def wait_profilers(
    running: dict[str, tuple[subprocess.Popen[bytes], Path]], timeout_s: float
) -> dict[str, Path]:
    done = {}
    for name, (process, raw) in running.items():
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if raw.exists():
            done[name] = raw
    return done


def short_file(path: str) -> str:
    """`.../site-packages/starlette/routing.py` -> `starlette/routing.py`."""
    for marker in ("site-packages/", "/src/", "/lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path.rsplit("/", 2)[-1] if "/" in path else path


def parse_frame(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    return f"{match['name']} ({short_file(match['file'])})"


def read_stacks(raw: Path) -> Counter[tuple[str, ...]]:
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        stacks[tuple(parse_frame(f) for f in stack.split(";"))] += int(count)
    return stacks


def summarize_profile(raw: Path, duration_s: float, top: int = 25) -> dict[str, Any]:
    stacks = read_stacks(raw)
    total = sum(stacks.values())
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    by_file: Counter[str] = Counter()
    for frames, count in stacks.items():
        if not frames:
            continue
        self_time[frames[-1]] += count
        by_file[frames[-1].rsplit("(", 1)[-1].rstrip(")")] += count
        for name in set(frames):
            inclusive[name] += count

    def share(counter: Counter[str]) -> list[list[Any]]:
        return [[name, round(100 * n / total, 1)] for name, n in counter.most_common(top)]

    return {
        "samples": total,
        "busy_fraction": round(total / (SAMPLE_RATE_HZ * duration_s), 3) if duration_s else None,
        "self_pct": share(self_time) if total else [],
        "inclusive_pct": share(inclusive) if total else [],
        "self_pct_by_file": share(by_file) if total else [],
    }


__all__ = ["start_profilers", "summarize_profile", "wait_profilers"]
