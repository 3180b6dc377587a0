"""The iot module's spec vectors (tests/apps/spec.py gives the format; block 1's time is
GENESIS_TIME_MS + 1,000)."""

from __future__ import annotations

from typing import Any

from chainbook.apps.iot import Reading, Revoke, SetThreshold
from tests.apps.iot.helpers import DEVICE, T0, batch, gauge, reading
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, make_state, signed


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    good = [reading("strain", 1_200, T0 + 1), reading("strain", 1_600, T0 + 2)]
    return [
        make_vector(
            "register_threshold_batch",
            "Alice registers a strain gauge and sets its strain thresholds; Bob relays a batch"
            " of two signed readings (one above the high threshold: an iot.alert), recorded"
            " under one root; a replayed batch (times not after the latest: iot.invalid_reading)"
            " and a"
            " tampered value (iot.bad_signature) are refused; Alice revokes the gauge and a"
            " later batch is refused (iot.device_revoked).",
            make_state(),
            [
                signed(ALICE, 0, gauge()),
                signed(ALICE, 1, SetThreshold(DEVICE, "strain", -1_000, 1_500)),
                signed(BOB, 0, batch(*good)),
                signed(BOB, 1, batch(*good)),
                signed(BOB, 2, batch(Reading("strain", 1, T0 + 3, good[0].signature))),
                signed(ALICE, 2, Revoke(DEVICE, "replaced")),
                signed(BOB, 3, batch(reading("strain", 5, T0 + 4))),
            ],
        ),
        make_vector(
            "limits",
            "Refusals at the limits: an empty batch, a value above the metric's range, a"
            " reading more than reading_ahead_ms_max after the block time.",
            make_state(),
            [
                signed(ALICE, 0, gauge()),
                signed(BOB, 0, batch()),
                signed(BOB, 1, batch(reading("strain", 5_001, T0))),
                signed(BOB, 2, batch(reading("strain", 1, T0 + 10**9))),
            ],
        ),
    ]
