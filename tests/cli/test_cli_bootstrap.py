"""Bootstrap by separate organisations through the CLI: `chainbook init`, `ca init/issue/revoke`,
`node id/csr/install-*`; no secret crosses from a node's home to the CA or back."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainbook import keyfile
from chainbook.ca import CA_PASSPHRASE_ENV
from chainbook.cli.main import app
from chainbook.runtime.home import Home

FAST = keyfile.KdfCost(opslimit=1, memlimit_bytes=64 * 1024)
WIDTH = 250


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(keyfile, "KDF_COST_DEFAULT", FAST)
    for name in (keyfile.PASSPHRASE_ENV, CA_PASSPHRASE_ENV):
        monkeypatch.delenv(name, raising=False)
    yield


def run(
    runner: CliRunner,
    *args: str,
    code: int = 0,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> str:
    """Invoke the CLI, wide enough that rich wraps no line the tests look for."""
    environment = {"COLUMNS": str(WIDTH), **(env or {})}
    result = runner.invoke(app, list(args), terminal_width=WIDTH, env=environment, input=input)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def init_node(runner: CliRunner, home: Path, *extra: str, env: dict[str, str] | None = None) -> str:
    run(runner, "init", "--home", str(home), "--p2p", "127.0.0.1:27600", *extra, env=env)
    return run(runner, "node", "id", "--home", str(home)).strip()


def issue(runner: CliRunner, ca: Path, node_id: str, name: str, out: Path) -> Path:
    run(
        runner,
        "ca",
        "issue",
        "--dir",
        str(ca),
        "--node-id",
        node_id,
        "--name",
        name,
        "--out",
        str(out),
    )
    return out


@pytest.fixture
def ca_dir(runner: CliRunner, tmp_path: Path) -> Path:
    run(runner, "ca", "init", "--dir", str(tmp_path / "ca"))
    return tmp_path / "ca"


def test_init_makes_a_home_without_genesis_and_prints_the_node_id(
    runner: CliRunner, tmp_path: Path
) -> None:
    home = tmp_path / "org1"
    output = run(
        runner, "init", "--home", str(home), "--moniker", "bank-a", "--api", "127.0.0.1:8080"
    )
    node_home = Home(home)
    node_id = node_home.node_id().hex()
    assert node_id in output
    config = node_home.load_config()
    assert (config.moniker, config.api_port, config.p2p_host) == ("bank-a", 8080, "0.0.0.0")
    assert not node_home.genesis_path.exists() and not node_home.node_cert_path.exists()
    assert run(runner, "node", "id", "--home", str(home)).strip() == node_id
    started = run(runner, "node", "start", "--home", str(home), code=1)
    assert "does not exist" in started and "node csr" in started  # certificates come first


def test_init_refuses_an_existing_home_and_bad_addresses(runner: CliRunner, tmp_path: Path) -> None:
    init_node(runner, tmp_path / "h")
    key_before = (tmp_path / "h" / "node_key.json").read_bytes()
    assert "already holds a node home" in run(runner, "init", "--home", str(tmp_path / "h"), code=1)
    assert (tmp_path / "h" / "node_key.json").read_bytes() == key_before
    bad = run(runner, "init", "--home", str(tmp_path / "x"), "--p2p", "nowhere", code=1)
    assert "--p2p 'nowhere'" in bad and "HOST:PORT" in bad
    same = run(
        runner,
        "init",
        "--home",
        str(tmp_path / "y"),
        "--p2p",
        "127.0.0.1:1",
        "--api",
        "127.0.0.1:1",
        code=1,
    )
    assert "both 1" in same
    assert not (tmp_path / "x").exists() and not (tmp_path / "y" / "node_key.json").exists()


def test_init_encrypt_then_csr_asks_for_the_passphrase(
    runner: CliRunner, tmp_path: Path, ca_dir: Path
) -> None:
    home = tmp_path / "h"
    env = {keyfile.PASSPHRASE_ENV: "a long passphrase"}
    node_id = init_node(runner, home, "--encrypt", env=env)
    assert Home(home).key_info().encrypted
    csr = tmp_path / "h.csr"
    assert "needs a passphrase" in run(
        runner, "node", "csr", "--home", str(home), "--out", str(csr), code=1
    )
    assert not csr.exists()
    run(runner, "node", "csr", "--home", str(home), "--out", str(csr), env=env)
    out = tmp_path / "h.pem"
    issued = run(runner, "ca", "issue", "--dir", str(ca_dir), "--csr", str(csr), "--out", str(out))
    assert node_id in issued
    run(
        runner,
        "node",
        "install-cert",
        "--home",
        str(home),
        "--ca",
        str(ca_dir / "ca.pem"),
        "--cert",
        str(out),
        "--revocation-list",
        str(ca_dir / "revoked.json"),
    )
    Home(home).load_tls()


def test_full_bootstrap_two_organisations_and_a_revocation(
    runner: CliRunner, tmp_path: Path, ca_dir: Path
) -> None:
    homes = {name: tmp_path / name for name in ("a", "b")}
    ids = {name: init_node(runner, home) for name, home in homes.items()}
    for name, home in homes.items():
        cert = issue(runner, ca_dir, ids[name], name, tmp_path / f"{name}.pem")
        run(
            runner,
            "node",
            "install-cert",
            "--home",
            str(home),
            "--ca",
            str(ca_dir / "ca.pem"),
            "--cert",
            str(cert),
            "--revocation-list",
            str(ca_dir / "revoked.json"),
        )
        assert Home(home).load_revoked_node_ids() == frozenset()
    # The CA folder never saw a seed; the homes never saw the CA key.
    seeds = {json.loads((h / "node_key.json").read_text())["seed"] for h in homes.values()}
    ca_text = "".join(p.read_text() for p in ca_dir.rglob("*") if p.is_file())
    assert not any(seed in ca_text for seed in seeds)
    assert not any((h / "tls" / "ca.key").exists() for h in homes.values())

    output = run(runner, "ca", "revoke", "--dir", str(ca_dir), "--node-id", ids["b"])
    assert "sequence 1" in output
    assert "already revoked" in run(
        runner, "ca", "revoke", "--dir", str(ca_dir), "--node-id", ids["b"]
    )
    for home in homes.values():
        run(
            runner,
            "node",
            "install-revocation-list",
            "--home",
            str(home),
            "--file",
            str(ca_dir / "revoked.json"),
        )
    assert Home(homes["a"]).load_revoked_node_ids() == {bytes.fromhex(ids["b"])}
    Home(homes["a"]).load_tls()  # a is fine
    refused = run(runner, "node", "start", "--home", str(homes["b"]), code=1)
    assert "is revoked" in refused
    again = run(
        runner,
        "ca",
        "issue",
        "--dir",
        str(ca_dir),
        "--node-id",
        ids["b"],
        "--name",
        "b",
        "--out",
        str(tmp_path / "b2.pem"),
        code=1,
    )
    assert "is revoked by this CA" in again and not (tmp_path / "b2.pem").exists()
    shown = run(runner, "ca", "show", "--dir", str(ca_dir))
    assert ids["b"] in shown and re.search(r"revocation sequence +1\b", shown)


def test_a_certificate_from_another_ca_is_refused(
    runner: CliRunner, tmp_path: Path, ca_dir: Path
) -> None:
    node_id = init_node(runner, tmp_path / "h")
    run(runner, "ca", "init", "--dir", str(tmp_path / "rogue"))
    rogue = issue(runner, tmp_path / "rogue", node_id, "h", tmp_path / "rogue.pem")
    output = run(
        runner,
        "node",
        "install-cert",
        "--home",
        str(tmp_path / "h"),
        "--ca",
        str(ca_dir / "ca.pem"),
        "--cert",
        str(rogue),
        code=1,
    )
    assert "not signed by this network's CA" in output
    assert not (tmp_path / "h" / "tls" / "node.pem").exists()
    # A home whose files were swapped by hand is refused at start too.
    good = issue(runner, ca_dir, node_id, "h", tmp_path / "good.pem")
    run(
        runner,
        "node",
        "install-cert",
        "--home",
        str(tmp_path / "h"),
        "--ca",
        str(ca_dir / "ca.pem"),
        "--cert",
        str(good),
    )
    (tmp_path / "h" / "tls" / "node.pem").write_bytes(rogue.read_bytes())
    assert "another CA" in run(runner, "node", "start", "--home", str(tmp_path / "h"), code=1)


def test_a_certificate_for_another_key_is_refused(
    runner: CliRunner, tmp_path: Path, ca_dir: Path
) -> None:
    init_node(runner, tmp_path / "a")
    other = init_node(runner, tmp_path / "b")
    cert = issue(runner, ca_dir, other, "b", tmp_path / "b.pem")
    output = run(
        runner,
        "node",
        "install-cert",
        "--home",
        str(tmp_path / "a"),
        "--ca",
        str(ca_dir / "ca.pem"),
        "--cert",
        str(cert),
        code=1,
    )
    assert f"issued for node id {other}" in output


def test_a_revocation_list_from_another_ca_or_altered_is_refused(
    runner: CliRunner, tmp_path: Path, ca_dir: Path
) -> None:
    node_id = init_node(runner, tmp_path / "h")
    cert = issue(runner, ca_dir, node_id, "h", tmp_path / "h.pem")
    run(
        runner,
        "node",
        "install-cert",
        "--home",
        str(tmp_path / "h"),
        "--ca",
        str(ca_dir / "ca.pem"),
        "--cert",
        str(cert),
        "--revocation-list",
        str(ca_dir / "revoked.json"),
    )
    run(runner, "ca", "init", "--dir", str(tmp_path / "rogue"))
    output = run(
        runner,
        "node",
        "install-revocation-list",
        "--home",
        str(tmp_path / "h"),
        "--file",
        str(tmp_path / "rogue" / "revoked.json"),
        code=1,
    )
    assert "another CA" in output
    listing = json.loads((ca_dir / "revoked.json").read_text())
    listing["sequence"] = 7  # a raised sequence without the CA's signature
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(listing))
    output = run(
        runner,
        "node",
        "install-revocation-list",
        "--home",
        str(tmp_path / "h"),
        "--file",
        str(forged),
        code=1,
    )
    assert "signature does not verify" in output


def test_an_older_revocation_list_cannot_undo_a_revocation(
    runner: CliRunner, tmp_path: Path, ca_dir: Path
) -> None:
    node_id = init_node(runner, tmp_path / "h")
    cert = issue(runner, ca_dir, node_id, "h", tmp_path / "h.pem")
    old = tmp_path / "old.json"
    old.write_bytes((ca_dir / "revoked.json").read_bytes())
    run(
        runner,
        "node",
        "install-cert",
        "--home",
        str(tmp_path / "h"),
        "--ca",
        str(ca_dir / "ca.pem"),
        "--cert",
        str(cert),
    )
    other = init_node(runner, tmp_path / "x")
    run(runner, "ca", "revoke", "--dir", str(ca_dir), "--node-id", other)
    run(
        runner,
        "node",
        "install-revocation-list",
        "--home",
        str(tmp_path / "h"),
        "--file",
        str(ca_dir / "revoked.json"),
    )
    output = run(
        runner,
        "node",
        "install-revocation-list",
        "--home",
        str(tmp_path / "h"),
        "--file",
        str(old),
        code=1,
    )
    assert "older than the installed one" in output
    assert Home(tmp_path / "h").load_revoked_node_ids() == {bytes.fromhex(other)}


def test_an_encrypted_ca_key_needs_its_passphrase(runner: CliRunner, tmp_path: Path) -> None:
    ca_dir = tmp_path / "ca"
    secret = tmp_path / "ca-pass"
    secret.write_text("ca passphrase here\n")
    secret.chmod(0o600)
    run(runner, "ca", "init", "--dir", str(ca_dir), "--encrypt", "--passphrase-file", str(secret))
    assert b"ENCRYPTED PRIVATE KEY" in (ca_dir / "ca.key").read_bytes()
    node_id = init_node(runner, tmp_path / "h")
    args = ["ca", "issue", "--dir", str(ca_dir), "--node-id", node_id, "--name", "h"]
    wrong = run(
        runner,
        *args,
        "--out",
        str(tmp_path / "1.pem"),
        code=1,
        env={CA_PASSPHRASE_ENV: "not the passphrase"},
    )
    assert "CA key" in wrong and not (tmp_path / "1.pem").exists()
    run(
        runner,
        *args,
        "--out",
        str(tmp_path / "2.pem"),
        env={CA_PASSPHRASE_ENV: "ca passphrase here"},
    )
    run(runner, *args, "--out", str(tmp_path / "3.pem"), "--passphrase-file", str(secret))
    run(runner, *args, "--out", str(tmp_path / "4.pem"), input="ca passphrase here\n")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--node-id", "abcd", "--name", "n"], ["node id 'abcd'", "64 hex"]),
        (["--node-id", "zz" * 32, "--name", "n"], ["64 hex"]),
        (["--name", "n"], ["exactly one of --node-id"]),
        (["--node-id", "ab" * 32], ["needs --name"]),
        (["--node-id", "ab" * 32, "--name", "x" * 65], ["1..64 printable"]),
    ],
)
def test_ca_issue_bad_arguments(
    runner: CliRunner, tmp_path: Path, ca_dir: Path, args: list[str], words: list[str]
) -> None:
    output = run(
        runner, "ca", "issue", "--dir", str(ca_dir), "--out", str(tmp_path / "o.pem"), *args, code=1
    )
    for word in words:
        assert word in output
    assert not (tmp_path / "o.pem").exists()


def test_ca_commands_on_a_folder_without_a_ca(runner: CliRunner, tmp_path: Path) -> None:
    output = run(runner, "ca", "revoke", "--dir", str(tmp_path), "--node-id", "ab" * 32, code=1)
    assert "holds no network CA" in output and "ca init" in output
    run(runner, "ca", "init", "--dir", str(tmp_path / "ca"))
    again = run(runner, "ca", "init", "--dir", str(tmp_path / "ca"), code=1)
    assert "already holds a network CA" in again


def test_a_forged_certificate_request_is_refused(
    runner: CliRunner, tmp_path: Path, ca_dir: Path
) -> None:
    init_node(runner, tmp_path / "h")
    csr = tmp_path / "h.csr"
    run(runner, "node", "csr", "--home", str(tmp_path / "h"), "--out", str(csr))
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    der = bytearray(
        x509.load_pem_x509_csr(csr.read_bytes()).public_bytes(serialization.Encoding.DER)
    )
    der[-1] ^= 1  # the last byte is in the signature
    import base64

    body = base64.encodebytes(bytes(der)).decode()
    csr.write_text(
        f"-----BEGIN CERTIFICATE REQUEST-----\n{body}-----END CERTIFICATE REQUEST-----\n"
    )
    output = run(
        runner,
        "ca",
        "issue",
        "--dir",
        str(ca_dir),
        "--csr",
        str(csr),
        "--out",
        str(tmp_path / "o.pem"),
        code=1,
    )
    assert "signature does not verify" in output
