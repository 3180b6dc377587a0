"""Fixtures: another network's node (the real API app over the in-memory FakeNode, served by
uvicorn on loopback) answering on a port that a testnet node should own."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import uvicorn

from tests.conftest import SERVER_START_TIMEOUT_S, serve
from tests.support.fake_node import FakeNode

Impostor = Callable[[int, str], FakeNode]


@pytest.fixture
def impostor() -> Iterator[Impostor]:
    """impostor(port, chain_id): serve a FakeNode of `chain_id` on 127.0.0.1:port."""
    servers: list[tuple[uvicorn.Server, object]] = []

    def start(port: int, chain_id: str) -> FakeNode:
        node = FakeNode(chain_id)
        servers.append(serve(node, port))
        return node

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=SERVER_START_TIMEOUT_S)  # type: ignore[attr-defined]
