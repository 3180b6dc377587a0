"""The iot module's simulated clients: each account registers a device (its key derived from
the account's address, so every run is the same), sets thresholds, and sends batches of
signed readings, some breaking a rule (a stale time, a value out of range, a forged
signature: refused), and now and then revokes its device (its later batches refused).

A workload does not see block times, so a reading's own time is a per-device counter that
only grows, far below any block time (the rule is "not after the block time plus the drift").
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng
from chainbook.apps.iot.actions import Metric, Reading, Register, Revoke, SetThreshold, Submit
from chainbook.apps.iot.readings import sign_reading
from chainbook.crypto import PrivateKey
from chainbook.types import Address

SIM_CHAIN_ID = "chainbook-sim"
"""The simulator's chain id (sim/simulator.py CHAIN_ID, which a module may not import): the
devices sign for it; a reading signed for another chain would be refused."""
METRICS = [Metric("strain", "microstrain", -5_000, 5_000), Metric("temp", "mC", -40_000, 85_000)]


def device_of(sender: Address) -> str:
    return "sim-" + sender.hex()[:12]


def key_of(sender: Address) -> PrivateKey:
    return PrivateKey.from_label("sim-device-" + sender.hex())


class IotWorkload:
    def __init__(self, chain_id: str = SIM_CHAIN_ID) -> None:
        self.chain_id = chain_id
        self.registered: set[Address] = set()
        self.clock_ms: dict[Address, int] = {}

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        device = device_of(sender)
        if sender not in self.registered:
            return Register(device, key_of(sender).public_key, METRICS, "simulated gauge")
        draw = rng.random()
        if draw < 0.05:
            return SetThreshold(device, "strain", -1_000, rng.randint(0, 3_000))
        if draw < 0.06:
            return Revoke(device, "decommissioned")
        return self._batch(rng, sender, device)

    def _batch(self, rng: Rng, sender: Address, device: str) -> Submit:
        key = key_of(sender)
        readings: list[Reading] = []
        for _ in range(rng.randint(1, 8)):
            self.clock_ms[sender] = self.clock_ms.get(sender, 0) + rng.randint(1, 1_000)
            value = rng.randint(-2_000, 4_000)
            readings.append(
                sign_reading(key, self.chain_id, device, "strain", value, self.clock_ms[sender])
            )
        if rng.random() < 0.05:  # a relay that tampers with a value: bad signature
            first = readings[0]
            readings[0] = Reading(first.metric, first.value + 1, first.time_ms, first.signature)
        return Submit(device, readings)

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if isinstance(action, Register) and ok:
            self.registered.add(sender)
        if isinstance(action, Register) and not ok:
            self.registered.add(sender)  # exists already (a resubmission won): use it


__all__ = ["IotWorkload"]
