"""A home built step by step (init, certificates, genesis) and the checks each step keeps;
the node key's passphrase as the runtime gets it; the revocation list loader the transport
uses."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainbook import ca, keyfile
from chainbook.crypto import PrivateKey
from chainbook.errors import ConfigError
from chainbook.keyfile import PassphraseRequired, WrongPassphrase
from chainbook.ledger.genesis import dump_genesis
from chainbook.p2p import tls
from chainbook.p2p.revocation import load_revocation_list, sign_revocation_list
from chainbook.runtime.config import NodeConfig
from chainbook.runtime.home import Home, init_home
from chainbook.testnet import build_genesis

FAST = keyfile.KdfCost(opslimit=1, memlimit_bytes=64 * 1024)
PASSPHRASE = b"node passphrase"
CONFIG = NodeConfig(moniker="n0", p2p_port=27600, api_port=27700)


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(keyfile, "KDF_COST_DEFAULT", FAST)
    monkeypatch.delenv(keyfile.PASSPHRASE_ENV, raising=False)
    yield


@pytest.fixture
def network_ca(tmp_path: Path) -> ca.CaFolder:
    return ca.init_ca(tmp_path / "ca", "test CA")


def certified_home(root: Path, network_ca: ca.CaFolder, **init: object) -> Home:
    home = init_home(root, config=CONFIG, **init)  # type: ignore[arg-type]
    issued = ca.issue(network_ca, home.node_id(), "n0")
    home.install_certificates(
        network_ca.load_cert(), issued.certificate_pem, network_ca.revocation_path.read_bytes()
    )
    return home


def genesis_bytes(chain_id: str = "chain-a") -> bytes:
    return dump_genesis(build_genesis(chain_id, [("v", PrivateKey.from_label("v").public_key)], []))


# --- the node key's passphrase --------------------------------------------------------------


def test_encrypted_node_key_from_the_environment(
    tmp_path: Path, network_ca: ca.CaFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = certified_home(tmp_path / "h", network_ca, passphrase=PASSPHRASE)
    home.install_genesis(genesis_bytes())
    home.verify()  # no passphrase needed to check a home
    with pytest.raises(PassphraseRequired, match="CHAINBOOK_KEY_PASSPHRASE"):
        home.load_key()  # no terminal under pytest, nothing in the environment
    monkeypatch.setenv(keyfile.PASSPHRASE_ENV, PASSPHRASE.decode())
    assert home.load_key().public_key == home.node_id()
    monkeypatch.setenv(keyfile.PASSPHRASE_ENV, "wrong one!")
    with pytest.raises(WrongPassphrase):
        home.load_key()


def test_encrypted_node_key_from_the_configured_passphrase_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(PASSPHRASE + b"\n")
    secret.chmod(0o600)
    config = NodeConfig(moniker="n", p2p_port=1, api_port=2, key_passphrase_file="../secret")
    home = init_home(tmp_path / "h", config=config, passphrase=PASSPHRASE)
    assert home.load_key().public_key == home.node_id()
    secret.chmod(0o644)
    with pytest.raises(ConfigError, match="passphrase file .* run `chmod 600"):
        home.load_key()


def test_an_explicit_passphrase_wins(tmp_path: Path) -> None:
    home = init_home(tmp_path / "h", config=CONFIG, passphrase=PASSPHRASE)
    assert home.load_key(PASSPHRASE).public_key == home.node_id()


# --- certificates -----------------------------------------------------------------------------


def test_install_certificates_writes_nothing_when_a_check_fails(
    tmp_path: Path, network_ca: ca.CaFolder
) -> None:
    home = init_home(tmp_path / "h", config=CONFIG)
    other = ca.issue(network_ca, PrivateKey.from_label("other").public_key, "other")
    with pytest.raises(ConfigError, match="issued for node id"):
        home.install_certificates(network_ca.load_cert(), other.certificate_pem)
    assert list(home.tls_dir.iterdir()) == []


def test_a_revoked_node_is_refused_at_install_and_at_start(
    tmp_path: Path, network_ca: ca.CaFolder
) -> None:
    home = certified_home(tmp_path / "h", network_ca)
    ca.revoke(network_ca, home.node_id())
    listing = network_ca.revocation_path.read_bytes()
    home.install_revocation_list(listing)
    with pytest.raises(ConfigError, match="is revoked"):
        home.load_tls()
    fresh = init_home(tmp_path / "h2", config=CONFIG, key=home.load_key())
    cert = (home.node_cert_path).read_bytes()
    with pytest.raises(ConfigError, match="is revoked"):
        fresh.install_certificates(network_ca.load_cert(), cert, listing)


def test_an_expired_certificate_is_refused_with_dates(network_ca: ca.CaFolder) -> None:
    node = PrivateKey.from_label("n")
    cert = ca.issue(network_ca, node.public_key, "n").certificate_pem
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=11 * 365)
    with pytest.raises(tls.CertificateError, match="check the clock"):
        tls.verify_node_certificate(network_ca.load_cert(), cert, now=later)
    assert tls.verify_node_certificate(network_ca.load_cert(), cert) == node.public_key


def test_a_home_with_a_tampered_revocation_list_does_not_start(
    tmp_path: Path, network_ca: ca.CaFolder
) -> None:
    home = certified_home(tmp_path / "h", network_ca)
    listing = json.loads(home.revocation_path.read_text())
    listing["revoked_node_ids"] = []
    listing["sequence"] = 0
    listing["issued_ms"] += 1
    home.revocation_path.write_text(json.dumps(listing))
    with pytest.raises(ConfigError, match="signature does not verify"):
        home.load_tls()


# --- the loader the transport calls ------------------------------------------------------------


def test_load_revocation_list_returns_the_revoked_ids(network_ca: ca.CaFolder) -> None:
    ids = {PrivateKey.from_label(f"r{i}").public_key for i in range(3)}
    for node_id in sorted(ids):
        ca.revoke(network_ca, node_id)
    loaded = load_revocation_list(network_ca.revocation_path, network_ca.load_cert())
    assert loaded == frozenset(ids)
    assert network_ca.load_revocation_list().sequence == 3


def test_load_revocation_list_refuses_another_cas_list(
    tmp_path: Path, network_ca: ca.CaFolder
) -> None:
    rogue = ca.init_ca(tmp_path / "rogue", "rogue")
    with pytest.raises(tls.CertificateError, match="another CA"):
        load_revocation_list(rogue.revocation_path, network_ca.load_cert())


def test_a_list_signed_by_another_key_that_names_our_ca_is_refused(
    tmp_path: Path, network_ca: ca.CaFolder
) -> None:
    """Copying our CA's fingerprint into a list signed by another CA does not make it ours."""
    rogue = ca.init_ca(tmp_path / "rogue", "rogue")
    signed = json.loads(
        sign_revocation_list(
            rogue.key_path.read_bytes(), rogue.load_cert(), frozenset(), sequence=9, issued_ms=1
        )
    )
    ours = json.loads(network_ca.revocation_path.read_text())
    signed["ca_fingerprint"] = ours["ca_fingerprint"]
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(signed))
    with pytest.raises(tls.CertificateError, match="signature does not verify"):
        load_revocation_list(path, network_ca.load_cert())


def test_revocation_list_size_limits(tmp_path: Path, network_ca: ca.CaFolder) -> None:
    from chainbook.p2p import revocation

    path = tmp_path / "big.json"
    path.write_bytes(b" " * (revocation.REVOCATION_LIST_BYTES_MAX + 1))
    with pytest.raises(tls.CertificateError, match="at most"):
        load_revocation_list(path, network_ca.load_cert())
    too_many = frozenset(
        PrivateKey.from_label(f"x{i}").public_key
        for i in range(revocation.REVOKED_NODE_IDS_MAX + 1)
    )
    with pytest.raises(tls.CertificateError, match="at most 10000"):
        sign_revocation_list(
            network_ca.key_path.read_bytes(),
            network_ca.load_cert(),
            too_many,
            sequence=1,
            issued_ms=1,
        )


# --- genesis -----------------------------------------------------------------------------


def test_genesis_is_installed_once_and_never_replaced(tmp_path: Path) -> None:
    home = init_home(tmp_path / "h", config=CONFIG)
    with pytest.raises(ConfigError, match="install-genesis"):
        home.load_genesis()
    first = genesis_bytes("chain-a")
    home.install_genesis(first)
    home.install_genesis(first)  # the same bytes again: a no-op
    with pytest.raises(ConfigError, match="immutable"):
        home.install_genesis(genesis_bytes("chain-b"))
    assert home.genesis_path.read_bytes() == first
    with pytest.raises(ConfigError, match="genesis"):
        init_home(tmp_path / "h3", config=CONFIG).install_genesis(b"{}")
