"""Transport over real mutual TLS on 127.0.0.1: mesh, admission, limits, Hello, reconnection.

Every wait is bounded: a scenario runs under ``SCENARIO_TIMEOUT_S`` and each condition is
awaited with ``eventually`` (which polls a predicate under its own timeout).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import ssl
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any

import msgspec
import pytest
import uvloop

from chainbook.p2p import tls
from chainbook.p2p.frames import encode_frame, encode_frame_header, read_frame
from chainbook.p2p.transport import (
    HELLO_BYTES_MAX,
    PROTOCOL_VERSION,
    CloseReason,
    DialState,
    Direction,
    Hello,
    PeerMisbehaved,
    Transport,
    TransportConfig,
)

CHAIN_ID = "chainbook-test"
HOST = "127.0.0.1"
FRAME_BYTES_MAX = 1024
PEERS_MAX = 8
PEER_SEND_QUEUE_MAX = 64
SCENARIO_TIMEOUT_S = 15.0
CONDITION_TIMEOUT_S = 5.0
POLL_INTERVAL_S = 0.01


# ----------------------------------------------------------------------------- helpers


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``scenario`` under a hard timeout, then check it left no task behind."""

    async def bounded() -> None:
        await asyncio.wait_for(scenario(), SCENARIO_TIMEOUT_S)
        leftovers = asyncio.all_tasks() - {asyncio.current_task()}
        assert not leftovers, f"leaked tasks: {leftovers}"

    asyncio.run(bounded())


async def eventually(predicate: Callable[[], bool], what: str) -> None:
    """Wait until ``predicate()`` holds, at most CONDITION_TIMEOUT_S."""
    try:
        async with asyncio.timeout(CONDITION_TIMEOUT_S):
            while not predicate():
                await asyncio.sleep(POLL_INTERVAL_S)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for: {what}") from None


def seed_for(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Network:
    """A CA and the certificates it issues."""

    ca_key_pem: bytes
    ca_cert_pem: bytes

    @classmethod
    def create(cls, name: str = "test network") -> Network:
        return cls(*tls.create_network_ca(name))

    def certificate(self, seed: bytes, name: str) -> bytes:
        return tls.issue_node_certificate(
            self.ca_key_pem,
            self.ca_cert_pem,
            node_public_key=tls.public_key_of_seed(seed),
            common_name=name,
        )

    def config(self, name: str, **overrides: Any) -> TransportConfig:
        seed = seed_for(name)
        base = TransportConfig(
            node_seed=seed,
            ca_cert_pem=self.ca_cert_pem,
            node_cert_pem=self.certificate(seed, name),
            chain_id=CHAIN_ID,
            frame_bytes_max=FRAME_BYTES_MAX,
            peers_max=PEERS_MAX,
            peer_send_queue_max=PEER_SEND_QUEUE_MAX,
            listen_host=HOST,
            handshake_timeout_s=2.0,
            close_timeout_s=0.5,
        )
        return replace(base, **overrides)


@dataclass
class Node:
    """A Transport plus what its callbacks saw."""

    name: str
    config: TransportConfig
    transport: Transport = field(init=False)
    messages: list[tuple[bytes, bytes]] = field(default_factory=list)
    connected: list[bytes] = field(default_factory=list)
    disconnected: list[bytes] = field(default_factory=list)
    on_message_hook: Callable[[bytes, bytes], None] | None = None

    def __post_init__(self) -> None:
        self.transport = Transport(
            self.config,
            on_message=self._on_message,
            on_peer_connected=self.connected.append,
            on_peer_disconnected=self.disconnected.append,
        )

    def _on_message(self, peer_id: bytes, payload: bytes) -> None:
        self.messages.append((peer_id, payload))
        if self.on_message_hook is not None:
            self.on_message_hook(peer_id, payload)

    @property
    def key(self) -> bytes:
        return self.transport.public_key

    @property
    def address(self) -> tuple[str, int]:
        return (HOST, self.transport.listen_port)

    def peer_ids(self) -> set[bytes]:
        return {info.peer_id for info in self.transport.connected_peers()}

    def received(self, payload: bytes) -> list[bytes]:
        """Senders of every message equal to ``payload``."""
        return [sender for sender, message in self.messages if message == payload]


async def start_node(network: Network, name: str, **overrides: Any) -> Node:
    node = Node(name, network.config(name, **overrides))
    await node.transport.start()
    return node


def is_same_connection(a: Node, b: Node) -> bool:
    """Both ends see the same single socket: the duplicate race is settled on both sides."""
    info_a = {info.peer_id: info for info in a.transport.connected_peers()}.get(b.key)
    info_b = {info.peer_id: info for info in b.transport.connected_peers()}.get(a.key)
    if info_a is None or info_b is None:
        return False
    return info_a.local_address == info_b.address and info_b.local_address == info_a.address


def is_full_mesh(nodes: list[Node]) -> bool:
    return all(is_same_connection(a, b) for a in nodes for b in nodes if a is not b)


def is_settled(nodes: list[Node]) -> bool:
    """Full mesh, and no dial in flight or pending that could still replace a connection."""
    idle = {DialState.CONNECTED, DialState.SELF}
    dialers_idle = all(
        status.state in idle for node in nodes for status in node.transport.dial_status()
    )
    return dialers_idle and is_full_mesh(nodes)


async def open_raw_tls(
    port: int, context: ssl.SSLContext
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(HOST, port, ssl=context)


def raw_client_context(network: Network, seed: bytes | None, name: str) -> ssl.SSLContext:
    """A client context trusting ``network``'s CA, presenting a certificate if ``seed``."""
    if seed is not None:
        return tls.client_context(network.ca_cert_pem, network.certificate(seed, name), seed)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.load_verify_locations(cadata=network.ca_cert_pem.decode())
    return context


async def is_closed_by_peer(reader: asyncio.StreamReader) -> bool:
    """True once the peer closed or refused the connection (EOF or a TLS/socket error)."""
    try:
        async with asyncio.timeout(CONDITION_TIMEOUT_S):
            while await reader.read(FRAME_BYTES_MAX):
                pass
    except (OSError, TimeoutError) as error:
        return not isinstance(error, TimeoutError)
    return True


async def ping(sender: Node, receiver: Node, payload: bytes) -> None:
    """Send ``payload`` and wait until ``receiver`` has it from ``sender``."""
    assert sender.transport.send(receiver.key, payload)
    await eventually(lambda: sender.key in receiver.received(payload), f"{payload!r} delivered")


async def received_once(receiver: Node, payload: bytes, sender: Node) -> None:
    await eventually(
        lambda: receiver.received(payload) == [sender.key], f"{receiver.name} got {payload!r}"
    )


async def stop_all(*nodes: Node) -> None:
    await asyncio.gather(*(node.transport.stop() for node in nodes))


# ----------------------------------------------------------------------------- tests


def test_three_nodes_form_a_mesh_and_broadcast_reaches_everyone() -> None:
    async def scenario() -> None:
        network = Network.create()
        ports = [free_port() for _ in range(3)]
        addresses = tuple((HOST, port) for port in ports)
        names = ["alice", "bob", "carol"]
        # Everyone dials everyone: exercises the simultaneous-dial duplicate rule.
        nodes = [
            await start_node(network, name, listen_port=port, peer_addresses=addresses)
            for name, port in zip(names, ports, strict=True)
        ]
        try:
            await eventually(lambda: is_settled(nodes), "full mesh settled")
            for node in nodes:
                others = {seed_for(n.name) for n in nodes if n is not node}
                expected = {tls.public_key_of_seed(seed) for seed in others}
                assert node.peer_ids() == expected
                assert len(node.transport.connected_peers()) == 2
                for info in node.transport.connected_peers():  # smaller key's dial wins
                    smaller_dialed = node.key < info.peer_id
                    assert (info.direction is Direction.OUTBOUND) == smaller_dialed

            for sender in nodes:
                payload = f"block from {sender.name}".encode()
                assert sender.transport.broadcast(payload) == 2
                for receiver in nodes:
                    if receiver is not sender:
                        await received_once(receiver, payload, sender)
            assert nodes[0].transport.broadcast(b"not to bob", exclude=nodes[1].key) == 1
            assert nodes[0].transport.counters.frames_out >= 2
        finally:
            await stop_all(*nodes)
        # Self-dial (every node has its own address in the list) was detected and closed.
        assert all(n.transport.counters.disconnects.get("self_connection") for n in nodes)
        assert all(
            [status.state for status in n.transport.dial_status()].count(DialState.SELF) == 1
            for n in nodes
        )

    run(scenario)


def test_node_from_another_ca_cannot_connect_and_the_others_keep_working() -> None:
    async def scenario() -> None:
        network, foreign = Network.create(), Network.create("foreign network")
        alice = await start_node(network, "alice")
        bob = await start_node(network, "bob", peer_addresses=(alice.address,))
        mallory = await start_node(foreign, "mallory", peer_addresses=(alice.address, bob.address))
        carol = await start_node(network, "carol", peer_addresses=(mallory.address,))
        try:
            await eventually(lambda: mallory.transport.counters.dials_failed >= 2, "dials fail")
            await eventually(lambda: carol.transport.counters.dials_failed >= 1, "dial fails")
            await eventually(lambda: is_same_connection(alice, bob), "alice-bob connected")
            await ping(alice, bob, b"still working")
            assert mallory.transport.connected_peers() == []
            assert carol.transport.connected_peers() == []
            assert mallory.key not in alice.peer_ids() | bob.peer_ids()
            assert alice.transport.counters.connections_inbound == 1  # bob only
        finally:
            await stop_all(alice, bob, mallory, carol)

    run(scenario)


def test_client_without_certificate_is_refused() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice")
        try:
            context = raw_client_context(network, None, "anonymous")
            try:
                reader, writer = await open_raw_tls(alice.transport.listen_port, context)
            except OSError:
                pass  # refused during the handshake itself
            else:
                assert await is_closed_by_peer(reader)
                writer.close()
            assert alice.transport.connected_peers() == []
            assert alice.transport.counters.connections_inbound == 0
        finally:
            await alice.transport.stop()

    run(scenario)


async def raw_peer_after_hello(
    network: Network, node: Node, name: str, chain_id: str = CHAIN_ID
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    """A hand-driven peer with a valid certificate that completes the Hello exchange."""
    seed = seed_for(name)
    context = raw_client_context(network, seed, name)
    reader, writer = await open_raw_tls(node.transport.listen_port, context)
    public_key = tls.public_key_of_seed(seed)
    hello = Hello(PROTOCOL_VERSION, chain_id, public_key, 1)
    writer.write(encode_frame(msgspec.msgpack.encode(hello), HELLO_BYTES_MAX))
    await writer.drain()
    their_hello = await asyncio.wait_for(read_frame(reader, HELLO_BYTES_MAX), CONDITION_TIMEOUT_S)
    assert their_hello is not None
    assert msgspec.msgpack.decode(their_hello, type=Hello).public_key == node.key
    return reader, writer, public_key


def test_oversize_frame_disconnects_that_peer_only(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="chainbook.p2p")

    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice")
        bob = await start_node(network, "bob", peer_addresses=(alice.address,))
        try:
            await eventually(lambda: is_same_connection(alice, bob), "alice-bob connected")
            reader, writer, raw_key = await raw_peer_after_hello(network, alice, "raw")
            await eventually(lambda: raw_key in alice.peer_ids(), "raw peer registered")
            writer.write(encode_frame_header(FRAME_BYTES_MAX + 1))  # announce; send nothing
            await writer.drain()
            assert await is_closed_by_peer(reader)
            writer.close()
            await eventually(lambda: raw_key in alice.disconnected, "raw peer disconnected")
            assert alice.transport.counters.disconnects.get("oversize_frame") == 1
            await ping(bob, alice, b"alice still serves bob")
        finally:
            await stop_all(alice, bob)
        lines = [
            r.getMessage() for r in caplog.records if "reason=oversize_frame" in r.getMessage()
        ]
        assert lines and raw_key.hex()[:16] in lines[0]
        assert f"limit of {FRAME_BYTES_MAX} bytes" in lines[0]

    run(scenario)


def test_wrong_chain_id_is_disconnected(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="chainbook.p2p")

    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice")
        other = await start_node(
            network, "other", chain_id="another-chain", peer_addresses=(alice.address,)
        )
        try:
            await eventually(
                lambda: (
                    alice.transport.counters.disconnects.get("chain_id_mismatch", 0) >= 1
                    and other.transport.counters.disconnects.get("chain_id_mismatch", 0) >= 1
                ),
                "both sides refuse the Hello",
            )
            assert alice.transport.connected_peers() == []
            assert other.transport.connected_peers() == []
            assert alice.connected == []
        finally:
            await stop_all(alice, other)
        assert any("reason=chain_id_mismatch" in r.getMessage() for r in caplog.records)

    run(scenario)


def test_hello_with_a_key_other_than_the_certificate_key_is_refused() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice")
        try:
            context = raw_client_context(network, seed_for("liar"), "liar")
            reader, writer = await open_raw_tls(alice.transport.listen_port, context)
            hello = Hello(PROTOCOL_VERSION, CHAIN_ID, tls.public_key_of_seed(seed_for("x")), 1)
            writer.write(encode_frame(msgspec.msgpack.encode(hello), HELLO_BYTES_MAX))
            assert await is_closed_by_peer(reader)
            writer.close()
            assert alice.transport.counters.disconnects.get("hello_key_mismatch") == 1
            assert alice.connected == []
        finally:
            await alice.transport.stop()

    run(scenario)


def test_restarted_peer_is_redialed() -> None:
    async def scenario() -> None:
        network = Network.create()
        bob = await start_node(network, "bob")
        bob_port = bob.transport.listen_port
        alice = await start_node(
            network, "alice", peer_addresses=(bob.address,), dial_backoff_max_s=0.2
        )
        bob_again: Node | None = None
        try:
            await eventually(lambda: is_same_connection(alice, bob), "first connection")
            await bob.transport.stop()
            await eventually(lambda: alice.disconnected == [bob.key], "alice saw bob leave")
            bob_again = await start_node(network, "bob", listen_port=bob_port)
            await eventually(lambda: is_same_connection(alice, bob_again), "reconnected")
            assert alice.connected == [bob.key, bob.key]
            await ping(alice, bob_again, b"welcome back")
        finally:
            await stop_all(alice, *([bob_again] if bob_again else []))

    run(scenario)


def test_on_message_errors_are_contained() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice")
        bob = await start_node(network, "bob", peer_addresses=(alice.address,))

        def judge(peer_id: bytes, payload: bytes) -> None:
            if payload == b"bug":
                raise RuntimeError("handler bug")
            if payload == b"forged vote":
                raise PeerMisbehaved("vote signature invalid")

        alice.on_message_hook = judge
        try:
            await eventually(lambda: is_same_connection(alice, bob), "connected")
            await ping(bob, alice, b"bug")
            await ping(bob, alice, b"after the bug")  # a plain exception keeps the peer
            assert alice.transport.counters.callback_errors == 1
            assert bob.transport.send(alice.key, b"forged vote")
            await eventually(lambda: bob.key in alice.disconnected, "misbehaving peer dropped")
            assert alice.transport.counters.disconnects.get("misbehaved") == 1
        finally:
            await stop_all(alice, bob)

    run(scenario)


def test_inbound_beyond_peers_max_is_refused() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice", peers_max=1)
        bob = await start_node(network, "bob", peer_addresses=(alice.address,))
        try:
            await eventually(lambda: is_same_connection(alice, bob), "first peer admitted")
            carol = await start_node(network, "carol", peer_addresses=(alice.address,))
            try:
                await eventually(
                    lambda: alice.transport.counters.disconnects.get("peers_max", 0) >= 1,
                    "second peer refused",
                )
                assert alice.peer_ids() == {bob.key}
            finally:
                await carol.transport.stop()
        finally:
            await stop_all(alice, bob)

    run(scenario)


def test_silent_tcp_connections_hold_inbound_slots_only_until_the_handshake_timeout() -> None:
    """Connections that never start TLS count against peers_max from their accept (no TLS
    work is done for the ones beyond it), and each is cut off after handshake_timeout_s."""

    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice", peers_max=2, handshake_timeout_s=2.0)
        silent = [
            await asyncio.open_connection("127.0.0.1", alice.transport.listen_port)
            for _ in range(2)
        ]
        try:
            await eventually(lambda: alice.transport._handshakes_inbound == 2, "2 pending")
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", alice.transport.listen_port
            )
            assert await is_closed_by_peer(reader), "a third pending connection is refused"
            writer.close()
            assert alice.transport.counters.disconnects.get("peers_max") == 1
            for silent_reader, _ in silent:  # cut off by the handshake timeout
                assert await is_closed_by_peer(silent_reader)
            await eventually(lambda: alice.transport._handshakes_inbound == 0, "slots freed")
            assert alice.transport.counters.disconnects.get("handshake_timeout") == 2
            bob = await start_node(network, "bob", peer_addresses=(alice.address,))
            try:
                await eventually(lambda: is_same_connection(alice, bob), "a real peer gets in")
            finally:
                await bob.transport.stop()
        finally:
            for _, silent_writer in silent:
                silent_writer.close()
            await alice.transport.stop()

    run(scenario)


@pytest.mark.parametrize("loop_factory", [asyncio.new_event_loop, uvloop.new_event_loop])
def test_many_clients_at_once_all_complete_tls(loop_factory: Callable[[], Any]) -> None:
    """A client's ClientHello may arrive before the listener starts TLS on the connection; it
    must not be lost (it once was, read into the plain stream: the handshake hung). On both
    event loops: the node runs on uvloop, where the race showed."""

    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice", peers_max=32, handshake_timeout_s=5.0)
        try:
            contexts = [
                raw_client_context(network, seed_for(f"client-{i}"), f"client-{i}")
                for i in range(20)
            ]
            async with asyncio.timeout(CONDITION_TIMEOUT_S):
                opened = await asyncio.gather(
                    *(open_raw_tls(alice.transport.listen_port, c) for c in contexts)
                )
            for _, writer in opened:
                writer.close()
            assert alice.transport.counters.disconnects.get("handshake_timeout") is None
        finally:
            await alice.transport.stop()

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(asyncio.wait_for(scenario(), SCENARIO_TIMEOUT_S))


def test_full_send_queue_drops_and_counts_instead_of_blocking() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice", peer_send_queue_max=2)
        bob = await start_node(network, "bob", peer_addresses=(alice.address,))
        try:
            await eventually(lambda: is_same_connection(alice, bob), "connected")
            # No await between sends: the writer cannot drain, so the third frame is dropped.
            results = [alice.transport.send(bob.key, b"frame %d" % i) for i in range(3)]
            assert results == [True, True, False]
            (info,) = alice.transport.connected_peers()
            assert info.frames_dropped == 1
            assert alice.transport.counters.frames_dropped_queue_full == 1
            assert not alice.transport.send(b"\x00" * 32, b"to nobody")
            assert alice.transport.counters.frames_dropped_no_peer == 1
            await eventually(lambda: len(bob.messages) == 2, "queued frames delivered")
        finally:
            await stop_all(alice, bob)

    run(scenario)


def test_sending_an_oversize_payload_is_a_local_error() -> None:
    async def scenario() -> None:
        network = Network.create()
        alice = await start_node(network, "alice")
        try:
            from chainbook.p2p.frames import OversizeFrame

            with pytest.raises(OversizeFrame):
                alice.transport.broadcast(b"x" * (FRAME_BYTES_MAX + 1))
        finally:
            await alice.transport.stop()

    run(scenario)


def test_config_rejects_nonsense_limits() -> None:
    network = Network.create()
    with pytest.raises(ValueError, match="peers_max"):
        network.config("alice", peers_max=0)
    with pytest.raises(ValueError, match="chain_id"):
        network.config("alice", chain_id="")


def test_close_reasons_are_stable_strings() -> None:
    # They appear in logs and metrics labels; renaming one is a breaking change.
    assert CloseReason.OVERSIZE_FRAME.value == "oversize_frame"
    assert CloseReason.CHAIN_ID_MISMATCH.value == "chain_id_mismatch"
