"""Peer addresses: ``host:port`` or ``id@host:port``, where ``id`` pins the peer's identity.

Rules this module keeps:

- ``parse_peer_address`` accepts exactly ``[<id>@]<host>:<port>``. ``id`` is the peer's node id
  written as 64 hex digits: the 32-byte Ed25519 public key its TLS certificate binds. ``host`` is
  a name or an IPv4 address, or an IPv6 address in brackets (``[::1]:26600``): a bare IPv6
  address is refused, because its last ``:`` cannot be told from the port separator. ``port`` is
  decimal in 1..65535.
- Anything else raises ``PeerAddressError`` naming the text, what part was wrong and what is
  accepted. Nothing is guessed (no default port, no trimming inside the text).
- A pinned ``node_id`` is what the dialer insists on: a peer at that address whose certificate
  carries another key is refused (see ``dialer``). The id is an identity, not a secret.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple

__all__ = [
    "NODE_ID_BYTES",
    "PORT_MAX",
    "PEER_ADDRESS_CHARS_MAX",
    "PeerAddress",
    "PeerAddressError",
    "SocketAddress",
    "parse_peer_address",
]

NODE_ID_BYTES = 32
PORT_MAX = 65535
PEER_ADDRESS_CHARS_MAX = 400  # id (64) + '@' + a DNS name (253) + brackets + ':' + port, rounded up
_HOST_FORBIDDEN_CHARS = frozenset(" \t\r\n@/[]")

SocketAddress = tuple[str, int]
"""The (host, port) of one end of a socket."""


class PeerAddressError(ValueError):
    """A peer address that is not ``[<64 hex id>@]<host>:<port>``."""

    def __init__(self, text: str, problem: str) -> None:
        super().__init__(
            f"peer address {text!r}: {problem}; expected [<node id: 64 hex digits>@]<host>:<port>"
            " with the port in 1..65535 and an IPv6 host in brackets, e.g. [::1]:26600"
        )
        self.text = text
        self.problem = problem


class PeerAddress(NamedTuple):
    """Where to dial a peer, and optionally which node id it must prove (``None``: any)."""

    host: str
    port: int
    node_id: bytes | None = None

    @property
    def socket_address(self) -> SocketAddress:
        return (self.host, self.port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        prefix = "" if self.node_id is None else f"{self.node_id.hex()}@"
        return f"{prefix}{host}:{self.port}"


def parse_peer_address(text: str) -> PeerAddress:
    """Parse ``[<id>@]<host>:<port>``; raise ``PeerAddressError`` saying what is wrong."""
    if len(text) > PEER_ADDRESS_CHARS_MAX:
        raise PeerAddressError(
            text[:40] + "...", f"{len(text)} characters, at most {PEER_ADDRESS_CHARS_MAX}"
        )
    node_id_text, at, location = text.rpartition("@")
    node_id = _parse_node_id(text, node_id_text) if at else None
    host, port = _parse_location(text, location)
    return PeerAddress(host, port, node_id)


def _parse_node_id(text: str, node_id_text: str) -> bytes:
    if len(node_id_text) != 2 * NODE_ID_BYTES:
        raise PeerAddressError(
            text, f"node id has {len(node_id_text)} characters, needs {2 * NODE_ID_BYTES} hex"
        )
    try:
        return bytes.fromhex(node_id_text)
    except ValueError:
        raise PeerAddressError(text, f"node id {node_id_text!r} is not hex") from None


def _parse_location(text: str, location: str) -> tuple[str, int]:
    if location.startswith("["):
        host, closing, rest = location[1:].partition("]")
        if not closing:
            raise PeerAddressError(text, "'[' without a closing ']'")
        _verify_ipv6(text, host)
        if not rest.startswith(":"):
            raise PeerAddressError(text, "no ':<port>' after the bracketed IPv6 address")
        port_text = rest[1:]
    else:
        host, colon, port_text = location.rpartition(":")
        if not colon:
            raise PeerAddressError(text, "no ':<port>'")
        if ":" in host:
            raise PeerAddressError(text, f"IPv6 address {host!r} must be in brackets")
        _verify_host(text, host)
    return host, _parse_port(text, port_text)


def _verify_ipv6(text: str, host: str) -> None:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        raise PeerAddressError(text, f"{host!r} in brackets is not an IPv6 address") from None


def _verify_host(text: str, host: str) -> None:
    if not host:
        raise PeerAddressError(text, "empty host")
    bad = sorted(set(host) & _HOST_FORBIDDEN_CHARS)
    if bad:
        raise PeerAddressError(text, f"host {host!r} contains {''.join(bad)!r}")


def _parse_port(text: str, port_text: str) -> int:
    if not port_text.isascii() or not port_text.isdigit():
        raise PeerAddressError(text, f"port {port_text!r} is not a decimal number")
    port = int(port_text)
    if not 1 <= port <= PORT_MAX:
        raise PeerAddressError(text, f"port {port} is outside 1..{PORT_MAX}")
    return port
