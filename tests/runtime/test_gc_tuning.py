"""A booted node's collector settings (runtime/collector.py): what exists
after boot is frozen out of the collections, and young collections are rarer than CPython's
700 allocations."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainbook.runtime.collector import GC_THRESHOLDS, tune_garbage_collector


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


def test_run_node_tunes_the_collector_once_the_node_is_booted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from chainbook.runtime import node as runtime_node

    calls: list[str] = []

    class BootedNode:
        def __init__(self, home: object) -> None:
            calls.append("booted")

        async def run(self) -> None:
            calls.append("ran")

    monkeypatch.setattr(runtime_node, "Node", BootedNode)
    monkeypatch.setattr(runtime_node.Home, "load_config", lambda self: None)
    monkeypatch.setattr(runtime_node, "configure_node_logging", lambda home, config: None)
    monkeypatch.setattr(runtime_node, "tune_garbage_collector", lambda: calls.append("tuned"))
    switch_interval = sys.getswitchinterval()
    try:
        runtime_node.run_node(tmp_path)
    finally:
        sys.setswitchinterval(switch_interval)
    assert calls == ["booted", "tuned", "ran"]
