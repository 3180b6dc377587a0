"""Helpers for the transport tests: a CA, nodes with recording callbacks, raw peers, a proxy.

Every wait is bounded: a scenario runs under ``SCENARIO_TIMEOUT_S`` and each condition is
awaited with ``eventually`` (which polls a predicate under its own timeout); nothing sleeps
hoping for luck.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
import ssl
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any

import msgspec
import uvloop

from chainbook.p2p import tls
from chainbook.p2p.dialer import DialState
from chainbook.p2p.frames import encode_frame, read_frame
from chainbook.p2p.handshake import HELLO_BYTES_MAX, PROTOCOL_VERSION, Hello
from chainbook.p2p.transport import Transport, TransportConfig

CHAIN_ID = "chainbook-test"
HOST = "127.0.0.1"
FRAME_BYTES_MAX = 1024
PEERS_MAX = 8
PEER_SEND_QUEUE_MAX = 64
SCENARIO_TIMEOUT_S = 20.0
CONDITION_TIMEOUT_S = 5.0
POLL_INTERVAL_S = 0.01
LOOP_FACTORIES = [asyncio.new_event_loop, uvloop.new_event_loop]
LOOP_IDS = ["asyncio", "uvloop"]


def run(
    scenario: Callable[[], Coroutine[Any, Any, None]],
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
) -> None:
    """Run ``scenario`` under a hard timeout, then check it left no task behind."""

    async def bounded() -> None:
        await asyncio.wait_for(scenario(), SCENARIO_TIMEOUT_S)
        leftovers = asyncio.all_tasks() - {asyncio.current_task()}
        assert not leftovers, f"leaked tasks: {leftovers}"

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(bounded())


async def eventually(
    predicate: Callable[[], bool], what: str, timeout_s: float = CONDITION_TIMEOUT_S
) -> float:
    """Wait until ``predicate()`` holds, at most ``timeout_s``; return the seconds it took."""
    loop = asyncio.get_running_loop()
    started_s = loop.time()
    try:
        async with asyncio.timeout(timeout_s):
            while not predicate():
                await asyncio.sleep(POLL_INTERVAL_S)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout_s}s waiting for: {what}") from None
    return loop.time() - started_s


def seed_for(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest()


def key_for(name: str) -> bytes:
    return tls.public_key_of_seed(seed_for(name))


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
            handshake_timeout_ms=2000,
            close_timeout_ms=500,
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

    def refusals(self, reason: str) -> int:
        return self.transport.counters.refusals.get(reason, 0)

    def disconnects(self, reason: str) -> int:
        return self.transport.counters.disconnects.get(reason, 0)


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


async def is_closed_by_peer(
    reader: asyncio.StreamReader, timeout_s: float = CONDITION_TIMEOUT_S
) -> bool:
    """True once the peer closed or refused the connection (EOF or a TLS/socket error)."""
    try:
        async with asyncio.timeout(timeout_s):
            while await reader.read(FRAME_BYTES_MAX):
                pass
    except (OSError, TimeoutError) as error:
        return not isinstance(error, TimeoutError)
    return True


async def raw_peer_after_hello(
    network: Network, node: Node, name: str, chain_id: str = CHAIN_ID, network_id: bytes = b""
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    """A hand-driven peer with a valid certificate that completes the Hello exchange."""
    seed = seed_for(name)
    context = raw_client_context(network, seed, name)
    reader, writer = await open_raw_tls(node.transport.listen_port, context)
    public_key = tls.public_key_of_seed(seed)
    hello = Hello(PROTOCOL_VERSION, chain_id, public_key, 1, network_id=network_id)
    writer.write(encode_frame(msgspec.msgpack.encode(hello), HELLO_BYTES_MAX))
    await writer.drain()
    their_hello = await asyncio.wait_for(read_frame(reader, HELLO_BYTES_MAX), CONDITION_TIMEOUT_S)
    assert their_hello is not None
    assert msgspec.msgpack.decode(their_hello, type=Hello).public_key == node.key
    return reader, writer, public_key


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


class LogLines(logging.Handler):
    """Collects every line of the ``chainbook.p2p`` logger (at DEBUG and up) while installed."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def matching(self, text: str) -> list[str]:
        return [line for line in self.lines if text in line]

    @classmethod
    @contextlib.contextmanager
    def installed(cls, level: int = logging.INFO) -> Any:
        handler = cls()
        p2p_logger = logging.getLogger("chainbook.p2p")
        previous = p2p_logger.level
        p2p_logger.addHandler(handler)
        p2p_logger.setLevel(level)
        try:
            yield handler
        finally:
            p2p_logger.removeHandler(handler)
            p2p_logger.setLevel(previous)


class Proxy:
    """A TCP forwarder between dialers and one target port, with a partition switch.

    ``cut()`` stops accepting and turns every forwarded connection into a black hole: bytes
    from either side are read and dropped, nothing is closed (as when packets are dropped in a
    partition). ``restore()`` accepts again on the same port; connections cut before stay
    black holes, as TCP connections that timed out during a long partition stay dead.
    """

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._server: asyncio.Server | None = None
        self.port = 0
        self._pairs: list[_ForwardedPair] = []

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._forward, HOST, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    @property
    def address(self) -> tuple[str, int]:
        return (HOST, self.port)

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        for pair in self._pairs:
            pair.flowing = False

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for pair in self._pairs:
            await pair.close()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(HOST, self._target_port)
        except OSError:
            writer.close()
            return
        pair = _ForwardedPair(writer, up_writer)
        self._pairs.append(pair)
        pair.tasks = [
            asyncio.create_task(pair.pump(reader, up_writer)),
            asyncio.create_task(pair.pump(up_reader, writer)),
        ]


@dataclass
class _ForwardedPair:
    downstream: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    flowing: bool = True
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while chunk := await source.read(65536):
                if self.flowing:
                    sink.write(chunk)
                    await sink.drain()
            if self.flowing:
                sink.close()  # pass the end on, unless cut: a partition passes nothing

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for writer in (self.downstream, self.upstream):
            writer.transport.abort()
