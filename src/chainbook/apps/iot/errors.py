"""The iot module's refusals: each names what was wrong, the value and what is accepted."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class InvalidDevice(ModuleError):
    """A device id, description or metric list that breaks a rule (the message says which)."""

    code = "iot.invalid_device"


class DeviceExists(ModuleError):
    """The id, or the public key, belongs to a device already (revoked ones included)."""

    code = "iot.device_exists"


class TooManyDevices(ModuleError):
    code = "iot.too_many_devices"


class UnknownDevice(ModuleError):
    code = "iot.unknown_device"


class NotOwner(ModuleError):
    code = "iot.not_owner"


class DeviceRevoked(ModuleError):
    """A revoked device records nothing more (readings, thresholds, a second revocation)."""

    code = "iot.device_revoked"


class UnknownMetric(ModuleError):
    code = "iot.unknown_metric"


class InvalidThreshold(ModuleError):
    """A bound outside the metric's range, or low above high."""

    code = "iot.invalid_threshold"


class InvalidBatch(ModuleError):
    """No readings, or more than readings_per_batch_max."""

    code = "iot.invalid_batch"


class InvalidReading(ModuleError):
    """A reading outside its metric's range, not after that metric's latest reading, or ahead
    of the block time by more than reading_ahead_ms_max; the message names its index."""

    code = "iot.invalid_reading"


class BadSignature(ModuleError):
    """A reading whose signature is not the device key's over that reading on this chain."""

    code = "iot.bad_signature"


class InvalidReason(ModuleError):
    code = "iot.invalid_reason"


ERRORS: tuple[type[ModuleError], ...] = (
    InvalidDevice,
    DeviceExists,
    TooManyDevices,
    UnknownDevice,
    NotOwner,
    DeviceRevoked,
    UnknownMetric,
    InvalidThreshold,
    InvalidBatch,
    InvalidReading,
    BadSignature,
    InvalidReason,
)

__all__ = [
    "ERRORS",
    "BadSignature",
    "DeviceExists",
    "DeviceRevoked",
    "InvalidBatch",
    "InvalidDevice",
    "InvalidReading",
    "InvalidReason",
    "InvalidThreshold",
    "NotOwner",
    "TooManyDevices",
    "UnknownDevice",
    "UnknownMetric",
]
