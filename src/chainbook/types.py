"""Named types for the numbers and byte strings of the domain.

They are aliases, not wrappers: they cost nothing at run time and say in every
signature which idea a value stands for (one name for one idea, see DESIGN.md).
"""

from typing import TypeAlias

Height: TypeAlias = int
"""Position of a block in the chain; genesis state is height 0, the first block is 1."""

Round: TypeAlias = int
"""Consensus round within a height, starting at 0."""

Power: TypeAlias = int
"""Voting power of a validator (a positive integer)."""

Amount: TypeAlias = int
"""An amount of a coin in its smallest unit. Integers only: no floats are replicated."""

Nonce: TypeAlias = int
"""Per-account counter of transactions; the next valid transaction carries the current value."""

TimeMs: TypeAlias = int
"""Milliseconds since the Unix epoch (block time) or since start (simulated time)."""

Address: TypeAlias = bytes
"""20 bytes: the first 20 bytes of SHA-256 of an Ed25519 public key."""

PublicKey: TypeAlias = bytes
"""32 bytes: a raw Ed25519 public key."""

Signature: TypeAlias = bytes
"""64 bytes: a raw Ed25519 signature."""

Hash: TypeAlias = bytes
"""32 bytes: a SHA-256 digest."""

__all__ = [
    "Address",
    "Amount",
    "Hash",
    "Height",
    "Nonce",
    "Power",
    "PublicKey",
    "Round",
    "Signature",
    "TimeMs",
]
