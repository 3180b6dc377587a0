"""A booted node's collector settings (runtime/node.py tune_garbage_collector): what exists
after boot is frozen out of the collections, and young collections are rarer than CPython's
700 allocations."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from chainbook.runtime.node import GC_THRESHOLDS, tune_garbage_collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_the_booted_node_freezes_what_it_holds_and_collects_less_often() -> None:
    held = [[index] for index in range(1_000)]  # stands for the booted node's objects
    tune_garbage_collector()
    assert gc.get_threshold() == GC_THRESHOLDS and GC_THRESHOLDS[0] > 700
    assert gc.get_freeze_count() >= len(held)
    assert not any(gc.is_tracked(item) and item in gc.get_objects(0) for item in held[:5])
    # A cycle made after boot is still collected.
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1
