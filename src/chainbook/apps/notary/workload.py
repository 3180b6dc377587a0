"""The notary's simulated clients: documents and batches anchored, now and then a document
anchored a second time (refused: the first anchoring stands)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng
from chainbook.apps.notary.actions import Anchor, AnchorBatch
from chainbook.types import Address, Hash

REMEMBERED_MAX = 64
"""Anchored hashes a workload remembers to anchor again."""


class NotaryWorkload:
    def __init__(self) -> None:
        self.anchored: list[Hash] = []

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        draw = rng.random()
        if draw < 0.1 and self.anchored:
            return Anchor(hash=rng.choice(self.anchored), title="again")
        if draw < 0.3:
            return AnchorBatch(root=rng.randbytes(32), hashes=rng.randint(1, 1_000), title="batch")
        return Anchor(hash=rng.randbytes(32), title="doc", metadata='{"pages": 3}')

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if ok and isinstance(action, Anchor) and len(self.anchored) < REMEMBERED_MAX:
            self.anchored.append(action.hash)


__all__ = ["NotaryWorkload"]
