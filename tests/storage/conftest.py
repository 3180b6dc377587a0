from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chainbook.storage import BlockStore, MemoryBlockStore, SqliteBlockStore

Reopen = Callable[[], BlockStore]


@pytest.fixture(params=["sqlite", "memory"])
def store_and_reopen(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[BlockStore, Reopen]]:
    """A fresh store, and a function that 'restarts the node': closes it and opens it again."""
    if request.param == "sqlite":
        path = tmp_path / "book.sqlite"
        opened: list[SqliteBlockStore] = [SqliteBlockStore(path)]

        def reopen_sqlite() -> BlockStore:
            opened[-1].close()
            opened.append(SqliteBlockStore(path))
            return opened[-1]

        yield opened[0], reopen_sqlite
        opened[-1].close()
    else:
        memory = MemoryBlockStore()

        def reopen_memory() -> BlockStore:
            memory.close()
            return memory.reopen()

        yield memory, reopen_memory


@pytest.fixture
def store(store_and_reopen: tuple[BlockStore, Reopen]) -> BlockStore:
    return store_and_reopen[0]
