"""Who we talk to, with real sockets: network identity, pinned ids, revocation, bans,
disconnect, the peer callbacks and the stats the node's metrics read."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from chainbook import limits
from chainbook.p2p import PeerAddressError
from chainbook.p2p.address import PeerAddress
from chainbook.p2p.transport import (
    PEER_BANS_MAX,
    UNAUTHENTICATED_CONNECTIONS_MAX,
    TransportConfig,
)
from tests.p2p.support import (
    LogLines,
    Network,
    eventually,
    is_closed_by_peer,
    is_same_connection,
    is_settled,
    key_for,
    ping,
    raw_peer_after_hello,
    run,
    start_node,
    stop_all,
)

GENESIS_A = bytes.fromhex("aa" * 32)
GENESIS_B = bytes.fromhex("bb" * 32)


# ----------------------------------------------------------------------------- network id


def test_peers_of_another_network_are_refused_on_both_sides_naming_both_ids() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice", network_id=GENESIS_A)
        other = await start_node(
            network, "other", network_id=GENESIS_B, peer_addresses=(alice.address,)
        )
        with LogLines.installed() as log:
            try:
                await eventually(
                    lambda: (
                        alice.refusals("network_id_mismatch") >= 1
                        and other.refusals("network_id_mismatch") >= 1
                    ),
                    "both sides refuse the Hello",
                )
                assert alice.connected == [] and other.connected == []
            finally:
                await stop_all(alice, other)
        lines = log.matching("reason=network_id_mismatch")
        ours_theirs = {
            "ours=" + "aa" * 8 + "... theirs=" + "bb" * 8 + "...",
            "ours=" + "bb" * 8 + "... theirs=" + "aa" * 8 + "...",
        }
        assert {text for text in ours_theirs if any(text in line for line in lines)} == ours_theirs

    run(scenario)


def test_a_raw_peer_without_a_network_id_is_refused_by_a_node_that_has_one() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice", network_id=GENESIS_A)
        try:
            reader, writer, _ = await raw_peer_after_hello(network, alice, "raw")
            assert await is_closed_by_peer(reader)
            writer.transport.abort()
            assert alice.refusals("network_id_mismatch") == 1
            reader, writer, key = await raw_peer_after_hello(
                network, alice, "raw2", network_id=GENESIS_A
            )
            await eventually(lambda: key in alice.peer_ids(), "the same network is admitted")
            writer.transport.abort()
        finally:
            await alice.transport.stop()

    run(scenario)


# ----------------------------------------------------------------------------- pinned ids


def test_a_dialer_refuses_a_peer_whose_id_differs_from_the_pinned_one() -> None:
    async def scenario() -> None:
        network = Network.create()
        bob = await start_node(network, "bob")
        pinned = f"{key_for('carol').hex()}@127.0.0.1:{bob.transport.listen_port}"
        alice = await start_node(
            network, "alice", peer_addresses=(pinned,), dial_backoff_max_ms=200
        )
        with LogLines.installed() as log:
            try:
                await eventually(
                    lambda: alice.transport.dial_status()[0].failures >= 2,
                    "refused, backed off, refused again",
                )
                assert alice.refusals("peer_id_mismatch") >= 2
                assert alice.connected == [] and bob.connected == []
                assert alice.transport.dial_status()[0].peer_id == key_for("carol")
            finally:
                await stop_all(alice, bob)
        (line, *_) = log.matching("reason=peer_id_mismatch")
        assert key_for("carol").hex() in line and bob.key.hex() in line

    run(scenario)


def test_a_pinned_peer_with_the_right_id_connects_and_is_reserved() -> None:
    async def scenario() -> None:
        network = Network.create()
        bob = await start_node(network, "bob")
        address = PeerAddress("127.0.0.1", bob.transport.listen_port, bob.key)
        alice = await start_node(network, "alice", peers_max=1, peer_addresses=(address,))
        try:
            await eventually(lambda: is_same_connection(alice, bob), "connected")
            (info,) = alice.transport.connected_peers()
            assert info.reserved  # a pinned id is a known peer
        finally:
            await stop_all(alice, bob)

    run(scenario)


# ----------------------------------------------------------------------------- revocation


def test_a_revoked_peer_is_refused_on_accept_and_on_dial() -> None:
    async def scenario() -> None:
        network = Network.create()
        revoked = frozenset({key_for("mallory")})
        mallory = await start_node(network, "mallory")
        dialing_alice = await start_node(
            network, "alice", revoked_node_ids=revoked, peer_addresses=(mallory.address,)
        )
        accepting_alice = await start_node(network, "alice", revoked_node_ids=revoked)
        mallory_dialing = await start_node(
            network, "mallory", peer_addresses=(accepting_alice.address,)
        )
        nodes = [mallory, dialing_alice, accepting_alice, mallory_dialing]
        try:
            for alice in (dialing_alice, accepting_alice):
                await eventually(lambda alice=alice: alice.refusals("revoked") >= 2, "refused")
                assert alice.connected == []
            assert dialing_alice.transport.counters.connections_inbound == 0
            assert accepting_alice.transport.counters.connections_outbound == 0
        finally:
            await stop_all(*nodes)

    run(scenario)


def test_set_revoked_drops_a_connected_peer_and_keeps_it_out_until_lifted() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice")
        bob = await start_node(
            network, "bob", peer_addresses=(alice.address,), dial_backoff_max_ms=200
        )
        try:
            await eventually(lambda: is_same_connection(alice, bob), "connected")
            assert alice.transport.set_revoked({bob.key}) == 1
            await eventually(lambda: alice.disconnected == [bob.key], "bob dropped")
            assert alice.disconnects("revoked") == 1
            await eventually(lambda: alice.refusals("revoked") >= 2, "bob's redials refused")
            assert alice.transport.set_revoked(set()) == 0
            await eventually(lambda: is_same_connection(alice, bob), "back once lifted")
        finally:
            await stop_all(alice, bob)

    run(scenario)


# ----------------------------------------------------------------------------- bans, disconnect


def test_a_ban_closes_the_peer_and_refuses_it_until_the_ban_expires() -> None:
    ban_s = 1.0

    async def scenario() -> None:
        network = Network.create()
        bob_key = key_for("bob")
        alice = await start_node(network, "alice", reserved_peer_ids=frozenset({bob_key}))
        bob = await start_node(
            network, "bob", peer_addresses=(alice.address,), dial_backoff_max_ms=200
        )
        loop = asyncio.get_running_loop()
        try:
            await eventually(lambda: is_same_connection(alice, bob), "connected")
            banned_at_s = loop.time()
            assert alice.transport.ban(bob.key, round(ban_s * 1000), "junk consensus messages")
            await eventually(lambda: alice.disconnected == [bob.key], "bob dropped")
            assert alice.disconnects("banned") == 1
            await eventually(lambda: alice.refusals("banned") >= 2, "redials refused, reserved")
            await eventually(lambda: is_same_connection(alice, bob), "back after the ban")
            assert loop.time() - banned_at_s >= ban_s
            assert alice.connected == [bob.key, bob.key]
            assert not alice.transport.ban(key_for("nobody"), 1_000, "not connected")
            with pytest.raises(ValueError, match="duration_s must be > 0"):
                alice.transport.ban(bob.key, 0, "no")
            with pytest.raises(ValueError, match="32 bytes"):
                alice.transport.ban(b"short", 1_000, "no")
        finally:
            await stop_all(alice, bob)

    run(scenario)


def test_a_dialer_does_not_even_connect_to_a_banned_pinned_peer() -> None:
    async def scenario() -> None:
        network = Network.create()
        bob = await start_node(network, "bob")
        address = PeerAddress("127.0.0.1", bob.transport.listen_port, bob.key)
        alice = await start_node(
            network, "alice", peer_addresses=(address,), dial_backoff_max_ms=100
        )
        try:
            await eventually(lambda: is_same_connection(alice, bob), "connected")
            inbound_before = bob.transport.counters.connections_inbound
            alice.transport.ban(bob.key, 500, "test")
            await eventually(lambda: alice.disconnected == [bob.key], "dropped")
            await eventually(lambda: is_same_connection(alice, bob), "back after the ban")
            # The redials during the ban cost bob nothing: only the one after it reached him.
            assert bob.transport.counters.connections_inbound == inbound_before + 1
            assert bob.refusals("banned") == 0 and alice.refusals("banned") == 0
        finally:
            await stop_all(alice, bob)

    run(scenario)


def test_disconnect_closes_the_peer_which_may_come_back() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice")
        bob = await start_node(network, "bob", peer_addresses=(alice.address,))
        try:
            await eventually(lambda: is_same_connection(alice, bob), "connected")
            assert alice.transport.disconnect(bob.key, "operator asked")
            await eventually(lambda: alice.disconnected == [bob.key], "dropped")
            assert alice.disconnects("disconnected") == 1
            await eventually(lambda: is_same_connection(alice, bob), "bob redials")
            assert alice.connected == [bob.key, bob.key]
            assert bob.disconnected == [alice.key]
            assert not alice.transport.disconnect(key_for("nobody"), "not connected")
        finally:
            await stop_all(alice, bob)

    run(scenario)


# ----------------------------------------------------------------------------- callbacks, stats


def test_callbacks_fire_once_per_peer_even_when_both_sides_dial() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice")
        bob = await start_node(network, "bob", peer_addresses=(alice.address,))
        alice2 = None
        try:
            await eventually(lambda: is_same_connection(alice, bob), "connected")
            await alice.transport.stop()
            await eventually(lambda: bob.disconnected == [alice.key], "bob saw alice leave")
            assert bob.connected == [alice.key]
            alice2 = await start_node(
                network,
                "alice",
                listen_port=alice.transport.listen_port,
                peer_addresses=(bob.address,),
            )
            await eventually(lambda: is_settled([alice2, bob]), "both dial: one survives")
            assert alice2.connected == [bob.key] and alice2.disconnected == []
            assert bob.connected == [alice.key, alice.key]
        finally:
            await stop_all(bob, *([alice2] if alice2 else []))

    run(scenario)


def test_stats_count_frames_and_bytes_in_total_and_per_peer_and_refusals_by_reason() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice")
        bob = await start_node(network, "bob", peer_addresses=(alice.address,))
        try:
            await eventually(lambda: is_same_connection(alice, bob), "connected")
            for payload in (b"one", b"three", b"seventeen bytes!!"):
                await ping(bob, alice, payload)
            stats = alice.transport.stats()
            assert (stats.frames_in, stats.bytes_in) == (3, 3 + 5 + 17)
            (info,) = stats.peers
            assert (info.peer_id, info.frames_in, info.bytes_in) == (bob.key, 3, 25)
            await eventually(lambda: bob.transport.stats().frames_out == 3, "bob's count")
            assert bob.transport.stats().bytes_out == 25
            reader, writer, _ = await raw_peer_after_hello(network, alice, "x", chain_id="wrong")
            assert await is_closed_by_peer(reader)
            writer.transport.abort()
            assert alice.transport.stats().refusals == {"chain_id_mismatch": 1}
        finally:
            await stop_all(alice, bob)

    run(scenario)


# ----------------------------------------------------------------------------- config


def test_config_names_what_is_wrong() -> None:
    network = Network.create()
    cases = {
        "network_id must be at most 64 bytes, got 65": {"network_id": b"x" * 65},
        "reserved_peer_ids: each node id must be 32 bytes": {"reserved_peer_ids": {b"x"}},
        "revoked_node_ids: each node id must be 32 bytes": {"revoked_node_ids": {b"x"}},
        "unauthenticated_connections_max must be at least 1": {
            "unauthenticated_connections_max": 0
        },
        "peer_bans_max must be at least 1": {"peer_bans_max": 0},
        "need 0 < ping_interval_ms < ping_timeout_ms": {
            "ping_interval_ms": 2000,
            "ping_timeout_ms": 2000,
        },
        "handshake_timeout_ms must be > 0": {"handshake_timeout_ms": 0},
        "dial_backoff": {"dial_backoff_initial_ms": 3000, "dial_backoff_max_ms": 2000},
    }
    for message, overrides in cases.items():
        with pytest.raises(ValueError, match=message):
            network.config("alice", **overrides)
    with pytest.raises(PeerAddressError, match="port 0 is outside"):
        network.config("alice", peer_addresses=("127.0.0.1:0",))
    config = network.config(
        "alice",
        peer_addresses=("127.0.0.1:1", ("127.0.0.1", 1), PeerAddress("h", 2)),
        reserved_peer_ids={key_for("bob")},  # a set is taken as a frozenset
    )
    assert config.dial_addresses == (PeerAddress("127.0.0.1", 1), PeerAddress("h", 2))
    assert config.reserved_peer_ids == frozenset({key_for("bob")})


def test_transport_defaults_match_the_node_limits() -> None:
    """p2p does not import chainbook.limits; this keeps the two in step."""
    assert limits.unauthenticated_connections_max == UNAUTHENTICATED_CONNECTIONS_MAX
    assert limits.peer_bans_max == PEER_BANS_MAX
    config = Network.create().config("alice")
    assert config.refusal_log_lines_max == limits.refusal_log_lines_max
    defaults = {f.name: f.default for f in dataclasses.fields(TransportConfig)}
    assert defaults["handshake_timeout_ms"] == 3_000
    assert defaults["dial_backoff_max_ms"] <= 2_000  # a healed partition reconnects quickly
