"""iot state transitions: devices, their signed readings in batches, thresholds and alerts.

Rules kept (state layout in apps/iot/state.py; what a device signs in apps/iot/readings.py):
- An owner (any account: the sender) registers a device: an id (1..device_id_chars_max of
  a-z 0-9 . _ -, never reused), its own Ed25519 public key (bound to that device for ever,
  revoked or not, so a retired key never speaks for another device), a description, and
  1..metrics_per_device_max metrics, each a name (a-z 0-9 _), a unit and the integer range
  [min, max] its readings must lie in. At most devices_per_owner_max devices an owner.
- The owner sets a metric's thresholds (low, high: either may be none, both within the
  metric's range, low <= high). A reading below low or above high emits `iot.alert`.
- Readings travel in batches (iot.submit, 1..readings_per_batch_max readings of one device).
  Any account may send a batch (a gateway relays for devices that cannot reach the chain),
  because every reading carries the device key's signature over the chain id, device, metric,
  value and time: a relay can drop readings, never forge or alter one. Each reading must name
  a metric of the device, lie in its range, be strictly later than that metric's latest
  reading (so a replayed or reordered reading is refused) and be at most
  reading_ahead_ms_max after the block time (devices' clocks drift; a reading far in the
  future would block every true one after it). One bad reading refuses the whole batch,
  naming its index: a batch is recorded whole or not at all.
- Where the readings are: in the transaction (its receipt proves them, every node verified
  every signature); the chain's state records the batch (its RFC 6962 root over the readings'
  leaves, count, times, the transaction's hash) and, per metric, the latest
  history_readings_max readings. So `latest` and `history` are state queries (provable), and
  any older reading is found by its batch: the batch record names the transaction, the
  transaction holds the reading, and its audit path under the recorded root proves it alone.
- The owner revokes a device (with a reason; final). A revoked device's later batches,
  thresholds and revocations are refused (iot.device_revoked); its records stay.
- Every refusal raises before any write.
- Events: `iot.registered` (device, owner), `iot.batch` (device, batch number, root,
  readings), `iot.alert` (device, metric, value, time_ms, bound low|high, threshold, batch,
  index), `iot.revoked` (device, owner, reason).
"""

from __future__ import annotations

import re

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, KVStore, TxContext, encode_int
from chainbook.apps.iot import limits
from chainbook.apps.iot.actions import Metric, Reading, Register, Revoke, SetThreshold, Submit
from chainbook.apps.iot.errors import (
    BadSignature,
    DeviceExists,
    DeviceRevoked,
    InvalidBatch,
    InvalidDevice,
    InvalidReading,
    InvalidReason,
    InvalidThreshold,
    NotOwner,
    TooManyDevices,
    UnknownDevice,
    UnknownMetric,
)
from chainbook.apps.iot.genesis import IotGenesis
from chainbook.apps.iot.readings import compute_batch_root, is_reading_signed
from chainbook.apps.iot.state import (
    BatchRecord,
    DeviceRecord,
    HistoryEntry,
    MetricRecord,
    batch_key,
    batches_key,
    device_key,
    get_device,
    get_history,
    get_int,
    history_key,
    owner_key,
    public_key_key,
)
from chainbook.ledger.receipts import Event
from chainbook.types import Address, PublicKey

MODULE_NAME = "iot"
_DEVICE_ID = re.compile(r"^[a-z0-9._-]+$")
_METRIC_NAME = re.compile(r"^[a-z0-9_]+$")


def compute_utf8_bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


# --- checks of a registration ---------------------------------------------------------------


def verify_device_id(device: str) -> None:
    if not 1 <= len(device) <= limits.device_id_chars_max or not _DEVICE_ID.match(device):
        raise InvalidDevice(
            f"device id {device!r}: accepted 1 to {limits.device_id_chars_max} characters of "
            "a-z, 0-9, '.', '_', '-'"
        )


def verify_metrics(metrics: list[Metric]) -> None:
    if not 1 <= len(metrics) <= limits.metrics_per_device_max:
        raise InvalidDevice(
            f"{len(metrics)} metrics; accepted 1 to {limits.metrics_per_device_max}"
        )
    names: set[str] = set()
    for i, metric in enumerate(metrics):
        if not 1 <= len(metric.name) <= limits.metric_name_chars_max or not _METRIC_NAME.match(
            metric.name
        ):
            raise InvalidDevice(
                f"metrics[{i}].name {metric.name!r}: accepted 1 to "
                f"{limits.metric_name_chars_max} characters of a-z, 0-9, '_'"
            )
        if metric.name in names:
            raise InvalidDevice(f"metrics[{i}].name {metric.name!r} is listed twice")
        names.add(metric.name)
        if compute_utf8_bytes(metric.unit) > limits.unit_bytes_max:
            raise InvalidDevice(
                f"metrics[{i}].unit is {compute_utf8_bytes(metric.unit)} bytes of UTF-8, at "
                f"most {limits.unit_bytes_max}"
            )
        if not limits.value_min <= metric.min <= metric.max <= limits.value_max:
            raise InvalidDevice(
                f"metrics[{i}] range [{metric.min}, {metric.max}]: min <= max, both within "
                f"[{limits.value_min}, {limits.value_max}]"
            )


def verify_description(description: str) -> None:
    size = compute_utf8_bytes(description)
    if size > limits.description_bytes_max:
        raise InvalidDevice(
            f"description is {size} bytes of UTF-8, at most {limits.description_bytes_max}"
        )


def verify_device_is_new(view: KVReader, device: str, public_key: PublicKey) -> None:
    existing = get_device(view, device)
    if existing is not None:
        raise DeviceExists(
            f"device {device!r} was registered by {existing.owner.hex()} at height "
            f"{existing.registered_height}; ids are never reused"
        )
    holder = view.get(public_key_key(public_key))
    if holder is not None:
        raise DeviceExists(
            f"public key {public_key.hex()} is the key of device {holder.decode()!r}; a key "
            "belongs to one device, for ever"
        )


def verify_owner_room(view: KVReader, owner: Address) -> int:
    count = get_int(view, owner_key(owner))
    if count >= limits.devices_per_owner_max:
        raise TooManyDevices(
            f"{owner.hex()} owns {count} devices, the most an account may register "
            f"({limits.devices_per_owner_max})"
        )
    return count


# --- checks of an existing device -----------------------------------------------------------


def verify_device(view: KVReader, device: str) -> DeviceRecord:
    record = get_device(view, device)
    if record is None:
        raise UnknownDevice(f"no device {device!r}")
    if record.revoked_height:
        raise DeviceRevoked(
            f"device {device!r} was revoked at height {record.revoked_height} "
            f"({record.revoke_reason}); it records nothing more"
        )
    return record


def verify_owner(record: DeviceRecord, device: str, sender: Address) -> None:
    if record.owner != sender:
        raise NotOwner(f"device {device!r} belongs to {record.owner.hex()}; only its owner may")


def verify_metric(record: DeviceRecord, device: str, name: str, where: str) -> MetricRecord:
    metric = record.get_metric(name)
    if metric is None:
        known = ", ".join(m.name for m in record.metrics)
        raise UnknownMetric(f"{where}device {device!r} has no metric {name!r}; metrics: {known}")
    return metric


def verify_threshold(metric: MetricRecord, low: int | None, high: int | None) -> None:
    for label, bound in (("low", low), ("high", high)):
        if bound is not None and not metric.min <= bound <= metric.max:
            raise InvalidThreshold(
                f"{label} {bound} outside metric {metric.name!r}'s range "
                f"[{metric.min}, {metric.max}]"
            )
    if low is not None and high is not None and low > high:
        raise InvalidThreshold(f"low {low} is above high {high}")


def verify_reason(reason: str) -> None:
    size = compute_utf8_bytes(reason)
    if not 1 <= size <= limits.reason_bytes_max:
        raise InvalidReason(
            f"reason is {size} bytes of UTF-8; accepted 1 to {limits.reason_bytes_max}"
        )


def verify_batch_size(readings: list[Reading]) -> None:
    if not 1 <= len(readings) <= limits.readings_per_batch_max:
        raise InvalidBatch(
            f"{len(readings)} readings; a batch holds 1 to {limits.readings_per_batch_max}"
        )


def verify_readings(
    view: KVReader, ctx: TxContext, device: str, record: DeviceRecord, readings: list[Reading]
) -> None:
    """Every reading of the batch, in order (see the module docstring)."""
    latest: dict[str, int] = {}
    latest_allowed = ctx.time_ms + limits.reading_ahead_ms_max
    for i, reading in enumerate(readings):
        where = f"readings[{i}]: "
        metric = verify_metric(record, device, reading.metric, where)
        if not metric.min <= reading.value <= metric.max:
            raise InvalidReading(
                f"{where}{reading.metric} value {reading.value} outside the metric's range "
                f"[{metric.min}, {metric.max}]"
            )
        if reading.time_ms > latest_allowed:
            raise InvalidReading(
                f"{where}time_ms {reading.time_ms} is more than {limits.reading_ahead_ms_max} ms"
                f" after the block time {ctx.time_ms}"
            )
        if reading.metric not in latest:
            history = get_history(view, device, reading.metric)
            latest[reading.metric] = history[-1].time_ms if history else -1
        if reading.time_ms <= latest[reading.metric]:
            raise InvalidReading(
                f"{where}time_ms {reading.time_ms} is not after {reading.metric}'s latest "
                f"reading ({latest[reading.metric]}): readings of a metric go forward in time "
                "(a replay or a reordering is refused)"
            )
        latest[reading.metric] = reading.time_ms
        if not is_reading_signed(record.public_key, ctx.chain_id, device, reading):
            raise BadSignature(
                f"{where}the signature is not device {device!r}'s over this reading on chain "
                f"{ctx.chain_id!r}"
            )


# --- state changes --------------------------------------------------------------------------


def process_register(view: KVStore, ctx: TxContext, action: Register) -> list[Event]:
    verify_device_id(action.device)
    verify_description(action.description)
    verify_metrics(action.metrics)
    verify_device_is_new(view, action.device, action.public_key)
    count = verify_owner_room(view, ctx.sender)
    record = DeviceRecord(
        owner=ctx.sender,
        public_key=action.public_key,
        metrics=[MetricRecord(m.name, m.unit, m.min, m.max) for m in action.metrics],
        description=action.description,
        registered_height=ctx.height,
    )
    view.set(device_key(action.device), codec.encode(record))
    view.set(public_key_key(action.public_key), action.device.encode())
    view.set(owner_key(ctx.sender), encode_int(count + 1))
    return [
        Event(MODULE_NAME, "registered", [("device", action.device), ("owner", ctx.sender.hex())])
    ]


def process_set_threshold(view: KVStore, ctx: TxContext, action: SetThreshold) -> list[Event]:
    record = verify_device(view, action.device)
    verify_owner(record, action.device, ctx.sender)
    metric = verify_metric(record, action.device, action.metric, "")
    verify_threshold(metric, action.low, action.high)
    metrics = [
        msgspec.structs.replace(m, low=action.low, high=action.high) if m.name == metric.name else m
        for m in record.metrics
    ]
    view.set(
        device_key(action.device), codec.encode(msgspec.structs.replace(record, metrics=metrics))
    )
    return []


def describe_alert(
    device: str, metric: MetricRecord, reading: Reading, batch: int, index: int
) -> Event | None:
    if metric.low is not None and reading.value < metric.low:
        bound, threshold = "low", metric.low
    elif metric.high is not None and reading.value > metric.high:
        bound, threshold = "high", metric.high
    else:
        return None
    return Event(
        MODULE_NAME,
        "alert",
        [
            ("device", device),
            ("metric", reading.metric),
            ("value", str(reading.value)),
            ("time_ms", str(reading.time_ms)),
            ("bound", bound),
            ("threshold", str(threshold)),
            ("batch", str(batch)),
            ("index", str(index)),
        ],
    )


def process_history(
    view: KVStore, ctx: TxContext, device: str, readings: list[Reading], batch: int
) -> None:
    """Append each metric's new readings to its history, keeping the latest ones."""
    by_metric: dict[str, list[HistoryEntry]] = {}
    for index, reading in enumerate(readings):
        entry = HistoryEntry(reading.value, reading.time_ms, ctx.height, batch, index)
        by_metric.setdefault(reading.metric, []).append(entry)
    for metric, entries in by_metric.items():
        kept = (get_history(view, device, metric) + entries)[-limits.history_readings_max :]
        view.set(history_key(device, metric), codec.encode(kept))


def process_submit(view: KVStore, ctx: TxContext, action: Submit) -> list[Event]:
    record = verify_device(view, action.device)
    verify_batch_size(action.readings)
    verify_readings(view, ctx, action.device, record, action.readings)
    seq = get_int(view, batches_key(action.device)) + 1
    root = compute_batch_root(action.device, action.readings)
    times = [r.time_ms for r in action.readings]
    batch = BatchRecord(
        root=root,
        readings=len(action.readings),
        height=ctx.height,
        time_ms=ctx.time_ms,
        tx_hash=ctx.tx_hash,
        submitter=ctx.sender,
        first_time_ms=min(times),
        last_time_ms=max(times),
    )
    view.set(batches_key(action.device), encode_int(seq))
    view.set(batch_key(action.device, seq), codec.encode(batch))
    process_history(view, ctx, action.device, action.readings, seq)
    events = [
        Event(
            MODULE_NAME,
            "batch",
            [
                ("device", action.device),
                ("batch", str(seq)),
                ("root", root.hex()),
                ("readings", str(len(action.readings))),
            ],
        )
    ]
    for index, reading in enumerate(action.readings):
        metric = record.get_metric(reading.metric)
        assert metric is not None  # verify_readings checked every name
        alert = describe_alert(action.device, metric, reading, seq, index)
        if alert is not None:
            events.append(alert)
    return events


def process_revoke(view: KVStore, ctx: TxContext, action: Revoke) -> list[Event]:
    record = verify_device(view, action.device)
    verify_owner(record, action.device, ctx.sender)
    verify_reason(action.reason)
    revoked = msgspec.structs.replace(
        record, revoked_height=ctx.height, revoke_reason=action.reason
    )
    view.set(device_key(action.device), codec.encode(revoked))
    return [
        Event(
            MODULE_NAME,
            "revoked",
            [("device", action.device), ("owner", ctx.sender.hex()), ("reason", action.reason)],
        )
    ]


def process(view: KVStore, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The iot module's entry point: dispatch on the action type."""
    match action:
        case Register():
            return process_register(view, ctx, action)
        case SetThreshold():
            return process_set_threshold(view, ctx, action)
        case Submit():
            return process_submit(view, ctx, action)
        case Revoke():
            return process_revoke(view, ctx, action)
    raise AssertionError(f"iot received a foreign action {type(action).__name__}")


def process_genesis(view: KVStore, section: IotGenesis) -> None:
    """The genesis hook: write the imported devices (checked by verify_iot_genesis)."""
    owned: dict[bytes, int] = {}
    for entry in section.devices:
        owner = bytes.fromhex(entry.owner)
        public_key = bytes.fromhex(entry.public_key)
        metrics = [MetricRecord(m.name, m.unit, m.min, m.max, m.low, m.high) for m in entry.metrics]
        record = DeviceRecord(owner, public_key, metrics, entry.description, 0)
        view.set(device_key(entry.id), codec.encode(record))
        view.set(public_key_key(public_key), entry.id.encode())
        owned[owner] = owned.get(owner, 0) + 1
    for owner, count in owned.items():
        view.set(owner_key(owner), encode_int(count))


__all__ = [
    "MODULE_NAME",
    "describe_alert",
    "process",
    "process_genesis",
    "process_register",
    "process_revoke",
    "process_set_threshold",
    "process_submit",
    "verify_readings",
]
