"""A private PostgreSQL server for the tests: initdb and pg_ctl in a temp dir, on loopback.

Debian's `postgresql` package (installed by ci/system-packages.sh) puts the server binaries
under /usr/lib/postgresql/<version>/bin. The server refuses to run as root, so as root the
cluster is made and started as the `postgres` system user the package creates. Without the
binaries a test skips with the reason, unless the environment variable CI is set: in CI a
missing server is a failure, never a skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

START_TIMEOUT_S = 30.0


def find_server_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def require_server_bin() -> Path:
    bin_dir = find_server_bin()
    if bin_dir is None:
        reason = "PostgreSQL server not installed (run ci/system-packages.sh or make setup-system)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the PostgreSQL index tests")
        pytest.skip(reason)
    return bin_dir


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def postgres_server(port: int) -> Iterator[str]:
    """A running server on 127.0.0.1:port with a trusted superuser `chainbook`; yields its DSN."""
    bin_dir = require_server_bin()
    root = Path(tempfile.mkdtemp(prefix="chainbook-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    run = _as_server_user
    subprocess.run(
        run([str(bin_dir / "initdb"), "-D", str(data), "-U", "chainbook", "--auth=trust",
             "-E", "UTF8", "--no-sync"]),
        check=True, capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
    subprocess.run(
        run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
             str(root / "log"), "-w", "-t", str(int(START_TIMEOUT_S)), "start"]),
        check=True, capture_output=True,
    )
    dsn = f"host=127.0.0.1 port={port} dbname=postgres user=chainbook connect_timeout=5"
    try:
        _wait_ready(dsn)
        yield dsn
    finally:
        subprocess.run(
            run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(dsn: str) -> None:
    import psycopg

    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            psycopg.connect(dsn).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


__all__ = ["find_server_bin", "postgres_server", "require_server_bin"]
