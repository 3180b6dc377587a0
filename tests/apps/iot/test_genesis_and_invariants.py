"""iot's genesis section (an installed fleet, checked under the registration rules) and its
commit invariants (they bite)."""

from __future__ import annotations

import msgspec
import pytest

from chainbook import codec
from chainbook.apps.iot import GenesisDevice, GenesisMetric, IotGenesis, limits
from chainbook.apps.iot.invariants import assert_invariants
from chainbook.apps.iot.state import (
    DeviceRecord,
    HistoryEntry,
    MetricRecord,
    device_key,
    history_key,
    owner_key,
)
from chainbook.errors import ConfigError
from tests.apps.iot.helpers import GAUGE, T0, batch, ok, reading
from tests.support import ALICE, ask, make_genesis, make_state

STRAIN = GenesisMetric("strain", -5_000, 5_000, "microstrain", None, 1_500)
FLEET = GenesisDevice("bridge-7.gauge-3", ALICE.address.hex(), GAUGE.public_key.hex(), [STRAIN])


def test_an_imported_device_takes_readings_and_alerts() -> None:
    state = make_state(app_state={"iot": IotGenesis(devices=[FLEET])})
    receipt = ok(state, ALICE, batch(reading("strain", 1_501, T0)))
    assert [e.kind for e in receipt.events] == ["batch", "alert"]
    assert ask(state, "iot", "device", device=FLEET.id).registered_height == 0


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"owner": "xy"}, "owner"),
        ({"public_key": "ab"}, "public_key"),
        ({"id": "Bridge"}, "device id"),
        ({"metrics": []}, "0 metrics"),
        ({"metrics": [GenesisMetric("strain", 0, 10, "", 5, 4)]}, "low 5 is above high 4"),
        ({"metrics": [GenesisMetric("strain", 0, 10, "", None, 11)]}, "outside"),
    ],
)
def test_a_bad_genesis_section_is_refused_naming_the_field(change: dict, words: str) -> None:
    bad = msgspec.structs.replace(FLEET, **change)
    with pytest.raises(ConfigError, match=words):
        make_genesis(app_state={"iot": IotGenesis(devices=[bad])})
    with pytest.raises(ConfigError, match="appears twice"):
        make_genesis(app_state={"iot": IotGenesis(devices=[FLEET, FLEET])})


DEVICE = DeviceRecord(ALICE.address, GAUGE.public_key, [MetricRecord("strain", "", -5, 5)], "", 1)
HISTORY = [HistoryEntry(1, T0, 2, 1, 0), HistoryEntry(2, T0 + 1, 2, 1, 1)]
HKEY = history_key("d", "strain")


def test_the_invariants_bite() -> None:
    base = {device_key("d"): codec.encode(DEVICE)}
    good = {**base, HKEY: codec.encode(HISTORY)}
    assert_invariants(base, good, [HKEY])  # type: ignore[arg-type]
    backwards = {**base, HKEY: codec.encode(list(reversed(HISTORY)))}
    out_of_range = {**base, HKEY: codec.encode([HistoryEntry(6, T0, 2, 1, 0)])}
    entries = [HistoryEntry(0, T0 + i, 2, 1, 0) for i in range(limits.history_readings_max + 1)]
    too_long = {**base, HKEY: codec.encode(entries)}
    for after in (backwards, out_of_range, too_long):
        with pytest.raises(AssertionError):
            assert_invariants(base, after, [HKEY])  # type: ignore[arg-type]
    stolen = {device_key("d"): codec.encode(msgspec.structs.replace(DEVICE, owner=b"\x01" * 20))}
    revoked = msgspec.structs.replace(DEVICE, revoked_height=3, revoke_reason="r")
    unrevoked = {device_key("d"): codec.encode(DEVICE)}
    for before, after in ((base, stolen), ({device_key("d"): codec.encode(revoked)}, unrevoked)):
        with pytest.raises(AssertionError):
            assert_invariants(before, after, [device_key("d")])  # type: ignore[arg-type]
    over = {owner_key(ALICE.address): codec.encode(limits.devices_per_owner_max + 1)}
    with pytest.raises(AssertionError):
        assert_invariants({}, over, [owner_key(ALICE.address)])  # type: ignore[arg-type]
