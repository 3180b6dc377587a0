"""Fixtures shared across the test folders: a FakeNode (tests/support/fake_node.py), the real API
app over it (in-process, or served by uvicorn on loopback in a thread), and a CliRunner."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from chainbook.api import create_app
from chainbook.api.server import api_server_config
from tests.support.fake_node import FakeNode

SERVER_START_TIMEOUT_S = 10.0


@pytest.fixture
def node() -> FakeNode:
    return FakeNode()


@pytest.fixture
def http(node: FakeNode) -> TestClient:
    """The real API app over `node`, in process."""
    return TestClient(create_app(node, node.registry))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(node: FakeNode, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    """The real API app over `node` served by uvicorn on 127.0.0.1:port, in a thread."""
    config = api_server_config(create_app(node, node.registry), "127.0.0.1", port)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    return server, thread


@pytest.fixture
def served_node(node: FakeNode) -> Iterator[tuple[FakeNode, str]]:
    """(fake node, its API URL) through real HTTP."""
    port = free_port()
    server, thread = serve(node, port)
    try:
        yield node, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=SERVER_START_TIMEOUT_S)
