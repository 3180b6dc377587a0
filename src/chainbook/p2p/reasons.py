"""Why a connection ended or was refused: one stable name per reason, shared by every p2p module.

Rules this module keeps:

- Each reason's value is a stable snake_case string: it appears in log lines, in counters and in
  the node's metrics labels, so renaming one is a breaking change (a test pins some).
- ``PEER_FAULTS`` holds the reasons that are the remote side's fault (bad certificate, bad
  Hello, bad frame, misbehaviour): they are logged at WARNING; the rest (network trouble, our
  own decisions, admission) at INFO or below.
- The set of reasons is closed and small, so per-reason counters and log limits stay bounded.
"""

from __future__ import annotations

import enum

__all__ = ["CloseReason", "PEER_FAULTS", "short_hex"]

SHORT_HEX_CHARS = 16


class CloseReason(enum.StrEnum):
    """Why a connection ended. Reasons in ``PEER_FAULTS`` are the peer's fault."""

    # The connection ended on its own.
    PEER_CLOSED = "peer_closed"
    IO_ERROR = "io_error"
    PING_TIMEOUT = "ping_timeout"  # nothing received for ping_timeout_s
    # We ended it.
    STOPPING = "stopping"
    DISCONNECTED = "disconnected"  # Transport.disconnect
    BANNED = "banned"  # Transport.ban, or refused while the ban lasts
    REVOKED = "revoked"  # the peer's node id is in revoked_node_ids
    # Admission.
    DUPLICATE = "duplicate"
    PEERS_MAX = "peers_max"
    UNAUTHENTICATED_EVICTED = "unauthenticated_evicted"  # pushed out of a full pending pool
    SELF_CONNECTION = "self_connection"
    HANDSHAKE_TIMEOUT = "handshake_timeout"
    # The peer's fault.
    CERTIFICATE_INVALID = "certificate_invalid"
    PEER_ID_MISMATCH = "peer_id_mismatch"  # the dialed address pinned another node id
    HELLO_INVALID = "hello_invalid"
    HELLO_KEY_MISMATCH = "hello_key_mismatch"
    CHAIN_ID_MISMATCH = "chain_id_mismatch"
    NETWORK_ID_MISMATCH = "network_id_mismatch"
    PROTOCOL_VERSION_MISMATCH = "protocol_version_mismatch"
    OVERSIZE_FRAME = "oversize_frame"
    EMPTY_FRAME = "empty_frame"
    TRUNCATED_FRAME = "truncated_frame"
    CONTROL_FRAME_INVALID = "control_frame_invalid"
    MISBEHAVED = "misbehaved"


PEER_FAULTS = frozenset(
    {
        CloseReason.CERTIFICATE_INVALID,
        CloseReason.PEER_ID_MISMATCH,
        CloseReason.HELLO_INVALID,
        CloseReason.HELLO_KEY_MISMATCH,
        CloseReason.CHAIN_ID_MISMATCH,
        CloseReason.NETWORK_ID_MISMATCH,
        CloseReason.PROTOCOL_VERSION_MISMATCH,
        CloseReason.OVERSIZE_FRAME,
        CloseReason.EMPTY_FRAME,
        CloseReason.TRUNCATED_FRAME,
        CloseReason.CONTROL_FRAME_INVALID,
        CloseReason.MISBEHAVED,
        CloseReason.REVOKED,
    }
)


def short_hex(value: bytes | None) -> str:
    """The first hex digits of an id or hash for log lines ("-" for none, "(empty)" for b"")."""
    if value is None:
        return "-"
    if not value:
        return "(empty)"
    text = value.hex()
    return text if len(text) <= SHORT_HEX_CHARS else text[:SHORT_HEX_CHARS] + "..."
