"""Fixtures: a FakeNode and a TestClient on the real API app built over it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

if importlib.util.find_spec("chainbook") is None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from fake_node import FakeNode  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from chainbook.api import create_app  # noqa: E402


@pytest.fixture
def node() -> FakeNode:
    return FakeNode()


@pytest.fixture
def http(node: FakeNode) -> TestClient:
    return TestClient(create_app(node))
