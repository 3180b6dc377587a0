"""iot actions: an owner registers devices and their metrics, sets alert thresholds, revokes a
device; anyone relays a batch of readings each signed by its device.

Wire form (MessagePack arrays, tag first; docs/PROTOCOL.md):

    ["iot.register",      device: str, public_key: bin(32), metrics: [Metric, ...],
                          description: str]
        Metric = [name: str, unit: str, min: int, max: int]
    ["iot.set_threshold", device: str, metric: str, low: int | nil, high: int | nil]
    ["iot.submit",        device: str, readings: [Reading, ...]]
        Reading = [metric: str, value: int, time_ms: uint, signature: bin(64)]
    ["iot.revoke",        device: str, reason: str]

A reading's signature is the device key's Ed25519 signature of
"chainbook/iot-reading/v1" 0x00 || MessagePack [chain_id, device, metric, value, time_ms]
(apps/iot/readings.py). Decoding checks the shape; the rules on values are
apps/iot/process.py's, so a refusal names the rule it broke.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.crypto import PUBLIC_KEY_BYTES, SIGNATURE_BYTES

PublicKeyBytes = Annotated[
    bytes, msgspec.Meta(min_length=PUBLIC_KEY_BYTES, max_length=PUBLIC_KEY_BYTES)
]
SignatureBytes = Annotated[
    bytes, msgspec.Meta(min_length=SIGNATURE_BYTES, max_length=SIGNATURE_BYTES)
]
UInt = Annotated[int, msgspec.Meta(ge=0)]


class Metric(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """What a device measures: a name, a unit, and the range of an integer reading."""

    name: str
    unit: str
    min: int
    max: int


class Reading(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    """One measurement, signed by the device."""

    metric: str
    value: int
    time_ms: UInt
    """The device's own time of the measurement (ms since the Unix epoch)."""
    signature: SignatureBytes


class Register(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="iot.register",
):
    """Register a device (the sender owns it): its id, its Ed25519 key, its metrics."""

    device: str
    public_key: PublicKeyBytes
    metrics: list[Metric]
    description: str = ""


class SetThreshold(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="iot.set_threshold",
):
    """Set a metric's alert bounds (the owner only): a reading below low or above high alerts."""

    device: str
    metric: str
    low: int | None = None
    high: int | None = None


class Submit(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="iot.submit",
):
    """Record a batch of a device's signed readings under one Merkle root (any relay sends)."""

    device: str
    readings: list[Reading]


class Revoke(
    msgspec.Struct,
    array_like=True,
    frozen=True,
    forbid_unknown_fields=True,
    gc=False,
    tag="iot.revoke",
):
    """Revoke a device (its owner only, for ever): its later readings are refused."""

    device: str
    reason: str


ACTIONS: tuple[type[msgspec.Struct], ...] = (Register, SetThreshold, Submit, Revoke)

__all__ = [
    "ACTIONS",
    "Metric",
    "PublicKeyBytes",
    "Reading",
    "Register",
    "Revoke",
    "SetThreshold",
    "SignatureBytes",
    "Submit",
    "UInt",
]
