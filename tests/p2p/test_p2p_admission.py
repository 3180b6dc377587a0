"""Admission under attack, with real sockets: idle-socket floods, reserved peers, the pending
pool and its deadline, and the log limit.

The attack these tests replay: anyone who reaches the p2p port opens idle TCP sockets, and
reopens each one as soon as it is closed. Before the fix, pending handshakes counted against
``peers_max``, so ~55 such sockets kept every peer out (a restarted validator stayed at 0
peers), and each refusal wrote a log line (~55,000 lines in 15 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from typing import Any

import pytest

from chainbook.p2p.listener import has_byte_waiting
from tests.p2p.support import (
    HOST,
    LOOP_FACTORIES,
    LOOP_IDS,
    LogLines,
    Network,
    eventually,
    is_closed_by_peer,
    is_same_connection,
    key_for,
    run,
    start_node,
    stop_all,
)


class IdleFlood:
    """``sockets`` idle TCP connections to ``port``, each reopened as soon as it is closed."""

    def __init__(self, port: int, sockets: int) -> None:
        self._port = port
        self._sockets = sockets
        self._tasks: list[asyncio.Task[None]] = []
        self.opened = 0

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._hold()) for _ in range(self._sockets)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _hold(self) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(HOST, self._port)
            except OSError:
                await asyncio.sleep(0.01)
                continue
            self.opened += 1
            try:
                with contextlib.suppress(OSError):
                    await reader.read()  # until the node closes it; we never send a byte
            finally:
                writer.transport.abort()


@pytest.mark.parametrize("loop_factory", LOOP_FACTORIES, ids=LOOP_IDS)
def test_an_idle_socket_flood_cannot_keep_a_reserved_peer_out(
    loop_factory: Callable[[], Any],
) -> None:
    """More idle sockets than every bound (pending pool 16 + peers 2), reopened as fast as
    they are closed: a reserved peer still connects well within the handshake deadline (so
    not by waiting for idle sockets to time out), an unreserved one is refused only for want
    of a general slot, and the log stays small."""
    handshake_timeout_s = 3.0  # the production default: the reserved peer must beat it

    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(
            network,
            "alice",
            peers_max=2,
            handshake_timeout_ms=round(handshake_timeout_s * 1000),
            reserved_peer_ids=frozenset({key_for("validator")}),
        )
        fillers = [
            await start_node(network, f"filler-{i}", peer_addresses=(alice.address,))
            for i in range(2)
        ]
        flood = IdleFlood(alice.transport.listen_port, sockets=55)
        validator = carol = None
        with LogLines.installed() as log:
            try:
                await eventually(lambda: len(alice.peer_ids()) == 2, "general slots taken")
                flood.start()
                await eventually(
                    lambda: alice.refusals("unauthenticated_evicted") >= 100, "flood under way"
                )
                validator = await start_node(network, "validator", peer_addresses=(alice.address,))
                took_s = await eventually(
                    lambda: is_same_connection(alice, validator), "reserved peer connected"
                )
                assert took_s < handshake_timeout_s * 0.8
                # On its first attempt: its handshake was never the one pushed out.
                assert validator.transport.counters.dials_failed == 0
                assert validator.transport.dial_status()[0].failures == 0
                carol = await start_node(network, "carol", peer_addresses=(alice.address,))
                await eventually(lambda: alice.refusals("peers_max") >= 1, "carol refused")
                assert carol.key not in alice.peer_ids()
                assert alice.transport.stats().unauthenticated_connections <= 16
            finally:
                await flood.stop()
                await stop_all(alice, *fillers, *[n for n in (validator, carol) if n])
        evicted = alice.refusals("unauthenticated_evicted")
        assert flood.opened > 100 and evicted > 100
        refusal_lines = log.matching("p2p.handshake_failed")
        assert len(refusal_lines) <= 3 * 10, refusal_lines[-5:]  # 10 per reason per 10 s
        assert alice.transport.counters.log_lines_suppressed >= evicted - 10

    run(scenario, loop_factory)


@pytest.mark.parametrize("loop_factory", LOOP_FACTORIES, ids=LOOP_IDS)
def test_even_a_pending_pool_of_two_keeps_a_handshake_in_progress(
    loop_factory: Callable[[], Any],
) -> None:
    """With two places, an idle socket pushes out the oldest *silent* one: the dialer's
    connection, whose ClientHello is in but whose task may not have run yet, must be seen as
    active at the moment of choosing (the listener peeks), or the next idle socket evicts it."""

    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice", unauthenticated_connections_max=2)
        flood = IdleFlood(alice.transport.listen_port, sockets=55)
        bob = None
        try:
            flood.start()
            await eventually(
                lambda: alice.refusals("unauthenticated_evicted") >= 100, "flood under way"
            )
            bob = await start_node(network, "bob", peer_addresses=(alice.address,))
            await eventually(lambda: is_same_connection(alice, bob), "connected")
            assert bob.transport.counters.dials_failed == 0
        finally:
            await flood.stop()
            await stop_all(alice, *([bob] if bob else []))

    run(scenario, loop_factory)


def test_pending_pool_holds_its_bound_and_cuts_idle_sockets_at_the_deadline() -> None:
    deadline_s = 1.0

    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(
            network,
            "alice",
            unauthenticated_connections_max=2,
            handshake_timeout_ms=round(deadline_s * 1000),
        )
        port = alice.transport.listen_port
        loop = asyncio.get_running_loop()
        opened = []
        try:
            for _ in range(2):  # exactly the bound: both held
                opened.append(await asyncio.open_connection(HOST, port))
            opened_at_s = loop.time()
            await eventually(
                lambda: alice.transport.stats().unauthenticated_connections == 2, "2 pending"
            )
            opened.append(await asyncio.open_connection(HOST, port))  # bound + 1
            first_reader = opened[0][0]
            assert await is_closed_by_peer(first_reader, timeout_s=deadline_s / 2)
            assert alice.refusals("unauthenticated_evicted") == 1
            assert alice.transport.stats().unauthenticated_connections == 2
            for reader, _ in opened[1:]:  # the deadline, not earlier
                assert await is_closed_by_peer(reader)
            cut_after_s = loop.time() - opened_at_s
            assert deadline_s * 0.9 <= cut_after_s <= deadline_s + 1.0
            assert alice.refusals("handshake_timeout") == 2
            await eventually(
                lambda: alice.transport.stats().unauthenticated_connections == 0, "pool empty"
            )
            bob = await start_node(network, "bob", peer_addresses=(alice.address,))
            try:
                await eventually(lambda: is_same_connection(alice, bob), "a real peer gets in")
            finally:
                await bob.transport.stop()
        finally:
            for _, writer in opened:
                writer.transport.abort()
            await alice.transport.stop()

    run(scenario)


def test_refusal_lines_are_limited_per_reason_and_the_next_line_counts_the_held_back() -> None:
    interval_s = 1.0

    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(
            network,
            "alice",
            unauthenticated_connections_max=1,
            refusal_log_lines_max=2,
            refusal_log_interval_ms=round(interval_s * 1000),
        )
        port = alice.transport.listen_port
        opened = []
        with LogLines.installed() as log:
            try:
                for n in range(1, 8):  # 6 evictions
                    opened.append(await asyncio.open_connection(HOST, port))
                    await eventually(
                        lambda n=n: (
                            alice.transport.counters.refusals.get("unauthenticated_evicted", 0)
                            == n - 1
                        ),
                        f"{n - 1} evicted",
                    )
                lines = log.matching("reason=unauthenticated_evicted")
                assert len(lines) == 2 and not any("suppressed" in line for line in lines)
                assert alice.transport.counters.log_lines_suppressed == 4
                await asyncio.sleep(interval_s)  # the window must pass: time is the input here
                opened.append(await asyncio.open_connection(HOST, port))
                await eventually(lambda: alice.refusals("unauthenticated_evicted") == 7, "7th")
                lines = log.matching("reason=unauthenticated_evicted")
                assert len(lines) == 3 and lines[-1].endswith("suppressed=4")
            finally:
                for _, writer in opened:
                    writer.transport.abort()
                await alice.transport.stop()

    run(scenario)


def test_a_reserved_peer_is_admitted_inbound_beyond_peers_max_and_others_are_not() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(
            network, "alice", peers_max=1, reserved_peer_ids=frozenset({key_for("validator")})
        )
        bob = await start_node(network, "bob", peer_addresses=(alice.address,))
        nodes = [alice, bob]
        try:
            await eventually(lambda: is_same_connection(alice, bob), "general slot taken")
            validator = await start_node(network, "validator", peer_addresses=(alice.address,))
            nodes.append(validator)
            await eventually(lambda: is_same_connection(alice, validator), "reserved admitted")
            (info,) = [i for i in alice.transport.connected_peers() if i.peer_id == validator.key]
            assert info.reserved
            carol = await start_node(network, "carol", peer_addresses=(alice.address,))
            nodes.append(carol)
            await eventually(lambda: alice.refusals("peers_max") >= 1, "carol refused")
            assert alice.peer_ids() == {bob.key, validator.key}
            alice.transport.set_reserved({validator.key, carol.key})  # e.g. a new validator
            await eventually(lambda: is_same_connection(alice, carol), "carol on her next dial")
            reserved = {i.peer_id for i in alice.transport.connected_peers() if i.reserved}
            assert reserved == {validator.key, carol.key}
        finally:
            await stop_all(*nodes)

    run(scenario)


def test_peeking_a_pending_socket_consumes_nothing() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.setblocking(False)
        assert not has_byte_waiting(ours)
        theirs.sendall(b"\x16")  # the first byte of a TLS ClientHello
        assert has_byte_waiting(ours) and has_byte_waiting(ours)
        assert ours.recv(8) == b"\x16"  # still there for TLS to read
        assert not has_byte_waiting(ours)
        theirs.close()
        assert has_byte_waiting(ours)  # an ended stream needs no protection either
