"""iot rules: registration, thresholds and alerts, signed batches under one root, latest and
history, revocation; every limit at its edge."""

from __future__ import annotations

import pytest

from chainbook import codec, merkle
from chainbook.apps.iot import (
    Metric,
    Reading,
    Register,
    Revoke,
    SetThreshold,
    compute_batch_root,
    compute_leaf,
    compute_reading_path,
    is_reading_in_batch,
    limits,
)
from chainbook.chain.tx import sign_tx
from chainbook.crypto import PrivateKey
from chainbook.limits import tx_bytes_max
from tests.apps.iot.helpers import (
    DEVICE,
    GAUGE,
    STRAIN,
    T0,
    batch,
    gauge,
    next_block_time,
    ok,
    reading,
    refused,
)
from tests.support import ALICE, BOB, CHAIN_ID, ask, make_state


def registered() -> object:
    state = make_state()
    ok(state, ALICE, gauge())
    return state


def test_an_owner_registers_a_device_and_its_metrics() -> None:
    state = make_state()
    receipt = ok(state, ALICE, gauge())
    assert [(e.kind, dict(e.attributes)) for e in receipt.events] == [
        ("registered", {"device": DEVICE, "owner": ALICE.address.hex()})
    ]
    info = ask(state, "iot", "device", device=DEVICE)
    assert (info.found, info.status, info.owner, info.public_key) == (
        True, "active", ALICE.address, GAUGE.public_key
    )  # fmt: skip
    assert [(m.name, m.min, m.max, m.low, m.high) for m in info.metrics] == [
        ("strain", -5_000, 5_000, None, None), ("temp", -40_000, 85_000, None, None)
    ]  # fmt: skip
    assert not ask(state, "iot", "device", device="nope").found


def test_ids_and_keys_are_never_reused() -> None:
    state = registered()
    message = refused(state, BOB, gauge(key=PrivateKey.from_label("other")), "iot.device_exists")
    assert "ids are never reused" in message
    message = refused(state, BOB, gauge(device="another"), "iot.device_exists")
    assert f"the key of device {DEVICE!r}" in message


@pytest.mark.parametrize(
    ("register", "words"),
    [
        (Register("Bridge", GAUGE.public_key, [STRAIN]), "device id 'Bridge'"),
        (Register("d" * (limits.device_id_chars_max + 1), GAUGE.public_key, [STRAIN]), "device id"),
        (Register("d", GAUGE.public_key, []), "0 metrics"),
        (Register("d", GAUGE.public_key, [STRAIN, STRAIN]), "listed twice"),
        (Register("d", GAUGE.public_key, [Metric("Strain", "", 0, 1)]), "metrics[0].name"),
        (Register("d", GAUGE.public_key, [Metric("s" * 17, "", 0, 1)]), "metrics[0].name"),
        (Register("d", GAUGE.public_key, [Metric("s", "u" * 17, 0, 1)]), "17 bytes"),
        (Register("d", GAUGE.public_key, [Metric("s", "", 2, 1)]), "range [2, 1]"),
        (Register("d", GAUGE.public_key, [STRAIN], "x" * 257), "description is 257"),
    ],
)
def test_bad_registrations_name_the_rule(register: Register, words: str) -> None:
    state = make_state()
    assert words in refused(state, ALICE, register, "iot.invalid_device")


def test_metric_and_device_limits_at_their_edges() -> None:
    state = make_state()
    most = [Metric(f"m{i}", "u" * limits.unit_bytes_max, -1, 1) for i in range(16)]
    assert len(most) == limits.metrics_per_device_max
    ok(state, ALICE, Register("d" * limits.device_id_chars_max, GAUGE.public_key, most))
    refused(
        state, ALICE, Register("e", BOB.public_key, [*most, Metric("x", "", 0, 0)]),
        "iot.invalid_device",
    )  # fmt: skip
    wide = Metric("s" * limits.metric_name_chars_max, "", limits.value_min, limits.value_max)
    ok(state, ALICE, Register("wide", BOB.public_key, [wide]))


def test_an_owner_registers_at_most_devices_per_owner_max() -> None:
    from chainbook.apps.iot import GenesisDevice, GenesisMetric, IotGenesis

    def device(i: int) -> GenesisDevice:
        key = PrivateKey.from_label(f"fleet-{i}").public_key.hex()
        return GenesisDevice(f"fleet-{i}", ALICE.address.hex(), key, [GenesisMetric("m", 0, 1)])

    fleet = [device(i) for i in range(limits.devices_per_owner_max - 1)]
    state = make_state(app_state={"iot": IotGenesis(devices=fleet)})
    ok(state, ALICE, gauge())
    message = refused(state, ALICE, gauge("one-more", BOB), "iot.too_many_devices")
    assert f"owns {limits.devices_per_owner_max} devices" in message
    ok(state, BOB, gauge("one-more", BOB))


def test_a_batch_is_recorded_under_one_root_with_latest_history_and_alerts() -> None:
    state = registered()
    ok(state, ALICE, SetThreshold(DEVICE, "strain", -1_000, 1_500))
    readings = [
        reading("strain", 1_200, T0 + 1),
        reading("temp", 21_500, T0 + 1),
        reading("strain", 1_600, T0 + 2),  # above high
        reading("strain", -1_001, T0 + 3),  # below low
        reading("strain", 1_500, T0 + 4),  # at the bound: no alert
    ]
    receipt = ok(state, BOB, batch(*readings))  # a gateway relays: any sender
    root = compute_batch_root(DEVICE, readings)
    first, *alerts = receipt.events
    assert dict(first.attributes) == {
        "device": DEVICE, "batch": "1", "root": root.hex(), "readings": "5"
    }  # fmt: skip
    assert [(dict(a.attributes)["bound"], dict(a.attributes)["index"]) for a in alerts] == [
        ("high", "2"), ("low", "3")
    ]  # fmt: skip
    assert dict(alerts[0].attributes)["threshold"] == "1500"
    info = ask(state, "iot", "batch", device=DEVICE, batch=1)
    assert (info.found, info.root, info.readings, info.submitter) == (True, root, 5, BOB.address)
    assert info.tx_hash == receipt.tx_hash
    assert (info.first_time_ms, info.last_time_ms) == (T0 + 1, T0 + 4)
    latest = ask(state, "iot", "latest", device=DEVICE, metric="strain")
    assert latest.reading.value == 1_500 and latest.reading.index == 4
    history = ask(state, "iot", "history", device=DEVICE, metric="strain")
    assert [r.value for r in history.readings] == [1_500, -1_001, 1_600, 1_200]
    assert not ask(state, "iot", "latest", device=DEVICE, metric="none").found
    # Each reading is proven alone by its audit path under the recorded root.
    for index, one in enumerate(readings):
        path = compute_reading_path(DEVICE, readings, index)
        assert is_reading_in_batch(DEVICE, one, index, len(readings), path, info.root)
        assert merkle.verify_inclusion(compute_leaf(DEVICE, one), index, 5, path, info.root)
    forged = Reading("strain", 1_201, T0 + 1, readings[0].signature)
    path = compute_reading_path(DEVICE, readings, 0)
    assert not is_reading_in_batch(DEVICE, forged, 0, 5, path, info.root)


def test_history_keeps_the_latest_history_readings_max() -> None:
    state = registered()
    total = limits.history_readings_max + 8
    for start in range(0, total, 20):
        chunk = [reading("strain", i, T0 + i) for i in range(start, min(start + 20, total))]
        ok(state, ALICE, batch(*chunk))
    history = ask(state, "iot", "history", device=DEVICE, metric="strain")
    assert [r.value for r in history.readings] == list(range(total - 1, 7, -1))
    assert [r.batch for r in history.readings][:1] == [2]


def test_batch_sizes_at_their_edges_and_the_largest_fits_a_transaction() -> None:
    state = registered()
    refused(state, ALICE, batch(), "iot.invalid_batch")
    name = "s" * limits.metric_name_chars_max
    big = Register("big", BOB.public_key, [Metric(name, "", limits.value_min, limits.value_max)])
    ok(state, ALICE, big)
    widest = [
        reading(name, limits.value_min, T0 + i, BOB, "big")
        for i in range(limits.readings_per_batch_max + 1)
    ]
    message = refused(state, ALICE, batch(*widest, device="big"), "iot.invalid_batch")
    assert f"{limits.readings_per_batch_max + 1} readings" in message
    most = batch(*widest[:-1], device="big")
    assert len(sign_tx(ALICE, CHAIN_ID, 10**6, most)) <= tx_bytes_max
    ok(state, ALICE, most)


def test_readings_go_forward_in_time_and_not_far_ahead_of_the_block() -> None:
    state = registered()
    ok(state, ALICE, batch(reading("strain", 1, T0 + 10)))
    message = refused(state, ALICE, batch(reading("strain", 2, T0 + 10)), "iot.invalid_reading")
    assert "readings[0]: time_ms" in message and "not after strain's latest" in message
    message = refused(
        state, ALICE, batch(reading("strain", 2, T0 + 12), reading("strain", 3, T0 + 11)),
        "iot.invalid_reading",
    )  # fmt: skip
    assert "readings[1]" in message
    ok(state, ALICE, batch(reading("temp", 2, T0 + 5)))  # each metric has its own clock
    ahead = next_block_time(state) + limits.reading_ahead_ms_max
    message = refused(state, ALICE, batch(reading("strain", 4, ahead + 1)), "iot.invalid_reading")
    assert f"more than {limits.reading_ahead_ms_max} ms" in message
    ahead = next_block_time(state) + limits.reading_ahead_ms_max
    ok(state, ALICE, batch(reading("strain", 4, ahead)))


def test_values_out_of_range_and_unknown_metrics_are_refused_by_index() -> None:
    state = registered()
    message = refused(
        state, ALICE, batch(reading("strain", 0, T0 + 1), reading("strain", 5_001, T0 + 2)),
        "iot.invalid_reading",
    )  # fmt: skip
    assert "readings[1]: strain value 5001 outside" in message
    message = refused(state, ALICE, batch(reading("load", 1, T0)), "iot.unknown_metric")
    assert "metrics: strain, temp" in message
    ok(state, ALICE, batch(reading("strain", -5_000, T0 + 1), reading("strain", 5_000, T0 + 2)))


@pytest.mark.parametrize(
    "forged",
    [
        Reading("strain", 2, T0 + 1, reading("strain", 1, T0 + 1).signature),
        reading("strain", 1, T0 + 1, key=PrivateKey.from_label("impostor")),
        reading("strain", 1, T0 + 1, chain_id="another-chain"),
        reading("strain", 1, T0 + 1, device="another-device"),
        Reading("strain", 1, T0 + 1, reading("temp", 1, T0 + 1).signature),
    ],
    ids=["changed value", "another key", "another chain", "another device", "another metric"],
)
def test_only_the_devices_own_signature_over_that_reading_on_this_chain_counts(
    forged: Reading,
) -> None:
    state = registered()
    message = refused(state, ALICE, batch(forged), "iot.bad_signature")
    assert f"readings[0]: the signature is not device {DEVICE!r}'s" in message


def test_thresholds_by_the_owner_within_the_range() -> None:
    state = registered()
    refused(state, BOB, SetThreshold(DEVICE, "strain", 0, 1), "iot.not_owner")
    refused(state, ALICE, SetThreshold(DEVICE, "load", 0, 1), "iot.unknown_metric")
    refused(state, ALICE, SetThreshold("nope", "strain", 0, 1), "iot.unknown_device")
    refused(state, ALICE, SetThreshold(DEVICE, "strain", -5_001, None), "iot.invalid_threshold")
    refused(state, ALICE, SetThreshold(DEVICE, "strain", None, 5_001), "iot.invalid_threshold")
    message = refused(state, ALICE, SetThreshold(DEVICE, "strain", 2, 1), "iot.invalid_threshold")
    assert "low 2 is above high 1" in message
    ok(state, ALICE, SetThreshold(DEVICE, "strain", -5_000, 5_000))
    ok(state, ALICE, SetThreshold(DEVICE, "strain", None, 100))
    info = ask(state, "iot", "device", device=DEVICE)
    assert (info.metrics[0].low, info.metrics[0].high) == (None, 100)


def test_a_revoked_device_records_nothing_more() -> None:
    state = registered()
    ok(state, ALICE, batch(reading("strain", 1, T0 + 1)))
    refused(state, BOB, Revoke(DEVICE, "mine now"), "iot.not_owner")
    refused(state, ALICE, Revoke(DEVICE, ""), "iot.invalid_reason")
    refused(state, ALICE, Revoke(DEVICE, "r" * (limits.reason_bytes_max + 1)), "iot.invalid_reason")
    receipt = ok(state, ALICE, Revoke(DEVICE, "r" * limits.reason_bytes_max))
    assert receipt.events[0].kind == "revoked"
    message = refused(state, ALICE, batch(reading("strain", 2, T0 + 2)), "iot.device_revoked")
    assert f"revoked at height {receipt.height}" in message
    refused(state, ALICE, SetThreshold(DEVICE, "strain", 0, 1), "iot.device_revoked")
    refused(state, ALICE, Revoke(DEVICE, "again"), "iot.device_revoked")
    info = ask(state, "iot", "device", device=DEVICE)
    assert (info.status, info.revoked_height, info.batches) == ("revoked", receipt.height, 1)
    assert ask(state, "iot", "latest", device=DEVICE, metric="strain").reading.value == 1


def test_the_leaf_is_the_documented_encoding() -> None:
    one = reading("strain", 7, T0)
    assert compute_leaf(DEVICE, one) == codec.encode([DEVICE, "strain", 7, T0, one.signature])
