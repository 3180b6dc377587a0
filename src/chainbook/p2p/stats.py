"""What the transport counts, for the node's metrics: totals, per peer, and by reason.

Rules it keeps:

- Counters only grow (a restart of the transport starts them again from zero).
- ``frames_*`` and ``bytes_*`` count the node's payload frames and their payload bytes (no frame
  headers); the transport's own ping and pong are counted apart (``control_frames_*``), so the
  node's numbers are the node's traffic.
- Maps by reason are keyed by ``CloseReason`` values: a closed, small set, so they stay bounded.
- ``PeerInfo`` and ``TransportStats`` are frozen snapshots; the counters are the live object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chainbook.p2p.address import SocketAddress
from chainbook.p2p.peer_table import Direction
from chainbook.p2p.reasons import CloseReason

__all__ = ["TransportCounters", "PeerInfo", "TransportStats"]


@dataclass(slots=True)
class TransportCounters:
    """Monotonic counters for metrics. Byte counts are payload bytes."""

    connections_inbound: int = 0  # passed TLS, inbound
    connections_outbound: int = 0  # passed TLS, outbound
    dials_failed: int = 0  # TCP connect or TLS handshake failed while dialing
    handshakes_failed: int = 0  # refused at the handshake or at admission
    frames_in: int = 0
    bytes_in: int = 0
    frames_out: int = 0
    bytes_out: int = 0
    control_frames_in: int = 0  # ping and pong
    control_frames_out: int = 0
    frames_dropped_queue_full: int = 0
    frames_dropped_no_peer: int = 0
    callback_errors: int = 0
    log_lines_suppressed: int = 0  # refusal and disconnect lines held back by the log limit
    # Connections closed (refused handshakes included), by CloseReason value.
    disconnects: dict[str, int] = field(default_factory=dict)
    # Connections refused before they became peers (a subset of disconnects), by reason.
    refusals: dict[str, int] = field(default_factory=dict)

    def count_disconnect(self, reason: CloseReason) -> None:
        self.disconnects[reason.value] = self.disconnects.get(reason.value, 0) + 1

    def count_refusal(self, reason: CloseReason) -> None:
        self.handshakes_failed += 1
        self.refusals[reason.value] = self.refusals.get(reason.value, 0) + 1
        self.count_disconnect(reason)


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """A snapshot of one connected peer; counts are for this connection, since it opened."""

    peer_id: bytes
    address: SocketAddress  # the remote end of the socket
    local_address: SocketAddress  # our end of the socket
    listen_port: int  # where the peer says it accepts connections
    direction: Direction
    connected_since_unix_s: float
    frames_in: int
    bytes_in: int
    frames_out: int
    bytes_out: int
    frames_dropped: int  # send queue was full
    send_queue_len: int
    reserved: bool = False  # a reserved peer: not bounded by peers_max
    rtt_s: float | None = None  # the last ping's round trip; None before the first pong


@dataclass(frozen=True, slots=True)
class TransportStats:
    """Everything the node's metrics need, in one snapshot (``Transport.stats()``)."""

    frames_in: int
    bytes_in: int
    frames_out: int
    bytes_out: int
    control_frames_in: int
    control_frames_out: int
    frames_dropped_queue_full: int
    frames_dropped_no_peer: int
    dials_failed: int
    log_lines_suppressed: int
    unauthenticated_connections: int  # in their handshake right now
    refusals: dict[str, int]  # by CloseReason value
    disconnects: dict[str, int]  # by CloseReason value
    peers: tuple[PeerInfo, ...]  # per connected peer, sorted by peer id
