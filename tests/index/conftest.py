"""A private PostgreSQL server per test session (tests/index/postgres_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import free_port
from tests.index.postgres_server import postgres_server


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    with postgres_server(free_port()) as dsn:
        yield dsn
