"""Simulated time: an integer millisecond clock and the queue of everything due to happen.

Rules kept:
- Time only moves forward, to the time of the event being popped; nothing reads a wall clock.
- Events due at the same millisecond run in the order they were pushed (the queue is keyed
  by (time_ms, seq)), so a run never depends on how Python compares the events themselves.
- The queue is bounded (`events_max`): a run that floods it is a bug of the simulator or a
  message storm of the core, and fails loudly instead of eating memory.
"""

from __future__ import annotations

import heapq
from typing import Generic, TypeVar

from chainbook.types import TimeMs

T = TypeVar("T")


class EventQueue(Generic[T]):
    """A min-heap of (time_ms, seq, item) and the current simulated time."""

    __slots__ = ("_heap", "_seq", "events_max", "length_max", "now_ms")

    def __init__(self, events_max: int = 200_000) -> None:
        self.now_ms: TimeMs = 0
        self.events_max = events_max
        self._heap: list[tuple[TimeMs, int, T]] = []
        self._seq = 0
        self.length_max = 0
        """The most events queued at once so far (a metric)."""

    def push_at(self, at_ms: TimeMs, item: T) -> None:
        assert at_ms >= self.now_ms, f"event scheduled in the past: {at_ms} < {self.now_ms}"
        assert len(self._heap) < self.events_max, f"event queue over {self.events_max} events"
        heapq.heappush(self._heap, (at_ms, self._seq, item))
        self._seq += 1
        self.length_max = max(self.length_max, len(self._heap))

    def push_after(self, delay_ms: int, item: T) -> None:
        assert delay_ms >= 0
        self.push_at(self.now_ms + delay_ms, item)

    def pop(self) -> T:
        """Advance the clock to the earliest event and return it."""
        at_ms, _, item = heapq.heappop(self._heap)
        assert at_ms >= self.now_ms
        self.now_ms = at_ms
        return item

    def peek_time_ms(self) -> TimeMs | None:
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)


__all__ = ["EventQueue"]
