"""What the iot tests share: a bridge's strain gauge owned by ALICE, readings it signs, blocks
at known times (tests.support: block h has time GENESIS_TIME_MS + h)."""

from __future__ import annotations

import msgspec

from chainbook.apps.iot import Metric, Reading, Register, Submit, sign_reading
from chainbook.crypto import PrivateKey
from chainbook.ledger.receipts import Receipt
from chainbook.ledger.state import LedgerState, get_nonce
from tests.support import ALICE, CHAIN_ID, GENESIS_TIME_MS, run_block, run_refused, tx

GAUGE = PrivateKey.from_label("gauge")
DEVICE = "bridge-7.gauge-3"
STRAIN = Metric("strain", "microstrain", -5_000, 5_000)
TEMP = Metric("temp", "mC", -40_000, 85_000)
T0 = GENESIS_TIME_MS - 60_000
"""Readings' own times start a minute before genesis (a device buffers)."""


def gauge(device: str = DEVICE, key: PrivateKey = GAUGE) -> Register:
    return Register(device, key.public_key, [STRAIN, TEMP], "strain gauge, pier 3")


def reading(metric: str, value: int, time_ms: int, key: PrivateKey = GAUGE,
            device: str = DEVICE, chain_id: str = CHAIN_ID) -> Reading:  # fmt: skip
    return sign_reading(key, chain_id, device, metric, value, time_ms)


def batch(*readings: Reading, device: str = DEVICE) -> Submit:
    return Submit(device, list(readings))


def send(state: LedgerState, key: PrivateKey, action: msgspec.Struct) -> Receipt:
    receipt: Receipt = run_block(
        state, [tx(key, get_nonce(state.kv, key.address), action)]
    ).receipts[0]
    return receipt


def ok(state: LedgerState, key: PrivateKey, action: msgspec.Struct) -> Receipt:
    receipt = send(state, key, action)
    assert receipt.ok, (receipt.code, receipt.error)
    return receipt


def refused(state: LedgerState, key: PrivateKey, action: msgspec.Struct, code: str) -> str:
    nonce = get_nonce(state.kv, key.address)
    return run_refused(state, tx(key, nonce, action), code).error


def next_block_time(state: LedgerState) -> int:
    return GENESIS_TIME_MS + state.height + 1


__all__ = [
    "ALICE",
    "DEVICE",
    "GAUGE",
    "STRAIN",
    "T0",
    "TEMP",
    "batch",
    "gauge",
    "next_block_time",
    "ok",
    "reading",
    "refused",
    "send",
]
