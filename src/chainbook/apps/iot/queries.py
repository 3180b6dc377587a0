"""iot queries: read-only, over the committed state; each reads at most three keys, so every
answer is provable (?prove=true).

    device(device)           owner, key, metrics with their ranges and thresholds, status,
                             number of batches
    latest(device, metric)   the metric's latest reading (value, its time, height, batch,
                             index) or found=false
    history(device, metric)  the metric's latest readings kept in state, newest first
                             (at most history_readings_max; older ones: by batch)
    batch(device, batch)     one batch: its root, count, times, the transaction holding the
                             readings, who sent it
"""

from __future__ import annotations

import msgspec

from chainbook.apps.base import Query, QueryContext
from chainbook.apps.iot.actions import UInt
from chainbook.apps.iot.state import (
    batches_key,
    get_batch,
    get_device,
    get_history,
    get_int,
)
from chainbook.types import Address, Hash, Height, PublicKey, TimeMs


class DeviceRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    device: str


class MetricInfo(msgspec.Struct, frozen=True):
    name: str
    unit: str
    min: int
    max: int
    low: int | None
    high: int | None


class DeviceInfo(msgspec.Struct, frozen=True):
    device: str
    found: bool
    status: str = ""
    """"active" or "revoked" (empty when not found)."""
    owner: Address = b""
    public_key: PublicKey = b""
    description: str = ""
    metrics: list[MetricInfo] = []
    registered_height: Height = 0
    revoked_height: Height = 0
    revoke_reason: str = ""
    batches: int = 0


class MetricRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    device: str
    metric: str


class ReadingInfo(msgspec.Struct, frozen=True):
    value: int
    time_ms: TimeMs
    """The reading's own time."""
    height: Height
    batch: int
    index: int


class LatestInfo(msgspec.Struct, frozen=True):
    device: str
    metric: str
    found: bool
    reading: ReadingInfo | None = None


class HistoryInfo(msgspec.Struct, frozen=True):
    device: str
    metric: str
    readings: list[ReadingInfo]
    """Newest first."""


class BatchRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    device: str
    batch: UInt


class BatchInfo(msgspec.Struct, frozen=True):
    device: str
    batch: int
    found: bool
    root: Hash = b""
    readings: int = 0
    height: Height = 0
    time_ms: TimeMs = 0
    tx_hash: Hash = b""
    submitter: Address = b""
    first_time_ms: TimeMs = 0
    last_time_ms: TimeMs = 0


def query_device(ctx: QueryContext, request: DeviceRequest) -> DeviceInfo:
    """A device: owner, key, metrics and thresholds, status, batches recorded."""
    record = get_device(ctx.view, request.device)
    if record is None:
        return DeviceInfo(request.device, found=False)
    return DeviceInfo(
        device=request.device,
        found=True,
        status="revoked" if record.revoked_height else "active",
        owner=record.owner,
        public_key=record.public_key,
        description=record.description,
        metrics=[MetricInfo(m.name, m.unit, m.min, m.max, m.low, m.high) for m in record.metrics],
        registered_height=record.registered_height,
        revoked_height=record.revoked_height,
        revoke_reason=record.revoke_reason,
        batches=get_int(ctx.view, batches_key(request.device)),
    )


def _history(ctx: QueryContext, request: MetricRequest) -> list[ReadingInfo]:
    return [
        ReadingInfo(e.value, e.time_ms, e.height, e.batch, e.index)
        for e in reversed(get_history(ctx.view, request.device, request.metric))
    ]


def query_latest(ctx: QueryContext, request: MetricRequest) -> LatestInfo:
    """A metric's latest reading."""
    readings = _history(ctx, request)
    if not readings:
        return LatestInfo(request.device, request.metric, found=False)
    return LatestInfo(request.device, request.metric, found=True, reading=readings[0])


def query_history(ctx: QueryContext, request: MetricRequest) -> HistoryInfo:
    """A metric's latest readings kept in state, newest first."""
    return HistoryInfo(request.device, request.metric, _history(ctx, request))


def query_batch(ctx: QueryContext, request: BatchRequest) -> BatchInfo:
    """One batch of a device: its Merkle root, readings, times and transaction."""
    record = get_batch(ctx.view, request.device, request.batch)
    if record is None:
        return BatchInfo(request.device, request.batch, found=False)
    return BatchInfo(
        device=request.device,
        batch=request.batch,
        found=True,
        root=record.root,
        readings=record.readings,
        height=record.height,
        time_ms=record.time_ms,
        tx_hash=record.tx_hash,
        submitter=record.submitter,
        first_time_ms=record.first_time_ms,
        last_time_ms=record.last_time_ms,
    )


QUERIES = (
    Query("device", DeviceRequest, DeviceInfo, query_device),
    Query("latest", MetricRequest, LatestInfo, query_latest),
    Query("history", MetricRequest, HistoryInfo, query_history),
    Query("batch", BatchRequest, BatchInfo, query_batch),
)

__all__ = [
    "QUERIES",
    "BatchInfo",
    "BatchRequest",
    "DeviceInfo",
    "DeviceRequest",
    "HistoryInfo",
    "LatestInfo",
    "MetricInfo",
    "MetricRequest",
    "ReadingInfo",
    "query_batch",
    "query_device",
    "query_history",
    "query_latest",
]
