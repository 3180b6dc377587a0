"""The simulated network: per-message loss, random delay (hence reordering) and partitions.

Rules kept:
- A message is one wire frame: the bytes a node core emitted, delivered as they are, so the
  receiving core decodes them exactly as it would from its transport.
- A message is dropped when the run's loss draw says so, or when sender and receiver are on
  different sides of the current partition at send time. Otherwise it is delivered exactly
  once, after a delay drawn from the seeded rng; two messages between the same pair can
  arrive in either order. Whether the receiver is up is decided at delivery (the simulator
  drops deliveries to a crashed node).
- `heal()` is GST: no more loss and no partition; delays stay bounded by delay_ms_max.
- Every drop is counted by reason, so a summary shows what the run actually exercised.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

Payload = bytes
"""One wire frame, the exact bytes a node's transport would carry (core/wire.py)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    src: int
    dst: int
    payload: Payload


@dataclass(frozen=True, slots=True)
class DelayModel:
    delay_ms_min: int
    delay_ms_typical_max: int
    delay_ms_max: int
    slow_message_chance: float


class DeliveryQueue(Protocol):
    """Where the network schedules its deliveries: the simulator's EventQueue, whose items
    include Delivery among other kinds (a queue of any wider item type fits)."""

    def push_after(self, delay_ms: int, item: Delivery, /) -> None: ...


class SimNetwork:
    """Point-to-point links between node indexes, feeding deliveries into the event queue."""

    def __init__(
        self, rng: random.Random, queue: DeliveryQueue, delays: DelayModel, loss: float
    ) -> None:
        self.rng = rng
        self.queue = queue
        self.delays = delays
        self.loss = loss
        self.partition: tuple[frozenset[int], frozenset[int]] | None = None
        self.counters: Counter[str] = Counter()

    def send(self, src: int, dst: int, payload: Payload) -> None:
        assert src != dst
        if self._is_cut(src, dst):
            self.counters["dropped_partition"] += 1
            return
        if self.loss and self.rng.random() < self.loss:
            self.counters["dropped_loss"] += 1
            return
        self.counters["sent"] += 1
        self.queue.push_after(self._draw_delay_ms(), Delivery(src, dst, payload))

    def start_partition(self, side_a: frozenset[int], side_b: frozenset[int]) -> None:
        assert side_a and side_b and not side_a & side_b
        self.partition = (side_a, side_b)

    def heal_partition(self) -> None:
        self.partition = None

    def heal(self) -> None:
        """GST: from now on nothing is lost or cut off."""
        self.partition = None
        self.loss = 0.0

    def _is_cut(self, src: int, dst: int) -> bool:
        if self.partition is None:
            return False
        side_a, _ = self.partition
        return (src in side_a) != (dst in side_a)

    def _draw_delay_ms(self) -> int:
        d = self.delays
        if self.rng.random() < d.slow_message_chance:
            return self.rng.randint(d.delay_ms_min, d.delay_ms_max)
        return self.rng.randint(d.delay_ms_min, d.delay_ms_typical_max)


__all__ = ["DelayModel", "Delivery", "DeliveryQueue", "Payload", "SimNetwork"]
