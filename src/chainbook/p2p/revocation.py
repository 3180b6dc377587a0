"""The network CA's revocation list: node ids that may no longer connect, signed by the CA.

Rules kept:

- A list counts only if THIS network's CA signed it: it names the CA by the SHA-256 of its
  certificate (DER) and carries the CA's Ed25519 signature over
  ``b"chainbook/revocation-list/v1\\x00"`` followed by the compact JSON of its body (msgspec's
  encoding of ``RevocationBody``: the fields in their declared order, no spaces). A verifier
  re-encodes the body it parsed, so re-indenting the file breaks nothing and no unsigned
  field can ride along (unknown fields are refused).
- Revocation is by node id (the Ed25519 key a certificate carries), not by certificate serial:
  revoking a node refuses every certificate ever issued for its key.
- ``sequence`` grows by one at every change, so a node can tell a newer list from an older one;
  ids are sorted and distinct, so one set has one signed form.
- Bounded: at most ``REVOKED_NODE_IDS_MAX`` ids, a file of at most ``REVOCATION_LIST_BYTES_MAX``.

The file format, for a tool in another language:

    {"version": 1, "ca_fingerprint": "<64 hex>", "sequence": 3, "issued_ms": 1700000000000,
     "revoked_node_ids": ["<64 hex>", ...], "signature": "<128 hex>"}
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chainbook.p2p.tls import (
    ED25519_PUBLIC_KEY_BYTES,
    CertificateError,
    certificate_public_key,
    load_ca_key,
    load_certificate,
    public_key_of_bytes,
    verify_ca_certificate,
)

__all__ = [
    "REVOKED_NODE_IDS_MAX",
    "REVOCATION_LIST_BYTES_MAX",
    "RevocationBody",
    "RevocationList",
    "ca_fingerprint",
    "load_revocation_list",
    "sign_revocation_list",
    "verify_revocation_list",
]

REVOCATION_LIST_VERSION = 1
REVOKED_NODE_IDS_MAX = 10_000
REVOCATION_LIST_BYTES_MAX = 1024 * 1024
"""10,000 revoked ids are ~700 KB of JSON; a bigger file is refused before it is parsed."""
_REVOCATION_TAG = b"chainbook/revocation-list/v1\x00"


class RevocationBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the CA signs. Field order is the canonical order of the signed JSON."""

    version: int
    ca_fingerprint: str
    """SHA-256 of the CA certificate's DER, hex: the list names the CA that must have signed."""
    sequence: int
    """Grows by one at every change, so a node can refuse an older list than the one it has."""
    issued_ms: int
    revoked_node_ids: list[str]
    """Sorted, distinct, lower-case hex of 32-byte node ids."""


class RevocationList(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The revocation list file: the body and the CA's Ed25519 signature over
    ``b"chainbook/revocation-list/v1\\x00" + compact JSON of the body`` (msgspec's encoding,
    fields in the order above, no spaces), re-encoded from the parsed body when verified, so
    reformatting the file does not break it and no unsigned field can ride along."""

    version: int
    ca_fingerprint: str
    sequence: int
    issued_ms: int
    revoked_node_ids: list[str]
    signature: str

    @property
    def body(self) -> RevocationBody:
        return RevocationBody(
            self.version,
            self.ca_fingerprint,
            self.sequence,
            self.issued_ms,
            self.revoked_node_ids,
        )

    @property
    def node_ids(self) -> frozenset[bytes]:
        return frozenset(bytes.fromhex(h) for h in self.revoked_node_ids)


def ca_fingerprint(ca_cert_pem: bytes) -> str:
    der = load_certificate(ca_cert_pem, "CA certificate").public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).hexdigest()


def _signed_bytes(body: RevocationBody) -> bytes:
    return _REVOCATION_TAG + msgspec.json.encode(body)


def sign_revocation_list(
    ca_key_pem: bytes,
    ca_cert_pem: bytes,
    node_ids: frozenset[bytes],
    *,
    sequence: int,
    issued_ms: int,
    ca_key_password: bytes | None = None,
) -> bytes:
    """The signed revocation list file (JSON) revoking ``node_ids``."""
    if len(node_ids) > REVOKED_NODE_IDS_MAX:
        raise CertificateError(
            f"{len(node_ids)} revoked node ids: a revocation list holds at most "
            f"{REVOKED_NODE_IDS_MAX}"
        )
    for node_id in node_ids:
        public_key_of_bytes(node_id)
    ca_key = load_ca_key(ca_key_pem, ca_key_password)
    ca_cert = verify_ca_certificate(ca_cert_pem)
    ca_key_public = ca_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    if certificate_public_key(ca_cert) != ca_key_public:
        raise CertificateError("the CA key does not belong to the CA certificate")
    body = RevocationBody(
        REVOCATION_LIST_VERSION,
        ca_fingerprint(ca_cert_pem),
        sequence,
        issued_ms,
        sorted(n.hex() for n in node_ids),
    )
    signed = RevocationList(**msgspec.structs.asdict(body), signature="")
    signed = msgspec.structs.replace(signed, signature=ca_key.sign(_signed_bytes(body)).hex())
    return msgspec.json.format(msgspec.json.encode(signed), indent=2) + b"\n"


def verify_revocation_list(
    data: bytes, ca_cert_pem: bytes, what: str = "revocation list"
) -> RevocationList:
    """Parse a revocation list and check that THIS CA signed it; raise CertificateError."""
    if len(data) > REVOCATION_LIST_BYTES_MAX:
        raise CertificateError(f"{what}: {len(data)} bytes, at most {REVOCATION_LIST_BYTES_MAX}")
    try:
        parsed = msgspec.json.decode(data, type=RevocationList)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise CertificateError(f"{what}: {exc}") from None
    if parsed.version != REVOCATION_LIST_VERSION:
        raise CertificateError(
            f"{what}: version {parsed.version} (accepted: {REVOCATION_LIST_VERSION})"
        )
    ca_cert = verify_ca_certificate(ca_cert_pem)
    if parsed.ca_fingerprint != ca_fingerprint(ca_cert_pem):
        raise CertificateError(
            f"{what} was made by another CA (fingerprint {parsed.ca_fingerprint[:16]}...), "
            f"not this network's CA ({ca_fingerprint(ca_cert_pem)[:16]}...)"
        )
    ca_public_key = ca_cert.public_key()
    assert isinstance(ca_public_key, Ed25519PublicKey)  # verify_ca_certificate checked it
    try:
        ca_public_key.verify(bytes.fromhex(parsed.signature), _signed_bytes(parsed.body))
    except (ValueError, InvalidSignature):
        raise CertificateError(f"{what}: the CA's signature does not verify (altered?)") from None
    _verify_node_id_list(parsed.revoked_node_ids, what)
    return parsed


def _verify_node_id_list(hex_ids: list[str], what: str) -> None:
    if len(hex_ids) > REVOKED_NODE_IDS_MAX:
        raise CertificateError(f"{what}: {len(hex_ids)} ids, at most {REVOKED_NODE_IDS_MAX}")
    if hex_ids != sorted(set(hex_ids)):
        raise CertificateError(f"{what}: revoked_node_ids must be sorted and distinct")
    for text in hex_ids:
        if len(text) != 2 * ED25519_PUBLIC_KEY_BYTES or text != text.lower():
            raise CertificateError(f"{what}: {text!r} is not a node id (64 lower-case hex)")
        bytes.fromhex(text)


def load_revocation_list(path: Path, ca_cert: bytes) -> frozenset[bytes]:
    """The revoked node ids of the list at ``path``, refused unless ``ca_cert`` (PEM) signed it.

    For the transport's ``revoked_node_ids``: a peer whose certificate key is in the set is
    refused at the handshake.
    """
    path = Path(path)
    try:
        with path.open("rb") as file:
            data = file.read(REVOCATION_LIST_BYTES_MAX + 1)
    except OSError as exc:
        raise CertificateError(f"revocation list {path}: {exc.strerror}") from None
    return verify_revocation_list(data, ca_cert, f"revocation list {path}").node_ids
