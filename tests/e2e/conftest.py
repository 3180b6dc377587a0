"""A real 4-validator network on loopback, shared by the end-to-end tests of one module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chainbook import testnet


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("testnet")
    testnet.init_testnet(root, validators=4, seed="e2e")
    testnet.up(root)
    try:
        testnet.wait_until_ready(root, timeout_s=30)
        testnet.wait_until_height(root, 2, timeout_s=30)
        yield root
    finally:
        testnet.down(root)
