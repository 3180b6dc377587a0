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
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "CA_VALIDITY_DAYS",
    "NODE_CERT_VALIDITY_DAYS",
    "ED25519_PUBLIC_KEY_BYTES",
    "ED25519_SEED_BYTES",
    "InvalidPeerCertificate",
    "create_network_ca",
    "issue_node_certificate",
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


class InvalidPeerCertificate(ValueError):
    """The peer's certificate is missing or does not carry an Ed25519 public key."""


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
    common_name: str, *, validity_days: int = CA_VALIDITY_DAYS
) -> tuple[bytes, bytes]:
    """Create the network's admission CA; return ``(ca_private_key_pem, ca_cert_pem)``.

    The CA key is a fresh Ed25519 key. Keep the private key offline: whoever holds it decides
    which nodes may join, though it cannot speak for any of them.
    """
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
    ca_key_pem = ca_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return ca_key_pem, cert.public_bytes(serialization.Encoding.PEM)


def issue_node_certificate(
    ca_key_pem: bytes,
    ca_cert_pem: bytes,
    node_seed: bytes,
    common_name: str,
    *,
    validity_days: int = NODE_CERT_VALIDITY_DAYS,
) -> bytes:
    """Issue a certificate (PEM) whose subject public key is the public key of ``node_seed``.

    The certificate is good for both ends of a connection (serverAuth and clientAuth), because
    every node both listens and dials.
    """
    ca_key = serialization.load_pem_private_key(ca_key_pem, password=None)
    if not isinstance(ca_key, Ed25519PrivateKey):
        raise ValueError(f"CA key must be Ed25519, got {type(ca_key).__name__}")
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    node_public_key = _private_key_of_seed(node_seed).public_key()
    now = _utc_now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(node_public_key)
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(node_public_key), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, None)
    )
    return cert.public_bytes(serialization.Encoding.PEM)


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
