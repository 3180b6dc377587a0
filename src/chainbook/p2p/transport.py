"""The transport the node uses: authenticated peer connections carrying opaque frames.

It assembles the parts, each of which keeps its own rules: ``listener`` (inbound: the pending
pool, TLS after the first byte, one deadline), ``dialer`` (outbound, reconnecting with capped
backoff), ``handshake`` (who the peer is and whether we talk to it), ``peer_table`` (slots,
admission, reserved peers, bans; pure), ``connection`` (framing, the bounded send queue, ping and
pong), ``reporting`` (counted, rate-limited log lines). What this module adds, and why:

- **Reserved peers** (``reserved_peer_ids`` plus every id pinned in ``peer_addresses``) are
  never refused for capacity: the validators of a network always find a slot, whatever the
  number of unauthenticated sockets or of other peers.
- **Policy at run time.** ``ban`` (refused until it expires, on accept and on dial; a dialer
  does not even connect to a banned pinned id), ``disconnect``, ``set_revoked`` and
  ``set_reserved`` take effect at once, on connected peers too.
- **A bad peer costs only its own connection.** A malformed frame, a failed Hello, silence past
  ``ping_timeout_ms``, or ``PeerMisbehaved`` (chainbook.errors) raised by ``on_message``
  disconnects that peer with a log line on the ``chainbook.p2p`` logger naming the peer and
  the reason. Any other exception raised by a callback is logged and counted, and the
  connection stays up.
- **Callbacks.** ``on_peer_connected(peer_id)`` when a peer enters the table,
  ``on_peer_disconnected(peer_id)`` when it leaves; a duplicate connection replacing another to
  the same peer triggers neither. They run on the event loop and must not block.
- **Delivery is best effort, at most once, in order per connection.** Frames queued for a
  connection that closes are lost (except when a duplicate connection is replaced: its queue
  moves to the survivor). ``send`` never waits; a slow peer never stalls the node.
- **Clean shutdown.** ``stop()`` closes the listener and every connection and awaits every task
  the transport started; no socket outlives it.

The transport knows nothing about blocks or votes: payloads are opaque bytes.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from chainbook.errors import PeerMisbehaved
from chainbook.p2p import frames, tls
from chainbook.p2p.address import PeerAddress, SocketAddress
from chainbook.p2p.config import (
    PEER_BANS_MAX,
    UNAUTHENTICATED_CONNECTIONS_MAX,
    TransportConfig,
    verify_node_ids,
)
from chainbook.p2p.connection import Connection, ConnectionSettings, close_writer
from chainbook.p2p.dialer import Backoff, Dialer, DialResult, DialState, DialStatus, open_tls
from chainbook.p2p.handshake import (
    CHAIN_ID_BYTES_MAX,
    HELLO_BYTES_MAX,
    PROTOCOL_VERSION,
    HandshakeRefused,
    Hello,
    encode_hello,
    exchange_hellos,
    verify_certificate_key,
    verify_hello,
    verify_pinned_peer_id,
)
from chainbook.p2p.listener import Handle, Listener
from chainbook.p2p.log_limit import LogLimiter
from chainbook.p2p.peer_table import Direction, PeerTable, Refused
from chainbook.p2p.reasons import CloseReason, short_hex
from chainbook.p2p.reporting import TransportLog, logger
from chainbook.p2p.stats import PeerInfo, TransportCounters, TransportStats

__all__ = [
    "PROTOCOL_VERSION",
    "HELLO_BYTES_MAX",
    "CHAIN_ID_BYTES_MAX",
    "UNAUTHENTICATED_CONNECTIONS_MAX",
    "PEER_BANS_MAX",
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
    "TransportStats",
    "Transport",
]

OnMessage = Callable[[bytes, bytes], None]
OnPeerEvent = Callable[[bytes], None]


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
        self._pinned_ids = frozenset(a.node_id for a in config.dial_addresses if a.node_id)
        self._table: PeerTable[Handle] = PeerTable(
            local_peer_id=self._public_key,
            peers_max=config.peers_max,
            unauthenticated_connections_max=config.unauthenticated_connections_max,
            peer_bans_max=config.peer_bans_max,
            reserved_peer_ids=config.reserved_peer_ids | self._pinned_ids,
            revoked_peer_ids=config.revoked_node_ids,
        )
        self._settings = ConnectionSettings(
            frame_bytes_max=config.frame_bytes_max,
            send_queue_max=config.peer_send_queue_max,
            ping_interval_s=config.seconds("ping_interval"),
            ping_timeout_s=config.seconds("ping_timeout"),
            close_timeout_s=config.seconds("close_timeout"),
        )
        self.counters = TransportCounters()
        limiter = LogLimiter(
            lines_max=config.refusal_log_lines_max,
            interval_s=config.seconds("refusal_log_interval"),
        )
        self._log = TransportLog(self.counters, limiter)
        self._tasks: set[asyncio.Task[None]] = set()
        self._listener: socket.socket | None = None
        self._dialers: list[Dialer] = []
        self._hello: Hello | None = None
        self._hello_frame = b""
        self._listen_port = 0
        self._stopping = False

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
        self._listener = socket.create_server((config.listen_host, config.listen_port))
        self._listener.setblocking(False)
        self._listen_port = int(self._listener.getsockname()[1])
        self._hello = Hello(
            PROTOCOL_VERSION,
            config.chain_id,
            self._public_key,
            self._listen_port,
            network_id=config.network_id,
        )
        self._hello_frame = encode_hello(self._hello)
        listener = Listener(
            table=self._table,
            log=self._log,
            counters=self.counters,
            server_ssl=self._server_ssl,
            handshake_timeout_s=config.seconds("handshake_timeout"),
            close_timeout_s=config.seconds("close_timeout"),
            spawn=self._spawn,
            authenticate=self._authenticate_inbound,
            serve=self._run_connection,
        )
        self._spawn(listener.accept_forever(self._listener, lambda: self._stopping))
        logger.info(
            "p2p.listening peer=%s address=%s:%d",
            short_hex(self._public_key),
            config.listen_host,
            self._listen_port,
        )
        for address in config.dial_addresses:
            backoff = Backoff(
                config.seconds("dial_backoff_initial"), config.seconds("dial_backoff_max")
            )
            dialer = Dialer(address, backoff, self._attempt)
            self._dialers.append(dialer)
            self._spawn(self._run_dialer(dialer))

    async def stop(self) -> None:
        """Close the listener and every connection; await every task we started."""
        if self._stopping:
            return
        self._stopping = True
        if self._listener is not None:
            self._listener.close()
        for conn in self._connections():
            conn.request_close(CloseReason.STOPPING)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        logger.info("p2p.stopped peer=%s", short_hex(self._public_key))

    def send(self, peer_id: bytes, payload: bytes) -> bool:
        """Queue ``payload`` for one peer; False if it is not connected or its queue is full.

        Never waits. Raises ``frames.FrameError`` if no peer would accept the payload (empty or
        over ``frame_bytes_max``): that is a bug on our side, not the peer's.
        """
        frame = frames.encode_frame(payload, self._config.frame_bytes_max)
        conn = self._connection_of(peer_id)
        if conn is None:
            self.counters.frames_dropped_no_peer += 1
            return False
        return conn.send(frame)

    def broadcast(self, payload: bytes, exclude: bytes | None = None) -> int:
        """Queue ``payload`` for every connected peer but ``exclude``; return how many took it."""
        frame = frames.encode_frame(payload, self._config.frame_bytes_max)
        return sum(
            1 for conn in self._connections() if conn.peer_id != exclude and conn.send(frame)
        )

    def connected_peers(self) -> list[PeerInfo]:
        """One snapshot per connected peer, sorted by peer id."""
        return [conn.info() for conn in self._connections()]

    def is_connected(self, peer_id: bytes) -> bool:
        return self._table.is_connected(peer_id)

    def dial_status(self) -> list[DialStatus]:
        """What each dialer is doing, in configured order (for operators and tests)."""
        return [dialer.status() for dialer in self._dialers]

    def stats(self) -> TransportStats:
        """Totals, refusals and disconnects by reason, and per-peer counts, in one snapshot."""
        c = self.counters
        return TransportStats(
            frames_in=c.frames_in,
            bytes_in=c.bytes_in,
            frames_out=c.frames_out,
            bytes_out=c.bytes_out,
            control_frames_in=c.control_frames_in,
            control_frames_out=c.control_frames_out,
            frames_dropped_queue_full=c.frames_dropped_queue_full,
            frames_dropped_no_peer=c.frames_dropped_no_peer,
            dials_failed=c.dials_failed,
            log_lines_suppressed=c.log_lines_suppressed,
            unauthenticated_connections=self._table.unauthenticated_count(),
            refusals=dict(c.refusals),
            disconnects=dict(c.disconnects),
            peers=tuple(self.connected_peers()),
        )

    def ban(self, peer_id: bytes, duration_ms: int, reason: str) -> bool:
        """Close ``peer_id``'s connection and refuse it for ``duration_ms``; True if it was
        connected. A ban outranks a reserved slot; banning again replaces the expiry."""
        verify_node_ids("peer_id", [peer_id])
        conn = self._table.ban(peer_id, self._now_s(), duration_ms / 1000, reason)
        logger.info(
            "p2p.banned peer=%s duration_ms=%s reason=%s", short_hex(peer_id), duration_ms, reason
        )
        if isinstance(conn, Connection):
            conn.request_close(CloseReason.BANNED, reason)
            return True
        return False

    def disconnect(self, peer_id: bytes, reason: str) -> bool:
        """Close ``peer_id``'s connection (it may reconnect); True if it was connected."""
        conn = self._connection_of(peer_id)
        if conn is None:
            return False
        conn.request_close(CloseReason.DISCONNECTED, reason)
        return True

    def set_revoked(self, node_ids: Iterable[bytes]) -> int:
        """Replace the revoked set; close connected revoked peers; return how many."""
        ids = frozenset(node_ids)
        verify_node_ids("revoked node ids", ids)
        closed = 0
        for conn in self._table.set_revoked(ids):
            if isinstance(conn, Connection):
                conn.request_close(CloseReason.REVOKED, "node id revoked")
                closed += 1
        logger.info("p2p.revoked_updated count=%d closed=%d", len(ids), closed)
        return closed

    def set_reserved(self, peer_ids: Iterable[bytes]) -> None:
        """Replace ``reserved_peer_ids`` (ids pinned in ``peer_addresses`` stay reserved)."""
        ids = frozenset(peer_ids)
        verify_node_ids("reserved peer ids", ids)
        self._table.set_reserved(ids | self._pinned_ids)
        for conn in self._connections():  # connected peers stay either way; PeerInfo tells
            conn.reserved = self._table.is_reserved(conn.peer_id)

    # ------------------------------------------------------------------ tasks

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._on_task_done)
        return task

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("p2p.task_failed", exc_info=task.exception())

    def _now_s(self) -> float:
        return asyncio.get_running_loop().time()

    def _connection_of(self, peer_id: bytes) -> Connection | None:
        handle = self._table.handle_of(peer_id)
        assert handle is None or isinstance(handle, Connection)
        return handle

    def _connections(self) -> list[Connection]:
        """Registered connections, sorted by peer id."""
        return [c for pid in self._table.peer_ids() if (c := self._connection_of(pid))]

    # ------------------------------------------------------------------ outbound

    async def _run_dialer(self, dialer: Dialer) -> None:
        await dialer.run()
        logger.info("p2p.dial_stopped address=%s reason=self_connection", dialer.address)

    async def _attempt(self, dialer: Dialer) -> DialResult:
        """One dial: connect, authenticate, then serve until the peer is gone."""
        config = self._config
        address = dialer.address
        if address.node_id is not None:  # no TLS work for a pinned peer we would refuse
            refusal = self._table.refusal_of_identity(address.node_id, self._now_s())
            if refusal is not None:
                logger.debug("p2p.dial_skipped address=%s reason=%s", address, refusal.reason)
                return DialResult(refusal=refusal.reason)
        deadline_s = self._now_s() + config.seconds("handshake_timeout")
        try:
            async with asyncio.timeout_at(deadline_s):
                reader, writer = await open_tls(
                    address,
                    self._client_ssl,
                    config.seconds("handshake_timeout"),
                    config.seconds("close_timeout"),
                )
        except (OSError, TimeoutError) as error:  # ssl.SSLError is an OSError
            self.counters.dials_failed += 1
            # The first failure of a streak is news (peer down, or a CA mismatch); repeats are not.
            level = logging.INFO if dialer.failures == 0 else logging.DEBUG
            logger.log(level, "p2p.dial_failed address=%s error=%r", address, error)
            return DialResult()
        self.counters.connections_outbound += 1
        socket_address = address.socket_address
        try:
            async with asyncio.timeout_at(deadline_s):
                conn = await self._authenticate(
                    reader, writer, Direction.OUTBOUND, socket_address, pinned=address.node_id
                )
        except (HandshakeRefused, TimeoutError) as error:
            failure = (
                error
                if isinstance(error, HandshakeRefused)
                else HandshakeRefused(CloseReason.HANDSHAKE_TIMEOUT, "Hello exchange timed out")
            )
            self._log.refused(
                self._now_s(),
                failure.reason,
                failure.detail,
                failure.peer_id,
                socket_address,
                Direction.OUTBOUND,
            )
            await close_writer(writer, config.seconds("close_timeout"))
            return DialResult(refusal=failure.reason)
        except BaseException:
            writer.transport.abort()  # cancelled (stop) or a bug: never leak the socket
            raise
        return await self._serve_dialed(dialer, conn)

    async def _serve_dialed(self, dialer: Dialer, conn: Connection) -> DialResult:
        refusal = self._admit(conn)
        if refusal is not None and refusal.reason is not CloseReason.DUPLICATE:
            await conn.close_unserved(_ignore_close)
            return DialResult(refusal=refusal.reason)
        connected_at_s = self._now_s()
        dialer.mark_connected(conn.peer_id)
        if refusal is None:
            await conn.run(self._deliver, self._on_connection_closed)
        else:
            await conn.close_unserved(_ignore_close)
        # Lost to (or replaced by) another connection to the same peer: wait for that one.
        while (other := self._connection_of(conn.peer_id)) is not None:
            await other.closed.wait()
        return DialResult(connected_s=self._now_s() - connected_at_s)

    # ------------------------------------------------------------------ both directions

    async def _authenticate_inbound(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: SocketAddress
    ) -> Connection:
        return await self._authenticate(reader, writer, Direction.INBOUND, address, pinned=None)

    async def _authenticate(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        direction: Direction,
        address: SocketAddress,
        pinned: bytes | None,
    ) -> Connection:
        """Certificate key, pinned id, identity policy, Hello (``handshake`` checks 1-4)."""
        assert self._hello is not None
        peer_id = verify_certificate_key(writer, self._public_key)
        verify_pinned_peer_id(pinned, peer_id)
        refusal = self._table.refusal_of_identity(peer_id, self._now_s())
        if refusal is not None:
            raise HandshakeRefused(refusal.reason, refusal.detail, peer_id)
        theirs = await exchange_hellos(reader, writer, self._hello_frame)
        verify_hello(self._hello, theirs, peer_id)
        return Connection(
            peer_id=peer_id,
            listen_port=theirs.listen_port,
            direction=direction,
            address=address,
            reader=reader,
            writer=writer,
            settings=self._settings,
            counters=self.counters,
        )

    def _admit(self, conn: Connection) -> Refused | None:
        """Put ``conn`` in the peer table, or count and log why not (the caller closes it)."""
        decision = self._table.admit(conn.peer_id, conn.direction, conn, self._now_s())
        if isinstance(decision, Refused):
            conn.set_close_reason(decision.reason, decision.detail)
            self._log.refused(
                self._now_s(),
                decision.reason,
                decision.detail,
                conn.peer_id,
                conn.address,
                conn.direction,
            )
            return decision
        conn.reserved = self._table.is_reserved(conn.peer_id)
        replaced = decision.replaced
        if replaced is not None:
            assert isinstance(replaced, Connection)
            conn.take_queued_from(replaced)
            replaced.request_close(
                CloseReason.DUPLICATE, f"replaced by a {conn.direction} connection"
            )
            return None
        self._log.connected(conn.peer_id, conn.address, conn.direction, conn.reserved)
        self._notify(self._on_peer_connected, conn.peer_id)
        return None

    async def _run_connection(self, conn: Connection) -> None:
        """Admit an inbound ``conn`` and serve it, or close it if it may not stay."""
        if self._admit(conn) is not None:
            await conn.close_unserved(_ignore_close)
            return
        await conn.run(self._deliver, self._on_connection_closed)

    def _on_connection_closed(self, conn: Connection) -> None:
        was_registered = self._table.remove(conn.peer_id, conn)
        self._log.disconnected(
            self._now_s(),
            conn.close_reason or CloseReason.IO_ERROR,
            conn.close_detail,
            conn.peer_id,
            conn.address,
            conn.direction,
            was_registered=was_registered,
        )
        if was_registered:  # else a duplicate that lost the race: the peer is still here
            self._notify(self._on_peer_disconnected, conn.peer_id)

    def _deliver(self, conn: Connection, payload: bytes) -> bool:
        """Hand ``payload`` to ``on_message``; False if the peer must be disconnected."""
        try:
            self._on_message(conn.peer_id, payload)
        except PeerMisbehaved as error:
            conn.set_close_reason(CloseReason.MISBEHAVED, str(error))
            return False
        except Exception:
            self.counters.callback_errors += 1
            logger.exception(
                "p2p.callback_failed callback=on_message peer=%s", short_hex(conn.peer_id)
            )
        return True

    # ------------------------------------------------------------------ reporting

    def _notify(self, callback: OnPeerEvent | None, peer_id: bytes) -> None:
        if callback is None:
            return
        try:
            callback(peer_id)
        except Exception:
            self.counters.callback_errors += 1
            logger.exception("p2p.callback_failed peer=%s", short_hex(peer_id))


def _ignore_close(conn: Connection) -> None:
    """``on_closed`` for a connection that never entered the peer table (counted already)."""
