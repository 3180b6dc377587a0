"""The fees module's part of the simulation: every simulated transaction pays a fee.

It sends nothing itself: it sets a minimum of SIM_FEE_PER_BYTE at genesis and the simulated
clients pay it on everything they sign (sim/workload.py asks `fee_per_byte`), so every seed
burns fees on every node and the bank's supply invariants (checked at each commit) see burns.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng
from chainbook.apps.fees.genesis import FeesGenesis
from chainbook.types import Address

SIM_FEE_PER_BYTE = 1


class FeesWorkload:
    def genesis_section(self, accounts: Sequence[Address]) -> FeesGenesis:
        return FeesGenesis(min_fee_per_byte=SIM_FEE_PER_BYTE)

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        return None

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        pass

    def fee_per_byte(self) -> int:
        return SIM_FEE_PER_BYTE


__all__ = ["SIM_FEE_PER_BYTE", "FeesWorkload"]
