"""Peer-to-peer transport: mutual TLS 1.3 with Ed25519 identities, length-prefixed frames.

Modules: ``tls`` (certificates and SSL contexts), ``frames`` (framing with a hard size limit),
``transport`` (authenticated connections, Hello, dialing, send queues). Payloads are opaque
bytes: nothing here knows about blocks or votes.
"""

from chainbook.p2p.frames import EmptyFrame, FrameError, OversizeFrame, TruncatedFrame
from chainbook.p2p.transport import (
    CloseReason,
    DialState,
    DialStatus,
    Direction,
    PeerInfo,
    PeerMisbehaved,
    Transport,
    TransportConfig,
    TransportCounters,
)

__all__ = [
    "CloseReason",
    "DialState",
    "DialStatus",
    "Direction",
    "EmptyFrame",
    "FrameError",
    "OversizeFrame",
    "PeerInfo",
    "PeerMisbehaved",
    "Transport",
    "TransportConfig",
    "TransportCounters",
    "TruncatedFrame",
]
