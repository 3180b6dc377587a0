"""Fixtures: a CliRunner, and the real API app over a FakeNode served by uvicorn on loopback
(in a thread), so commands that talk to a node are tested through real HTTP."""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

if importlib.util.find_spec("chainbook") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
# The in-memory NodeService lives with the API tests; the CLI tests reuse it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

import uvicorn  # noqa: E402
from fake_node import FakeNode  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from chainbook.api import create_app  # noqa: E402

SERVER_START_TIMEOUT_S = 10.0


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served_node() -> Iterator[tuple[FakeNode, str]]:
    """(fake node, its API URL)."""
    node = FakeNode()
    port = free_port()
    config = uvicorn.Config(create_app(node), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield node, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=SERVER_START_TIMEOUT_S)
