"""The iot module's invariants, asserted at every commit (apps/base.py InvariantFn).

- A device is never deleted; its owner, key, metric names and ranges and registration height
  never change; once revoked it stays revoked at the same height.
- A metric's history holds at most history_readings_max entries, of readings inside the
  metric's range, strictly increasing in the readings' own time.
- An owner's count of devices never exceeds devices_per_owner_max, and never decreases.
- A device's batch counter only grows, one batch record per number.
"""

from __future__ import annotations

from chainbook import codec
from chainbook.apps.base import KVReader
from chainbook.apps.iot import limits
from chainbook.apps.iot.state import (
    BATCH_PREFIX,
    BATCHES_PREFIX,
    DEVICE_PREFIX,
    HISTORY_PREFIX,
    OWNER_PREFIX,
    DeviceRecord,
    HistoryEntry,
    batch_key,
    get_device,
)


def assert_device(before: KVReader, after: KVReader, key: bytes) -> None:
    raw = after.get(key)
    assert raw is not None, f"device deleted: {key!r}"
    record = codec.decode(raw, DeviceRecord)
    old_raw = before.get(key)
    if old_raw is None:
        return
    old = codec.decode(old_raw, DeviceRecord)
    assert (old.owner, old.public_key, old.registered_height) == (
        record.owner, record.public_key, record.registered_height,
    ), (old, record)  # fmt: skip
    assert [(m.name, m.min, m.max) for m in old.metrics] == [
        (m.name, m.min, m.max) for m in record.metrics
    ], (old, record)
    if old.revoked_height:
        assert record == old, f"a revoked device changed: {old} -> {record}"


def assert_history(after: KVReader, key: bytes) -> None:
    raw = after.get(key)
    assert raw is not None, f"history deleted: {key!r}"
    device, _, metric = key[len(HISTORY_PREFIX) :].decode().partition("/")
    record = get_device(after, device)
    assert record is not None, f"history of an unknown device {device!r}"
    spec = record.get_metric(metric)
    assert spec is not None, f"history of an unknown metric {device!r}/{metric!r}"
    entries = codec.decode(raw, list[HistoryEntry])
    assert 1 <= len(entries) <= limits.history_readings_max, (key, len(entries))
    for entry in entries:
        assert spec.min <= entry.value <= spec.max, (key, entry)
    times = [e.time_ms for e in entries]
    assert all(a < b for a, b in zip(times, times[1:], strict=False)), (key, times)


def assert_invariants(before: KVReader, after: KVReader, changed_keys: list[bytes]) -> None:
    for key in changed_keys:
        if key.startswith(DEVICE_PREFIX):
            assert_device(before, after, key)
        elif key.startswith(HISTORY_PREFIX):
            assert_history(after, key)
        elif key.startswith(OWNER_PREFIX):
            count = codec.decode(after.get(key) or b"\x00", int)
            old = codec.decode(before.get(key) or b"\x00", int)
            assert old <= count <= limits.devices_per_owner_max, (key, old, count)
        elif key.startswith(BATCHES_PREFIX):
            count = codec.decode(after.get(key) or b"\x00", int)
            old = codec.decode(before.get(key) or b"\x00", int)
            assert count > old, (key, old, count)
            device = key[len(BATCHES_PREFIX) :].decode()
            assert after.get(batch_key(device, count)) is not None, (device, count)
        elif key.startswith(BATCH_PREFIX):
            assert before.get(key) is None, f"a batch record was rewritten: {key!r}"


__all__ = ["assert_device", "assert_history", "assert_invariants"]
