"""What the transport writes to its log and counters when connections come, go or are refused.

Rules it keeps:

- Every refusal is counted by reason (``TransportCounters.refusals``), whether or not its line
  is written; every end of a connection is counted by reason (``disconnects``).
- Lines an outsider can cause (refusals, disconnects) go through a ``LogLimiter``: at most
  ``refusal_log_lines_max`` per event and reason per ``refusal_log_interval_ms``; a line written
  after some were held back ends with ``suppressed=K``; held-back lines are counted
  (``log_lines_suppressed``).
- Levels: WARNING for the peer's faults (``PEER_FAULTS``), DEBUG for a duplicate connection
  that lost the race (routine), INFO for the rest.
- Each line carries structured fields (``p2p_peer``, ``p2p_address``, ``p2p_direction``,
  ``p2p_reason``) for handlers that write JSON.
"""

from __future__ import annotations

import logging

from chainbook.p2p.address import SocketAddress
from chainbook.p2p.log_limit import LogLimiter
from chainbook.p2p.peer_table import Direction
from chainbook.p2p.reasons import PEER_FAULTS, CloseReason, short_hex
from chainbook.p2p.stats import TransportCounters

__all__ = ["logger", "TransportLog"]

logger = logging.getLogger("chainbook.p2p")


class TransportLog:
    """Counts and (within the limit) logs connection events; time is passed in."""

    def __init__(self, counters: TransportCounters, limiter: LogLimiter) -> None:
        self._counters = counters
        self._limiter = limiter

    def connected(
        self, peer_id: bytes, address: SocketAddress, direction: Direction, reserved: bool
    ) -> None:
        logger.info(
            "p2p.connected peer=%s address=%s:%d direction=%s reserved=%s",
            short_hex(peer_id),
            *address,
            direction,
            reserved,
            extra=_log_fields(peer_id, address, direction, None),
        )

    def refused(
        self,
        now_s: float,
        reason: CloseReason,
        detail: str,
        peer_id: bytes | None,
        address: SocketAddress,
        direction: Direction,
    ) -> None:
        """A connection refused before it became a peer (handshake or admission)."""
        self._counters.count_refusal(reason)
        held_back = self._admit_line(f"refused.{reason}", now_s)
        if held_back is None:
            return
        logger.log(
            _level(reason),
            "p2p.handshake_failed peer=%s address=%s:%d direction=%s reason=%s detail=%s%s",
            short_hex(peer_id),
            *address,
            direction,
            reason,
            detail,
            _suppressed_note(held_back),
            extra=_log_fields(peer_id, address, direction, reason),
        )

    def disconnected(
        self,
        now_s: float,
        reason: CloseReason,
        detail: str,
        peer_id: bytes,
        address: SocketAddress,
        direction: Direction,
        *,
        was_registered: bool,
    ) -> None:
        """A connection that had passed its handshake ended (``was_registered``: a peer left;
        otherwise a duplicate that lost the race, logged at DEBUG)."""
        self._counters.count_disconnect(reason)
        held_back = self._admit_line(f"disconnected.{reason}", now_s)
        if held_back is None:
            return
        logger.log(
            _level(reason) if was_registered else logging.DEBUG,
            "p2p.disconnected peer=%s address=%s:%d direction=%s reason=%s detail=%s%s",
            short_hex(peer_id),
            *address,
            direction,
            reason,
            detail,
            _suppressed_note(held_back),
            extra=_log_fields(peer_id, address, direction, reason),
        )

    def _admit_line(self, key: str, now_s: float) -> int | None:
        held_back = self._limiter.admit(key, now_s)
        if held_back is None:
            self._counters.log_lines_suppressed += 1
        return held_back


def _level(reason: CloseReason) -> int:
    if reason is CloseReason.DUPLICATE:
        return logging.DEBUG
    return logging.WARNING if reason in PEER_FAULTS else logging.INFO


def _suppressed_note(held_back: int) -> str:
    return f" suppressed={held_back}" if held_back else ""


def _log_fields(
    peer_id: bytes | None,
    address: SocketAddress,
    direction: Direction,
    reason: CloseReason | None,
) -> dict[str, object]:
    """Structured fields for log handlers that emit JSON (prefixed to avoid LogRecord names)."""
    return {
        "p2p_peer": None if peer_id is None else peer_id.hex(),
        "p2p_address": f"{address[0]}:{address[1]}",
        "p2p_direction": direction.value,
        "p2p_reason": None if reason is None else reason.value,
    }
