"""config.toml strictness and key file safety: the errors a node operator will meet first."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from chainbook.crypto import PrivateKey
from chainbook.errors import ConfigError
from chainbook.keyfile import load_key_file, write_key_file
from chainbook.runtime.config import NodeConfig, decode_config, encode_config
from chainbook.runtime.home import Home, JsonLinesFormatter, read_log_events

GOOD = b'moniker = "n0"\np2p_port = 26600\napi_port = 26700\npeers = ["127.0.0.1:26601"]\n'


def test_config_round_trips() -> None:
    config = decode_config(GOOD)
    assert config == NodeConfig(
        moniker="n0", p2p_port=26600, api_port=26700, peers=["127.0.0.1:26601"]
    )
    assert decode_config(encode_config(config)) == config
    assert config.api_url == "http://127.0.0.1:26700"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (GOOD + b"api_prot = 1\n", ["unknown key", "api_prot"]),
        (GOOD.replace(b"26700", b"70000"), ["api_port", "65535"]),
        (GOOD.replace(b"26700", b'"x"'), ["api_port", "int"]),
        (GOOD.replace(b"api_port = 26700\n", b""), ["missing required key", "api_port"]),
        (GOOD.replace(b'"127.0.0.1:26601"', b'"nohost"'), ["peer 'nohost'", "<host>:<port>"]),
        (GOOD + b'log_level = "loud"\n', ["log_level"]),
        (b"moniker = ", ["not valid TOML"]),
    ],
)
def test_bad_config_names_the_key(text: bytes, words: list[str]) -> None:
    with pytest.raises(ConfigError) as error:
        decode_config(text, "node0/config.toml")
    message = str(error.value)
    assert message.startswith("node0/config.toml: ")
    for word in words:
        assert word in message, message


def test_key_file_refuses_other_readers(tmp_path: Path) -> None:
    path = write_key_file(tmp_path / "k.json", PrivateKey.from_label("k"))
    assert load_key_file(path).public_key == PrivateKey.from_label("k").public_key
    path.chmod(0o640)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_key_file(path)
    path.chmod(0o400)
    load_key_file(path)  # read-only for the owner is fine


def test_key_file_detects_a_mismatched_address(tmp_path: Path) -> None:
    path = write_key_file(tmp_path / "k.json", PrivateKey.from_label("k"))
    text = path.read_text().replace(PrivateKey.from_label("k").address.hex(), "00" * 20)
    path.write_text(text)
    with pytest.raises(ConfigError, match="address does not match"):
        load_key_file(path)


def test_missing_home_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Home(tmp_path / "nowhere").verify()


def test_json_lines_log_is_readable_by_event(tmp_path: Path) -> None:
    home = Home(tmp_path)
    handler = logging.FileHandler(home.log_path)
    handler.setFormatter(JsonLinesFormatter())
    log = logging.getLogger("chainbook.test.home")
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.INFO)
    try:
        log.warning("book_corrupt", extra={"height": 17, "block_hash": b"\x01\x02"})
        log.info("block_committed", extra={"height": 18})
    finally:
        handler.close()
        log.removeHandler(handler)
    (events,) = read_log_events(home, "book_corrupt")
    assert events["height"] == 17 and events["block_hash"] == "0102"
    assert events["level"] == "warning" and events["logger"] == "chainbook.test.home"
    assert len(read_log_events(home)) == 2
