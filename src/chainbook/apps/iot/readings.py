"""Readings: what a device signs, the leaf a batch puts under its root, and a reading's proof.

    signed message = "chainbook/iot-reading/v1" 0x00 ||
                     MessagePack [chain_id, device, metric, value, time_ms]
    leaf i         = MessagePack [device, metric, value, time_ms, signature] of reading i
    batch root     = RFC 6962 MTH over the leaves (chainbook.merkle), what the chain records

The chain id in the signed message stops a reading from being replayed on another chain; the
device id and the metric stop it from passing as another device's or another metric's (a
device's key is its own, but its readings name what they measure). A leaf carries the
signature, so one reading, its audit path and the batch's root (a state proof of the `batch`
query) convince a verifier who knows the device's key (a state proof of the `device` query),
without the rest of the batch.
"""

from __future__ import annotations

from collections.abc import Sequence

from chainbook import codec, merkle
from chainbook.apps.iot import limits
from chainbook.apps.iot.actions import Reading
from chainbook.crypto import PrivateKey, verify_signature
from chainbook.types import Hash, PublicKey

READING_TAG = b"chainbook/iot-reading/v1\x00"


def compute_reading_message(
    chain_id: str, device: str, metric: str, value: int, time_ms: int
) -> bytes:
    return READING_TAG + codec.encode([chain_id, device, metric, value, time_ms])


def sign_reading(
    key: PrivateKey, chain_id: str, device: str, metric: str, value: int, time_ms: int
) -> Reading:
    """A reading as the device makes it (a client library's job; here for tools and tests)."""
    message = compute_reading_message(chain_id, device, metric, value, time_ms)
    return Reading(metric, value, time_ms, key.sign(message))


def is_reading_signed(public_key: PublicKey, chain_id: str, device: str, reading: Reading) -> bool:
    message = compute_reading_message(
        chain_id, device, reading.metric, reading.value, reading.time_ms
    )
    return verify_signature(public_key, message, reading.signature)


def compute_leaf(device: str, reading: Reading) -> bytes:
    return codec.encode(
        [device, reading.metric, reading.value, reading.time_ms, reading.signature]
    )


def compute_batch_root(device: str, readings: Sequence[Reading]) -> Hash:
    return merkle.root([compute_leaf(device, r) for r in readings])


def compute_reading_path(device: str, readings: Sequence[Reading], index: int) -> list[Hash]:
    """The RFC 6962 audit path of reading `index` (IndexError outside the batch)."""
    leaf_hashes = [merkle.leaf_hash(compute_leaf(device, r)) for r in readings]
    return merkle.inclusion_proof(leaf_hashes, index)


def is_reading_in_batch(
    device: str, reading: Reading, index: int, size: int, path: Sequence[Hash], root: Hash
) -> bool:
    """True when `path` leads from the reading's leaf, `index` of `size`, to `root`."""
    if not 1 <= size <= limits.readings_per_batch_max:
        return False
    return merkle.verify_inclusion(compute_leaf(device, reading), index, size, path, root)


__all__ = [
    "READING_TAG",
    "compute_batch_root",
    "compute_leaf",
    "compute_reading_message",
    "compute_reading_path",
    "is_reading_in_batch",
    "is_reading_signed",
    "sign_reading",
]
