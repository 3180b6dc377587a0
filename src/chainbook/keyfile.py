"""Key files: one Ed25519 key as JSON, readable by its owner only.

    {"seed": "<64 hex>", "public_key": "<64 hex>", "address": "<40 hex>"}

The same format holds an account key (a wallet) and a node's identity key (node_key.json), so
one tool reads both. Rules kept, because a leaked seed is lost money or a stolen validator vote:

- a key file is created with mode 0600 and never overwritten (losing a key cannot be undone);
- a key file that group or others may read is refused, with the chmod that fixes it;
- `public_key` and `address` are redundant with the seed and are checked against it, so a hand-
  edited or truncated file is caught at load rather than signing with an unexpected key.

This module imports nothing beyond the core, so both the node and the client SDK can use it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import msgspec

from chainbook.crypto import SEED_BYTES, PrivateKey
from chainbook.errors import ConfigError

KEY_FILE_MODE = 0o600
_GROUP_OTHER_BITS = stat.S_IRWXG | stat.S_IRWXO


class KeyFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    seed: str
    public_key: str
    address: str


def compute_key_file(key: PrivateKey) -> KeyFile:
    return KeyFile(seed=key.seed.hex(), public_key=key.public_key.hex(), address=key.address.hex())


def write_key_file(path: Path, key: PrivateKey) -> Path:
    """Create `path` holding `key`, mode 0600; refuse to replace an existing file."""
    path = Path(path)
    data = msgspec.json.format(msgspec.json.encode(compute_key_file(key)), indent=2) + b"\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; a key file is never overwritten") from None
    except OSError as exc:
        raise ConfigError(f"cannot create key file {path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, KEY_FILE_MODE)  # the umask may only remove bits; this makes it exact
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def verify_key_file_mode(path: Path) -> None:
    """Refuse a key file that anyone but its owner may read or write."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & _GROUP_OTHER_BITS:
        raise ConfigError(
            f"key file {path} has mode {mode:04o}: group/others may read it; "
            f"run `chmod 600 {path}` (accepted: 0600 or 0400)"
        )


def load_key_file(path: Path) -> PrivateKey:
    """Read a key file written by `write_key_file`, checking its mode and its consistency."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"key file {path} does not exist")
    verify_key_file_mode(path)
    try:
        parsed = msgspec.json.decode(path.read_bytes(), type=KeyFile)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ConfigError(f"key file {path}: {exc}") from None
    key = _key_from_seed_hex(path, parsed.seed)
    if parsed.public_key.lower() != key.public_key.hex():
        raise ConfigError(f"key file {path}: public_key does not match the seed")
    if parsed.address.lower().removeprefix("0x") != key.address.hex():
        raise ConfigError(f"key file {path}: address does not match the seed")
    return key


def _key_from_seed_hex(path: Path, seed_hex: str) -> PrivateKey:
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        seed = b""
    if len(seed) != SEED_BYTES:
        raise ConfigError(f"key file {path}: seed must be {SEED_BYTES * 2} hex characters")
    return PrivateKey(seed)


__all__ = [
    "KEY_FILE_MODE",
    "KeyFile",
    "compute_key_file",
    "load_key_file",
    "verify_key_file_mode",
    "write_key_file",
]
