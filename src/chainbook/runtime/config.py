"""A node's `config.toml`: who it is on the network and where it listens.

    moniker   = "node0"            # a human name, shown in /status and logs
    p2p_host  = "127.0.0.1"
    p2p_port  = 26600
    api_host  = "127.0.0.1"
    api_port  = 26700
    peers     = ["127.0.0.1:26601", "127.0.0.1:26602"]
    log_level = "info"

Decoding is strict, like every input of chainbook: an unknown key (often a typo such as
`api_prot`), a wrong type or an out-of-range port is refused with a ConfigError that names the
file, the key and what is accepted. The config holds no secret: keys live in node_key.json.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

import msgspec
import tomli_w

from chainbook import limits
from chainbook.errors import ConfigError

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
LogLevel = Literal["debug", "info", "warning", "error"]


class NodeConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    moniker: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    p2p_host: str = "127.0.0.1"
    p2p_port: Port
    api_host: str = "127.0.0.1"
    api_port: Port
    peers: list[str] = []
    """Addresses "host:port" of the peers to dial; each must be a p2p listener of the network."""
    log_level: LogLevel = "info"
    verify_threads: Annotated[int, msgspec.Meta(ge=0, le=64)] = 0
    """Threads that check transaction signatures (0: one per CPU). Nodes sharing a machine
    (a local testnet) should split the CPUs between them: more threads than cores only adds
    contention (measured: 4 nodes on 2 cores commit ~15 % more with 1 thread each than 2)."""

    @property
    def p2p_address(self) -> str:
        return f"{self.p2p_host}:{self.p2p_port}"

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"


def parse_peer(text: str) -> tuple[str, int]:
    """Split "host:port" (IPv6 as "[::1]:26600"); raise ValueError naming the bad value."""
    host, sep, port_text = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f'peer {text!r} must be "host:port" with a port in 1..65535')
    return host, int(port_text)


def verify_config(config: NodeConfig) -> None:
    """Checks a type cannot express: peer syntax, their number, no self-dial, distinct ports."""
    for peer in config.peers:
        parse_peer(peer)
    if len(config.peers) > limits.peers_max:
        raise ValueError(f"peers: {len(config.peers)} given, limit {limits.peers_max}")
    if config.p2p_address in config.peers:
        raise ValueError(f"peers: {config.p2p_address} is this node's own p2p address")
    if config.p2p_host == config.api_host and config.p2p_port == config.api_port:
        raise ValueError(f"p2p_port and api_port are both {config.p2p_port}")


def decode_config(data: bytes, source: str = "config.toml") -> NodeConfig:
    """Parse and check TOML text; every failure is a ConfigError naming `source` and the key."""
    try:
        raw = tomllib.loads(data.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        config = msgspec.convert(raw, NodeConfig)
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


def load_config(path: Path) -> NodeConfig:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    return decode_config(path.read_bytes(), str(path))


def write_config(path: Path, config: NodeConfig) -> None:
    verify_config(config)
    path.write_bytes(encode_config(config))


__all__ = [
    "LogLevel",
    "NodeConfig",
    "decode_config",
    "encode_config",
    "load_config",
    "parse_peer",
    "verify_config",
    "write_config",
]
