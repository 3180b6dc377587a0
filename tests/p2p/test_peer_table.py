"""The peer table on its own: no sockets, no event loop, time passed in. Each rule at its edge."""

from __future__ import annotations

from typing import Any

import pytest

from chainbook.p2p.peer_table import Admitted, Direction, PeerTable, Refused
from chainbook.p2p.reasons import CloseReason

LOCAL = bytes([0x80]) * 32
SMALLER = bytes([0x10]) * 32  # a peer whose id sorts before ours
LARGER = bytes([0xF0]) * 32  # a peer whose id sorts after ours
IN, OUT = Direction.INBOUND, Direction.OUTBOUND


def peer(n: int) -> bytes:
    return bytes([n]) * 32


def table(**overrides: Any) -> PeerTable[str]:
    settings: dict[str, Any] = {
        "local_peer_id": LOCAL,
        "peers_max": 3,
        "unauthenticated_connections_max": 3,
        "peer_bans_max": 3,
    }
    settings.update(overrides)
    return PeerTable(**settings)


def admitted(decision: Admitted[str] | Refused) -> Admitted[str]:
    assert isinstance(decision, Admitted), decision
    return decision


def refused(decision: Admitted[str] | Refused, reason: CloseReason) -> Refused:
    assert isinstance(decision, Refused), decision
    assert decision.reason is reason, decision
    return decision


# ----------------------------------------------------------------------------- unauthenticated


def test_unauthenticated_pool_holds_exactly_its_bound_then_pushes_out_the_oldest_silent() -> None:
    pool = table(unauthenticated_connections_max=3)
    assert [pool.open_unauthenticated(h) for h in ("a", "b", "c")] == [None, None, None]
    assert pool.unauthenticated_count() == 3
    assert pool.open_unauthenticated("d") == "a"  # bound + 1: the oldest goes
    assert pool.unauthenticated_count() == 3
    assert pool.open_unauthenticated("e") == "b"


def test_a_handshake_in_progress_outlives_any_number_of_silent_sockets() -> None:
    pool = table(unauthenticated_connections_max=3)
    pool.open_unauthenticated("honest")
    pool.mark_unauthenticated_active("honest")  # its ClientHello arrived
    victims = [pool.open_unauthenticated(f"idle-{i}") for i in range(1000)]
    assert "honest" not in victims
    assert victims[:2] == [None, None]
    assert victims[2:5] == ["idle-0", "idle-1", "idle-2"]
    pool.close_unauthenticated("honest")  # handshake done
    assert pool.unauthenticated_count() == 2


def test_when_every_pending_connection_is_active_the_oldest_goes() -> None:
    """A slow-handshake attacker cannot freeze the pool: newcomers push out the oldest."""
    pool = table(unauthenticated_connections_max=2)
    for handle in ("slow-1", "slow-2"):
        pool.open_unauthenticated(handle)
        pool.mark_unauthenticated_active(handle)
    assert pool.open_unauthenticated("new") == "slow-1"
    pool.mark_unauthenticated_active("new")
    assert pool.open_unauthenticated("newer") == "slow-2"


def test_closing_an_evicted_or_unknown_handle_is_a_no_op() -> None:
    pool = table(unauthenticated_connections_max=1)
    pool.open_unauthenticated("a")
    assert pool.open_unauthenticated("b") == "a"
    pool.close_unauthenticated("a")  # the evicted task's own cleanup
    pool.mark_unauthenticated_active("a")
    assert pool.unauthenticated_count() == 1
    pool.close_unauthenticated("b")
    assert pool.unauthenticated_count() == 0


def test_unauthenticated_connections_never_take_peer_slots() -> None:
    t = table(peers_max=1, unauthenticated_connections_max=1)
    t.open_unauthenticated("pending")
    admitted(t.admit(peer(1), IN, "c1", now_s=0))
    assert t.general_peer_count() == 1 and t.unauthenticated_count() == 1


# ----------------------------------------------------------------------------- capacity


def test_inbound_peers_beyond_peers_max_are_refused_at_the_edge() -> None:
    t = table(peers_max=3)
    for n in range(3):
        admitted(t.admit(peer(n), IN, f"c{n}", now_s=0))
    refusal = refused(t.admit(peer(3), IN, "c3", now_s=0), CloseReason.PEERS_MAX)
    assert "peers_max=3" in refusal.detail
    assert t.remove(peer(0), "c0")
    admitted(t.admit(peer(3), IN, "c3", now_s=0))  # a freed slot is usable again


def test_reserved_peers_get_in_beyond_peers_max_and_do_not_use_general_slots() -> None:
    reserved = [peer(100 + n) for n in range(5)]
    t = table(peers_max=2, reserved_peer_ids=reserved)
    for n in range(2):
        admitted(t.admit(peer(n), IN, f"c{n}", now_s=0))
    refused(t.admit(peer(2), IN, "c2", now_s=0), CloseReason.PEERS_MAX)
    for n, peer_id in enumerate(reserved):
        admitted(t.admit(peer_id, IN, f"r{n}", now_s=0))
    assert t.general_peer_count() == 2
    assert len(t.peer_ids()) == 7


def test_reserved_peers_connected_first_leave_every_general_slot_free() -> None:
    t = table(peers_max=1, reserved_peer_ids=[peer(100)])
    admitted(t.admit(peer(100), IN, "r", now_s=0))
    admitted(t.admit(peer(1), IN, "c1", now_s=0))
    refused(t.admit(peer(2), IN, "c2", now_s=0), CloseReason.PEERS_MAX)


def test_outbound_connections_are_never_refused_for_capacity() -> None:
    t = table(peers_max=1)
    admitted(t.admit(peer(1), IN, "c1", now_s=0))
    admitted(t.admit(peer(2), OUT, "c2", now_s=0))  # we chose to dial it


def test_set_reserved_applies_to_new_admissions() -> None:
    t = table(peers_max=1)
    admitted(t.admit(peer(1), IN, "c1", now_s=0))
    refused(t.admit(peer(2), IN, "c2", now_s=0), CloseReason.PEERS_MAX)
    t.set_reserved([peer(2)])
    admitted(t.admit(peer(2), IN, "c2", now_s=0))
    assert t.is_reserved(peer(2)) and not t.is_reserved(peer(1))


# ----------------------------------------------------------------------------- duplicates


def test_opposite_directions_keep_the_connection_dialed_by_the_smaller_id() -> None:
    t = table()
    admitted(t.admit(SMALLER, IN, "their-dial", now_s=0))  # they (smaller) dialed us
    refused(t.admit(SMALLER, OUT, "our-dial", now_s=0), CloseReason.DUPLICATE)
    assert t.handle_of(SMALLER) == "their-dial"

    t = table()
    admitted(t.admit(LARGER, IN, "their-dial", now_s=0))  # we are smaller: ours wins
    assert admitted(t.admit(LARGER, OUT, "our-dial", now_s=0)).replaced == "their-dial"
    assert t.handle_of(LARGER) == "our-dial"


def test_same_direction_the_newer_connection_replaces_the_older() -> None:
    t = table(peers_max=1)
    admitted(t.admit(peer(1), IN, "old", now_s=0))
    # A full table does not stop a reconnecting peer from replacing its own connection.
    assert admitted(t.admit(peer(1), IN, "new", now_s=0)).replaced == "old"
    assert not t.remove(peer(1), "old")  # the replaced one leaving is not a disconnect
    assert t.is_connected(peer(1))
    assert t.remove(peer(1), "new")
    assert not t.is_connected(peer(1))


# ----------------------------------------------------------------------------- revocation, bans


def test_revoked_ids_are_refused_and_connected_ones_are_returned_for_closing() -> None:
    t = table(revoked_peer_ids=[peer(9)], reserved_peer_ids=[peer(9)])
    refused(t.admit(peer(9), OUT, "c9", now_s=0), CloseReason.REVOKED)  # reserved or not
    admitted(t.admit(peer(1), IN, "c1", now_s=0))
    admitted(t.admit(peer(2), IN, "c2", now_s=0))
    assert t.set_revoked([peer(2), peer(3)]) == ["c2"]
    refused(t.admit(peer(3), IN, "c3", now_s=0), CloseReason.REVOKED)
    assert t.refusal_of_identity(peer(9), now_s=0) is None  # lifted by the new set


def test_a_ban_refuses_until_it_expires_exactly() -> None:
    t = table(reserved_peer_ids=[peer(1)])
    admitted(t.admit(peer(1), IN, "c1", now_s=0))
    assert t.ban(peer(1), now_s=10.0, duration_s=5.0, reason="junk votes") == "c1"
    refusal = t.refusal_of_identity(peer(1), now_s=14.999)
    assert refusal is not None and refusal.reason is CloseReason.BANNED
    assert "junk votes" in refusal.detail
    t.remove(peer(1), "c1")
    refused(t.admit(peer(1), IN, "c1b", now_s=14.999), CloseReason.BANNED)  # reserved or not
    admitted(t.admit(peer(1), IN, "c1b", now_s=15.0))
    assert t.ban_of(peer(1), now_s=15.0) is None


def test_banning_a_peer_not_connected_returns_nothing_and_rebanning_replaces_the_expiry() -> None:
    t = table()
    assert t.ban(peer(1), now_s=0, duration_s=100, reason="first") is None
    t.ban(peer(1), now_s=0, duration_s=1, reason="second")
    ban = t.ban_of(peer(1), now_s=0)
    assert ban is not None and ban.until_s == 1 and ban.reason == "second"
    assert t.ban_count() == 1


def test_bans_are_bounded_forgetting_expired_ones_first_then_the_soonest_to_expire() -> None:
    t = table(peer_bans_max=3)
    t.ban(peer(1), now_s=0, duration_s=10, reason="")
    t.ban(peer(2), now_s=0, duration_s=1, reason="")  # expires at 1
    t.ban(peer(3), now_s=0, duration_s=30, reason="")
    assert t.ban_count() == 3
    t.ban(peer(4), now_s=2, duration_s=30, reason="")  # peer 2's ban expired: it goes
    assert t.ban_count() == 3
    assert t.ban_of(peer(1), now_s=2) is not None
    t.ban(peer(5), now_s=2, duration_s=30, reason="")  # none expired: the soonest (peer 1) goes
    assert t.ban_count() == 3
    assert t.ban_of(peer(1), now_s=2) is None
    assert all(t.ban_of(peer(n), now_s=2) is not None for n in (3, 4, 5))


def test_nonsense_bounds_and_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="peers_max must be at least 1, got 0"):
        table(peers_max=0)
    with pytest.raises(ValueError, match="unauthenticated_connections_max"):
        table(unauthenticated_connections_max=0)
    with pytest.raises(ValueError, match="peer_bans_max"):
        table(peer_bans_max=0)
    with pytest.raises(ValueError, match="duration_s must be > 0, got 0"):
        table().ban(peer(1), now_s=0, duration_s=0, reason="")
