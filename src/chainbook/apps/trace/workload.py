"""The trace module's simulated clients: the simulated accounts are no registered
manufacturer (the simulator's institutions hold keys no simulated client has), so product
registrations and item creations are refused (trace.not_a_manufacturer), and hand-offs,
acceptances, events, splits and merges of items that do not exist are refused
(trace.unknown_item): every refusal path that must change nothing but the nonce runs in the
simulator's mix. The accepted paths run in the unit and property tests and the worked example.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng
from chainbook.apps.trace.actions import (
    Accept,
    Create,
    HandOver,
    Merge,
    Part,
    Record,
    RegisterProduct,
    Split,
    Step,
)
from chainbook.types import Address


class TraceWorkload:
    def __init__(self) -> None:
        self.sent = 0

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        self.sent += 1
        item = f"lot-{rng.randint(1, 50)}"
        draw = rng.random()
        if draw < 0.15:
            steps = [Step("shipped"), Step("customs_cleared", "customs"), Step("sold")]
            return RegisterProduct(f"p-{self.sent}", "simulated tea", steps)
        if draw < 0.3:
            return Create(item, "p-1", rng.randint(1, 1_000))
        if draw < 0.45:
            return HandOver(item, rng.choice(accounts))
        if draw < 0.6:
            return Accept(item, rng.randint(1, 1_000))
        if draw < 0.75:
            return Record(item, rng.choice(["shipped", "received", "sold"]), "port of Ningbo")
        if draw < 0.9:
            return Split(item, [Part(f"{item}-a", 1), Part(f"{item}-b", 2)])
        return Merge([item, f"lot-{rng.randint(51, 99)}"], f"m-{self.sent}")

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        return None


__all__ = ["TraceWorkload"]
