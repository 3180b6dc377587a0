"""config.toml overridden by CHAINBOOK_<KEY> variables, and the node's JSON-lines logging with
size-based rotation."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest

from chainbook.errors import ConfigError
from chainbook.runtime.config import CONFIG_KEYS, decode_config, env_name, load_config
from chainbook.runtime.home import Home, configure_node_logging
from chainbook.runtime.logs import make_log_handlers, read_log_lines, remove_log_handlers

GOOD = b'moniker = "n0"\np2p_port = 26600\napi_port = 26700\npeers = ["127.0.0.1:26601"]\n'


def test_every_key_has_a_documented_variable() -> None:
    import chainbook.runtime.config as config_module

    assert config_module.__doc__ is not None
    for key in CONFIG_KEYS:
        assert env_name(key) == "CHAINBOOK_" + key.upper()
        assert key in config_module.__doc__, key


def test_overrides_are_typed() -> None:
    config = decode_config(
        GOOD,
        environ={
            "CHAINBOOK_API_PORT": "8080",
            "CHAINBOOK_PEERS": "10.0.0.2:26600, 10.0.0.3:26600",
            "CHAINBOOK_LOG_LEVEL": "debug",
            "CHAINBOOK_SIGNATURE_WORKERS": "2",
            "CHAINBOOK_LOG_FILE": "logs/node.log",
            "CHAINBOOK_BOOK_VERIFY_CPU_SHARE": "0.5",
        },
    )
    assert config.api_port == 8080 and config.signature_workers == 2
    assert config.book_verify_cpu_share == 0.5
    assert config.peers == ["10.0.0.2:26600", "10.0.0.3:26600"]
    assert (config.log_level, config.log_file) == ("debug", "logs/node.log")
    assert config.moniker == "n0"  # untouched keys keep the file's value


def test_the_renamed_verify_threads_is_refused_with_its_new_name() -> None:
    with pytest.raises(ConfigError, match="`verify_threads` was renamed `signature_workers`"):
        decode_config(GOOD + b"verify_threads = 2\n", "home/config.toml")
    with pytest.raises(ConfigError, match="CHAINBOOK_VERIFY_THREADS.*CHAINBOOK_SIGNATURE_WORKERS"):
        decode_config(GOOD, environ={"CHAINBOOK_VERIFY_THREADS": "2"})


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (b"metrics_port = 26700\n", "api_port and metrics_port are both 26700"),
        (b"metrics_port = 26600\n", "p2p_port and metrics_port are both 26600"),
        (b"prune_keep_blocks = 999\n", "prune_keep_blocks 999: 0 (keep every block) or at least"),
        (b"book_verify_cpu_share = 1.5\n", "book_verify_cpu_share"),
        (b"book_verify_interval_s = 59\n", "book_verify_interval_s"),
    ],
)
def test_ports_pruning_and_verification_keys_are_checked(extra: bytes, words: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(words)):
        decode_config(GOOD + extra)


def test_limits_at_their_edges_are_accepted() -> None:
    text = GOOD + b"prune_keep_blocks = 1000\nbook_verify_cpu_share = 1.0\n"
    config = decode_config(text + b"book_verify_interval_s = 60\nmetrics_port = 9100\n")
    assert (config.prune_keep_blocks, config.metrics_port) == (1000, 9100)


def test_an_empty_peers_variable_means_no_peers() -> None:
    assert decode_config(GOOD, environ={"CHAINBOOK_PEERS": ""}).peers == []


def test_variables_that_are_not_config_keys_are_ignored() -> None:
    environ = {"CHAINBOOK_NODE": "http://x", "CHAINBOOK_KEY_PASSPHRASE": "secret"}
    assert decode_config(GOOD, environ=environ) == decode_config(GOOD)


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("CHAINBOOK_API_PORT", "abc", ["CHAINBOOK_API_PORT='abc'", "int"]),
        ("CHAINBOOK_API_PORT", "70000", ["CHAINBOOK_API_PORT='70000'", "<= 65535"]),
        ("CHAINBOOK_API_PORT", "", ["CHAINBOOK_API_PORT=''"]),
        ("CHAINBOOK_LOG_LEVEL", "loud", ["CHAINBOOK_LOG_LEVEL", "accepted: debug, info"]),
        ("CHAINBOOK_LOG_STREAM", "file", ["CHAINBOOK_LOG_STREAM", "stderr, stdout, none"]),
        ("CHAINBOOK_LOG_FILES_MAX", "0", ["CHAINBOOK_LOG_FILES_MAX", ">= 1"]),
        ("CHAINBOOK_LOG_FILE_BYTES_MAX", "10", ["CHAINBOOK_LOG_FILE_BYTES_MAX", ">= 65536"]),
        ("CHAINBOOK_MONIKER", "", ["CHAINBOOK_MONIKER", "length >= 1"]),
        ("CHAINBOOK_PEERS", "nohost", ["CHAINBOOK_PEERS from the environment", "'nohost'"]),
        ("CHAINBOOK_P2P_PORT", "26700", ["CHAINBOOK_P2P_PORT from the environment", "both"]),
    ],
)
def test_a_bad_override_names_the_variable(variable: str, value: str, words: list[str]) -> None:
    with pytest.raises(ConfigError) as error:
        decode_config(GOOD, "node0/config.toml", environ={variable: value})
    for word in words:
        assert word in str(error.value), str(error.value)


def test_load_config_reads_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(GOOD)
    monkeypatch.setenv("CHAINBOOK_API_PORT", "9100")
    assert load_config(path).api_port == 9100
    assert Home(tmp_path).load_config().api_port == 9100
    assert load_config(path, environ={}).api_port == 26700


def test_decoding_text_alone_is_pure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINBOOK_API_PORT", "9100")
    assert decode_config(GOOD).api_port == 26700


# --- logging -------------------------------------------------------------------------------


def test_logs_go_to_the_stream_as_json_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    handlers = make_log_handlers(
        stream="stderr", log_file=None, log_file_bytes_max=1 << 20, log_files_max=1
    )
    log = logging.getLogger("chainbook.test.stream")
    log.propagate = False
    for handler in handlers:
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        log.info("block_committed", extra={"height": 5, "block_hash": b"\xab"})
    finally:
        for handler in handlers:
            log.removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    parsed = json.loads(line)
    assert parsed["event"] == "block_committed" and parsed["height"] == 5
    assert parsed["block_hash"] == "ab" and parsed["level"] == "info"


def test_the_log_file_rotates_with_a_bounded_number_of_files(tmp_path: Path) -> None:
    config = decode_config(
        b'moniker = "n"\np2p_port = 1\napi_port = 2\nlog_stream = "none"\n'
        b'log_file = "logs/node.log"\nlog_file_bytes_max = 65536\nlog_files_max = 2\n'
    )
    home = Home(tmp_path)
    handlers = configure_node_logging(home, config)
    log = logging.getLogger("chainbook.test.rotation")
    try:
        for i in range(3000):  # ~100 bytes a line: ~300 KB, > 4 files' worth
            log.info("filler", extra={"i": i, "pad": "x" * 40})
    finally:
        remove_log_handlers(handlers)
    names = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert names == ["node.log", "node.log.1", "node.log.2"]
    for path in (tmp_path / "logs").iterdir():
        assert path.stat().st_size <= 65536
    last = read_log_lines(tmp_path / "logs" / "node.log", "filler")[-1]
    assert last["i"] == 2999  # the newest lines are in the current file


def test_no_stream_and_no_file_means_no_handler() -> None:
    assert (
        make_log_handlers(stream="none", log_file=None, log_file_bytes_max=1, log_files_max=1) == []
    )
