"""A node's `config.toml`: who it is on the network, where it listens and logs; every key also
settable by an environment variable.

    moniker             = "node0"        # a human name, shown in /status and logs
    p2p_host            = "127.0.0.1"
    p2p_port            = 26600
    api_host            = "127.0.0.1"
    api_port            = 26700
    peers               = ["127.0.0.1:26601", "127.0.0.1:26602"]
    log_level           = "info"         # debug | info | warning | error
    log_stream          = "stderr"       # JSON lines to stderr | stdout | none
    log_file            = ""             # also to this file ("" = none; relative to the home)
    log_file_bytes_max  = 10485760       # rotate the log file at this size ...
    log_files_max       = 5              # ... keeping this many rotated files besides it
    signature_workers   = 0              # signature worker processes (0: one per CPU)
    key_passphrase_file = ""             # passphrase of an encrypted node_key.json
    metrics_host        = "127.0.0.1"    # Prometheus metrics on a port of their own ...
    metrics_port        = 0              # ... (0: none; /metrics on the API port either way)
    book_verify_cpu_share  = 0.25        # background re-verification of the book: CPU share
    book_verify_interval_s = 86400       # ... and how often (after the first, at start)
    prune_keep_blocks   = 0              # keep tx bodies of the last N blocks only (0: all)
    state_sync          = false          # an empty book starts from a peer's state snapshot
    snapshot_interval_blocks = 0         # serve state snapshots: one every N blocks (0: none)
    snapshots_kept      = 2              # ... keeping the newest this many
    api_cors_origins    = []             # browser origins allowed to call the API ("*": any)
    index               = "sqlite"       # transaction index: sqlite | postgres | off
    index_postgres_dsn  = ""             # with index = "postgres" (chainbook/index/)
    index_postgres_schema = "chainbook"  # one schema per node

Rules kept:

- Decoding is strict, like every input of chainbook: an unknown key (often a typo such as
  `api_prot`), a wrong type or an out-of-range value is refused with a ConfigError that names
  the file, the key and what is accepted.
- Each key K can be overridden by the environment variable CHAINBOOK_<K upper-cased> (for
  example CHAINBOOK_API_PORT=8080, CHAINBOOK_PEERS="10.0.0.2:26600,10.0.0.3:26600" as a
  comma-separated list, CHAINBOOK_LOG_FILE=""), as containers and systemd units set them. An
  override is typed and validated like the file, and a bad one is refused naming the variable.
  Variables that name no key (CHAINBOOK_NODE of the CLI, CHAINBOOK_KEY_PASSPHRASE) are not
  config and are ignored here.
- The config holds no secret: keys live in node_key.json, a passphrase in the environment or in
  the file `key_passphrase_file` names.
- A renamed key is refused with the new name (RENAMED_KEYS), in the file and in the
  environment, rather than silently ignored: `verify_threads` became `signature_workers`
  (they were always worker processes, never threads).
"""

from __future__ import annotations

import os
import tomllib
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import tomli_w

from chainbook import limits
from chainbook.errors import ConfigError
from chainbook.p2p.address import PeerAddress, PeerAddressError, parse_peer_address
from chainbook.storage.snapshots import SNAPSHOTS_KEPT_MAX

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
LogLevel = Literal["debug", "info", "warning", "error"]
LogStream = Literal["stderr", "stdout", "none"]
ENV_PREFIX = "CHAINBOOK_"
LOG_FILE_BYTES_MIN = 64 * 1024
LOG_FILE_BYTES_MAX = 1024 * 1024 * 1024
LOG_FILES_MAX = 100
"""Rotated log files kept at most: a bounded disk footprint whatever the operator sets."""
SIGNATURE_WORKERS_MAX = 64
BOOK_VERIFY_INTERVAL_S_MIN = 60
PRUNE_KEEP_BLOCKS_MIN = 1_000
"""Pruning keeps at least this many recent blocks whole: peers that fell behind by less sync
from this node, and a node restarted from its checkpoint replays at most
storage/checkpoints.py STATE_CHECKPOINT_BLOCKS of them."""
RENAMED_KEYS = {"verify_threads": "signature_workers"}
"""Old config key -> its new name: refused with a message naming the new one."""


class NodeConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    moniker: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    p2p_host: str = "127.0.0.1"
    p2p_port: Port
    api_host: str = "127.0.0.1"
    api_port: Port
    peers: list[str] = []
    """Addresses "host:port" of the peers to dial; each must be a p2p listener of the network."""
    log_level: LogLevel = "info"
    log_stream: LogStream = "stderr"
    """Where JSON-lines logs go besides the log file: a service manager (systemd, docker)
    collects a process's stderr, so that is the default."""
    log_file: str = ""
    """A log file besides the stream ("" for none), relative to the node's home if not absolute,
    rotated by size (log_file_bytes_max) keeping log_files_max older files."""
    log_file_bytes_max: Annotated[
        int, msgspec.Meta(ge=LOG_FILE_BYTES_MIN, le=LOG_FILE_BYTES_MAX)
    ] = 10 * 1024 * 1024
    log_files_max: Annotated[int, msgspec.Meta(ge=1, le=LOG_FILES_MAX)] = 5
    signature_workers: Annotated[int, msgspec.Meta(ge=0, le=SIGNATURE_WORKERS_MAX)] = 0
    """Worker processes that check transaction signatures (0: one per CPU;
    runtime/verifier.py). Nodes sharing a machine (a local testnet) should split the CPUs
    between them: more workers than cores only adds contention (measured: 4 nodes on 2 cores
    commit ~15 % more with 1 worker each than 2)."""
    api_cors_origins: list[str] = []
    """Origins (e.g. "https://explorer.example.org", or "*") whose pages may call the API
    from a browser (CORS); none by default."""
    index: Literal["sqlite", "postgres", "off"] = "sqlite"
    """The transaction index (search by account, module, event; block events): the embedded
    SQLite file data/index.sqlite, a PostgreSQL database, or none."""
    index_postgres_dsn: str = ""
    index_postgres_schema: str = "chainbook"
    key_passphrase_file: str = ""
    """File holding the passphrase of an encrypted node_key.json (for a service with no
    terminal; systemd's LoadCredential= puts one under $CREDENTIALS_DIRECTORY). Relative to the
    home if not absolute. CHAINBOOK_KEY_PASSPHRASE, if set, is used before it."""
    metrics_host: str = "127.0.0.1"
    metrics_port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 0
    """A port of its own for Prometheus metrics (GET /metrics), so monitoring can reach them
    without reaching the API; 0 for none. The API serves /metrics either way."""
    book_verify_cpu_share: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.25
    """The full re-verification of the book in the background (runtime/background_verify.py)
    uses at most this share of one CPU on average; 0 turns it off (`chainbook verify` still
    runs it on demand)."""
    book_verify_interval_s: Annotated[int, msgspec.Meta(ge=BOOK_VERIFY_INTERVAL_S_MIN)] = 86_400
    """The background re-verification runs after start, then again this often."""
    prune_keep_blocks: Annotated[int, msgspec.Meta(ge=0)] = 0
    """0: keep every block whole (the default). N: keep the transactions of the last N blocks
    only; older blocks keep their header and commits (storage/pruning.py), so the hash chain
    and finality still verify, but their transactions, receipts and proofs are gone and peers
    cannot sync them from this node. At least PRUNE_KEEP_BLOCKS_MIN."""

    state_sync: bool = False
    """A node whose book is empty starts from a state snapshot fetched from its peers and
    verified from the genesis file (core/statesync.py), then block-syncs from there; its book
    then holds nothing below the snapshot's height. Ignored once the book holds blocks."""
    snapshot_interval_blocks: Annotated[int, msgspec.Meta(ge=0)] = 0
    """Take a state snapshot every this many blocks and serve it to nodes that state-sync
    (0: none). Each costs a pass over the whole state (storage/snapshots.py)."""
    snapshots_kept: Annotated[int, msgspec.Meta(ge=1, le=SNAPSHOTS_KEPT_MAX)] = 2
    """Snapshots kept (the newest), each about the size of the state."""

    @property
    def p2p_address(self) -> str:
        return f"{self.p2p_host}:{self.p2p_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"


CONFIG_KEYS: tuple[str, ...] = NodeConfig.__struct_fields__


def env_name(key: str) -> str:
    """The environment variable that overrides config key `key`: CHAINBOOK_<KEY>."""
    return ENV_PREFIX + key.upper()


def parse_peer(text: str) -> PeerAddress:
    """A peer as `[<node id>@]host:port` (IPv6 as "[::1]:26600"); ValueError naming the value."""
    try:
        return parse_peer_address(text)
    except PeerAddressError as exc:
        raise ValueError(f"peer {text!r}: {exc}") from None


def verify_config(config: NodeConfig) -> None:
    """Checks a type cannot express: peer syntax, their number, no self-dial, distinct ports."""
    peers = [parse_peer(peer) for peer in config.peers]
    if len(config.peers) > limits.peers_max:
        raise ValueError(f"peers: {len(config.peers)} given, limit {limits.peers_max}")
    if any(f"{p.host}:{p.port}" == config.p2p_address for p in peers):
        raise ValueError(f"peers: {config.p2p_address} is this node's own p2p address")
    ports = {"p2p_port": (config.p2p_host, config.p2p_port)}
    ports["api_port"] = (config.api_host, config.api_port)
    if config.metrics_port:
        ports["metrics_port"] = (config.metrics_host, config.metrics_port)
    names = list(ports)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            if ports[first] == ports[second]:
                raise ValueError(f"{first} and {second} are both {ports[first][1]}")
    if 0 < config.prune_keep_blocks < PRUNE_KEEP_BLOCKS_MIN:
        raise ValueError(
            f"prune_keep_blocks {config.prune_keep_blocks}: 0 (keep every block) or at least "
            f"{PRUNE_KEEP_BLOCKS_MIN}"
        )


def verify_no_renamed_keys(keys: Iterable[str], where: str) -> None:
    """A renamed key names its new name (RENAMED_KEYS) instead of being an unknown key."""
    for key in keys:
        new = RENAMED_KEYS.get(key)
        if new is not None:
            raise ConfigError(
                f"{where}: key `{key}` was renamed `{new}` (signature worker processes, "
                f"0: one per CPU); rename it and start again"
            )


# --- environment overrides ------------------------------------------------------------------


def _field_types() -> dict[str, Any]:
    return {field.name: field.type for field in msgspec.structs.fields(NodeConfig)}


def _convert_override(key: str, text: str, field_type: Any) -> object:
    """`text` from the environment as the type of `key`, with the key's constraints."""
    value: object = text
    if key in ("peers", "api_cors_origins"):
        value = [part.strip() for part in text.split(",") if part.strip()]
    try:
        return msgspec.convert(value, field_type, strict=False)
    except msgspec.ValidationError as exc:
        reason = _explain(exc).split(" - at ")[0]
        choices = typing.get_args(field_type) if typing.get_origin(field_type) is Literal else ()
        if choices:
            reason += f" (accepted: {', '.join(choices)})"
        raise ConfigError(f"environment variable {env_name(key)}={text!r}: {reason}") from None


def get_environment_overrides(environ: Mapping[str, str] | None = None) -> dict[str, object]:
    """{config key: typed value} for every CHAINBOOK_<KEY> set in `environ` (os.environ by
    default); a value of the wrong type or out of range is a ConfigError naming the variable."""
    environ = os.environ if environ is None else environ
    for key in RENAMED_KEYS:
        if env_name(key) in environ:
            raise ConfigError(
                f"environment variable {env_name(key)}: `{key}` was renamed "
                f"`{RENAMED_KEYS[key]}`; set {env_name(RENAMED_KEYS[key])} instead"
            )
    types = _field_types()
    overrides: dict[str, object] = {}
    for key in CONFIG_KEYS:
        text = environ.get(env_name(key))
        if text is not None:
            overrides[key] = _convert_override(key, text, types[key])
    return overrides


# --- files ----------------------------------------------------------------------------------


def decode_config(
    data: bytes, source: str = "config.toml", environ: Mapping[str, str] | None = None
) -> NodeConfig:
    """Parse and check TOML text, then apply the environment overrides of `environ` (none when
    `environ` is None: decoding text alone is pure). Every failure is a ConfigError naming
    `source` and the key, or the environment variable."""
    try:
        raw = tomllib.loads(data.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    verify_no_renamed_keys(raw, source)
    overrides = {} if environ is None else get_environment_overrides(environ)
    if overrides:
        names = ", ".join(env_name(key) for key in overrides)
        source = f"{source} with {names} from the environment"
    try:
        config = msgspec.convert(raw, NodeConfig)
        if overrides:
            config = msgspec.structs.replace(config, **overrides)
            config = msgspec.convert(msgspec.to_builtins(config), NodeConfig)
        verify_config(config)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{source}: {_explain(exc)}") from None
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return config


def _explain(exc: msgspec.ValidationError) -> str:
    """msgspec says "... - at `$.api_port`"; a TOML reader thinks in keys, not JSON paths."""
    message = str(exc).replace("`$.", "key `")
    message = message.replace("Object contains unknown field", "unknown key")
    return message.replace("Object missing required field", "missing required key")


def encode_config(config: NodeConfig) -> bytes:
    return tomli_w.dumps(msgspec.to_builtins(config)).encode()


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> NodeConfig:
    """The config file at `path` with the overrides of `environ` (os.environ by default)."""
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    return decode_config(path.read_bytes(), str(path), os.environ if environ is None else environ)


def write_config(path: Path, config: NodeConfig) -> None:
    verify_config(config)
    path.write_bytes(encode_config(config))


def resolve_home_path(home_root: Path, configured: str) -> Path | None:
    """A path a config key names (log_file, key_passphrase_file): None for "", else absolute,
    relative ones taken from the home folder."""
    if not configured:
        return None
    path = Path(configured).expanduser()
    return path if path.is_absolute() else home_root / path


__all__ = [
    "CONFIG_KEYS",
    "ENV_PREFIX",
    "RENAMED_KEYS",
    "LogLevel",
    "LogStream",
    "NodeConfig",
    "decode_config",
    "encode_config",
    "env_name",
    "get_environment_overrides",
    "load_config",
    "parse_peer",
    "resolve_home_path",
    "verify_config",
    "write_config",
]
