"""Mutual TLS 1.3 whose certificates carry the node's Ed25519 identity key.

What this module guarantees, and why:

- A node's certificate holds, as its subject public key, the Ed25519 public key of the node's
  32-byte identity seed (the same seed PyNaCl's ``SigningKey(seed)`` takes). A TLS 1.3 handshake
  proves possession of that key (CertificateVerify), so after the handshake the peer's identity
  is exactly the key in its certificate: ``peer_public_key`` returns it as 32 raw bytes.
- The network CA (an Ed25519 key too) is the consortium's admission authority. Both sides
  require a certificate chaining to it (``CERT_REQUIRED`` on server and client), so only
  admitted nodes get past the handshake. The CA cannot impersonate a node: it never holds a
  node's seed, and identity is the key, not a name.
- Only TLS 1.3 is offered and accepted. Host names are not checked: identity is the key.
- Issuing needs only the node's PUBLIC key (``issue_node_certificate(node_public_key=...)``,
  or a PKCS#10 request the node signs, ``create_certificate_request``): no secret leaves the
  organisation that owns it. ``verify_node_certificate`` checks a certificate as a peer would
  (this CA's signature, validity period, expected key, revoked ids) and says which failed.
  The CA's revocation list lives in p2p/revocation.py.

Loading keys: ``ssl.SSLContext.load_cert_chain`` only reads files. The context builders take
PEM bytes and hand them to OpenSSL through an anonymous in-memory file (``memfd_create`` on
Linux, reached through ``/proc/self/fd``), so the private key never touches a disk. Where
``memfd_create`` is missing, a file is written with mode 0600 inside a fresh 0700 temporary
directory and removed as soon as OpenSSL has read it. Callers that already keep the key in
files can use ``server_context_from_files`` / ``client_context_from_files`` instead.
"""

from __future__ import annotations

import datetime
import os
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "CA_VALIDITY_DAYS",
    "CERTIFICATE_BYTES_MAX",
    "COMMON_NAME_CHARS_MAX",
    "NODE_CERT_VALIDITY_DAYS",
    "ED25519_PUBLIC_KEY_BYTES",
    "ED25519_SEED_BYTES",
    "CertificateError",
    "CertificateRequest",
    "InvalidPeerCertificate",
    "certificate_public_key",
    "create_certificate_request",
    "create_network_ca",
    "issue_node_certificate",
    "load_ca_key",
    "load_certificate",
    "public_key_of_bytes",
    "read_certificate_request",
    "verify_ca_certificate",
    "verify_common_name",
    "verify_node_certificate",
    "node_private_key_pem",
    "public_key_of_seed",
    "server_context",
    "client_context",
    "server_context_from_files",
    "client_context_from_files",
    "peer_public_key",
]

ED25519_SEED_BYTES = 32
ED25519_PUBLIC_KEY_BYTES = 32
CA_VALIDITY_DAYS = 20 * 365
NODE_CERT_VALIDITY_DAYS = 10 * 365
# Certificates start being valid a little in the past so that a node whose clock runs behind
# the issuer's can still use a certificate issued a moment ago.
CLOCK_SKEW_ALLOWANCE = datetime.timedelta(hours=1)
COMMON_NAME_CHARS_MAX = 64
CERTIFICATE_BYTES_MAX = 16 * 1024
"""A PEM certificate or request of chainbook is ~600 bytes; bigger input is refused unread."""


class InvalidPeerCertificate(ValueError):
    """The peer's certificate is missing or does not carry an Ed25519 public key."""


class CertificateError(ValueError):
    """A certificate, request, CA key or revocation list that must not be used; the message
    says which file or value, and why."""


# ----------------------------------------------------------------------------- keys


def verify_seed(node_seed: bytes) -> None:
    """Raise ValueError unless ``node_seed`` is a 32-byte Ed25519 seed."""
    if len(node_seed) != ED25519_SEED_BYTES:
        raise ValueError(
            f"node seed must be {ED25519_SEED_BYTES} bytes, got {len(node_seed)} bytes"
        )


def _private_key_of_seed(node_seed: bytes) -> Ed25519PrivateKey:
    verify_seed(node_seed)
    return Ed25519PrivateKey.from_private_bytes(node_seed)


def _raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_of_seed(node_seed: bytes) -> bytes:
    """The 32-byte Ed25519 public key of ``node_seed`` (equals PyNaCl's ``verify_key``)."""
    return _raw_public_bytes(_private_key_of_seed(node_seed).public_key())


def node_private_key_pem(node_seed: bytes) -> bytes:
    """The node's Ed25519 private key as unencrypted PKCS#8 PEM, for ``load_cert_chain``."""
    return _private_key_of_seed(node_seed).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


# ----------------------------------------------------------------------------- certificates


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def create_network_ca(
    common_name: str,
    *,
    validity_days: int = CA_VALIDITY_DAYS,
    ca_key_password: bytes | None = None,
) -> tuple[bytes, bytes]:
    """Create the network's admission CA; return ``(ca_private_key_pem, ca_cert_pem)``.

    The CA key is a fresh Ed25519 key, as PKCS#8 PEM encrypted under ``ca_key_password`` when
    one is given (OpenSSL's best available PKCS#8 encryption). Keep the private key offline:
    whoever holds it decides which nodes may join, though it cannot speak for any of them.
    """
    verify_common_name(common_name)
    ca_key = Ed25519PrivateKey.generate()
    now = _utc_now()
    subject = _name(common_name)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW_ALLOWANCE)
        .not_valid_after(now + datetime.timedelta(days=validity_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, None)
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption()
        if ca_key_password is None
        else serialization.BestAvailableEncryption(ca_key_password)
    )
    ca_key_pem = ca_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    return ca_key_pem, cert.public_bytes(serialization.Encoding.PEM)


def issue_node_certificate(
    ca_key_pem: bytes,
    ca_cert_pem: bytes,
    *,
    node_public_key: bytes,
    common_name: str,
    validity_days: int = NODE_CERT_VALIDITY_DAYS,
    ca_key_password: bytes | None = None,
) -> bytes:
    """Issue a certificate (PEM) whose subject public key is ``node_public_key`` (32 raw bytes).

    The CA needs only the node's PUBLIC key (its node id): no secret leaves the node. The
    arguments are keyword-only because a seed is 32 bytes too: passing one by position (as an
    older version took) must fail loudly rather than certify a meaningless key. The
    certificate is good for both ends of a connection (serverAuth and clientAuth), because
    every node both listens and dials.
    """
    ca_key = load_ca_key(ca_key_pem, ca_key_password)
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    public_key = public_key_of_bytes(node_public_key)
    verify_common_name(common_name)
    now = _utc_now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW_ALLOWANCE)
        .not_valid_after(now + datetime.timedelta(days=validity_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_node_key_usage(), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, None)
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def load_ca_key(ca_key_pem: bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    """The CA's Ed25519 private key from PEM (PKCS#8, encrypted when ``password`` is given)."""
    try:
        ca_key = serialization.load_pem_private_key(ca_key_pem, password=password)
    except TypeError as exc:  # encrypted without a password, or a password for a plain key
        raise CertificateError(f"CA key: {exc}") from None
    except ValueError as exc:
        raise CertificateError(f"CA key: not a readable PEM private key ({exc})") from None
    if not isinstance(ca_key, Ed25519PrivateKey):
        raise CertificateError(f"CA key must be Ed25519, got {type(ca_key).__name__}")
    return ca_key


def public_key_of_bytes(node_public_key: bytes) -> Ed25519PublicKey:
    """A node id (32 raw bytes) as a key object; CertificateError naming the length if not."""
    if len(node_public_key) != ED25519_PUBLIC_KEY_BYTES:
        raise CertificateError(
            f"node id must be a {ED25519_PUBLIC_KEY_BYTES}-byte Ed25519 public key "
            f"({2 * ED25519_PUBLIC_KEY_BYTES} hex), got {len(node_public_key)} bytes"
        )
    return Ed25519PublicKey.from_public_bytes(node_public_key)


def verify_common_name(common_name: str) -> None:
    """A node's certificate name: 1..64 printable characters (X.509's upper bound)."""
    if not 1 <= len(common_name) <= COMMON_NAME_CHARS_MAX or not common_name.isprintable():
        raise CertificateError(
            f"certificate name {common_name!r}: 1..{COMMON_NAME_CHARS_MAX} printable characters"
        )


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _node_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


# ----------------------------------------------------------------------------- verification


def load_certificate(cert_pem: bytes, what: str = "certificate") -> x509.Certificate:
    if len(cert_pem) > CERTIFICATE_BYTES_MAX:
        raise CertificateError(f"{what}: {len(cert_pem)} bytes, at most {CERTIFICATE_BYTES_MAX}")
    try:
        return x509.load_pem_x509_certificate(cert_pem)
    except ValueError as exc:
        raise CertificateError(f"{what}: not a PEM certificate ({exc})") from None


def certificate_public_key(cert: x509.Certificate, what: str = "certificate") -> bytes:
    """The 32-byte Ed25519 key a certificate carries (a node certificate's node id)."""
    public_key = cert.public_key()
    if not isinstance(public_key, Ed25519PublicKey):
        raise CertificateError(f"{what}: key must be Ed25519, got {type(public_key).__name__}")
    return _raw_public_bytes(public_key)


def verify_ca_certificate(ca_cert_pem: bytes, what: str = "CA certificate") -> x509.Certificate:
    """Raise CertificateError unless ``ca_cert_pem`` is a self-signed Ed25519 CA certificate."""
    ca_cert = load_certificate(ca_cert_pem, what)
    certificate_public_key(ca_cert, what)
    try:
        constraints = ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise CertificateError(f"{what}: not a CA certificate (BasicConstraints ca=true)")
    try:
        ca_cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        raise CertificateError(f"{what}: not self-signed") from None
    return ca_cert


def verify_node_certificate(
    ca_cert_pem: bytes,
    node_cert_pem: bytes,
    *,
    node_public_key: bytes | None = None,
    revoked_node_ids: frozenset[bytes] = frozenset(),
    now: datetime.datetime | None = None,
    what: str = "node certificate",
) -> bytes:
    """Check a node certificate as a peer would, and return its node id (32-byte key).

    Refused, each with its own message: a certificate not signed by this CA (another
    network's), one outside its validity period, one for a different key than
    ``node_public_key`` (the node's own, when a home checks itself), a revoked node id.
    """
    ca_cert = verify_ca_certificate(ca_cert_pem)
    cert = load_certificate(node_cert_pem, what)
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        raise CertificateError(
            f"{what} (issuer {cert.issuer.rfc4514_string()!r}) is not signed by this network's "
            f"CA ({ca_cert.subject.rfc4514_string()!r}): it comes from another CA"
        ) from None
    moment = _utc_now() if now is None else now
    if not cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc:
        raise CertificateError(
            f"{what} is valid from {cert.not_valid_before_utc:%Y-%m-%d %H:%M} to "
            f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC, not now ({moment:%Y-%m-%d %H:%M}); "
            "check the clock, or have the CA issue a new one"
        )
    node_id = certificate_public_key(cert, what)
    if node_public_key is not None and node_id != node_public_key:
        raise CertificateError(
            f"{what} was issued for node id {node_id.hex()}, not for this node's key "
            f"{node_public_key.hex()}"
        )
    if node_id in revoked_node_ids:
        raise CertificateError(
            f"{what}: node id {node_id.hex()} is revoked by the network CA's revocation list"
        )
    return node_id


# ----------------------------------------------------------------------------- requests


def create_certificate_request(node_seed: bytes, common_name: str) -> bytes:
    """A PKCS#10 request (PEM) for ``common_name``, signed with the node's key: the CA learns
    the public key and sees proof that the requester holds its secret half."""
    verify_common_name(common_name)
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(common_name))
        .sign(_private_key_of_seed(node_seed), None)
    )
    return request.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class CertificateRequest:
    """A verified request: the node id it asks a certificate for and the name it gives."""

    node_public_key: bytes
    common_name: str


def read_certificate_request(
    request_pem: bytes, what: str = "certificate request"
) -> CertificateRequest:
    """Parse a request and verify its self-signature (proof of possession of the key)."""
    if len(request_pem) > CERTIFICATE_BYTES_MAX:
        raise CertificateError(f"{what}: {len(request_pem)} bytes, at most {CERTIFICATE_BYTES_MAX}")
    try:
        request = x509.load_pem_x509_csr(request_pem)
    except ValueError as exc:
        raise CertificateError(f"{what}: not a PEM certificate request ({exc})") from None
    public_key = request.public_key()
    if not isinstance(public_key, Ed25519PublicKey):
        raise CertificateError(f"{what}: key must be Ed25519, got {type(public_key).__name__}")
    if not request.is_signature_valid:
        raise CertificateError(f"{what}: its signature does not verify (altered or forged)")
    names = request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(names) != 1 or not isinstance(names[0].value, str):
        raise CertificateError(f"{what}: needs exactly one common name")
    verify_common_name(names[0].value)
    return CertificateRequest(_raw_public_bytes(public_key), names[0].value)


# ----------------------------------------------------------------------------- ssl contexts


def server_context(ca_cert_pem: bytes, node_cert_pem: bytes, node_seed: bytes) -> ssl.SSLContext:
    """TLS 1.3 server context that presents the node's certificate and requires a client one."""
    context = _base_context(ssl.PROTOCOL_TLS_SERVER, ca_cert_pem)
    _load_node_identity(context, node_cert_pem, node_private_key_pem(node_seed))
    return context


def client_context(ca_cert_pem: bytes, node_cert_pem: bytes, node_seed: bytes) -> ssl.SSLContext:
    """TLS 1.3 client context that presents the node's certificate and requires a server one."""
    context = _base_context(ssl.PROTOCOL_TLS_CLIENT, ca_cert_pem)
    _load_node_identity(context, node_cert_pem, node_private_key_pem(node_seed))
    return context


def server_context_from_files(ca_cert: Path, node_cert: Path, node_key: Path) -> ssl.SSLContext:
    """Like ``server_context``, reading PEM files the caller already keeps."""
    context = _base_context(ssl.PROTOCOL_TLS_SERVER, ca_cert.read_bytes())
    context.load_cert_chain(certfile=node_cert, keyfile=node_key)
    return context


def client_context_from_files(ca_cert: Path, node_cert: Path, node_key: Path) -> ssl.SSLContext:
    """Like ``client_context``, reading PEM files the caller already keeps."""
    context = _base_context(ssl.PROTOCOL_TLS_CLIENT, ca_cert.read_bytes())
    context.load_cert_chain(certfile=node_cert, keyfile=node_key)
    return context


def _base_context(protocol: ssl._SSLMethod, ca_cert_pem: bytes) -> ssl.SSLContext:
    context = ssl.SSLContext(protocol)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    # Identity is the key in the certificate, not a host name (set before verify_mode: a
    # client context refuses CERT_NONE-like changes while check_hostname is on).
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    context.load_verify_locations(cadata=ca_cert_pem.decode("ascii"))
    return context


def _load_node_identity(context: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    with _readable_file(cert_pem) as cert_path, _readable_file(key_pem) as key_path:
        context.load_cert_chain(certfile=cert_path, keyfile=key_path)


@contextmanager
def _readable_file(data: bytes) -> Iterator[str]:
    """Yield a path that reads back ``data``; nothing is left behind afterwards."""
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None and Path("/proc/self/fd").is_dir():
        fd = memfd_create("chainbook-tls", os.MFD_CLOEXEC)
        try:
            os.write(fd, data)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory(prefix="chainbook-tls-") as directory:
        path = os.path.join(directory, "pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        yield path


# ----------------------------------------------------------------------------- peer identity


def peer_public_key(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> bytes:
    """The peer's 32-byte raw Ed25519 public key, taken from its verified TLS certificate.

    Raises ``InvalidPeerCertificate`` if the peer sent no certificate or its key is not Ed25519.
    """
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        raise InvalidPeerCertificate("peer presented no certificate")
    public_key = x509.load_der_x509_certificate(der).public_key()
    if not isinstance(public_key, Ed25519PublicKey):
        raise InvalidPeerCertificate(
            f"peer certificate key must be Ed25519, got {type(public_key).__name__}"
        )
    return _raw_public_bytes(public_key)
