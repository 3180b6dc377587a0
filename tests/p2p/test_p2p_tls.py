"""Certificates carry the node's Ed25519 key; contexts are mutual TLS 1.3 trusting one CA."""

import datetime
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from nacl.signing import SigningKey

from chainbook.p2p import tls

SEED = bytes(range(32))


class FakeSSLObject:
    """Just enough of ssl.SSLObject for peer_public_key."""

    def __init__(self, der: bytes | None) -> None:
        self._der = der

    def getpeercert(self, binary_form: bool = False) -> bytes | None:
        assert binary_form
        return self._der


def der_of(cert_pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)


def test_node_certificate_key_is_the_pynacl_public_key_of_the_seed() -> None:
    ca_key_pem, ca_cert_pem = tls.create_network_ca("test network")
    cert_pem = tls.issue_node_certificate(
        ca_key_pem, ca_cert_pem, node_public_key=tls.public_key_of_seed(SEED), common_name="node-0"
    )
    expected = SigningKey(SEED).verify_key.encode()
    assert tls.peer_public_key(FakeSSLObject(der_of(cert_pem))) == expected  # type: ignore[arg-type]
    assert tls.public_key_of_seed(SEED) == expected


def test_node_certificate_is_signed_by_the_ca_and_long_lived() -> None:
    ca_key_pem, ca_cert_pem = tls.create_network_ca("test network")
    cert = x509.load_pem_x509_certificate(
        tls.issue_node_certificate(
            ca_key_pem, ca_cert_pem, node_public_key=tls.public_key_of_seed(SEED), common_name="n0"
        )
    )
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem)
    cert.verify_directly_issued_by(ca_cert)
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime >= datetime.timedelta(days=tls.NODE_CERT_VALIDITY_DAYS)


def test_private_key_pem_is_the_seed_key() -> None:
    key = serialization.load_pem_private_key(tls.node_private_key_pem(SEED), password=None)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw == SigningKey(SEED).verify_key.encode()


def test_seed_of_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        tls.node_private_key_pem(b"short")


@pytest.mark.parametrize("build", [tls.server_context, tls.client_context])
def test_contexts_are_mutual_tls13_without_host_names(build: object) -> None:
    ca_key_pem, ca_cert_pem = tls.create_network_ca("test network")
    cert_pem = tls.issue_node_certificate(
        ca_key_pem, ca_cert_pem, node_public_key=tls.public_key_of_seed(SEED), common_name="node-0"
    )
    context: ssl.SSLContext = build(ca_cert_pem, cert_pem, SEED)  # type: ignore[operator]
    assert context.minimum_version == context.maximum_version == ssl.TLSVersion.TLSv1_3
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is False
    assert len(context.get_ca_certs()) == 1


def test_peer_without_certificate_is_rejected() -> None:
    with pytest.raises(tls.InvalidPeerCertificate, match="no certificate"):
        tls.peer_public_key(FakeSSLObject(None))  # type: ignore[arg-type]


def test_peer_with_a_non_ed25519_key_is_rejected() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "ecdsa")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    with pytest.raises(tls.InvalidPeerCertificate, match="must be Ed25519"):
        tls.peer_public_key(FakeSSLObject(der))  # type: ignore[arg-type]
