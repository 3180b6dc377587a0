"""Peer-to-peer transport: mutual TLS 1.3 with Ed25519 identities, length-prefixed frames.

Modules, one idea each: ``tls`` (certificates and SSL contexts), ``frames`` (framing with a
hard size limit, and the control-frame marker), ``address`` (``[id@]host:port``),
``handshake`` (the Hello exchange and what it checks), ``peer_table`` (slots, admission,
reserved peers, bans: pure), ``connection`` (one peer: read and write loops, send queue, ping),
``dialer`` (reconnect with capped backoff), ``log_limit`` (bounded refusal logging), ``stats``
(counters for metrics), ``reasons`` (why connections end), and ``transport`` (the facade the
node uses). Payloads are opaque bytes: nothing here knows about blocks or votes.
"""

from chainbook.p2p.address import PeerAddress, PeerAddressError, parse_peer_address
from chainbook.p2p.dialer import DialState, DialStatus
from chainbook.p2p.frames import EmptyFrame, FrameError, OversizeFrame, TruncatedFrame
from chainbook.p2p.peer_table import Direction
from chainbook.p2p.reasons import CloseReason
from chainbook.p2p.stats import PeerInfo, TransportCounters, TransportStats
from chainbook.p2p.transport import PeerMisbehaved, Transport, TransportConfig

__all__ = [
    "CloseReason",
    "DialState",
    "DialStatus",
    "Direction",
    "EmptyFrame",
    "FrameError",
    "OversizeFrame",
    "PeerAddress",
    "PeerAddressError",
    "PeerInfo",
    "PeerMisbehaved",
    "Transport",
    "TransportConfig",
    "TransportCounters",
    "TransportStats",
    "TruncatedFrame",
    "parse_peer_address",
]
