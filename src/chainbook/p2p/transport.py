"""Authenticated peer connections over mutual TLS 1.3, carrying opaque length-prefixed frames.

What this module guarantees, and why:

- **Identity.** A peer's id is the 32-byte Ed25519 public key in its TLS certificate (see
  ``tls``). After TLS both sides send one ``Hello`` frame; a Hello whose key differs from the
  certificate key, whose ``chain_id`` or ``protocol_version`` differs from ours, or that does
  not decode, closes the connection. A connection to ourselves is closed, and the dialer stops
  dialing that address.
- **One connection per peer.** If two nodes dial each other, both keep the connection dialed by
  the node with the smaller public key, so both sides decide the same way without talking.
  A new connection in the *same* direction as the one we hold replaces it: the peer has
  reconnected, so the old connection is most likely dead.
- **Bounded everything.** Frames over ``frame_bytes_max`` are refused before their payload is
  read; inbound connections beyond ``peers_max`` (peers plus inbound connections still in
  their TLS or Hello handshake, each cut off after ``handshake_timeout_s``) are refused at TCP
  accept, before any TLS work; each peer has a send queue of
  ``peer_send_queue_max`` frames, and ``send`` never waits: a full queue drops the frame and
  counts it. A slow peer can therefore never stall consensus; consensus tolerates lost
  messages by design and retransmits what matters.
- **A bad peer costs only its own connection.** A malformed or oversize frame, a failed Hello,
  or ``PeerMisbehaved`` raised by ``on_message`` disconnects that peer with a log line on the
  ``chainbook.p2p`` logger naming the peer and the reason. Any other exception raised by a
  callback is logged and counted, and the connection stays up.
- **Delivery is best effort, at most once, in order per connection.** Frames queued for a
  connection that closes are lost (except when a duplicate connection is replaced: its queue
  moves to the survivor).
- **Clean shutdown.** ``stop()`` closes the listener and every connection and awaits every
  task the transport started.

The transport knows nothing about blocks or votes: payloads are opaque bytes. Callbacks run on
the event loop and must not block.

Known limit: a peer that vanishes without closing its TCP connection (power loss) keeps its slot
until a write to it fails; the node's consensus traffic makes that quick in practice.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import socket
import ssl
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec

from chainbook.p2p import frames, tls

__all__ = [
    "PROTOCOL_VERSION",
    "HELLO_BYTES_MAX",
    "CHAIN_ID_BYTES_MAX",
    "PeerAddress",
    "Direction",
    "CloseReason",
    "PeerMisbehaved",
    "Hello",
    "TransportConfig",
    "PeerInfo",
    "DialState",
    "DialStatus",
    "TransportCounters",
    "Transport",
]

logger = logging.getLogger("chainbook.p2p")

PROTOCOL_VERSION = 1
HELLO_BYTES_MAX = 1024  # a Hello is read before the peer is trusted: keep its bound small
CHAIN_ID_BYTES_MAX = 256  # so that our own Hello always fits in HELLO_BYTES_MAX
PORT_MAX = 65535
ACCEPT_RETRY_S = 0.5  # after a failed accept (out of file descriptors): retry, do not spin
PEER_ID_LOG_HEX_CHARS = 16

PeerAddress = tuple[str, int]
OnMessage = Callable[[bytes, bytes], None]
OnPeerEvent = Callable[[bytes], None]


class Direction(enum.StrEnum):
    INBOUND = "inbound"  # the peer dialed us
    OUTBOUND = "outbound"  # we dialed the peer


class CloseReason(enum.StrEnum):
    """Why a connection ended. Reasons in ``PEER_FAULTS`` are the peer's fault."""

    PEER_CLOSED = "peer_closed"
    IO_ERROR = "io_error"
    STOPPING = "stopping"
    DUPLICATE = "duplicate"
    PEERS_MAX = "peers_max"
    SELF_CONNECTION = "self_connection"
    HANDSHAKE_TIMEOUT = "handshake_timeout"
    CERTIFICATE_INVALID = "certificate_invalid"
    HELLO_INVALID = "hello_invalid"
    HELLO_KEY_MISMATCH = "hello_key_mismatch"
    CHAIN_ID_MISMATCH = "chain_id_mismatch"
    PROTOCOL_VERSION_MISMATCH = "protocol_version_mismatch"
    OVERSIZE_FRAME = "oversize_frame"
    EMPTY_FRAME = "empty_frame"
    TRUNCATED_FRAME = "truncated_frame"
    MISBEHAVED = "misbehaved"


PEER_FAULTS = frozenset(
    {
        CloseReason.CERTIFICATE_INVALID,
        CloseReason.HELLO_INVALID,
        CloseReason.HELLO_KEY_MISMATCH,
        CloseReason.CHAIN_ID_MISMATCH,
        CloseReason.PROTOCOL_VERSION_MISMATCH,
        CloseReason.OVERSIZE_FRAME,
        CloseReason.EMPTY_FRAME,
        CloseReason.TRUNCATED_FRAME,
        CloseReason.MISBEHAVED,
    }
)

_FRAME_ERROR_REASONS: dict[type[frames.FrameError], CloseReason] = {
    frames.OversizeFrame: CloseReason.OVERSIZE_FRAME,
    frames.EmptyFrame: CloseReason.EMPTY_FRAME,
    frames.TruncatedFrame: CloseReason.TRUNCATED_FRAME,
}


class PeerMisbehaved(Exception):
    """Raise from ``on_message`` to have the transport disconnect the peer that sent it."""


class Hello(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The first frame each side sends after the TLS handshake (MessagePack map)."""

    protocol_version: Annotated[int, msgspec.Meta(ge=0)]
    chain_id: Annotated[str, msgspec.Meta(min_length=1, max_length=CHAIN_ID_BYTES_MAX)]
    public_key: Annotated[
        bytes,
        msgspec.Meta(
            min_length=tls.ED25519_PUBLIC_KEY_BYTES, max_length=tls.ED25519_PUBLIC_KEY_BYTES
        ),
    ]
    listen_port: Annotated[int, msgspec.Meta(ge=0, le=PORT_MAX)]


_hello_decoder = msgspec.msgpack.Decoder(Hello)


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """Everything a ``Transport`` needs; limits come from the node's limits, never from here."""

    node_seed: bytes  # 32-byte Ed25519 seed; its public key is our peer id
    ca_cert_pem: bytes  # the network CA: the only issuer we accept
    node_cert_pem: bytes  # our certificate, issued by the CA for node_seed's public key
    chain_id: str
    frame_bytes_max: int
    peers_max: int  # inbound connections are refused once this many peers are connected
    peer_send_queue_max: int  # frames queued per peer before new ones are dropped
    listen_host: str = "127.0.0.1"
    listen_port: int = 0  # 0: the OS picks a free port; see Transport.listen_port
    peer_addresses: tuple[PeerAddress, ...] = ()  # dialed until stop(), reconnected on loss
    handshake_timeout_s: float = 5.0  # TLS handshake, then Hello exchange, each
    close_timeout_s: float = 1.0  # TLS close_notify exchange before the socket is dropped
    dial_backoff_initial_s: float = 0.1
    dial_backoff_max_s: float = 2.0

    def __post_init__(self) -> None:
        tls.verify_seed(self.node_seed)
        chain_id_bytes = len(self.chain_id.encode())
        if not 1 <= chain_id_bytes <= CHAIN_ID_BYTES_MAX:
            raise ValueError(
                f"chain_id must be 1..{CHAIN_ID_BYTES_MAX} bytes, got {chain_id_bytes}"
            )
        for name in ("frame_bytes_max", "peers_max", "peer_send_queue_max"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.frame_bytes_max > frames.FRAME_LENGTH_MAX:
            raise ValueError(
                f"frame_bytes_max must be at most {frames.FRAME_LENGTH_MAX}, "
                f"got {self.frame_bytes_max}"
            )
        if not 0 < self.dial_backoff_initial_s <= self.dial_backoff_max_s:
            raise ValueError("need 0 < dial_backoff_initial_s <= dial_backoff_max_s")


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """A snapshot of one connected peer. Byte counts are payload bytes, without frame headers."""

    peer_id: bytes
    address: PeerAddress  # the remote end of the socket
    local_address: PeerAddress  # our end of the socket
    listen_port: int  # where the peer says it accepts connections
    direction: Direction
    connected_since_unix_s: float
    frames_in: int
    bytes_in: int
    frames_out: int
    bytes_out: int
    frames_dropped: int  # send queue was full
    send_queue_len: int


class DialState(enum.StrEnum):
    DIALING = "dialing"  # connecting, TLS, or Hello in progress
    BACKOFF = "backoff"  # the last attempt failed; waiting before the next
    CONNECTED = "connected"  # the peer at this address is connected (over either direction)
    SELF = "self"  # the address is our own; never dialed again


@dataclass(frozen=True, slots=True)
class DialStatus:
    address: PeerAddress
    state: DialState
    peer_id: bytes | None  # learned from the last successful handshake
    failures: int  # consecutive failed attempts


@dataclass(slots=True)
class _Dialer:
    state: DialState = DialState.DIALING
    peer_id: bytes | None = None
    failures: int = 0


@dataclass(slots=True)
class TransportCounters:
    """Monotonic counters for metrics. Byte counts are payload bytes."""

    connections_inbound: int = 0  # passed TLS, inbound
    connections_outbound: int = 0  # passed TLS, outbound
    dials_failed: int = 0  # TCP connect or TLS handshake failed while dialing
    handshakes_failed: int = 0  # Hello exchange or admission refused the connection
    frames_in: int = 0
    bytes_in: int = 0
    frames_out: int = 0
    bytes_out: int = 0
    frames_dropped_queue_full: int = 0
    frames_dropped_no_peer: int = 0
    callback_errors: int = 0
    # Connections closed (refused handshakes included), by CloseReason value.
    disconnects: dict[str, int] = field(default_factory=dict)


class _HandshakeFailed(Exception):
    def __init__(self, reason: CloseReason, detail: str, peer_id: bytes | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.peer_id = peer_id


class _Connection:
    """One authenticated connection; owned by the task that serves it."""

    def __init__(
        self,
        *,
        peer_id: bytes,
        listen_port: int,
        direction: Direction,
        address: PeerAddress,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        send_queue_max: int,
    ) -> None:
        self.peer_id = peer_id
        self.listen_port = listen_port
        self.direction = direction
        self.address = address
        self.reader = reader
        self.writer = writer
        self.send_queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=send_queue_max)
        self.connected_since_unix_s = time.time()
        self.frames_in = self.bytes_in = self.frames_out = self.bytes_out = 0
        self.frames_dropped = 0
        # Set once, by whoever first decides the connection ends; later reasons are ignored.
        self.close_reason: CloseReason | None = None
        self.close_detail = ""
        self.io_tasks: tuple[asyncio.Task[None], ...] = ()
        self.closed = asyncio.Event()  # set after the connection left the peer table

    def set_close_reason(self, reason: CloseReason, detail: str = "") -> None:
        if self.close_reason is None:
            self.close_reason = reason
            self.close_detail = detail

    def request_close(self, reason: CloseReason, detail: str = "") -> None:
        self.set_close_reason(reason, detail)
        for task in self.io_tasks:
            task.cancel()

    def info(self) -> PeerInfo:
        return PeerInfo(
            peer_id=self.peer_id,
            address=self.address,
            local_address=_socket_address(self.writer, "sockname"),
            listen_port=self.listen_port,
            direction=self.direction,
            connected_since_unix_s=self.connected_since_unix_s,
            frames_in=self.frames_in,
            bytes_in=self.bytes_in,
            frames_out=self.frames_out,
            bytes_out=self.bytes_out,
            frames_dropped=self.frames_dropped,
            send_queue_len=self.send_queue.qsize(),
        )


def _short(peer_id: bytes | None) -> str:
    return "-" if peer_id is None else peer_id.hex()[:PEER_ID_LOG_HEX_CHARS]


def _socket_address(writer: asyncio.StreamWriter, which: str) -> PeerAddress:
    """``which`` is "peername" or "sockname"; IPv6 flow and scope ids are dropped."""
    name = writer.get_extra_info(which)
    if not name:
        return ("?", 0)
    return (str(name[0]), int(name[1]))


def _sock_address(sock: socket.socket) -> PeerAddress:
    """The peer address of an accepted socket; IPv6 flow and scope ids are dropped."""
    try:
        name = sock.getpeername()
    except OSError:  # already reset by the peer
        return ("?", 0)
    return (str(name[0]), int(name[1]))


class Transport:
    """Mutual-TLS peer connections; see the module docstring for what it guarantees."""

    def __init__(
        self,
        config: TransportConfig,
        *,
        on_message: OnMessage,
        on_peer_connected: OnPeerEvent | None = None,
        on_peer_disconnected: OnPeerEvent | None = None,
    ) -> None:
        self._config = config
        self._on_message = on_message
        self._on_peer_connected = on_peer_connected
        self._on_peer_disconnected = on_peer_disconnected
        self._public_key = tls.public_key_of_seed(config.node_seed)
        self._server_ssl = tls.server_context(
            config.ca_cert_pem, config.node_cert_pem, config.node_seed
        )
        self._client_ssl = tls.client_context(
            config.ca_cert_pem, config.node_cert_pem, config.node_seed
        )
        self._peers: dict[bytes, _Connection] = {}  # peer id -> its one registered connection
        self._handshakes_inbound = 0  # inbound connections past TLS, Hello not yet done
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: socket.socket | None = None
        self._dialers: dict[PeerAddress, _Dialer] = {}  # one per distinct configured address
        self._hello_frame = b""
        self._listen_port = 0
        self._stopping = False
        self.counters = TransportCounters()

    # ------------------------------------------------------------------ public surface

    @property
    def public_key(self) -> bytes:
        """Our peer id: the Ed25519 public key of the node seed."""
        return self._public_key

    @property
    def listen_port(self) -> int:
        """The port we accept connections on (known after ``start``)."""
        return self._listen_port

    async def start(self) -> None:
        """Listen, and start one dialer per configured peer address."""
        if self._listener is not None or self._stopping:
            raise RuntimeError("a Transport can be started once")
        config = self._config
        # We accept TCP connections ourselves and wrap each in TLS afterwards (_accept_forever):
        # so an inbound connection counts against peers_max from its accept, not only once its
        # TLS handshake is done (asyncio's TLS server would run any number of handshakes
        # unaccounted).
        self._listener = socket.create_server((config.listen_host, config.listen_port))
        self._listener.setblocking(False)
        self._listen_port = int(self._listener.getsockname()[1])
        self._spawn(self._accept_forever(self._listener))
        hello = Hello(PROTOCOL_VERSION, config.chain_id, self._public_key, self._listen_port)
        self._hello_frame = frames.encode_frame(msgspec.msgpack.encode(hello), HELLO_BYTES_MAX)
        logger.info(
            "p2p.listening peer=%s address=%s:%d",
            _short(self._public_key),
            config.listen_host,
            self._listen_port,
        )
        for address in dict.fromkeys(config.peer_addresses):  # each address dialed once
            self._dialers[address] = _Dialer()
            self._spawn(self._dial_forever(address))

    async def stop(self) -> None:
        """Close the listener and every connection; await every task we started."""
        if self._stopping:
            return
        self._stopping = True
        if self._listener is not None:
            self._listener.close()
        for conn in list(self._peers.values()):
            conn.request_close(CloseReason.STOPPING)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        logger.info("p2p.stopped peer=%s", _short(self._public_key))

    def send(self, peer_id: bytes, payload: bytes) -> bool:
        """Queue ``payload`` for one peer; False if it is not connected or its queue is full.

        Never waits. Raises ``frames.FrameError`` if no peer would accept the payload (empty or
        over ``frame_bytes_max``): that is a bug on our side, not the peer's.
        """
        frame = frames.encode_frame(payload, self._config.frame_bytes_max)
        conn = self._peers.get(peer_id)
        if conn is None:
            self.counters.frames_dropped_no_peer += 1
            return False
        return self._enqueue(conn, frame)

    def broadcast(self, payload: bytes, exclude: bytes | None = None) -> int:
        """Queue ``payload`` for every connected peer but ``exclude``; return how many took it."""
        frame = frames.encode_frame(payload, self._config.frame_bytes_max)
        queued = 0
        for peer_id, conn in list(self._peers.items()):
            if peer_id != exclude and self._enqueue(conn, frame):
                queued += 1
        return queued

    def connected_peers(self) -> list[PeerInfo]:
        """One snapshot per connected peer, sorted by peer id."""
        return [self._peers[peer_id].info() for peer_id in sorted(self._peers)]

    def is_connected(self, peer_id: bytes) -> bool:
        return peer_id in self._peers

    def dial_status(self) -> list[DialStatus]:
        """What each dialer is doing, in configured order (for operators and tests)."""
        return [
            DialStatus(address, dialer.state, dialer.peer_id, dialer.failures)
            for address, dialer in self._dialers.items()
        ]

    # ------------------------------------------------------------------ tasks

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._on_task_done)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("p2p.task_failed", exc_info=task.exception())

    # ------------------------------------------------------------------ inbound

    async def _accept_forever(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, _ = await loop.sock_accept(listener)
            except OSError:
                if self._stopping:
                    return
                logger.exception("p2p.accept_failed")
                await asyncio.sleep(ACCEPT_RETRY_S)  # e.g. out of file descriptors
                continue
            address = _sock_address(sock)
            if self._is_inbound_full():
                # Refused before any TLS work: the slots are taken by peers and handshakes.
                detail = f"peers_max={self._config.peers_max} reached"
                self._refuse_before_hello(sock, address, CloseReason.PEERS_MAX, detail)
                continue
            self._handshakes_inbound += 1  # until the Hello exchange ends, TLS included
            self._spawn(self._handle_inbound(sock, address))

    async def _handle_inbound(self, sock: socket.socket, address: PeerAddress) -> None:
        try:
            try:
                reader, writer = await self._start_server_tls(sock)
            except (OSError, TimeoutError) as error:
                reason = (
                    CloseReason.HANDSHAKE_TIMEOUT
                    if isinstance(error, TimeoutError)
                    else CloseReason.CERTIFICATE_INVALID
                    if isinstance(error, ssl.SSLError)  # e.g. no certificate from our CA
                    else CloseReason.IO_ERROR
                )
                self._refuse_before_hello(sock, address, reason, repr(error))
                return
            self.counters.connections_inbound += 1
            conn = await self._handshake_or_refuse(reader, writer, Direction.INBOUND, address)
        finally:
            self._handshakes_inbound -= 1
        if conn is not None:
            await self._run_connection(conn)

    async def _start_server_tls(
        self, sock: socket.socket
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Streams over TLS on an accepted socket (what asyncio.start_server builds)."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        protocol = asyncio.StreamReaderProtocol(reader)
        async with asyncio.timeout(self._config.handshake_timeout_s):
            transport, _ = await loop.connect_accepted_socket(
                lambda: protocol, sock, ssl=self._server_ssl,
                ssl_handshake_timeout=self._config.handshake_timeout_s,
                ssl_shutdown_timeout=self._config.close_timeout_s,
            )
        return reader, asyncio.StreamWriter(transport, protocol, reader, loop)

    def _refuse_before_hello(
        self, sock: socket.socket, address: PeerAddress, reason: CloseReason, detail: str
    ) -> None:
        """Drop an inbound connection refused before or during TLS (no peer id known yet)."""
        self.counters.handshakes_failed += 1
        self._count_disconnect(reason)
        logger.info(
            "p2p.handshake_failed address=%s:%d direction=inbound reason=%s detail=%s",
            *address,
            reason,
            detail,
            extra=_log_fields(None, address, Direction.INBOUND, reason),
        )
        sock.close()

    def _is_inbound_full(self) -> bool:
        return len(self._peers) + self._handshakes_inbound >= self._config.peers_max

    # ------------------------------------------------------------------ outbound

    async def _dial_forever(self, address: PeerAddress) -> None:
        """Keep one connection to ``address`` until stop(), with capped exponential backoff.

        The backoff also applies after a connection ends, and resets only after a connection
        that lasted ``dial_backoff_max_s``: a peer that accepts and then drops us at once is not
        redialed in a tight loop.
        """
        config = self._config
        dialer = self._dialers[address]
        backoff_s = config.dial_backoff_initial_s
        while True:
            dialer.state = DialState.DIALING
            outcome = await self._dial_once(address, dialer)
            if outcome is CloseReason.SELF_CONNECTION:
                dialer.state = DialState.SELF
                logger.info("p2p.dial_stopped address=%s:%d reason=self_connection", *address)
                return
            if isinstance(outcome, _Connection):
                connected_s = await self._stay_connected(dialer, outcome)
                if connected_s >= config.dial_backoff_max_s:
                    backoff_s = config.dial_backoff_initial_s
            else:
                dialer.failures += 1
            dialer.state = DialState.BACKOFF
            await asyncio.sleep(backoff_s)
            backoff_s = min(2 * backoff_s, config.dial_backoff_max_s)

    async def _stay_connected(self, dialer: _Dialer, conn: _Connection) -> float:
        """Serve ``conn`` (or the connection that won over it) until the peer is gone.

        Returns how long the peer stayed connected, in seconds.
        """
        loop = asyncio.get_running_loop()
        connected_at_s = loop.time()
        dialer.state = DialState.CONNECTED
        dialer.peer_id = conn.peer_id
        dialer.failures = 0
        await self._run_connection(conn)
        await self._wait_until_disconnected(conn.peer_id)
        return loop.time() - connected_at_s

    async def _dial_once(
        self, address: PeerAddress, dialer: _Dialer
    ) -> _Connection | CloseReason | None:
        """A handshaken connection, the reason the Hello failed, or None if we could not connect."""
        config = self._config
        try:
            async with asyncio.timeout(config.handshake_timeout_s):
                reader, writer = await asyncio.open_connection(
                    *address,
                    ssl=self._client_ssl,
                    ssl_handshake_timeout=config.handshake_timeout_s,
                    ssl_shutdown_timeout=config.close_timeout_s,
                )
        except (OSError, TimeoutError) as error:  # ssl.SSLError is an OSError
            self.counters.dials_failed += 1
            # The first failure of a streak is news (peer down, or a CA mismatch); repeats are not.
            level = logging.INFO if dialer.failures == 0 else logging.DEBUG
            logger.log(level, "p2p.dial_failed address=%s:%d error=%r", *address, error)
            return None
        self.counters.connections_outbound += 1
        try:
            return await self._handshake(reader, writer, Direction.OUTBOUND, address)
        except _HandshakeFailed as failure:
            await self._refuse(writer, address, Direction.OUTBOUND, failure)
            return failure.reason

    async def _wait_until_disconnected(self, peer_id: bytes) -> None:
        while (conn := self._peers.get(peer_id)) is not None:
            await conn.closed.wait()

    # ------------------------------------------------------------------ handshake

    async def _handshake_or_refuse(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        direction: Direction,
        address: PeerAddress,
    ) -> _Connection | None:
        try:
            return await self._handshake(reader, writer, direction, address)
        except _HandshakeFailed as failure:
            await self._refuse(writer, address, direction, failure)
            return None

    async def _handshake(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        direction: Direction,
        address: PeerAddress,
    ) -> _Connection:
        """Verify the certificate key, exchange Hellos, and verify the peer's Hello."""
        try:
            peer_id = self._verify_certificate_key(writer)
            hello = await self._exchange_hellos(reader, writer)
            self._verify_hello(hello, peer_id)
        except BaseException as error:
            if not isinstance(error, _HandshakeFailed):
                writer.transport.abort()  # cancelled (stop) or a bug: never leak the socket
            raise
        return _Connection(
            peer_id=peer_id,
            listen_port=hello.listen_port,
            direction=direction,
            address=address,
            reader=reader,
            writer=writer,
            send_queue_max=self._config.peer_send_queue_max,
        )

    def _verify_certificate_key(self, writer: asyncio.StreamWriter) -> bytes:
        ssl_object = writer.get_extra_info("ssl_object")
        if ssl_object is None:
            raise _HandshakeFailed(CloseReason.CERTIFICATE_INVALID, "connection is not TLS")
        try:
            peer_id = tls.peer_public_key(ssl_object)
        except (tls.InvalidPeerCertificate, ValueError) as error:
            raise _HandshakeFailed(CloseReason.CERTIFICATE_INVALID, str(error)) from None
        if peer_id == self._public_key:
            raise _HandshakeFailed(CloseReason.SELF_CONNECTION, "peer key is our own", peer_id)
        return peer_id

    async def _exchange_hellos(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> Hello:
        """Send our Hello and read theirs; both sides send first, so neither waits on the other."""
        try:
            async with asyncio.timeout(self._config.handshake_timeout_s):
                writer.write(self._hello_frame)
                await writer.drain()
                payload = await frames.read_frame(reader, HELLO_BYTES_MAX)
        except TimeoutError:
            raise _HandshakeFailed(
                CloseReason.HANDSHAKE_TIMEOUT,
                f"no Hello within {self._config.handshake_timeout_s}s",
            ) from None
        except frames.FrameError as error:
            raise _HandshakeFailed(CloseReason.HELLO_INVALID, str(error)) from None
        except OSError as error:  # includes ssl.SSLError: e.g. the peer refused our certificate
            raise _HandshakeFailed(CloseReason.IO_ERROR, repr(error)) from None
        if payload is None:
            raise _HandshakeFailed(CloseReason.PEER_CLOSED, "closed before sending Hello")
        try:
            return _hello_decoder.decode(payload)
        except msgspec.DecodeError as error:  # ValidationError is a DecodeError
            raise _HandshakeFailed(CloseReason.HELLO_INVALID, str(error)) from None

    def _verify_hello(self, hello: Hello, peer_id: bytes) -> None:
        if hello.protocol_version != PROTOCOL_VERSION:
            raise _HandshakeFailed(
                CloseReason.PROTOCOL_VERSION_MISMATCH,
                f"ours={PROTOCOL_VERSION} theirs={hello.protocol_version}",
                peer_id,
            )
        if hello.chain_id != self._config.chain_id:
            raise _HandshakeFailed(
                CloseReason.CHAIN_ID_MISMATCH,
                f"ours={self._config.chain_id!r} theirs={hello.chain_id!r}",
                peer_id,
            )
        if hello.public_key != peer_id:
            raise _HandshakeFailed(
                CloseReason.HELLO_KEY_MISMATCH,
                f"certificate key={peer_id.hex()} hello key={hello.public_key.hex()}",
                peer_id,
            )

    async def _refuse(
        self,
        writer: asyncio.StreamWriter,
        address: PeerAddress,
        direction: Direction,
        failure: _HandshakeFailed,
    ) -> None:
        self.counters.handshakes_failed += 1
        self._count_disconnect(failure.reason)
        level = logging.WARNING if failure.reason in PEER_FAULTS else logging.INFO
        logger.log(
            level,
            "p2p.handshake_failed peer=%s address=%s:%d direction=%s reason=%s detail=%s",
            _short(failure.peer_id),
            *address,
            direction,
            failure.reason,
            failure.detail,
            extra=_log_fields(failure.peer_id, address, direction, failure.reason),
        )
        await self._close_writer(writer)

    # ------------------------------------------------------------------ peer table

    async def _run_connection(self, conn: _Connection) -> None:
        """Register ``conn`` and serve it until it closes, or close it if it lost to another."""
        refusal = self._register(conn)
        if refusal is not None:
            conn.set_close_reason(*refusal)
            await self._finish(conn)
            return
        await self._serve(conn)

    def _register(self, conn: _Connection) -> tuple[CloseReason, str] | None:
        """Put ``conn`` in the peer table; return why not if it must close instead."""
        existing = self._peers.get(conn.peer_id)
        if existing is None:
            if conn.direction is Direction.INBOUND and len(self._peers) >= self._config.peers_max:
                return CloseReason.PEERS_MAX, f"peers_max={self._config.peers_max} reached"
            self._peers[conn.peer_id] = conn
            self._log_connected(conn)
            self._notify(self._on_peer_connected, conn.peer_id)
            return None
        if not self._is_preferred(conn, over=existing):
            return CloseReason.DUPLICATE, f"kept the {existing.direction} connection"
        self._peers[conn.peer_id] = conn
        _move_queued_frames(existing, conn)
        existing.request_close(CloseReason.DUPLICATE, f"replaced by a {conn.direction} connection")
        return None

    def _is_preferred(self, candidate: _Connection, *, over: _Connection) -> bool:
        """Whether ``candidate`` should replace ``over`` (both to the same peer).

        Opposite directions: both nodes keep the connection dialed by the smaller public key, so
        they agree. Same direction: the peer reconnected; the newer connection wins.
        """
        if candidate.direction == over.direction:
            return True
        return self._dialer_key(candidate) < self._dialer_key(over)

    def _dialer_key(self, conn: _Connection) -> bytes:
        return self._public_key if conn.direction is Direction.OUTBOUND else conn.peer_id

    def _unregister(self, conn: _Connection) -> None:
        self._count_disconnect(conn.close_reason or CloseReason.IO_ERROR)
        if self._peers.get(conn.peer_id) is not conn:
            self._log_closed(conn, logging.DEBUG)  # a duplicate that lost: not a disconnect
            return
        del self._peers[conn.peer_id]
        reason = conn.close_reason
        self._log_closed(conn, logging.WARNING if reason in PEER_FAULTS else logging.INFO)
        self._notify(self._on_peer_disconnected, conn.peer_id)

    # ------------------------------------------------------------------ serving

    async def _serve(self, conn: _Connection) -> None:
        loop = asyncio.get_running_loop()
        conn.io_tasks = (
            loop.create_task(self._read_loop(conn)),
            loop.create_task(self._write_loop(conn)),
        )
        try:
            await asyncio.wait(conn.io_tasks, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            conn.set_close_reason(CloseReason.STOPPING)
            raise
        finally:
            await self._finish(conn)

    async def _finish(self, conn: _Connection) -> None:
        """Leave the peer table, then release the tasks and the socket (synchronous part first,
        so that a second cancellation cannot skip it)."""
        conn.set_close_reason(CloseReason.IO_ERROR, "connection ended")
        for task in conn.io_tasks:
            task.cancel()
        self._unregister(conn)
        conn.closed.set()
        await asyncio.gather(*conn.io_tasks, return_exceptions=True)
        await self._close_writer(conn.writer)

    async def _read_loop(self, conn: _Connection) -> None:
        while True:
            try:
                payload = await frames.read_frame(conn.reader, self._config.frame_bytes_max)
            except frames.FrameError as error:
                conn.set_close_reason(_FRAME_ERROR_REASONS[type(error)], str(error))
                return
            except OSError as error:
                conn.set_close_reason(CloseReason.IO_ERROR, repr(error))
                return
            if payload is None:
                conn.set_close_reason(CloseReason.PEER_CLOSED)
                return
            self._record_in(conn, len(payload))
            if not self._deliver(conn, payload):
                return

    def _deliver(self, conn: _Connection, payload: bytes) -> bool:
        """Hand ``payload`` to ``on_message``; False if the peer must be disconnected."""
        try:
            self._on_message(conn.peer_id, payload)
        except PeerMisbehaved as error:
            conn.set_close_reason(CloseReason.MISBEHAVED, str(error))
            return False
        except Exception:
            self.counters.callback_errors += 1
            logger.exception(
                "p2p.callback_failed callback=on_message peer=%s", _short(conn.peer_id)
            )
        return True

    async def _write_loop(self, conn: _Connection) -> None:
        try:
            while True:
                batch = [await conn.send_queue.get()]
                while not conn.send_queue.empty():
                    batch.append(conn.send_queue.get_nowait())
                conn.writer.writelines(batch)
                await conn.writer.drain()
                self._record_out(conn, batch)
        except OSError as error:
            conn.set_close_reason(CloseReason.IO_ERROR, repr(error))

    def _enqueue(self, conn: _Connection, frame: bytes) -> bool:
        try:
            conn.send_queue.put_nowait(frame)
        except asyncio.QueueFull:
            conn.frames_dropped += 1
            self.counters.frames_dropped_queue_full += 1
            return False
        return True

    def _record_in(self, conn: _Connection, payload_bytes: int) -> None:
        conn.frames_in += 1
        conn.bytes_in += payload_bytes
        self.counters.frames_in += 1
        self.counters.bytes_in += payload_bytes

    def _record_out(self, conn: _Connection, batch: list[bytes]) -> None:
        payload_bytes = sum(len(frame) for frame in batch) - frames.FRAME_HEADER_BYTES * len(batch)
        conn.frames_out += len(batch)
        conn.bytes_out += payload_bytes
        self.counters.frames_out += len(batch)
        self.counters.bytes_out += payload_bytes

    async def _close_writer(self, writer: asyncio.StreamWriter) -> None:
        """Close politely (TLS close_notify) within close_timeout_s, then drop the socket."""
        writer.close()
        try:
            async with asyncio.timeout(self._config.close_timeout_s):
                await writer.wait_closed()
        except (OSError, TimeoutError):
            writer.transport.abort()

    # ------------------------------------------------------------------ reporting

    def _notify(self, callback: OnPeerEvent | None, peer_id: bytes) -> None:
        if callback is None:
            return
        try:
            callback(peer_id)
        except Exception:
            self.counters.callback_errors += 1
            logger.exception("p2p.callback_failed peer=%s", _short(peer_id))

    def _count_disconnect(self, reason: CloseReason) -> None:
        disconnects = self.counters.disconnects
        disconnects[reason.value] = disconnects.get(reason.value, 0) + 1

    def _log_connected(self, conn: _Connection) -> None:
        logger.info(
            "p2p.connected peer=%s address=%s:%d direction=%s",
            _short(conn.peer_id),
            *conn.address,
            conn.direction,
            extra=_log_fields(conn.peer_id, conn.address, conn.direction, None),
        )

    def _log_closed(self, conn: _Connection, level: int) -> None:
        logger.log(
            level,
            "p2p.disconnected peer=%s address=%s:%d direction=%s reason=%s detail=%s",
            _short(conn.peer_id),
            *conn.address,
            conn.direction,
            conn.close_reason,
            conn.close_detail,
            extra=_log_fields(conn.peer_id, conn.address, conn.direction, conn.close_reason),
        )


def _move_queued_frames(source: _Connection, target: _Connection) -> None:
    """Hand frames not yet written on a replaced connection to its replacement, in order."""
    while not source.send_queue.empty() and not target.send_queue.full():
        target.send_queue.put_nowait(source.send_queue.get_nowait())


def _log_fields(
    peer_id: bytes | None,
    address: PeerAddress,
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
