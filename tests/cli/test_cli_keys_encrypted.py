"""Encrypted key files: round trips, wrong passphrases, tampering, passphrase sources, limits.

The KDF cost is lowered for speed (the file records its cost, so opening uses it); one test
checks that the default cost is what a new file gets.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chainbook import keyfile
from chainbook.cli.main import app
from chainbook.crypto import PrivateKey
from chainbook.errors import ConfigError
from chainbook.keyfile import (
    KdfCost,
    PassphraseRequired,
    WrongPassphrase,
    decrypt_key_file,
    encrypt_key_file,
    load_key_file,
    read_key_file_info,
    write_key_file,
)

FAST = KdfCost(opslimit=1, memlimit_bytes=64 * 1024)
PASSPHRASE = b"correct horse battery"
KEY = PrivateKey.from_label("encrypted-key-tests")


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(keyfile, "KDF_COST_DEFAULT", FAST)
    monkeypatch.delenv(keyfile.PASSPHRASE_ENV, raising=False)
    yield


def sealed(tmp_path: Path, name: str = "k.json") -> Path:
    return write_key_file(tmp_path / name, KEY, PASSPHRASE)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def passphrase_file(tmp_path: Path, text: str, file_mode: int = 0o600) -> Path:
    path = tmp_path / "pass.txt"
    path.write_text(text)
    path.chmod(file_mode)
    return path


# --- library -------------------------------------------------------------------------------


def test_round_trip_and_nothing_secret_in_the_file(tmp_path: Path) -> None:
    path = sealed(tmp_path)
    assert mode(path) == 0o600
    text = path.read_text()
    assert KEY.seed.hex() not in text
    assert load_key_file(path, PASSPHRASE).seed == KEY.seed
    info = read_key_file_info(path)
    assert info.encrypted and info.public_key == KEY.public_key and info.address == KEY.address
    stored = json.loads(text)
    assert stored["version"] == 1 and stored["kdf"] == "argon2id13"
    assert stored["cipher"] == "xchacha20poly1305-ietf"


def test_salt_and_nonce_are_fresh_per_file(tmp_path: Path) -> None:
    a, b = (
        json.loads(sealed(tmp_path, "a").read_text()),
        json.loads(sealed(tmp_path, "b").read_text()),
    )
    assert a["kdf_salt"] != b["kdf_salt"] and a["nonce"] != b["nonce"]
    assert a["ciphertext"] != b["ciphertext"]


def test_wrong_passphrase_is_a_clear_error(tmp_path: Path) -> None:
    path = sealed(tmp_path)
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        load_key_file(path, b"not the passphrase")


def test_no_passphrase_says_how_to_give_one(tmp_path: Path) -> None:
    with pytest.raises(PassphraseRequired, match="CHAINBOOK_KEY_PASSPHRASE"):
        load_key_file(sealed(tmp_path))


def test_the_passphrase_function_is_called_only_for_an_encrypted_file(tmp_path: Path) -> None:
    plain = write_key_file(tmp_path / "plain.json", KEY)

    def never() -> bytes:
        raise AssertionError("asked for a passphrase of a plaintext file")

    assert load_key_file(plain, never).seed == KEY.seed
    assert load_key_file(sealed(tmp_path), lambda: PASSPHRASE).seed == KEY.seed


@pytest.mark.parametrize("field", ["ciphertext", "nonce", "kdf_salt", "public_key", "kdf_opslimit"])
def test_any_altered_field_fails_like_a_wrong_passphrase(tmp_path: Path, field: str) -> None:
    """The AEAD's associated data binds the header: a changed public key or KDF cost cannot
    make the node believe in another identity or a weaker file."""
    path = sealed(tmp_path)
    stored = json.loads(path.read_text())
    if field == "kdf_opslimit":
        stored[field] = stored[field] + 1
    elif field == "public_key":
        stored[field] = PrivateKey.from_label("other").public_key.hex()
    else:
        value = bytearray.fromhex(stored[field])
        value[0] ^= 1
        stored[field] = value.hex()
    path.write_text(json.dumps(stored))
    with pytest.raises(WrongPassphrase):
        load_key_file(path, PASSPHRASE)


def test_an_absurd_kdf_cost_is_refused_before_any_work(tmp_path: Path) -> None:
    path = sealed(tmp_path)
    stored = json.loads(path.read_text())
    stored["kdf_memlimit_bytes"] = 64 * 1024**3
    path.write_text(json.dumps(stored))
    with pytest.raises(ConfigError, match="kdf_memlimit_bytes"):
        load_key_file(path, PASSPHRASE)


def test_an_unknown_version_is_refused(tmp_path: Path) -> None:
    path = sealed(tmp_path)
    stored = json.loads(path.read_text())
    stored["version"] = 2
    path.write_text(json.dumps(stored))
    with pytest.raises(ConfigError, match="version 2 is not known"):
        load_key_file(path, PASSPHRASE)


def test_encrypted_files_keep_the_mode_rule(tmp_path: Path) -> None:
    path = sealed(tmp_path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        read_key_file_info(path)


def test_encrypt_then_decrypt_keeps_the_key_and_the_mode(tmp_path: Path) -> None:
    path = write_key_file(tmp_path / "k.json", KEY)
    encrypt_key_file(path, PASSPHRASE)
    assert read_key_file_info(path).encrypted and mode(path) == 0o600
    assert load_key_file(path, PASSPHRASE).seed == KEY.seed
    decrypt_key_file(path, PASSPHRASE)
    assert not read_key_file_info(path).encrypted and mode(path) == 0o600
    assert load_key_file(path).seed == KEY.seed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.json"]  # no sibling left


def test_decrypt_with_a_wrong_passphrase_changes_nothing(tmp_path: Path) -> None:
    path = sealed(tmp_path)
    before = path.read_bytes()
    with pytest.raises(WrongPassphrase):
        decrypt_key_file(path, b"wrong passphrase")
    assert path.read_bytes() == before


def test_a_new_passphrase_has_a_minimum_and_a_maximum(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="8..1024 bytes, got 7"):
        write_key_file(tmp_path / "a.json", KEY, b"x" * 7)
    with pytest.raises(ConfigError, match="got 1025"):
        write_key_file(tmp_path / "b.json", KEY, b"x" * 1025)
    write_key_file(tmp_path / "c.json", KEY, b"x" * 8)
    write_key_file(tmp_path / "d.json", KEY, b"x" * 1024)
    assert not (tmp_path / "a.json").exists()


def test_a_plaintext_file_of_the_first_release_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text(
        json.dumps(
            {
                "seed": KEY.seed.hex(),
                "public_key": KEY.public_key.hex(),
                "address": KEY.address.hex(),
            }
        )
    )
    path.chmod(0o600)
    assert load_key_file(path).seed == KEY.seed


def test_the_default_cost_is_libsodium_moderate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the real default, once
    path = write_key_file(tmp_path / "k.json", KEY, PASSPHRASE)
    stored = json.loads(path.read_text())
    assert (stored["kdf_opslimit"], stored["kdf_memlimit_bytes"]) == (3, 256 * 1024 * 1024)


def test_passphrase_file_rules(tmp_path: Path) -> None:
    assert (
        keyfile.read_passphrase_file(passphrase_file(tmp_path, "secret words\n")) == b"secret words"
    )
    with pytest.raises(ConfigError, match="chmod 600"):
        keyfile.read_passphrase_file(passphrase_file(tmp_path, "secret", 0o644))
    with pytest.raises(ConfigError, match="is empty"):
        keyfile.read_passphrase_file(passphrase_file(tmp_path, "\n"))


# --- CLI -----------------------------------------------------------------------------------


def test_keys_new_encrypt_from_env_then_show_without_passphrase(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "me.json"
    env = {keyfile.PASSPHRASE_ENV: PASSPHRASE.decode()}
    result = runner.invoke(app, ["keys", "new", "--out", str(out), "--encrypt"], env=env)
    assert result.exit_code == 0, result.output
    assert load_key_file(out, PASSPHRASE)
    shown = runner.invoke(app, ["keys", "show", str(out)], terminal_width=200)
    assert shown.exit_code == 0 and "yes" in shown.output
    assert read_key_file_info(out).address.hex() in shown.output


def test_keys_new_encrypt_from_a_prompt_asks_twice(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "me.json"
    typed = f"{PASSPHRASE.decode()}\n{PASSPHRASE.decode()}\n"
    result = runner.invoke(app, ["keys", "new", "--out", str(out), "--encrypt"], input=typed)
    assert result.exit_code == 0, result.output
    assert load_key_file(out, PASSPHRASE)


def test_keys_new_encrypt_refuses_a_short_passphrase(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "me.json"
    result = runner.invoke(
        app,
        [
            "keys",
            "new",
            "--out",
            str(out),
            "--encrypt",
            "--passphrase-file",
            str(passphrase_file(tmp_path, "short")),
        ],
        terminal_width=200,
    )
    assert result.exit_code == 1 and "got 5" in result.output
    assert not out.exists()


def test_keys_encrypt_and_decrypt_commands(runner: CliRunner, tmp_path: Path) -> None:
    path = write_key_file(tmp_path / "k.json", KEY)
    secret = str(passphrase_file(tmp_path, PASSPHRASE.decode()))
    result = runner.invoke(app, ["keys", "encrypt", str(path), "--passphrase-file", secret])
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, ["keys", "encrypt", str(path), "--passphrase-file", secret])
    assert again.exit_code == 1 and "already encrypted" in again.output
    before = path.read_bytes()
    wrong = runner.invoke(app, ["keys", "decrypt", str(path)], input="not it at all\n")
    assert wrong.exit_code == 1 and "wrong passphrase" in wrong.output
    assert "Traceback" not in wrong.output and path.read_bytes() == before
    result = runner.invoke(app, ["keys", "decrypt", str(path), "--passphrase-file", secret])
    assert result.exit_code == 0, result.output
    assert load_key_file(path).seed == KEY.seed


def test_keys_new_encrypt_without_out_is_refused(runner: CliRunner) -> None:
    result = runner.invoke(app, ["keys", "new", "--encrypt"])
    assert result.exit_code == 1 and "--out" in result.output


def test_the_documented_format_is_what_is_written() -> None:
    """Re-derive a file from the module docstring's recipe with libsodium directly, so another
    implementation following the docs opens our files (and the AD layout cannot drift)."""
    import struct

    import nacl.bindings
    import nacl.pwhash

    salt, nonce = bytes(range(16)), bytes(range(24))
    made = keyfile.compute_encrypted_key_file(KEY, PASSPHRASE, FAST, salt=salt, nonce=nonce)
    key = nacl.pwhash.argon2id.kdf(
        32, PASSPHRASE, salt, opslimit=FAST.opslimit, memlimit=FAST.memlimit_bytes
    )
    associated = (
        b"chainbook/key-file/v1\x00"
        + b"argon2id13\x00"
        + struct.pack(">QQ", FAST.opslimit, FAST.memlimit_bytes)
        + salt
        + b"xchacha20poly1305-ietf\x00"
        + KEY.public_key
    )
    expected = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        KEY.seed, associated, nonce, key
    )
    assert made.ciphertext == expected.hex()
    assert (made.kdf_salt, made.nonce) == (salt.hex(), nonce.hex())
