"""Liveness with real sockets: ping and pong, silent peers, and a partition that heals.

Before ping/pong, a connection whose packets were dropped (a partition) looked alive until TCP
gave up on it: after a 2|2 partition healed, commits resumed only 20-30 s later.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from chainbook.p2p.connection import CONTROL_BYTES_MAX, Ping, Pong
from chainbook.p2p.frames import encode_control_frame, encode_frame, read_frame_or_control
from tests.p2p.support import (
    CONDITION_TIMEOUT_S,
    FRAME_BYTES_MAX,
    LOOP_FACTORIES,
    LOOP_IDS,
    Network,
    Proxy,
    eventually,
    is_closed_by_peer,
    is_same_connection,
    ping,
    raw_peer_after_hello,
    run,
    start_node,
    stop_all,
)

PING_INTERVAL_S = 0.2
PING_TIMEOUT_S = 1.0
LIVENESS = {
    "ping_interval_ms": round(PING_INTERVAL_S * 1000),
    "ping_timeout_ms": round(PING_TIMEOUT_S * 1000),
}


@pytest.mark.parametrize("loop_factory", LOOP_FACTORIES, ids=LOOP_IDS)
def test_a_peer_that_goes_silent_is_dropped_after_the_ping_timeout_not_before(
    loop_factory: Callable[[], Any],
) -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice", **LIVENESS)
        loop = asyncio.get_running_loop()
        try:
            # Completes the handshake, then neither reads nor writes. Its last byte leaves after
            # this instant, so alice may not drop it sooner than PING_TIMEOUT_S after it.
            silent_since_s = loop.time()
            _, writer, raw_key = await raw_peer_after_hello(network, alice, "silent")
            await eventually(lambda: raw_key in alice.peer_ids(), "silent peer registered")
            await eventually(lambda: raw_key in alice.disconnected, "silent peer dropped")
            dropped_after_s = loop.time() - silent_since_s
            assert PING_TIMEOUT_S <= dropped_after_s <= PING_TIMEOUT_S + PING_INTERVAL_S + 0.5
            assert alice.disconnects("ping_timeout") == 1
            writer.transport.abort()
        finally:
            await alice.transport.stop()

    run(scenario, loop_factory)


def test_idle_peers_stay_connected_and_pings_never_reach_the_node() -> None:
    async def scenario() -> None:
        network = Network.create()
        fast = {"ping_interval_ms": 50, "ping_timeout_ms": 250}
        alice = await start_node(network, "alice", **fast)
        bob = await start_node(network, "bob", peer_addresses=(alice.address,), **fast)
        try:
            await eventually(lambda: is_same_connection(alice, bob), "connected")
            # 20 pongs each way: 1 s of idleness, four ping timeouts over.
            await eventually(
                lambda: min(n.transport.counters.control_frames_in for n in (alice, bob)) >= 40,
                "pings and pongs exchanged",
            )
            assert is_same_connection(alice, bob)
            assert alice.connected == [bob.key] and alice.disconnected == []
            assert alice.messages == [] and bob.messages == []  # the node sees none of it
            stats = alice.transport.stats()
            assert stats.frames_in == 0 and stats.control_frames_out >= 20
            (info,) = stats.peers
            assert info.rtt_s is not None and 0 <= info.rtt_s < 0.25
        finally:
            await stop_all(alice, bob)

    run(scenario)


def test_ping_and_pong_on_the_wire_echo_the_nonce() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice", **LIVENESS)
        try:
            reader, writer, _ = await raw_peer_after_hello(network, alice, "raw")
            writer.write(encode_control_frame(msgspec.msgpack.encode(Ping(7)), CONTROL_BYTES_MAX))
            await writer.drain()
            decode = msgspec.msgpack.Decoder(Ping | Pong).decode
            seen: list[Ping | Pong] = []
            async with asyncio.timeout(CONDITION_TIMEOUT_S):
                while Pong(7) not in seen:
                    frame = await read_frame_or_control(reader, FRAME_BYTES_MAX, CONTROL_BYTES_MAX)
                    assert frame is not None and frame.is_control
                    seen.append(decode(frame.payload))
                while not any(isinstance(m, Ping) for m in seen):  # alice pings us too
                    frame = await read_frame_or_control(reader, FRAME_BYTES_MAX, CONTROL_BYTES_MAX)
                    assert frame is not None
                    seen.append(decode(frame.payload))
            alice_ping = next(m for m in seen if isinstance(m, Ping))
            reply = msgspec.msgpack.encode(Pong(alice_ping.nonce))
            writer.write(encode_control_frame(reply, CONTROL_BYTES_MAX))
            await writer.drain()
            await eventually(
                lambda: alice.transport.connected_peers()[0].rtt_s is not None, "rtt measured"
            )
            writer.transport.abort()
        finally:
            await alice.transport.stop()

    run(scenario)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (encode_control_frame(b"\xc1", CONTROL_BYTES_MAX), "control_frame_invalid"),
        (encode_control_frame(b"\x92\xa4ping\xff", CONTROL_BYTES_MAX), "control_frame_invalid"),
        (b"\x00\x00\x00\x00" + (CONTROL_BYTES_MAX + 1).to_bytes(4, "big"), "oversize_frame"),
        (b"\x00\x00\x00\x00" * 2, "empty_frame"),
    ],
    ids=["not-msgpack", "bad-nonce", "oversize", "empty"],
)
def test_a_bad_control_frame_disconnects_the_peer(frame: bytes, reason: str) -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice")
        try:
            reader, writer, raw_key = await raw_peer_after_hello(network, alice, "raw")
            await eventually(lambda: raw_key in alice.peer_ids(), "raw peer registered")
            writer.write(frame)
            await writer.drain()
            assert await is_closed_by_peer(reader)
            writer.transport.abort()
            await eventually(lambda: alice.disconnects(reason) == 1, f"closed for {reason}")
            assert alice.messages == []
        finally:
            await alice.transport.stop()

    run(scenario)


def test_a_peer_slowly_sending_a_big_frame_is_not_taken_for_silent() -> None:
    """Bytes count as life, not only whole frames: a frame that takes longer than the ping
    timeout to arrive (a slow link) keeps its connection, as long as bytes keep coming."""
    chunk_bytes = 256 * 1024  # READ_CHUNK_BYTES: progress is seen once per chunk
    chunks = 5
    chunk_interval_s = 0.4  # 2 s for the frame, twice the ping timeout

    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice", frame_bytes_max=chunks * chunk_bytes, **LIVENESS)
        try:
            _, writer, raw_key = await raw_peer_after_hello(network, alice, "slow")
            payload = b"b" * (chunks * chunk_bytes)
            frame = encode_frame(payload, len(payload))
            writer.write(frame[: 4 + chunk_bytes // 2])
            for n in range(chunks):
                await asyncio.sleep(chunk_interval_s)  # the pace of the slow link under test
                writer.write(frame[4 + chunk_bytes // 2 + n * chunk_bytes :][:chunk_bytes])
                await writer.drain()
            await eventually(lambda: alice.received(payload) == [raw_key], "big frame delivered")
            assert alice.disconnects("ping_timeout") == 0
            writer.transport.abort()
        finally:
            await alice.transport.stop()

    run(scenario)


@pytest.mark.parametrize("loop_factory", LOOP_FACTORIES, ids=LOOP_IDS)
def test_a_cut_is_detected_during_the_partition_and_healed_within_seconds(
    loop_factory: Callable[[], Any],
) -> None:
    """bob dials alice through a proxy. The proxy drops everything and closes nothing (a
    partition): both sides must notice on their own; once it heals, bob redials at once."""
    backoff_max_s = 0.5

    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice", **LIVENESS)
        proxy = Proxy(alice.transport.listen_port)
        await proxy.start()
        bob = await start_node(
            network,
            "bob",
            peer_addresses=(proxy.address,),
            dial_backoff_max_ms=round(backoff_max_s * 1000),
            **LIVENESS,
        )
        try:
            await eventually(
                lambda: bob.key in alice.peer_ids() and alice.key in bob.peer_ids(),
                "connected through the proxy",
            )
            await ping(bob, alice, b"before the cut")
            await proxy.cut()
            detect_s = await eventually(
                lambda: alice.disconnected == [bob.key] and bob.disconnected == [alice.key],
                "both sides notice the cut",
            )
            assert detect_s <= PING_TIMEOUT_S + PING_INTERVAL_S + 0.5
            assert alice.disconnects("ping_timeout") == bob.disconnects("ping_timeout") == 1
            failed = bob.transport.counters.dials_failed
            await eventually(
                lambda: bob.transport.counters.dials_failed >= failed + 2, "redials fail while cut"
            )
            await proxy.restore()
            heal_s = await eventually(
                lambda: bob.key in alice.peer_ids() and alice.key in bob.peer_ids(), "reconnected"
            )
            assert heal_s <= backoff_max_s + 1.0
            await ping(bob, alice, b"after the heal")
        finally:
            await stop_all(alice, bob)
            await proxy.close()

    run(scenario, loop_factory)


def test_a_ping_flood_gets_a_bounded_number_of_pongs() -> None:
    """Pongs wait in a queue of CONTROL_QUEUE_MAX: a peer that sends pings faster than the
    writer runs gets the extra ones unanswered instead of growing our memory."""
    pings = 1000

    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice", **LIVENESS)
        try:
            reader, writer, raw_key = await raw_peer_after_hello(network, alice, "pinger")
            burst = b"".join(
                encode_control_frame(msgspec.msgpack.encode(Ping(n)), CONTROL_BYTES_MAX)
                for n in range(pings)
            )
            writer.write(burst)
            await writer.drain()
            await eventually(
                lambda: alice.transport.counters.control_frames_in >= pings, "all pings read"
            )
            assert raw_key in alice.peer_ids()  # a ping flood is not a fault, only wasteful
            decode = msgspec.msgpack.Decoder(Ping | Pong).decode
            pongs = 0
            writer.write(encode_frame(b"marker", FRAME_BYTES_MAX))  # ask for nothing more
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):  # read what was queued for us
                    while frame := await read_frame_or_control(
                        reader, FRAME_BYTES_MAX, CONTROL_BYTES_MAX
                    ):
                        pongs += isinstance(decode(frame.payload), Pong)
            assert 1 <= pongs <= pings // 10
            writer.transport.abort()
        finally:
            await alice.transport.stop()

    run(scenario)
