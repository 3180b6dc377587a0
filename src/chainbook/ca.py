"""The consortium's network CA as a folder: create it, admit nodes by their public keys, revoke.

    <ca>/
      ca.key        the CA's Ed25519 private key (PKCS#8 PEM, mode 0600, optionally encrypted
                    under a passphrase); it never leaves this folder
      ca.pem        the CA certificate: every node's tls/ca.pem is a copy
      revoked.json  the CA-signed revocation list (p2p/revocation.py), sequence 0 at creation;
                    every node's tls/revoked.json is a copy of the latest
      issued/<node id>.pem   each certificate issued, the record of who was admitted

Rules kept:

- No secret of a node ever reaches the CA: a certificate is issued from a node id (the node's
  Ed25519 public key) or from a certificate request the node signed (proof that it holds the
  key). The CA decides who may connect; it cannot impersonate anyone.
- A revoked node id gets no new certificate, and the revocation list only grows (a revoked
  key stays revoked: a node that lost its key makes a new one). Revoking an id twice is an
  explicit no-op, reported as such.
- The CA key is written once (mode 0600, never overwritten); `init_ca` refuses a folder that
  already holds a CA.

The CA key's passphrase, when it has one, comes from the caller (the CLI reads
--passphrase-file, CHAINBOOK_CA_PASSPHRASE or a prompt).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from chainbook.errors import ConfigError
from chainbook.keyfile import KEY_FILE_MODE, verify_key_file_mode
from chainbook.p2p import revocation, tls

CA_PASSPHRASE_ENV = "CHAINBOOK_CA_PASSPHRASE"
_ENCRYPTED_PEM_MARKER = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


@dataclass(frozen=True)
class IssueOutcome:
    node_id: bytes
    common_name: str
    certificate_pem: bytes
    record_path: Path


@dataclass(frozen=True)
class RevokeOutcome:
    node_id: bytes
    already_revoked: bool
    sequence: int
    revoked_count: int


@dataclass(frozen=True)
class CaFolder:
    """Paths of a CA folder and the checked loaders of its files."""

    root: Path

    @property
    def key_path(self) -> Path:
        return self.root / "ca.key"

    @property
    def cert_path(self) -> Path:
        return self.root / "ca.pem"

    @property
    def revocation_path(self) -> Path:
        return self.root / "revoked.json"

    @property
    def issued_dir(self) -> Path:
        return self.root / "issued"

    def load_cert(self) -> bytes:
        if not self.cert_path.is_file():
            raise ConfigError(
                f"{self.root} holds no network CA ({self.cert_path} is missing); "
                "create one with `chainbook ca init --dir DIR`"
            )
        data = self.cert_path.read_bytes()
        with _as_config_error():
            tls.verify_ca_certificate(data, f"CA certificate {self.cert_path}")
        return data

    def is_key_encrypted(self) -> bool:
        return _ENCRYPTED_PEM_MARKER in self._read_key()

    def _read_key(self) -> bytes:
        if not self.key_path.is_file():
            raise ConfigError(
                f"the CA key {self.key_path} is missing: only the CA's own folder can issue "
                "or revoke (the key never leaves it)"
            )
        verify_key_file_mode(self.key_path, what="CA key")
        return self.key_path.read_bytes()

    def load_key(self, passphrase: bytes | None = None) -> bytes:
        """The CA key PEM, checked to open (with `passphrase` if encrypted) and to belong to
        ca.pem; returned as stored (still encrypted if it was)."""
        key_pem = self._read_key()
        with _as_config_error():
            key = tls.load_ca_key(key_pem, passphrase if self.is_key_encrypted() else None)
            ca_key_public = key.public_key().public_bytes_raw()
            ca_cert = tls.load_certificate(self.load_cert(), "CA certificate")
            if tls.certificate_public_key(ca_cert) != ca_key_public:
                raise ConfigError(f"{self.key_path} is not the key of {self.cert_path}")
        return key_pem

    def load_revoked_node_ids(self) -> frozenset[bytes]:
        with _as_config_error():
            return revocation.load_revocation_list(self.revocation_path, self.load_cert())

    def load_revocation_list(self) -> revocation.RevocationList:
        with _as_config_error():
            return revocation.verify_revocation_list(
                self.revocation_path.read_bytes(),
                self.load_cert(),
                f"revocation list {self.revocation_path}",
            )


@contextlib.contextmanager
def _as_config_error() -> Iterator[None]:
    """Certificate problems reach the operator as ConfigError (one red line in the CLI)."""
    try:
        yield
    except tls.CertificateError as exc:
        raise ConfigError(str(exc)) from None


def _now_ms() -> int:
    return int(time.time() * 1000)


def _write_new_file(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_file(path: Path, data: bytes) -> None:
    """Write `data` to a sibling, fsync, rename over `path`: readers see old or new, whole."""
    sibling = path.with_name(f".{path.name}.new")
    sibling.unlink(missing_ok=True)
    _write_new_file(sibling, data, 0o644)
    os.replace(sibling, path)


def init_ca(root: Path, common_name: str, passphrase: bytes | None = None) -> CaFolder:
    """Create a CA folder: key (mode 0600), self-signed certificate, empty revocation list."""
    ca = CaFolder(Path(root))
    if ca.key_path.exists() or ca.cert_path.exists():
        raise ConfigError(f"{ca.root} already holds a network CA; a CA key is never overwritten")
    with _as_config_error():
        key_pem, cert_pem = tls.create_network_ca(common_name, ca_key_password=passphrase)
    ca.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca.issued_dir.mkdir(exist_ok=True)
    _write_new_file(ca.key_path, key_pem, KEY_FILE_MODE)
    _write_new_file(ca.cert_path, cert_pem, 0o644)
    with _as_config_error():
        signed = revocation.sign_revocation_list(
            key_pem,
            cert_pem,
            frozenset(),
            sequence=0,
            issued_ms=_now_ms(),
            ca_key_password=passphrase,
        )
    _write_new_file(ca.revocation_path, signed, 0o644)
    return ca


def parse_node_id(text: str) -> bytes:
    """A node id as given on a command line: 64 hex characters (an Ed25519 public key)."""
    try:
        node_id = bytes.fromhex(text.strip().removeprefix("0x"))
    except ValueError:
        node_id = b""
    if len(node_id) != tls.ED25519_PUBLIC_KEY_BYTES:
        raise ConfigError(
            f"node id {text!r}: expected {2 * tls.ED25519_PUBLIC_KEY_BYTES} hex characters "
            "(the public key `chainbook init` printed)"
        )
    with _as_config_error():
        tls.public_key_of_bytes(node_id)
    return node_id


def issue(
    ca: CaFolder, node_id: bytes, common_name: str, passphrase: bytes | None = None
) -> IssueOutcome:
    """Issue a node certificate for `node_id`; refused for a revoked id."""
    key_pem = ca.load_key(passphrase)
    if node_id in ca.load_revoked_node_ids():
        raise ConfigError(
            f"node id {node_id.hex()} is revoked by this CA: it gets no new certificate "
            "(the node must make a new key with `chainbook init`)"
        )
    with _as_config_error():
        cert_pem = tls.issue_node_certificate(
            key_pem,
            ca.load_cert(),
            node_public_key=node_id,
            common_name=common_name,
            ca_key_password=passphrase if ca.is_key_encrypted() else None,
        )
    ca.issued_dir.mkdir(exist_ok=True)
    record = ca.issued_dir / f"{node_id.hex()}.pem"
    _replace_file(record, cert_pem)
    return IssueOutcome(node_id, common_name, cert_pem, record)


def issue_from_request(
    ca: CaFolder, request_pem: bytes, passphrase: bytes | None = None, common_name: str = ""
) -> IssueOutcome:
    """Issue from a node's signed certificate request (its name unless `common_name`)."""
    with _as_config_error():
        request = tls.read_certificate_request(request_pem)
    return issue(ca, request.node_public_key, common_name or request.common_name, passphrase)


def revoke(ca: CaFolder, node_id: bytes, passphrase: bytes | None = None) -> RevokeOutcome:
    """Add `node_id` to the revocation list and re-sign it (sequence + 1)."""
    key_pem = ca.load_key(passphrase)
    current = ca.load_revocation_list()
    revoked = current.node_ids
    if node_id in revoked:
        return RevokeOutcome(node_id, True, current.sequence, len(revoked))
    password = passphrase if ca.is_key_encrypted() else None
    with _as_config_error():
        signed = revocation.sign_revocation_list(
            key_pem,
            ca.load_cert(),
            revoked | {node_id},
            sequence=current.sequence + 1,
            issued_ms=_now_ms(),
            ca_key_password=password,
        )
        # Read back what is about to replace the list before it does.
        assert node_id in revocation.verify_revocation_list(signed, ca.load_cert()).node_ids
    _replace_file(ca.revocation_path, signed)
    return RevokeOutcome(node_id, False, current.sequence + 1, len(revoked) + 1)


__all__ = [
    "CA_PASSPHRASE_ENV",
    "CaFolder",
    "IssueOutcome",
    "RevokeOutcome",
    "init_ca",
    "issue",
    "issue_from_request",
    "parse_node_id",
    "revoke",
]
