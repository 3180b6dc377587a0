"""The peer table: who is connected and who may take a slot. No sockets, no asyncio, no clock.

The table holds opaque connection handles (the transport passes its connection objects; tests
pass strings) and answers admission questions; time comes in as an argument (monotonic
seconds). Rules it keeps:

- **Unauthenticated connections** (TCP accepted, TLS or Hello not finished) have a bound of their
  own, ``unauthenticated_connections_max``, separate from the peer bound: unauthenticated
  sockets can never take a peer's slot. A new one that finds the pool full pushes out the
  oldest *silent* one (no byte received yet); if none is silent, the oldest one. A real peer
  sends its TLS ClientHello within one round trip of connecting, so idle sockets, however many
  and however fast reopened, never push out a handshake in progress; and a slow-handshake
  attacker must open ``unauthenticated_connections_max`` connections within one honest handshake
  time to push one out. (Each connection also has a deadline: ``handshake_timeout_ms``, kept by
  the transport.)
- **One registered connection per peer.** If two nodes dial each other, both keep the connection
  dialed by the node with the smaller id, so both sides decide the same way without talking. A
  new connection in the *same* direction as the one held replaces it: the peer has reconnected,
  so the old connection is most likely dead.
- **Admission of an authenticated peer**, in this order: a revoked id is refused; a banned id is
  refused until its ban expires; the duplicate rule; then capacity: an inbound peer that is not
  reserved is refused once ``peers_max`` peers that are not reserved are connected. Reserved
  peers (the validators and configured peers) never count against ``peers_max`` and are never
  refused for capacity; nor are outbound connections (we dial only configured addresses).
- **Bans** last until the time given. At most ``peer_bans_max`` are kept: adding one to a full
  set first forgets expired bans, then the ban that would expire soonest.
- Revoking or banning a connected peer returns its handle: the caller closes it.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from chainbook.p2p.reasons import CloseReason, short_hex

__all__ = ["Direction", "Admitted", "Refused", "Ban", "PeerTable"]

H = TypeVar("H", bound=Hashable)


class Direction(enum.StrEnum):
    INBOUND = "inbound"  # the peer dialed us
    OUTBOUND = "outbound"  # we dialed the peer


@dataclass(frozen=True, slots=True)
class Admitted(Generic[H]):
    replaced: H | None  # a connection to the same peer that this one replaces: close it


@dataclass(frozen=True, slots=True)
class Refused:
    reason: CloseReason
    detail: str


@dataclass(frozen=True, slots=True)
class Ban:
    until_s: float  # monotonic seconds; refused while now_s < until_s
    reason: str


@dataclass(frozen=True, slots=True)
class _Entry(Generic[H]):
    handle: H
    direction: Direction


class PeerTable(Generic[H]):
    """See the module docstring for the rules."""

    def __init__(
        self,
        *,
        local_peer_id: bytes,
        peers_max: int,
        unauthenticated_connections_max: int,
        peer_bans_max: int,
        reserved_peer_ids: Iterable[bytes] = (),
        revoked_peer_ids: Iterable[bytes] = (),
    ) -> None:
        for name, value in (
            ("peers_max", peers_max),
            ("unauthenticated_connections_max", unauthenticated_connections_max),
            ("peer_bans_max", peer_bans_max),
        ):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        self._local_peer_id = local_peer_id
        self._peers_max = peers_max
        self._unauthenticated_max = unauthenticated_connections_max
        self._bans_max = peer_bans_max
        self._reserved = frozenset(reserved_peer_ids)
        self._revoked = frozenset(revoked_peer_ids)
        self._peers: dict[bytes, _Entry[H]] = {}
        # Insertion order is arrival order; the value says whether a byte has arrived.
        self._unauthenticated: dict[H, bool] = {}
        self._bans: dict[bytes, Ban] = {}

    # ------------------------------------------------------------------ unauthenticated

    def open_unauthenticated(self, handle: H) -> H | None:
        """Count a just-accepted connection; return the one to close to make room, if any."""
        assert handle not in self._unauthenticated, "a handle is opened once"
        self._unauthenticated[handle] = False
        if len(self._unauthenticated) <= self._unauthenticated_max:
            return None
        victim = self._oldest_silent(other_than=handle)
        if victim is None:
            victim = next(iter(self._unauthenticated))  # the oldest; never the new one here
        del self._unauthenticated[victim]
        assert victim != handle and len(self._unauthenticated) == self._unauthenticated_max
        return victim

    def mark_unauthenticated_active(self, handle: H) -> None:
        """The connection's first byte arrived: it is no longer evicted before silent ones."""
        if handle in self._unauthenticated:
            self._unauthenticated[handle] = True

    def close_unauthenticated(self, handle: H) -> None:
        """The handshake ended (either way); a handle already evicted is a no-op."""
        self._unauthenticated.pop(handle, None)

    def unauthenticated_count(self) -> int:
        return len(self._unauthenticated)

    def is_unauthenticated_full(self) -> bool:
        return len(self._unauthenticated) >= self._unauthenticated_max

    def silent_unauthenticated(self) -> list[H]:
        """Pending connections not yet seen to send a byte, oldest first (for the caller to
        look at again before a new one pushes the oldest out)."""
        return [handle for handle, active in self._unauthenticated.items() if not active]

    def _oldest_silent(self, *, other_than: H) -> H | None:
        for handle, active in self._unauthenticated.items():
            if not active and handle != other_than:
                return handle
        return None

    # ------------------------------------------------------------------ authenticated

    def refusal_of_identity(self, peer_id: bytes, now_s: float) -> Refused | None:
        """Why ``peer_id`` may not connect at all right now (revoked, banned), or None."""
        if peer_id in self._revoked:
            return Refused(CloseReason.REVOKED, f"node id {short_hex(peer_id)} is revoked")
        ban = self._bans.get(peer_id)
        if ban is not None and now_s < ban.until_s:
            left_s = ban.until_s - now_s
            return Refused(CloseReason.BANNED, f"banned for {left_s:.1f}s more: {ban.reason}")
        return None

    def admit(
        self, peer_id: bytes, direction: Direction, handle: H, now_s: float
    ) -> Admitted[H] | Refused:
        """Register ``handle`` as the connection to ``peer_id``, or say why not."""
        refusal = self.refusal_of_identity(peer_id, now_s)
        if refusal is not None:
            return refusal
        existing = self._peers.get(peer_id)
        if existing is not None:
            if not self._is_preferred(peer_id, direction, over=existing.direction):
                return Refused(CloseReason.DUPLICATE, f"kept the {existing.direction} connection")
            self._peers[peer_id] = _Entry(handle, direction)
            return Admitted(replaced=existing.handle)
        if direction is Direction.INBOUND and not self.is_reserved(peer_id):
            general = self.general_peer_count()
            if general >= self._peers_max:
                return Refused(
                    CloseReason.PEERS_MAX,
                    f"peers_max={self._peers_max} reached ({general} peers not reserved)",
                )
        self._peers[peer_id] = _Entry(handle, direction)
        return Admitted(replaced=None)

    def remove(self, peer_id: bytes, handle: H) -> bool:
        """Forget ``handle``; True if it was the peer's registered connection (a disconnect)."""
        entry = self._peers.get(peer_id)
        if entry is None or entry.handle != handle:
            return False
        del self._peers[peer_id]
        return True

    def handle_of(self, peer_id: bytes) -> H | None:
        entry = self._peers.get(peer_id)
        return None if entry is None else entry.handle

    def peer_ids(self) -> list[bytes]:
        """Connected peers, sorted."""
        return sorted(self._peers)

    def is_connected(self, peer_id: bytes) -> bool:
        return peer_id in self._peers

    def general_peer_count(self) -> int:
        """Connected peers that are not reserved: what ``peers_max`` bounds."""
        return sum(1 for peer_id in self._peers if peer_id not in self._reserved)

    def _is_preferred(self, peer_id: bytes, direction: Direction, *, over: Direction) -> bool:
        """Same direction: the newer wins. Opposite: the one dialed by the smaller id wins."""
        if direction == over:
            return True
        dialer_id = self._local_peer_id if direction is Direction.OUTBOUND else peer_id
        other_dialer_id = peer_id if direction is Direction.OUTBOUND else self._local_peer_id
        return dialer_id < other_dialer_id

    # ------------------------------------------------------------------ policy

    def is_reserved(self, peer_id: bytes) -> bool:
        return peer_id in self._reserved

    def set_reserved(self, peer_ids: Iterable[bytes]) -> None:
        """Replace the reserved set; connected peers stay (the bound applies to new ones)."""
        self._reserved = frozenset(peer_ids)

    def set_revoked(self, peer_ids: Iterable[bytes]) -> list[H]:
        """Replace the revoked set; return the handles of connected peers now revoked."""
        self._revoked = frozenset(peer_ids)
        return [entry.handle for pid, entry in self._peers.items() if pid in self._revoked]

    def ban(self, peer_id: bytes, now_s: float, duration_s: float, reason: str) -> H | None:
        """Refuse ``peer_id`` until ``now_s + duration_s``; return its connection to close."""
        if not duration_s > 0:
            raise ValueError(f"ban duration_s must be > 0, got {duration_s}")
        if peer_id not in self._bans and len(self._bans) >= self._bans_max:
            self._forget_a_ban(now_s)
        self._bans[peer_id] = Ban(until_s=now_s + duration_s, reason=reason)
        assert len(self._bans) <= self._bans_max
        return self.handle_of(peer_id)

    def ban_of(self, peer_id: bytes, now_s: float) -> Ban | None:
        """The ban in force on ``peer_id`` at ``now_s``, if any."""
        ban = self._bans.get(peer_id)
        return ban if ban is not None and now_s < ban.until_s else None

    def ban_count(self) -> int:
        return len(self._bans)

    def _forget_a_ban(self, now_s: float) -> None:
        expired = [pid for pid, ban in self._bans.items() if ban.until_s <= now_s]
        for pid in expired:
            del self._bans[pid]
        if not expired:
            soonest = min(self._bans, key=lambda pid: self._bans[pid].until_s)
            del self._bans[soonest]
