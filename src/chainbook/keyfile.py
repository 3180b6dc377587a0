"""Key files: one Ed25519 key as JSON, readable by its owner only, optionally passphrase-encrypted.

Rules kept, because a leaked seed is lost money or a stolen validator vote:

- a key file is created with mode 0600 and never overwritten by a different key (losing a key
  cannot be undone); `encrypt_key_file` / `decrypt_key_file` replace a file only with the SAME
  key in the other form, atomically (write a sibling, fsync, rename), after checking that the
  new file loads back to that key;
- a key file that group or others may read or write is refused, with the chmod that fixes it;
- `public_key` and `address` are redundant with the seed and are checked against it, so a hand-
  edited or truncated file is caught at load rather than signing with an unexpected key;
- a wrong passphrase or an altered encrypted file is one clear error and changes nothing.

Two formats, told apart by the `version` field (absent in version 0):

Version 0, plaintext (unchanged since the first release, still read and written):

    {"seed": "<64 hex>", "public_key": "<64 hex>", "address": "<40 hex>"}

Version 1, encrypted (the model is Ethereum's keystore v3, with today's primitives):

    {"version": 1,
     "public_key": "<64 hex>", "address": "<40 hex>",      readable without the passphrase
     "kdf": "argon2id13", "kdf_opslimit": 3, "kdf_memlimit_bytes": 268435456,
     "kdf_salt": "<32 hex>",
     "cipher": "xchacha20poly1305-ietf", "nonce": "<48 hex>",
     "ciphertext": "<96 hex>"}                              the 32-byte seed + 16-byte tag

- key = Argon2id(passphrase, kdf_salt, opslimit, memlimit), 32 bytes: libsodium's
  `crypto_pwhash` with `crypto_pwhash_ALG_ARGON2ID13` (PyNaCl `nacl.pwhash.argon2id.kdf`).
  The passphrase is the UTF-8 bytes as typed (a passphrase file loses one trailing newline).
- ciphertext = XChaCha20-Poly1305-IETF(key, nonce, plaintext=seed, ad=AD), libsodium's
  `crypto_aead_xchacha20poly1305_ietf_encrypt`; salt and nonce are fresh random per file.
- AD binds every other field, so changing the public key, the KDF cost or the salt fails the
  tag check exactly as a wrong passphrase does:
      AD = b"chainbook/key-file/v1" 0x00 || "argon2id13" 0x00 || opslimit (u64 big-endian) ||
           memlimit_bytes (u64 big-endian) || salt (16) || "xchacha20poly1305-ietf" 0x00 ||
           public_key (32)
- The default cost is libsodium's MODERATE (3 passes, 256 MiB; measured 0.3 s to write or
  open on the 2-core development machine), about Ethereum's keystore scrypt cost. Files are
  read with any cost in [KDF_OPSLIMIT_MIN..KDF_OPSLIMIT_MAX] x
  [KDF_MEMLIMIT_MIN..KDF_MEMLIMIT_MAX]; the upper bounds keep a crafted file from making a
  node allocate without limit.

Passphrases come from, in this order: an explicit `--passphrase-file` (mode 0600, like a key),
the environment variable CHAINBOOK_KEY_PASSPHRASE, then a prompt (callers decide whether one is
possible). This module imports nothing beyond the core, so the node and the client SDK share it.
"""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final, Literal

import msgspec
import nacl.bindings
import nacl.exceptions
import nacl.pwhash
import nacl.utils

from chainbook.crypto import SEED_BYTES, PrivateKey
from chainbook.errors import ConfigError

KEY_FILE_MODE = 0o600
KEY_FILE_BYTES_MAX = 4096
"""A key file is ~150-450 bytes; anything much larger is not a key file (read bound)."""
_GROUP_OTHER_BITS = stat.S_IRWXG | stat.S_IRWXO

PASSPHRASE_ENV = "CHAINBOOK_KEY_PASSPHRASE"
PASSPHRASE_BYTES_MIN = 8
"""For a NEW passphrase (as the Cosmos keyring asks); an existing file is opened with any."""
PASSPHRASE_BYTES_MAX = 1024

ENCRYPTED_VERSION: Final = 1
KDF_NAME: Final = "argon2id13"
CIPHER_NAME: Final = "xchacha20poly1305-ietf"
_AD_TAG = b"chainbook/key-file/v1"
KDF_SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES
NONCE_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
TAG_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES
KDF_OPSLIMIT_MIN = nacl.pwhash.argon2id.OPSLIMIT_MIN
KDF_OPSLIMIT_MAX = 16
KDF_MEMLIMIT_MIN = nacl.pwhash.argon2id.MEMLIMIT_MIN
KDF_MEMLIMIT_MAX = nacl.pwhash.argon2id.MEMLIMIT_SENSITIVE
"""1 GiB: libsodium's SENSITIVE level; a file asking for more is refused before any work."""


@dataclass(frozen=True)
class KdfCost:
    """Argon2id cost of a new encrypted file (what is stored in kdf_opslimit/memlimit)."""

    opslimit: int
    memlimit_bytes: int


KDF_COST_DEFAULT = KdfCost(
    nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE
)

Hex = Annotated[str, msgspec.Meta(max_length=256)]


class KeyFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Version 0: the plaintext seed."""

    seed: Hex
    public_key: Hex
    address: Hex


class EncryptedKeyFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Version 1: the seed sealed under a passphrase (see the module docstring)."""

    version: Literal[1]
    public_key: Hex
    address: Hex
    kdf: Literal["argon2id13"]
    kdf_opslimit: Annotated[int, msgspec.Meta(ge=KDF_OPSLIMIT_MIN, le=KDF_OPSLIMIT_MAX)]
    kdf_memlimit_bytes: Annotated[int, msgspec.Meta(ge=KDF_MEMLIMIT_MIN, le=KDF_MEMLIMIT_MAX)]
    kdf_salt: Hex
    cipher: Literal["xchacha20poly1305-ietf"]
    nonce: Hex
    ciphertext: Hex


@dataclass(frozen=True)
class KeyFileInfo:
    """What a key file says about itself without its passphrase."""

    path: Path
    public_key: bytes
    address: bytes
    encrypted: bool


Passphrase = bytes | Callable[[], bytes] | None
"""A passphrase, a function asked only if the file turns out to be encrypted, or None."""


class PassphraseRequired(ConfigError):
    """The key file is encrypted and no passphrase was given."""


class WrongPassphrase(ConfigError):
    """The passphrase does not open the file (or the file was altered)."""


# --- building the two formats (pure) ---------------------------------------------------------


def compute_key_file(key: PrivateKey) -> KeyFile:
    return KeyFile(seed=key.seed.hex(), public_key=key.public_key.hex(), address=key.address.hex())


def compute_associated_data(kdf_cost: KdfCost, salt: bytes, public_key: bytes) -> bytes:
    return b"".join(
        (
            _AD_TAG + b"\x00",
            KDF_NAME.encode() + b"\x00",
            struct.pack(">QQ", kdf_cost.opslimit, kdf_cost.memlimit_bytes),
            salt,
            CIPHER_NAME.encode() + b"\x00",
            public_key,
        )
    )


def _derive_key(passphrase: bytes, salt: bytes, kdf_cost: KdfCost) -> bytes:
    return nacl.pwhash.argon2id.kdf(
        nacl.bindings.crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
        passphrase,
        salt,
        opslimit=kdf_cost.opslimit,
        memlimit=kdf_cost.memlimit_bytes,
    )


def compute_encrypted_key_file(
    key: PrivateKey,
    passphrase: bytes,
    kdf_cost: KdfCost | None = None,
    *,
    salt: bytes | None = None,
    nonce: bytes | None = None,
) -> EncryptedKeyFile:
    """Seal `key` under `passphrase` (salt and nonce fresh unless given, for test vectors)."""
    verify_new_passphrase(passphrase)
    kdf_cost = KDF_COST_DEFAULT if kdf_cost is None else kdf_cost
    salt = nacl.utils.random(KDF_SALT_BYTES) if salt is None else salt
    nonce = nacl.utils.random(NONCE_BYTES) if nonce is None else nonce
    associated = compute_associated_data(kdf_cost, salt, key.public_key)
    sealed = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        key.seed, associated, nonce, _derive_key(passphrase, salt, kdf_cost)
    )
    return EncryptedKeyFile(
        version=ENCRYPTED_VERSION,
        public_key=key.public_key.hex(),
        address=key.address.hex(),
        kdf=KDF_NAME,
        kdf_opslimit=kdf_cost.opslimit,
        kdf_memlimit_bytes=kdf_cost.memlimit_bytes,
        kdf_salt=salt.hex(),
        cipher=CIPHER_NAME,
        nonce=nonce.hex(),
        ciphertext=sealed.hex(),
    )


def open_encrypted_key_file(source: str, sealed: EncryptedKeyFile, passphrase: bytes) -> PrivateKey:
    """The key inside `sealed`; WrongPassphrase if the tag does not verify."""
    salt = _hex_field(source, "kdf_salt", sealed.kdf_salt, KDF_SALT_BYTES)
    nonce = _hex_field(source, "nonce", sealed.nonce, NONCE_BYTES)
    ciphertext = _hex_field(source, "ciphertext", sealed.ciphertext, SEED_BYTES + TAG_BYTES)
    public_key = _hex_field(source, "public_key", sealed.public_key, 32)
    kdf_cost = KdfCost(sealed.kdf_opslimit, sealed.kdf_memlimit_bytes)
    associated = compute_associated_data(kdf_cost, salt, public_key)
    try:
        seed = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ciphertext, associated, nonce, _derive_key(passphrase, salt, kdf_cost)
        )
    except nacl.exceptions.CryptoError:
        raise WrongPassphrase(
            f"key file {source}: wrong passphrase (or the file was altered); nothing was changed"
        ) from None
    key = PrivateKey(seed)
    _verify_stated_identity(source, key, sealed.public_key, sealed.address)
    return key


def encode_key_file(content: KeyFile | EncryptedKeyFile) -> bytes:
    return msgspec.json.format(msgspec.json.encode(content), indent=2) + b"\n"


def decode_key_file(data: bytes, source: str) -> KeyFile | EncryptedKeyFile:
    """Parse either format; the error names `source` and the field."""
    if len(data) > KEY_FILE_BYTES_MAX:
        raise ConfigError(
            f"key file {source}: {len(data)} bytes, a key file is at most {KEY_FILE_BYTES_MAX}"
        )
    try:
        raw = msgspec.json.decode(data)
        if not isinstance(raw, dict):
            raise ConfigError(f"key file {source}: expected a JSON object")
        version = raw.get("version", 0)
        if version == 0:
            return msgspec.convert(raw, KeyFile)
        if version == ENCRYPTED_VERSION:
            return msgspec.convert(raw, EncryptedKeyFile)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ConfigError(f"key file {source}: {exc}") from None
    raise ConfigError(
        f"key file {source}: version {version!r} is not known (accepted: 0 plaintext, 1 encrypted)"
    )


def _hex_field(source: str, name: str, text: str, size: int) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        value = b""
    if len(value) != size:
        raise ConfigError(f"key file {source}: {name} must be {size * 2} hex characters")
    return value


def _verify_stated_identity(source: str, key: PrivateKey, public_key: str, address: str) -> None:
    if public_key.lower() != key.public_key.hex():
        raise ConfigError(f"key file {source}: public_key does not match the seed")
    if address.lower().removeprefix("0x") != key.address.hex():
        raise ConfigError(f"key file {source}: address does not match the seed")


def _key_of_plaintext(source: str, content: KeyFile) -> PrivateKey:
    try:
        seed = bytes.fromhex(content.seed)
    except ValueError:
        seed = b""
    if len(seed) != SEED_BYTES:
        raise ConfigError(f"key file {source}: seed must be {SEED_BYTES * 2} hex characters")
    key = PrivateKey(seed)
    _verify_stated_identity(source, key, content.public_key, content.address)
    return key


# --- passphrases -----------------------------------------------------------------------------


def verify_new_passphrase(passphrase: bytes) -> None:
    if not PASSPHRASE_BYTES_MIN <= len(passphrase) <= PASSPHRASE_BYTES_MAX:
        raise ConfigError(
            f"a new passphrase must be {PASSPHRASE_BYTES_MIN}..{PASSPHRASE_BYTES_MAX} bytes, "
            f"got {len(passphrase)}"
        )


def _verify_given_passphrase(passphrase: bytes, source: str) -> bytes:
    if not passphrase:
        raise ConfigError(f"the passphrase from {source} is empty")
    if len(passphrase) > PASSPHRASE_BYTES_MAX:
        raise ConfigError(
            f"the passphrase from {source} is {len(passphrase)} bytes, "
            f"at most {PASSPHRASE_BYTES_MAX} are accepted"
        )
    return passphrase


def read_passphrase_file(path: Path) -> bytes:
    """A passphrase kept in a file (mode 0600 or 0400, like a key); one trailing newline is
    not part of it, so `echo secret > file` works."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"passphrase file {path} does not exist")
    verify_key_file_mode(path, what="passphrase file")
    with path.open("rb") as file:
        data = file.read(PASSPHRASE_BYTES_MAX + 3)
    data = data.removesuffix(b"\n").removesuffix(b"\r")
    return _verify_given_passphrase(data, f"passphrase file {path}")


def passphrase_from_environment(
    environ: Mapping[str, str] | None = None, env_name: str = PASSPHRASE_ENV
) -> bytes | None:
    """The variable `env_name` (CHAINBOOK_KEY_PASSPHRASE) as bytes, or None when not set."""
    value = (os.environ if environ is None else environ).get(env_name)
    if value is None:
        return None
    return _verify_given_passphrase(value.encode(), f"environment variable {env_name}")


def resolve_passphrase(
    passphrase_file: Path | None,
    prompt: Callable[[], bytes] | None,
    *,
    environ: Mapping[str, str] | None = None,
    env_name: str = PASSPHRASE_ENV,
    what: str = "the key file",
) -> bytes:
    """The passphrase from the first source that has one: file, environment, prompt."""
    if passphrase_file is not None:
        return read_passphrase_file(passphrase_file)
    from_environment = passphrase_from_environment(environ, env_name)
    if from_environment is not None:
        return from_environment
    if prompt is not None:
        return _verify_given_passphrase(prompt(), "the prompt")
    raise PassphraseRequired(
        f"{what} is encrypted: give its passphrase with --passphrase-file FILE, the environment "
        f"variable {env_name}, or run from a terminal to be asked"
    )


# --- files -----------------------------------------------------------------------------------


def verify_key_file_mode(path: Path, what: str = "key file") -> None:
    """Refuse a key file that anyone but its owner may read or write."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & _GROUP_OTHER_BITS:
        raise ConfigError(
            f"{what} {path} has mode {mode:04o}: group/others may read it; "
            f"run `chmod 600 {path}` (accepted: 0600 or 0400)"
        )


def _read_checked(path: Path) -> KeyFile | EncryptedKeyFile:
    if not path.is_file():
        raise ConfigError(f"key file {path} does not exist")
    verify_key_file_mode(path)
    with path.open("rb") as file:
        data = file.read(KEY_FILE_BYTES_MAX + 1)
    return decode_key_file(data, str(path))


def _create_private_file(path: Path, data: bytes) -> None:
    """Write `data` to a new file with mode 0600, durably; never replaces an existing file."""
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


def write_key_file(
    path: Path,
    key: PrivateKey,
    passphrase: bytes | None = None,
    kdf_cost: KdfCost | None = None,
) -> Path:
    """Create `path` holding `key` (encrypted when a passphrase is given), mode 0600; refuse to
    replace an existing file."""
    path = Path(path)
    content: KeyFile | EncryptedKeyFile = (
        compute_key_file(key)
        if passphrase is None
        else compute_encrypted_key_file(key, passphrase, kdf_cost)
    )
    _create_private_file(path, encode_key_file(content))
    return path


def read_key_file_info(path: Path) -> KeyFileInfo:
    """Public key and address of a key file without its passphrase (a plaintext file is fully
    checked; an encrypted one only for its form: its seed is checked when it is opened)."""
    path = Path(path)
    content = _read_checked(path)
    if isinstance(content, KeyFile):
        key = _key_of_plaintext(str(path), content)
        return KeyFileInfo(path, key.public_key, key.address, encrypted=False)
    public_key = _hex_field(str(path), "public_key", content.public_key, 32)
    address = _hex_field(str(path), "address", content.address.removeprefix("0x"), 20)
    return KeyFileInfo(path, public_key, address, encrypted=True)


def is_encrypted_key_file(path: Path) -> bool:
    return read_key_file_info(path).encrypted


def load_key_file(path: Path, passphrase: Passphrase = None) -> PrivateKey:
    """Read a key file of either format, checking its mode and its consistency.

    For an encrypted file `passphrase` is needed: bytes, or a function called only then.
    """
    path = Path(path)
    content = _read_checked(path)
    if isinstance(content, KeyFile):
        return _key_of_plaintext(str(path), content)
    if passphrase is None:
        raise PassphraseRequired(
            f"key file {path} is encrypted: give its passphrase (--passphrase-file FILE, "
            f"the environment variable {PASSPHRASE_ENV}, or a terminal prompt)"
        )
    given = passphrase() if callable(passphrase) else passphrase
    return open_encrypted_key_file(str(path), content, given)


def _replace_with(path: Path, content: KeyFile | EncryptedKeyFile) -> None:
    """Atomically replace `path` by `content` (the caller has checked it holds the same key):
    a sibling file is written, read back, then renamed over `path` and the folder synced."""
    data = encode_key_file(content)
    sibling = path.with_name(f".{path.name}.new")
    sibling.unlink(missing_ok=True)  # a leftover of an interrupted run: the same key, or none
    _create_private_file(sibling, data)
    try:
        assert sibling.read_bytes() == data
        os.replace(sibling, path)
    except BaseException:
        sibling.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def encrypt_key_file(
    path: Path, new_passphrase: bytes, kdf_cost: KdfCost | None = None
) -> KeyFileInfo:
    """Replace a plaintext key file by the same key encrypted under `new_passphrase`."""
    path = Path(path)
    content = _read_checked(path)
    if isinstance(content, EncryptedKeyFile):
        raise ConfigError(f"key file {path} is already encrypted")
    key = _key_of_plaintext(str(path), content)
    sealed = compute_encrypted_key_file(key, new_passphrase, kdf_cost)
    # Open what we are about to write before it replaces the only copy of the seed.
    assert open_encrypted_key_file(str(path), sealed, new_passphrase).seed == key.seed
    _replace_with(path, sealed)
    return KeyFileInfo(path, key.public_key, key.address, encrypted=True)


def decrypt_key_file(path: Path, passphrase: bytes) -> KeyFileInfo:
    """Replace an encrypted key file by the same key in plaintext (mode 0600)."""
    path = Path(path)
    content = _read_checked(path)
    if isinstance(content, KeyFile):
        raise ConfigError(f"key file {path} is not encrypted")
    key = open_encrypted_key_file(str(path), content, passphrase)
    _replace_with(path, compute_key_file(key))
    return KeyFileInfo(path, key.public_key, key.address, encrypted=False)


__all__ = [
    "KDF_COST_DEFAULT",
    "KEY_FILE_MODE",
    "PASSPHRASE_ENV",
    "EncryptedKeyFile",
    "KdfCost",
    "KeyFile",
    "KeyFileInfo",
    "Passphrase",
    "PassphraseRequired",
    "WrongPassphrase",
    "compute_encrypted_key_file",
    "compute_key_file",
    "decode_key_file",
    "decrypt_key_file",
    "encode_key_file",
    "encrypt_key_file",
    "is_encrypted_key_file",
    "load_key_file",
    "open_encrypted_key_file",
    "passphrase_from_environment",
    "read_key_file_info",
    "read_passphrase_file",
    "resolve_passphrase",
    "verify_key_file_mode",
    "verify_new_passphrase",
    "write_key_file",
]
