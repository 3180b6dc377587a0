"""Inbound connections: TCP accepted by us, TLS only after the first byte, one deadline.

Rules it keeps:

- **No TLS work for idle sockets.** We accept TCP ourselves and start TLS on a socket only once
  its first byte has arrived (``wait_readable``: nothing is read, the byte stays in the kernel
  for TLS). A dialer's ClientHello comes within one round trip; a socket that sends nothing
  costs us a file descriptor and a place in the pending pool, nothing more.
- **The pending pool, not the peer slots.** From accept until its Hello is verified, a
  connection is *unauthenticated*: it holds a place in the peer table's pending pool
  (``unauthenticated_connections_max``), never a peer slot. A full pool pushes one out (which
  one: see ``peer_table``), counted and logged as ``unauthenticated_evicted``.
- **One deadline.** TLS, the identity checks and the Hello together must end within
  ``handshake_timeout_ms`` of the accept (``handshake_timeout``).
- **No socket is leaked**: the handshake releases it on failure; the task's done callback
  releases it if the task was cancelled before it first ran; a ``Connection`` owns it after.
- A failed accept (out of file descriptors) is logged and retried after ``ACCEPT_RETRY_S``,
  never spun on.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from chainbook.p2p.address import SocketAddress
from chainbook.p2p.connection import Connection, close_writer
from chainbook.p2p.handshake import HandshakeRefused
from chainbook.p2p.peer_table import Direction, PeerTable
from chainbook.p2p.reasons import CloseReason
from chainbook.p2p.reporting import TransportLog, logger
from chainbook.p2p.stats import TransportCounters

__all__ = [
    "ACCEPT_RETRY_S",
    "Pending",
    "Handle",
    "Listener",
    "has_byte_waiting",
    "wait_readable",
]

ACCEPT_RETRY_S = 0.5


class Pending:
    """An accepted socket until its handshake ends: its place in the pending pool."""

    def __init__(self, sock: socket.socket, address: SocketAddress) -> None:
        self.sock = sock
        self.address = address
        self.task: asyncio.Task[None] | None = None
        self.writer: asyncio.StreamWriter | None = None  # once TLS owns the socket
        self.evicted = False
        self.handed_off = False  # a Connection owns the socket now

    def on_task_done(self, task: asyncio.Task[None]) -> None:
        self.release()

    def release(self) -> None:
        """Drop the socket unless a Connection owns it; safe to call more than once."""
        if self.handed_off:
            return
        if self.writer is not None:
            self.writer.transport.abort()
        else:
            self.sock.close()


Handle = Connection | Pending
"""What the transport's peer table holds: pending sockets, then connections."""

Authenticate = Callable[
    [asyncio.StreamReader, asyncio.StreamWriter, SocketAddress], Awaitable[Connection]
]
Serve = Callable[[Connection], Awaitable[None]]
Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]


class Listener:
    """Accepts forever (``accept_forever``); hands each authenticated connection to ``serve``."""

    def __init__(
        self,
        *,
        table: PeerTable[Handle],
        log: TransportLog,
        counters: TransportCounters,
        server_ssl: ssl.SSLContext,
        handshake_timeout_s: float,
        close_timeout_s: float,
        spawn: Spawn,
        authenticate: Authenticate,
        serve: Serve,
    ) -> None:
        self._table = table
        self._log = log
        self._counters = counters
        self._server_ssl = server_ssl
        self._handshake_timeout_s = handshake_timeout_s
        self._close_timeout_s = close_timeout_s
        self._spawn = spawn
        self._authenticate = authenticate
        self._serve = serve

    async def accept_forever(self, listener: socket.socket, stopping: Callable[[], bool]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, _ = await loop.sock_accept(listener)
            except OSError:
                if stopping():
                    return
                logger.exception("p2p.accept_failed")
                await asyncio.sleep(ACCEPT_RETRY_S)  # e.g. out of file descriptors
                continue
            pending = Pending(sock, _sock_address(sock))
            if self._table.is_unauthenticated_full():
                self._refresh_silent()
            victim = self._table.open_unauthenticated(pending)
            if victim is not None:
                assert isinstance(victim, Pending)
                self._evict(victim, loop.time())
            pending.task = self._spawn(self._handle(pending))
            # A task cancelled before it first runs never enters its body: release it here too.
            pending.task.add_done_callback(pending.on_task_done)
            # An accept that is ready completes without yielding to the event loop: under a
            # flood this loop would starve everything else, the node's consensus and the very
            # handshakes it admitted (a dialer in this process would never get to send a byte).
            await asyncio.sleep(0)

    def _refresh_silent(self) -> None:
        """Before one is pushed out, see which silent sockets have a byte waiting by now.

        The pool's view of who is silent must not depend on whether a handshake task has run
        yet: a peek at each silent socket settles it, and consumes nothing.
        """
        for pending in self._table.silent_unauthenticated():
            assert isinstance(pending, Pending)
            if has_byte_waiting(pending.sock):
                self._table.mark_unauthenticated_active(pending)

    def _evict(self, pending: Pending, now_s: float) -> None:
        self._log.refused(
            now_s,
            CloseReason.UNAUTHENTICATED_EVICTED,
            "unauthenticated_connections_max reached; this pending connection made room",
            None,
            pending.address,
            Direction.INBOUND,
        )
        pending.evicted = True
        assert pending.task is not None
        pending.task.cancel()

    async def _handle(self, pending: Pending) -> None:
        try:
            conn = await self._handshake(pending)
        except HandshakeRefused as refusal:
            self._log.refused(
                asyncio.get_running_loop().time(),
                refusal.reason,
                refusal.detail,
                refusal.peer_id,
                pending.address,
                Direction.INBOUND,
            )
            if pending.writer is not None:
                await close_writer(pending.writer, self._close_timeout_s)
            return
        except asyncio.CancelledError:
            if not pending.evicted:
                raise
            task = asyncio.current_task()
            assert task is not None
            task.uncancel()  # the eviction is this task's normal end, counted by _evict
            return
        finally:
            self._table.close_unauthenticated(pending)
            pending.release()
        await self._serve(conn)

    async def _handshake(self, pending: Pending) -> Connection:
        """TLS once the first byte is in, then ``authenticate``, all under one deadline."""
        timeout_s = self._handshake_timeout_s
        try:
            async with asyncio.timeout(timeout_s):
                await wait_readable(pending.sock)
                self._table.mark_unauthenticated_active(pending)
                reader, writer = await self._start_tls(pending.sock)
                pending.writer = writer
                self._counters.connections_inbound += 1
                conn = await self._authenticate(reader, writer, pending.address)
        except TimeoutError:
            raise HandshakeRefused(
                CloseReason.HANDSHAKE_TIMEOUT, f"not done within {timeout_s}s of accept"
            ) from None
        except ssl.SSLError as error:  # e.g. no certificate from our CA
            raise HandshakeRefused(CloseReason.CERTIFICATE_INVALID, repr(error)) from None
        except OSError as error:
            raise HandshakeRefused(CloseReason.IO_ERROR, repr(error)) from None
        pending.handed_off = True
        return conn

    async def _start_tls(
        self, sock: socket.socket
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Streams over TLS on an accepted socket (what asyncio.start_server builds)."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        protocol = asyncio.StreamReaderProtocol(reader)
        transport, _ = await loop.connect_accepted_socket(
            lambda: protocol,
            sock,
            ssl=self._server_ssl,
            ssl_handshake_timeout=self._handshake_timeout_s,
            ssl_shutdown_timeout=self._close_timeout_s,
        )
        return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


def has_byte_waiting(sock: socket.socket) -> bool:
    """Whether a byte (or the end of the stream) can be read from ``sock`` now; reads nothing.

    An ended stream counts as a byte: its handshake ends at once, so it needs no protection.
    """
    try:
        sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:  # reset: as good as ended
        return True
    return True


async def wait_readable(sock: socket.socket) -> None:
    """Until ``sock`` has a byte to read (or was closed by the peer); nothing is consumed."""
    loop = asyncio.get_running_loop()
    readable: asyncio.Future[None] = loop.create_future()

    def resolve() -> None:
        if not readable.done():
            readable.set_result(None)

    fd = sock.fileno()
    loop.add_reader(fd, resolve)
    try:
        await readable
    finally:
        loop.remove_reader(fd)


def _sock_address(sock: socket.socket) -> SocketAddress:
    """The peer address of an accepted socket; IPv6 flow and scope ids are dropped."""
    try:
        name = sock.getpeername()
    except OSError:  # already reset by the peer
        return ("?", 0)
    return (str(name[0]), int(name[1]))
