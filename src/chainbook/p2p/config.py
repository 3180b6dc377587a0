"""The transport's configuration: every bound and interval, named, with its default, unit last.

Rules it keeps:

- Every field is checked when the config is built; a bad value raises ``ValueError`` naming the
  field, the value and what is accepted. A ``Transport`` never sees a nonsense config.
- Intervals are milliseconds, as everywhere in the node's configuration (`*_ms`); the
  transport's asyncio code converts once (`seconds(name)`).
- Defaults are safe for production. The node passes its own bounds from ``chainbook.limits``
  (the p2p package does not import the node's modules); a test keeps the two in step.
- ``peer_addresses`` may be given as ``PeerAddress`` values, ``(host, port)`` pairs, or
  ``"[id@]host:port"`` strings; ``dial_addresses`` has them parsed, each once, in order.
- Node ids (``reserved_peer_ids``, ``revoked_node_ids``) are 32-byte Ed25519 public keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from chainbook.p2p import frames, tls
from chainbook.p2p.address import NODE_ID_BYTES, PeerAddress, parse_peer_address
from chainbook.p2p.handshake import CHAIN_ID_BYTES_MAX, NETWORK_ID_BYTES_MAX

__all__ = [
    "UNAUTHENTICATED_CONNECTIONS_MAX",
    "PEER_BANS_MAX",
    "REFUSAL_LOG_LINES_MAX",
    "TransportConfig",
    "verify_node_ids",
]

UNAUTHENTICATED_CONNECTIONS_MAX = 16
PEER_BANS_MAX = 1024
REFUSAL_LOG_LINES_MAX = 10


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """Everything a ``Transport`` needs. Bounds the node sets come from its limits module."""

    node_seed: bytes  # 32-byte Ed25519 seed; its public key is our peer id
    ca_cert_pem: bytes  # the network CA: the only issuer we accept
    node_cert_pem: bytes  # our certificate, issued by the CA for node_seed's public key
    chain_id: str
    frame_bytes_max: int
    peers_max: int  # inbound peers that are not reserved are refused beyond this many
    peer_send_queue_max: int  # frames queued per peer before new ones are dropped
    listen_host: str = "127.0.0.1"
    listen_port: int = 0  # 0: the OS picks a free port; see Transport.listen_port
    # Dialed until stop(), reconnected on loss: PeerAddress, (host, port), or "[id@]host:port".
    peer_addresses: tuple[PeerAddress | tuple[str, int] | str, ...] = ()
    handshake_timeout_ms: int = 3_000  # from TCP accept (or connect) until the Hello is verified
    close_timeout_ms: int = 1_000  # TLS close_notify exchange before the socket is dropped
    dial_backoff_initial_ms: int = 100
    dial_backoff_max_ms: int = 2_000
    network_id: bytes = b""  # opaque, sent in the Hello; the node passes its genesis hash
    reserved_peer_ids: frozenset[bytes] = frozenset()  # always admitted (validators, peers)
    revoked_node_ids: frozenset[bytes] = frozenset()  # refused at every handshake
    unauthenticated_connections_max: int = UNAUTHENTICATED_CONNECTIONS_MAX
    peer_bans_max: int = PEER_BANS_MAX
    ping_interval_ms: int = 1_000
    ping_timeout_ms: int = 5_000  # a peer silent this long is closed (ping_timeout)
    refusal_log_lines_max: int = REFUSAL_LOG_LINES_MAX  # per reason per interval
    refusal_log_interval_ms: int = 10_000
    _dial_addresses: tuple[PeerAddress, ...] = field(
        init=False, default=(), repr=False, compare=False
    )

    def __post_init__(self) -> None:
        tls.verify_seed(self.node_seed)
        chain_id_bytes = len(self.chain_id.encode())
        if not 1 <= chain_id_bytes <= CHAIN_ID_BYTES_MAX:
            raise ValueError(
                f"chain_id must be 1..{CHAIN_ID_BYTES_MAX} bytes, got {chain_id_bytes}"
            )
        if len(self.network_id) > NETWORK_ID_BYTES_MAX:
            raise ValueError(
                f"network_id must be at most {NETWORK_ID_BYTES_MAX} bytes, "
                f"got {len(self.network_id)}"
            )
        for name in (
            "frame_bytes_max",
            "peers_max",
            "peer_send_queue_max",
            "unauthenticated_connections_max",
            "peer_bans_max",
            "refusal_log_lines_max",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.frame_bytes_max > frames.FRAME_LENGTH_MAX:
            raise ValueError(
                f"frame_bytes_max must be at most {frames.FRAME_LENGTH_MAX}, "
                f"got {self.frame_bytes_max}"
            )
        for name in ("handshake_timeout_ms", "close_timeout_ms", "refusal_log_interval_ms"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0 < self.ping_interval_ms < self.ping_timeout_ms:
            raise ValueError(
                "need 0 < ping_interval_ms < ping_timeout_ms, "
                f"got {self.ping_interval_ms}, {self.ping_timeout_ms}"
            )
        if not 0 < self.dial_backoff_initial_ms <= self.dial_backoff_max_ms:
            raise ValueError(
                "need 0 < dial_backoff_initial_ms <= dial_backoff_max_ms, "
                f"got {self.dial_backoff_initial_ms}, {self.dial_backoff_max_ms}"
            )
        for name in ("reserved_peer_ids", "revoked_node_ids"):
            ids = frozenset(getattr(self, name))
            verify_node_ids(name, ids)
            object.__setattr__(self, name, ids)
        object.__setattr__(self, "_dial_addresses", _dial_addresses(self.peer_addresses))

    def seconds(self, name: str) -> float:
        """An interval field (`<name>_ms`) in asyncio's unit."""
        value: int = getattr(self, name + "_ms")
        return value / 1000

    @property
    def dial_addresses(self) -> tuple[PeerAddress, ...]:
        """``peer_addresses`` as ``PeerAddress`` values, each once, in the order given."""
        return self._dial_addresses


def _dial_addresses(
    addresses: Iterable[PeerAddress | tuple[str, int] | str],
) -> tuple[PeerAddress, ...]:
    parsed: list[PeerAddress] = []
    for address in addresses:
        if isinstance(address, PeerAddress):
            parsed.append(address)
        elif isinstance(address, str):
            parsed.append(parse_peer_address(address))
        else:
            host, port = address
            parsed.append(PeerAddress(host, port))
    return tuple(dict.fromkeys(parsed))


def verify_node_ids(name: str, ids: Iterable[bytes]) -> None:
    for node_id in ids:
        if not isinstance(node_id, bytes) or len(node_id) != NODE_ID_BYTES:
            raise ValueError(f"{name}: each node id must be {NODE_ID_BYTES} bytes, got {node_id!r}")
