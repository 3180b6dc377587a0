"""Ed25519 signatures (libsodium through PyNaCl), SHA-256 (hashlib) and addresses.

No home-made primitives. libsodium's verification is strict (it rejects non-canonical
signatures and small-order keys), so a signature cannot be re-encoded into another valid one.
"""

from __future__ import annotations

import hashlib

import nacl.bindings
import nacl.exceptions
import nacl.utils

from chainbook.types import Address, Hash, PublicKey, Signature

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
SEED_BYTES = 32
ADDRESS_BYTES = 20
HASH_BYTES = 32


def sha256(data: bytes) -> Hash:
    return hashlib.sha256(data).digest()


def address_from_public_key(public_key: PublicKey) -> Address:
    """An account's address: the first 20 bytes of SHA-256 of its Ed25519 public key."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise ValueError(f"public key must be {PUBLIC_KEY_BYTES} bytes, got {len(public_key)}")
    return sha256(public_key)[:ADDRESS_BYTES]


def verify_signature(public_key: PublicKey, message: bytes, signature: Signature) -> bool:
    """True when `signature` is a valid Ed25519 signature of `message` by `public_key`."""
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        nacl.bindings.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError):
        return False
    return True


class PrivateKey:
    """An Ed25519 signing key, kept as its 32-byte seed."""

    __slots__ = ("_secret", "public_key", "seed")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != SEED_BYTES:
            raise ValueError(f"Ed25519 seed must be {SEED_BYTES} bytes, got {len(seed)}")
        self.seed = bytes(seed)
        public_key, self._secret = nacl.bindings.crypto_sign_seed_keypair(self.seed)
        self.public_key: PublicKey = public_key

    @classmethod
    def generate(cls) -> PrivateKey:
        """A fresh key from libsodium's random source (randombytes_buf, the OS CSPRNG).

        The one source of entropy in the core packages; only key-making commands call it
        (keys, init, testnet), never the node core or the ledger, which stay deterministic."""
        return cls(nacl.utils.random(SEED_BYTES))

    @classmethod
    def from_label(cls, label: str) -> PrivateKey:
        """A deterministic key for tests, simulations and benchmarks. Never for real funds."""
        return cls(sha256(b"chainbook/test-key/" + label.encode()))

    @property
    def address(self) -> Address:
        return address_from_public_key(self.public_key)

    def sign(self, message: bytes) -> Signature:
        signed: bytes = nacl.bindings.crypto_sign(message, self._secret)
        return signed[:SIGNATURE_BYTES]

    def __repr__(self) -> str:
        return f"PrivateKey(address={self.address.hex()})"


def parse_address(text: str) -> Address:
    """Parse an address written as 40 hex characters, optionally prefixed with 0x."""
    raw = text[2:] if text.startswith("0x") else text
    try:
        address = bytes.fromhex(raw)
    except ValueError:
        raise ValueError(
            f"address must be {ADDRESS_BYTES * 2} hex characters, got {text!r}"
        ) from None
    if len(address) != ADDRESS_BYTES:
        raise ValueError(f"address must be {ADDRESS_BYTES * 2} hex characters, got {text!r}")
    return address


__all__ = [
    "ADDRESS_BYTES",
    "HASH_BYTES",
    "PUBLIC_KEY_BYTES",
    "SEED_BYTES",
    "SIGNATURE_BYTES",
    "PrivateKey",
    "address_from_public_key",
    "parse_address",
    "sha256",
    "verify_signature",
]
