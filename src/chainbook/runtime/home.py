"""A node's home folder: everything one node needs, in one place an operator can inspect.

    <home>/
      config.toml        NodeConfig (runtime/config.py): moniker, listen addresses, peers, logs
      node_key.json      the node's Ed25519 identity and validator key, mode 0600, plaintext or
                         passphrase-encrypted (keyfile.py)
      tls/ca.pem         the network CA certificate (admission authority)
      tls/node.pem       this node's certificate, issued by the CA for node_key.json's key
      tls/revoked.json   the CA-signed revocation list (p2p/revocation.py), optional
      genesis.json       the chain's genesis (chain/genesis.py), identical on every node
      data/book.sqlite   the node's copy of the book (storage/sqlite.py)
      node.log           JSON-lines log when config.toml's log_file says so (runtime/logs.py)
      node.pid           pid of a node process started by `chainbook testnet up`
      node.out           stdout/stderr of a node started by `chainbook testnet up`

A home is made in steps, so that organisations that do not trust each other bootstrap a
network without any secret leaving its owner:

1. `init_home`: a fresh key and config (`chainbook init`); the node id (public key) goes to
   the consortium;
2. `install_certificates`: the CA's certificate and the node certificate it issued from the
   node id, both checked (this CA's signature, this node's key, not revoked);
3. `install_genesis`: the genesis the consortium assembled (never replaced by a different one).

Rules kept: every loader checks its file and names it in its error, with the next step to
take; `verify` checks a home without opening an encrypted key (a passphrase is asked once, when
the node loads its key); a certificate from another CA, for another key, expired or revoked is
refused. The node's TLS private key is not a separate file: it is derived from node_key.json's
seed when the node starts (p2p/tls.py), so there is one secret per node, not two.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainbook.chain.genesis import Genesis
from chainbook.crypto import PrivateKey
from chainbook.errors import ConfigError
from chainbook.keyfile import (
    KdfCost,
    KeyFileInfo,
    Passphrase,
    load_key_file,
    read_key_file_info,
    resolve_passphrase,
    write_key_file,
)
from chainbook.ledger.genesis import dump_genesis, load_genesis
from chainbook.p2p import revocation, tls
from chainbook.runtime.config import NodeConfig, load_config, resolve_home_path, write_config
from chainbook.runtime.logs import (
    JsonLinesFormatter,
    install_log_handlers,
    make_log_handlers,
    read_log_lines,
)

GENESIS_HOW_TO = (
    "get the consortium's genesis.json (assembled with `chainbook genesis new / add-validator "
    "/ add-account`), compare `chainbook genesis hash FILE` with the other organisations, and "
    "install it with `chainbook node install-genesis`"
)
CERTIFICATE_HOW_TO = (
    "give the node id (`chainbook node id --home H`) or a request (`chainbook node csr`) to "
    "the network CA, then `chainbook node install-cert --home H --ca CA.pem --cert NODE.pem`"
)


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
    def revocation_path(self) -> Path:
        return self.tls_dir / "revoked.json"

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

    # --- loaders -------------------------------------------------------------------------

    def load_config(self) -> NodeConfig:
        """config.toml with the CHAINBOOK_<KEY> environment overrides applied."""
        return load_config(self.config_path)

    def key_info(self) -> KeyFileInfo:
        """The node id and address, without opening an encrypted key."""
        return read_key_file_info(self.key_path)

    def node_id(self) -> bytes:
        return self.key_info().public_key

    def load_key(self, passphrase: Passphrase = None) -> PrivateKey:
        """The node key. An encrypted one opens with `passphrase`, else with the first of: the
        file config.toml's key_passphrase_file names (env CHAINBOOK_KEY_PASSPHRASE_FILE),
        the variable CHAINBOOK_KEY_PASSPHRASE, a prompt when standard input is a terminal."""
        return load_key_file(
            self.key_path, self._default_passphrase if passphrase is None else passphrase
        )

    def _default_passphrase(self) -> bytes:
        return resolve_passphrase(
            resolve_home_path(self.root, self.load_config().key_passphrase_file),
            _terminal_prompt(f"passphrase of {self.key_path}: ") if _has_terminal() else None,
            what=f"node key {self.key_path}",
        )

    def load_genesis(self) -> Genesis:
        if not self.genesis_path.is_file():
            raise ConfigError(
                f"genesis file {self.genesis_path} does not exist: the node cannot start "
                f"without the chain's genesis; {GENESIS_HOW_TO}"
            )
        try:
            return load_genesis(self.genesis_path.read_bytes())
        except ConfigError as exc:
            raise ConfigError(f"{self.genesis_path}: {exc}") from None

    def load_revoked_node_ids(self) -> frozenset[bytes]:
        """The node ids tls/revoked.json revokes (empty when the home has no list), refused
        unless the home's CA signed it. For the transport's refusal of revoked peers."""
        if not self.revocation_path.exists():
            return frozenset()
        ca_cert_pem = self._read_ca_cert()
        with _as_config_error():
            return revocation.load_revocation_list(self.revocation_path, ca_cert_pem)

    def _read_ca_cert(self) -> bytes:
        if not self.ca_cert_path.is_file():
            raise ConfigError(
                f"TLS certificate {self.ca_cert_path} does not exist; {CERTIFICATE_HOW_TO}"
            )
        return self.ca_cert_path.read_bytes()

    def load_tls(self) -> tuple[bytes, bytes]:
        """(ca_cert_pem, node_cert_pem), checked: the node certificate is signed by the CA,
        carries this node's key, is within its validity period and is not revoked."""
        ca_cert_pem = self._read_ca_cert()
        if not self.node_cert_path.is_file():
            raise ConfigError(
                f"TLS certificate {self.node_cert_path} does not exist; {CERTIFICATE_HOW_TO}"
            )
        node_cert_pem = self.node_cert_path.read_bytes()
        with _as_config_error():
            tls.verify_node_certificate(
                ca_cert_pem,
                node_cert_pem,
                node_public_key=self.node_id(),
                revoked_node_ids=self.load_revoked_node_ids(),
                what=f"node certificate {self.node_cert_path}",
            )
        return ca_cert_pem, node_cert_pem

    def verify(self) -> None:
        """Check every file once so a broken home fails at start with the file's name and what
        to do. An encrypted key is checked for its form only (its passphrase is asked once, by
        `load_key`)."""
        if not self.root.is_dir():
            raise ConfigError(
                f"node home {self.root} does not exist (create it with `chainbook init --home "
                f"{self.root}`, or a local network with `chainbook testnet init`)"
            )
        self.load_config()
        self.key_info()
        self.load_tls()
        self.load_genesis()

    # --- writers ---------------------------------------------------------------------------

    def install_certificates(
        self, ca_cert_pem: bytes, node_cert_pem: bytes, revocation_list: bytes | None = None
    ) -> bytes:
        """Check and write the CA certificate, this node's certificate and optionally the
        revocation list; returns the node id. Nothing is written if any check fails."""
        with _as_config_error():
            revoked = (
                frozenset()
                if revocation_list is None
                else revocation.verify_revocation_list(revocation_list, ca_cert_pem).node_ids
            )
            node_id = tls.verify_node_certificate(
                ca_cert_pem,
                node_cert_pem,
                node_public_key=self.node_id(),
                revoked_node_ids=revoked,
            )
        self.tls_dir.mkdir(exist_ok=True)
        replace_file(self.ca_cert_path, ca_cert_pem)
        replace_file(self.node_cert_path, node_cert_pem)
        if revocation_list is not None:
            replace_file(self.revocation_path, revocation_list)
        return node_id

    def install_revocation_list(self, data: bytes) -> revocation.RevocationList:
        """Replace tls/revoked.json by a newer list signed by the home's CA; an older one
        (lower sequence) is refused, so a stale copy cannot un-revoke a node."""
        ca_cert_pem = self._read_ca_cert()
        with _as_config_error():
            new = revocation.verify_revocation_list(data, ca_cert_pem)
            if self.revocation_path.exists():
                current = revocation.verify_revocation_list(
                    self.revocation_path.read_bytes(), ca_cert_pem
                )
                if new.sequence < current.sequence:
                    raise ConfigError(
                        f"revocation list sequence {new.sequence} is older than the installed "
                        f"one ({current.sequence}); not installed"
                    )
        replace_file(self.revocation_path, data)
        return new

    def install_genesis(self, data: bytes) -> Genesis:
        """Write genesis.json after checking it; a home that has a different genesis keeps it
        (the genesis of a chain never changes)."""
        genesis = load_genesis(data)
        if self.genesis_path.exists():
            if self.genesis_path.read_bytes() == data:
                return genesis
            raise ConfigError(
                f"{self.genesis_path} already holds a different genesis; a chain's genesis is "
                "immutable (make a new home for another chain)"
            )
        replace_file(self.genesis_path, data)
        return genesis

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


def _has_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _terminal_prompt(text: str) -> Callable[[], bytes]:
    return lambda: getpass.getpass(text).encode()


@contextlib.contextmanager
def _as_config_error() -> Iterator[None]:
    """Certificate problems reach the operator as ConfigError (one red line in the CLI)."""
    try:
        yield
    except tls.CertificateError as exc:
        raise ConfigError(str(exc)) from None


def replace_file(path: Path, data: bytes) -> None:
    """Write a sibling, fsync, rename over `path`: a reader sees the old file or the new."""
    sibling = path.with_name(f".{path.name}.new")
    with sibling.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(sibling, path)


def init_home(
    root: Path,
    *,
    config: NodeConfig,
    key: PrivateKey | None = None,
    passphrase: bytes | None = None,
    kdf_cost: KdfCost | None = None,
) -> Home:
    """Start a node's home: its key (fresh unless given; encrypted under `passphrase` if one
    is given), its config and empty folders. No certificate, no genesis yet (see the module
    docstring). Refuses a folder that already holds a node."""
    home = Home(Path(root))
    if home.config_path.exists() or home.key_path.exists():
        raise ConfigError(f"{home.root} already holds a node home; choose an empty folder")
    home.root.mkdir(parents=True, exist_ok=True)
    home.tls_dir.mkdir(exist_ok=True)
    home.data_dir.mkdir(mode=0o700, exist_ok=True)
    write_config(home.config_path, config)
    write_key_file(home.key_path, key or PrivateKey.generate(), passphrase, kdf_cost)
    return home


def create_home(
    root: Path,
    *,
    config: NodeConfig,
    key: PrivateKey,
    genesis: Genesis,
    ca_cert_pem: bytes,
    node_cert_pem: bytes,
    revocation_list: bytes | None = None,
) -> Home:
    """A complete home in one call (a local testnet): `init_home`, then the certificates and
    the genesis, each checked as for a separate organisation."""
    home = init_home(root, config=config, key=key)
    home.install_certificates(ca_cert_pem, node_cert_pem, revocation_list)
    home.install_genesis(dump_genesis(genesis))
    return home


# --- logs -----------------------------------------------------------------------------------


def configure_node_logging(home: Home, config: NodeConfig) -> list[logging.Handler]:
    """Send the root logger where `config` says (log_stream, log_file with rotation) as JSON
    lines; returns the handlers added (remove them with runtime.logs.remove_log_handlers)."""
    handlers = make_log_handlers(
        stream=config.log_stream,
        log_file=resolve_home_path(home.root, config.log_file),
        log_file_bytes_max=config.log_file_bytes_max,
        log_files_max=config.log_files_max,
    )
    install_log_handlers(handlers, config.log_level)
    return handlers


def read_log_events(home: Home, event: str | None = None) -> list[dict[str, Any]]:
    """The JSON lines of the home's node.log (optionally only those whose "event" is `event`).

    Lines that are not JSON objects (e.g. a crash message) are skipped, not fatal: this is a
    reader for tools, and the log of a crashed node is exactly what a person wants to read.
    """
    return read_log_lines(home.log_path, event)


def now_ms() -> int:
    return int(time.time() * 1000)


def is_private_file(path: Path) -> bool:
    return (os.stat(path).st_mode & 0o077) == 0


__all__ = [
    "CERTIFICATE_HOW_TO",
    "GENESIS_HOW_TO",
    "Home",
    "JsonLinesFormatter",
    "configure_node_logging",
    "create_home",
    "init_home",
    "is_private_file",
    "now_ms",
    "read_log_events",
    "replace_file",
]
