"""A node's home folder: everything one node needs, in one place an operator can inspect.

    <home>/
      config.toml        NodeConfig (runtime/config.py): moniker, listen addresses, peers
      genesis.json       the chain's genesis (chain/genesis.py), identical on every node
      node_key.json      the node's Ed25519 identity and validator key, mode 0600
      tls/ca.pem         the network CA certificate (admission authority)
      tls/node.pem       this node's certificate, issued by the CA for node_key.json's key
      data/book.sqlite   the node's copy of the book (storage/sqlite.py)
      node.log           structured logs, one JSON object per line (see JsonLinesFormatter)
      node.pid           pid of the running node process
      node.out           stdout/stderr of a node started by `chainbook testnet up`

The node's TLS private key is not a separate file: it is derived from node_key.json's seed when
the node starts (p2p/tls.py), so there is one secret per node, not two that could disagree.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainbook.chain.genesis import Genesis
from chainbook.crypto import PrivateKey
from chainbook.errors import ConfigError
from chainbook.keyfile import load_key_file, write_key_file
from chainbook.ledger.genesis import dump_genesis, load_genesis
from chainbook.runtime.config import NodeConfig, load_config, write_config


@dataclass(frozen=True)
class Home:
    """Paths of one node's home folder, and the loaders that check each file."""

    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / "config.toml"

    @property
    def genesis_path(self) -> Path:
        return self.root / "genesis.json"

    @property
    def key_path(self) -> Path:
        return self.root / "node_key.json"

    @property
    def tls_dir(self) -> Path:
        return self.root / "tls"

    @property
    def ca_cert_path(self) -> Path:
        return self.tls_dir / "ca.pem"

    @property
    def node_cert_path(self) -> Path:
        return self.tls_dir / "node.pem"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def book_path(self) -> Path:
        return self.data_dir / "book.sqlite"

    @property
    def log_path(self) -> Path:
        return self.root / "node.log"

    @property
    def pid_path(self) -> Path:
        return self.root / "node.pid"

    @property
    def out_path(self) -> Path:
        return self.root / "node.out"

    def load_config(self) -> NodeConfig:
        return load_config(self.config_path)

    def load_key(self) -> PrivateKey:
        return load_key_file(self.key_path)

    def load_genesis(self) -> Genesis:
        if not self.genesis_path.is_file():
            raise ConfigError(f"genesis file {self.genesis_path} does not exist")
        try:
            return load_genesis(self.genesis_path.read_bytes())
        except ConfigError as exc:
            raise ConfigError(f"{self.genesis_path}: {exc}") from None

    def load_tls(self) -> tuple[bytes, bytes]:
        """(ca_cert_pem, node_cert_pem)."""
        for path in (self.ca_cert_path, self.node_cert_path):
            if not path.is_file():
                raise ConfigError(f"TLS certificate {path} does not exist")
        return self.ca_cert_path.read_bytes(), self.node_cert_path.read_bytes()

    def verify(self) -> None:
        """Load every file once so a broken home fails at start with the file's name."""
        if not self.root.is_dir():
            raise ConfigError(f"node home {self.root} does not exist (create it with a testnet)")
        self.load_config()
        self.load_key()
        self.load_genesis()
        self.load_tls()

    def read_pid(self) -> int | None:
        """The pid recorded in node.pid, or None when there is no (readable) pid file."""
        try:
            return int(self.pid_path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def write_pid(self, pid: int) -> None:
        self.pid_path.write_text(f"{pid}\n")

    def remove_pid(self) -> None:
        self.pid_path.unlink(missing_ok=True)


def create_home(
    root: Path,
    *,
    config: NodeConfig,
    key: PrivateKey,
    genesis: Genesis,
    ca_cert_pem: bytes,
    node_cert_pem: bytes,
) -> Home:
    """Write a new home folder; refuse a folder that already holds a node."""
    home = Home(Path(root))
    if home.config_path.exists() or home.key_path.exists():
        raise ConfigError(f"{home.root} already holds a node home; choose an empty folder")
    home.root.mkdir(parents=True, exist_ok=True)
    home.tls_dir.mkdir(exist_ok=True)
    home.data_dir.mkdir(exist_ok=True)
    write_key_file(home.key_path, key)
    write_config(home.config_path, config)
    home.genesis_path.write_bytes(dump_genesis(genesis))
    home.ca_cert_path.write_bytes(ca_cert_pem)
    home.node_cert_path.write_bytes(node_cert_pem)
    return home


# --- structured logs ------------------------------------------------------------------------

_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: {"ts_ms", "level", "logger", "event", ...fields}.

    `event` is the log message itself, a stable snake_case name (`book_corrupt`,
    `block_committed`), and the fields come from `extra=`:

        log.warning("book_corrupt", extra={"height": 17, "reason": "..."})

    Tools (the demo, tests, jq) then select lines by `event` instead of parsing prose.
    """

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts_ms": int(record.created * 1000),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_FIELDS and not name.startswith("_"):
                line[name] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=_json_default, separators=(",", ":"))


def _json_default(value: object) -> object:
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def configure_logging(home: Home, level: str = "info") -> logging.Handler:
    """Send the root logger to `home.log_path` as JSON lines; returns the handler added."""
    handler = logging.FileHandler(home.log_path, encoding="utf-8")
    handler.setFormatter(JsonLinesFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


def read_log_events(home: Home, event: str | None = None) -> list[dict[str, Any]]:
    """The JSON lines of node.log (optionally only those whose "event" is `event`).

    Lines that are not JSON objects (e.g. a crash message) are skipped, not fatal: this is a
    reader for tools, and the log of a crashed node is exactly what a person wants to read.
    """
    if not home.log_path.is_file():
        return []
    events = []
    with home.log_path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                parsed = json.loads(line)
            except ValueError:
                continue
            if isinstance(parsed, dict) and (event is None or parsed.get("event") == event):
                events.append(parsed)
    return events


def now_ms() -> int:
    return int(time.time() * 1000)


def is_private_file(path: Path) -> bool:
    return (os.stat(path).st_mode & 0o077) == 0


__all__ = [
    "Home",
    "JsonLinesFormatter",
    "configure_logging",
    "create_home",
    "is_private_file",
    "now_ms",
    "read_log_events",
]
