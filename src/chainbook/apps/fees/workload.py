"""The fees module's part of the simulation: every simulated transaction pays a fee.

It sends nothing itself: the simulated clients pay SIM_FEE_PER_BYTE on everything they sign
(sim/workload.py asks `fee_per_byte`), so every seed burns fees on every node, the bank's
supply invariants (checked at each commit) see burns, and the mempools order by fee per byte
(the validators' governance transactions pay nothing, so two rates are always pending).

The genesis minimum stays 0, as `testnet init` writes it: above 0, every validator key would
need coins to propose and vote (the rotated ones included, which the simulation makes while it
runs), and a chain whose validators cannot pay could not even govern its minimum down. The
refusals below the minimum are tested without the simulator (tests/apps/fees).
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
        return FeesGenesis(min_fee_per_byte=0)

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        return None

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        pass

    def fee_per_byte(self) -> int:
        return SIM_FEE_PER_BYTE


__all__ = ["SIM_FEE_PER_BYTE", "FeesWorkload"]
