"""The iot module's state: its records, their keys and the pure accessors.

State (keys relative to the module prefix b"iot/"; values canonical MessagePack):

    device/<id>                       DeviceRecord     owner, key, metrics and thresholds
    key/<public key 32 bytes>         str              the device a key belongs to (for ever)
    owner/<address 20 bytes>          int              devices the account registered
    batches/<id>                      int              batches recorded for the device
    batch/<id>/<seq 8 bytes BE>       BatchRecord      one submit: root, count, heights, tx
    history/<id>/<metric>             [HistoryEntry]   the metric's latest readings, newest last

Device ids and metric names hold no '/', so the keys do not collide. One history key per
metric keeps a submit's writes to one key per metric it touches and a `history` answer to one
proven key; the batches keep the roots of every reading ever recorded.
"""

from __future__ import annotations

import struct

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader
from chainbook.types import Address, Hash, Height, PublicKey, TimeMs

DEVICE_PREFIX = b"device/"
KEY_PREFIX = b"key/"
OWNER_PREFIX = b"owner/"
BATCHES_PREFIX = b"batches/"
BATCH_PREFIX = b"batch/"
HISTORY_PREFIX = b"history/"


class MetricRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    name: str
    unit: str
    min: int
    max: int
    low: int | None = None
    """Alert when a reading is below this (None: no low bound)."""
    high: int | None = None
    """Alert when a reading is above this (None: no high bound)."""


class DeviceRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    owner: Address
    public_key: PublicKey
    metrics: list[MetricRecord]
    description: str
    registered_height: Height
    revoked_height: Height = 0
    revoke_reason: str = ""

    def get_metric(self, name: str) -> MetricRecord | None:
        for metric in self.metrics:
            if metric.name == name:
                return metric
        return None


class BatchRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    root: Hash
    """RFC 6962 root over the batch's reading leaves (apps/iot/readings.py)."""
    readings: int
    height: Height
    time_ms: TimeMs
    """The block time."""
    tx_hash: Hash
    """The transaction that holds the readings themselves."""
    submitter: Address
    first_time_ms: TimeMs
    last_time_ms: TimeMs
    """The earliest and latest of the readings' own times."""


class HistoryEntry(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    value: int
    time_ms: TimeMs
    """The reading's own time."""
    height: Height
    batch: int
    """The batch's sequence number (from 1) for the device."""
    index: int
    """The reading's position in its batch."""


def device_key(device: str) -> bytes:
    return DEVICE_PREFIX + device.encode()


def public_key_key(public_key: PublicKey) -> bytes:
    return KEY_PREFIX + public_key


def owner_key(owner: Address) -> bytes:
    return OWNER_PREFIX + owner


def batches_key(device: str) -> bytes:
    return BATCHES_PREFIX + device.encode()


def batch_key(device: str, seq: int) -> bytes:
    return BATCH_PREFIX + device.encode() + b"/" + struct.pack(">Q", seq)


def history_key(device: str, metric: str) -> bytes:
    return HISTORY_PREFIX + device.encode() + b"/" + metric.encode()


def get_device(view: KVReader, device: str) -> DeviceRecord | None:
    raw = view.get(device_key(device))
    return None if raw is None else codec.decode(raw, DeviceRecord)


def get_int(view: KVReader, key: bytes) -> int:
    raw = view.get(key)
    return 0 if raw is None else codec.decode(raw, int)


def get_batch(view: KVReader, device: str, seq: int) -> BatchRecord | None:
    raw = view.get(batch_key(device, seq))
    return None if raw is None else codec.decode(raw, BatchRecord)


def get_history(view: KVReader, device: str, metric: str) -> list[HistoryEntry]:
    raw = view.get(history_key(device, metric))
    return [] if raw is None else codec.decode(raw, list[HistoryEntry])


__all__ = [
    "BATCHES_PREFIX",
    "BATCH_PREFIX",
    "DEVICE_PREFIX",
    "HISTORY_PREFIX",
    "KEY_PREFIX",
    "OWNER_PREFIX",
    "BatchRecord",
    "DeviceRecord",
    "HistoryEntry",
    "MetricRecord",
    "batch_key",
    "batches_key",
    "device_key",
    "get_batch",
    "get_device",
    "get_history",
    "get_int",
    "history_key",
    "owner_key",
    "public_key_key",
]
