"""The private module's simulated clients: collections and records on chain.

The simulated accounts are not registered institutions (the simulator's governance registers
none with their keys), so every action here is refused on membership or on a rule checked
before it (bad ids, unknown collection, purge out of range): the simulator checks that such
refusals are deterministic on every node, while the accepted paths are covered by the unit
tests and the real-process tests. No content travels in the simulator (it is off chain).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng
from chainbook.apps.private.actions import ApproveMembers, CreateCollection, Record
from chainbook.types import Address

COLLECTIONS = ("risk-sharing", "trade-docs", "Bad Id")
INSTITUTIONS = ("bank-a", "bank-b", "court-1")


class PrivateWorkload:
    def __init__(self) -> None:
        self.sent = 0

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        self.sent += 1
        collection: str = rng.choice(COLLECTIONS)
        draw = rng.random()
        if draw < 0.2:
            members = sorted({rng.choice(INSTITUTIONS) for _ in range(rng.randint(1, 3))})
            purge = rng.randint(0, 100) if rng.random() < 0.9 else 10**9
            return CreateCollection(collection, members, 1, purge)
        if draw < 0.3:
            return ApproveMembers(collection, 1, list(INSTITUTIONS[:2]), 1)
        return Record(collection, f"r-{self.sent}", rng.randbytes(32))

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        pass


__all__ = ["PrivateWorkload"]
