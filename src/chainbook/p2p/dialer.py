"""Outbound connections: one dialer per configured peer address, reconnecting with capped backoff.

Rules it keeps:

- A dialer keeps one connection to its address until the transport stops. After a failed
  attempt, or after a connection ends, it waits (``Backoff``): ``dial_backoff_initial_ms``,
  doubling up to ``dial_backoff_max_ms``. The backoff resets only after a connection that lasted
  ``dial_backoff_max_ms``, so a peer that accepts and drops us at once is not redialed in a tight
  loop; and a peer lost after a long connection (a healed partition, a restart) is redialed
  within ``dial_backoff_initial_ms``, then at most every ``dial_backoff_max_ms``.
- An address that turns out to be our own (``self_connection``) is never dialed again. Every
  other refusal (pinned id mismatch, revoked, banned, any Hello mismatch) is logged by the
  transport, closed, and retried after the backoff: the right peer may come back at that address,
  a ban expires, a revocation may be lifted.
- TCP connect plus TLS run under ``handshake_timeout_ms``; the Hello exchange that follows is the
  transport's (it holds the rest of the same deadline).
"""

from __future__ import annotations

import asyncio
import enum
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chainbook.p2p.address import PeerAddress
from chainbook.p2p.reasons import CloseReason

__all__ = ["Backoff", "DialState", "DialStatus", "DialResult", "Dialer", "open_tls"]


class Backoff:
    """Capped exponential backoff (pure): ``next_s`` returns the wait, then doubles it."""

    def __init__(self, initial_s: float, max_s: float) -> None:
        if not 0 < initial_s <= max_s:
            raise ValueError(
                f"need 0 < initial_s <= max_s, got {initial_s}, {max_s}"
            )
        self._initial_s = initial_s
        self._max_s = max_s
        self._next_s = initial_s

    @property
    def max_s(self) -> float:
        return self._max_s

    def next_s(self) -> float:
        wait_s = self._next_s
        self._next_s = min(2 * self._next_s, self._max_s)
        return wait_s

    def reset(self) -> None:
        self._next_s = self._initial_s


class DialState(enum.StrEnum):
    DIALING = "dialing"  # connecting, TLS, or Hello in progress
    BACKOFF = "backoff"  # the last attempt failed or the connection ended; waiting
    CONNECTED = "connected"  # the peer at this address is connected (over either direction)
    SELF = "self"  # the address is our own; never dialed again


@dataclass(frozen=True, slots=True)
class DialStatus:
    address: PeerAddress
    state: DialState
    peer_id: bytes | None  # pinned, or learned from the last successful handshake
    failures: int  # consecutive failed attempts


@dataclass(frozen=True, slots=True)
class DialResult:
    """How one attempt ended: refused (``refusal``), unreachable (neither), or served."""

    refusal: CloseReason | None = None
    connected_s: float | None = None  # how long the peer stayed connected, if it was


Attempt = Callable[["Dialer"], Awaitable[DialResult]]


class Dialer:
    """Dials one address forever (``run``); ``attempt`` is the transport's single try."""

    def __init__(self, address: PeerAddress, backoff: Backoff, attempt: Attempt) -> None:
        self.address = address
        self.state = DialState.DIALING
        self.peer_id: bytes | None = address.node_id
        self.failures = 0
        self._backoff = backoff
        self._attempt = attempt

    def status(self) -> DialStatus:
        return DialStatus(self.address, self.state, self.peer_id, self.failures)

    def mark_connected(self, peer_id: bytes) -> None:
        self.state = DialState.CONNECTED
        self.peer_id = peer_id
        self.failures = 0

    async def run(self) -> None:
        """Until cancelled, or until the address turns out to be our own."""
        while True:
            self.state = DialState.DIALING
            result = await self._attempt(self)
            if result.refusal is CloseReason.SELF_CONNECTION:
                self.state = DialState.SELF
                return
            if result.connected_s is not None:
                if result.connected_s >= self._backoff.max_s:
                    self._backoff.reset()
            else:
                self.failures += 1
            self.state = DialState.BACKOFF
            await asyncio.sleep(self._backoff.next_s())


async def open_tls(
    address: PeerAddress,
    context: ssl.SSLContext,
    timeout_s: float,
    close_timeout_s: float,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """TCP connect and TLS handshake within ``timeout_s``; raises OSError or TimeoutError."""
    async with asyncio.timeout(timeout_s):
        return await asyncio.open_connection(
            address.host,
            address.port,
            ssl=context,
            ssl_handshake_timeout=timeout_s,
            ssl_shutdown_timeout=close_timeout_s,
        )
