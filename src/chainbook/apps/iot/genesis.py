"""The iot module's section of the genesis file (`app_state.iot`): devices imported from an
earlier register (a fleet already installed), with their owners, keys, metrics and thresholds.

    {"devices": [{"id": "bridge-7.strain-3", "owner": "<40 hex>", "public_key": "<64 hex>",
                  "description": "...",
                  "metrics": [{"name": "strain", "unit": "microstrain", "min": -5000,
                               "max": 5000, "low": null, "high": 1500}]}, ...]}

Each is registered at height 0 under the same rules as iot.register and iot.set_threshold
(apps/iot/process.py). Default: none.
"""

from __future__ import annotations

import re

import msgspec

from chainbook.apps.base import ModuleError
from chainbook.apps.iot import limits
from chainbook.errors import ConfigError

_ADDRESS_HEX = re.compile(r"^[0-9a-f]{40}$")
_KEY_HEX = re.compile(r"^[0-9a-f]{64}$")


class GenesisMetric(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    min: int
    max: int
    unit: str = ""
    low: int | None = None
    high: int | None = None


class GenesisDevice(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    owner: str
    public_key: str
    metrics: list[GenesisMetric]
    description: str = ""


class IotGenesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    devices: list[GenesisDevice] = []


def verify_iot_genesis(section: IotGenesis) -> None:
    """Refuse a section that could not run; each reason names the entry, field and value."""
    from chainbook.apps.iot.actions import Metric
    from chainbook.apps.iot.process import (
        verify_description,
        verify_device_id,
        verify_metrics,
        verify_threshold,
    )
    from chainbook.apps.iot.state import MetricRecord

    where = "genesis app_state.iot.devices"
    if len(section.devices) > limits.genesis_devices_max:
        raise ConfigError(
            f"{where}: {len(section.devices)} entries, at most {limits.genesis_devices_max}"
        )
    ids: set[str] = set()
    keys: set[str] = set()
    owned: dict[str, int] = {}
    for i, entry in enumerate(section.devices):
        at = f"{where}[{i}]"
        if not _ADDRESS_HEX.match(entry.owner):
            raise ConfigError(f"{at}.owner: expected 40 lowercase hex, got {entry.owner!r}")
        if not _KEY_HEX.match(entry.public_key):
            raise ConfigError(
                f"{at}.public_key: expected 64 lowercase hex, got {entry.public_key!r}"
            )
        if entry.id in ids or entry.public_key in keys:
            raise ConfigError(f"{at}: device id {entry.id!r} or its key appears twice")
        ids.add(entry.id)
        keys.add(entry.public_key)
        owned[entry.owner] = owned.get(entry.owner, 0) + 1
        if owned[entry.owner] > limits.devices_per_owner_max:
            raise ConfigError(
                f"{at}: {entry.owner} would own more than {limits.devices_per_owner_max} devices"
            )
        try:
            verify_device_id(entry.id)
            verify_description(entry.description)
            verify_metrics([Metric(m.name, m.unit, m.min, m.max) for m in entry.metrics])
            for m in entry.metrics:
                verify_threshold(MetricRecord(m.name, m.unit, m.min, m.max), m.low, m.high)
        except ModuleError as exc:
            raise ConfigError(f"{at}: {exc}") from None


__all__ = ["GenesisDevice", "GenesisMetric", "IotGenesis", "verify_iot_genesis"]
