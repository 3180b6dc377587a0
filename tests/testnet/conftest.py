"""Fixtures: another network's node (the real API app over the in-memory FakeNode, served by
uvicorn on loopback) answering on a port that a testnet node should own."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

import uvicorn  # noqa: E402
from fake_node import FakeNode  # noqa: E402

from chainbook.api import create_app  # noqa: E402

SERVER_START_TIMEOUT_S = 10.0

Impostor = Callable[[int, str], FakeNode]


@pytest.fixture
def impostor() -> Iterator[Impostor]:
    """impostor(port, chain_id): serve a FakeNode of `chain_id` on 127.0.0.1:port."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def serve(port: int, chain_id: str) -> FakeNode:
        node = FakeNode(chain_id)
        config = uvicorn.Config(create_app(node), host="127.0.0.1", port=port, log_level="error")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return node

    yield serve
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=SERVER_START_TIMEOUT_S)
