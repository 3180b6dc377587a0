"""The iot module's bounds on what a client controls (unit last)."""

device_id_chars_max = 64
"""Characters of a device's id (a-z, 0-9, '.', '_', '-'; 1 at least)."""
devices_per_owner_max = 1_000
"""Devices one account registers (revoked ones count: their keys stay bound to them)."""
metrics_per_device_max = 16
metric_name_chars_max = 16
"""Characters of a metric's name (a-z, 0-9, '_'; 1 at least)."""
unit_bytes_max = 16
"""UTF-8 bytes of a metric's unit ("microstrain", "kW", "mm"; may be empty)."""
value_min = -(2**63)
value_max = 2**63 - 1
"""Readings are integers in the metric's unit (no floats are replicated): a metric declares
its own range within these, and every reading and threshold must lie in it."""
readings_per_batch_max = 64
"""Readings in one iot.submit: 64 of the longest fit in one transaction
(chainbook.limits.tx_bytes_max, tested)."""
reading_ahead_ms_max = 300_000
"""How far a reading's own time may be after the block time: devices' clocks drift, and the
mempool checks against the last block's time, up to an empty-block interval old."""
history_readings_max = 32
"""Latest readings kept per metric in state (one key), newest last; older ones are in the
batches' transactions (apps/iot/process.py)."""
description_bytes_max = 256
reason_bytes_max = 256
genesis_devices_max = 10_000

LIMITS = {
    "device_id_chars_max": device_id_chars_max,
    "devices_per_owner_max": devices_per_owner_max,
    "metrics_per_device_max": metrics_per_device_max,
    "metric_name_chars_max": metric_name_chars_max,
    "unit_bytes_max": unit_bytes_max,
    "readings_per_batch_max": readings_per_batch_max,
    "reading_ahead_ms_max": reading_ahead_ms_max,
    "history_readings_max": history_readings_max,
    "description_bytes_max": description_bytes_max,
    "reason_bytes_max": reason_bytes_max,
    "genesis_devices_max": genesis_devices_max,
}

__all__ = [
    "LIMITS",
    "description_bytes_max",
    "device_id_chars_max",
    "devices_per_owner_max",
    "genesis_devices_max",
    "history_readings_max",
    "metric_name_chars_max",
    "metrics_per_device_max",
    "reading_ahead_ms_max",
    "readings_per_batch_max",
    "reason_bytes_max",
    "unit_bytes_max",
    "value_max",
    "value_min",
]
