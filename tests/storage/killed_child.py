"""Run a writer child process and kill -9 it mid-write (not a test module).

The child prints "ready", then one integer per line after each durable write returns (a
height, a record number). run_until_killed waits for `kill_after` of them, sleeps a seeded
jitter (to land the kill at a different point of the next write: the progress line, not the
sleep, is what says a write is durable) and sends SIGKILL; returns the last number printed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def run_until_killed(
    script: str, args: list[str], kill_after: int, rng: random.Random, jitter_s_max: float
) -> int:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    }
    child = subprocess.Popen(
        [sys.executable, str(HERE / script), *args], stdout=subprocess.PIPE, env=env
    )
    assert child.stdout is not None
    durable = 0
    try:
        assert child.stdout.readline() == b"ready\n"
        while durable < kill_after:
            line = child.stdout.readline()
            assert line, "the writer stopped before it was killed"
            durable = int(line)
        time.sleep(rng.uniform(0, jitter_s_max))  # the child writes on; lines read below
        child.send_signal(signal.SIGKILL)
        # Every number the child printed before it died had returned from its write.
        for line in child.stdout.read().split():
            assert line != b"done", "the writer finished before it was killed"
            durable = int(line)
    finally:
        child.kill()
        child.wait(timeout=10)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    return durable
