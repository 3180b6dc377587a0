"""One authenticated peer connection: read and write loops, the bounded send queue, liveness, close.

Rules it keeps:

- **Frames.** Payload frames are handed to ``deliver`` in order; frames over ``frame_bytes_max``
  are refused before their payload is read and close the connection, as does any other framing
  error. Control frames (``frames`` marks them) carry the transport's own ``Ping`` and ``Pong``
  and are never delivered: a control frame that does not decode is ``control_frame_invalid``.
- **Bounded send queue.** ``send`` never waits: at most ``send_queue_max`` payload frames wait to
  be written, and a frame beyond that is dropped and counted. Control frames go first, in a
  queue of their own of at most ``CONTROL_QUEUE_MAX`` (more pongs pending than that means the
  peer pings faster than it reads; the extra pongs are dropped).
- **Liveness.** Every ``ping_interval_ms`` we send a ``Ping`` (unless one is unanswered); the peer
  answers with a ``Pong`` carrying the same nonce. Any byte received counts as a sign of life;
  a connection on which nothing arrived for ``ping_timeout_ms`` is closed (``ping_timeout``). A
  live peer is never silent that long, since it answers our pings. A tick that wakes more than
  ``ping_interval_ms`` late means our own event loop was stalled, and data may be waiting
  unread: that tick only pings, it does not judge.
- **Close once.** The first reason given wins; ``on_closed`` runs exactly once, synchronously,
  before any await of the teardown, so the peer table is updated even if teardown is cancelled.
  The socket gets a polite TLS close within ``close_timeout_ms``, then is dropped.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import msgspec

from chainbook.p2p import frames
from chainbook.p2p.address import SocketAddress
from chainbook.p2p.peer_table import Direction
from chainbook.p2p.reasons import CloseReason
from chainbook.p2p.stats import PeerInfo, TransportCounters

__all__ = [
    "CONTROL_BYTES_MAX",
    "CONTROL_QUEUE_MAX",
    "Ping",
    "Pong",
    "ConnectionSettings",
    "Connection",
    "close_writer",
]

CONTROL_BYTES_MAX = 32  # a Ping or Pong is ~12 bytes of MessagePack
CONTROL_QUEUE_MAX = 4
NONCE_MAX = 2**63 - 1  # msgspec bounds fit an int64

_FRAME_ERROR_REASONS: dict[type[frames.FrameError], CloseReason] = {
    frames.OversizeFrame: CloseReason.OVERSIZE_FRAME,
    frames.EmptyFrame: CloseReason.EMPTY_FRAME,
    frames.TruncatedFrame: CloseReason.TRUNCATED_FRAME,
}


class Ping(msgspec.Struct, frozen=True, tag="ping", array_like=True, forbid_unknown_fields=True):
    nonce: Annotated[int, msgspec.Meta(ge=0, le=NONCE_MAX)]


class Pong(msgspec.Struct, frozen=True, tag="pong", array_like=True, forbid_unknown_fields=True):
    nonce: Annotated[int, msgspec.Meta(ge=0, le=NONCE_MAX)]


_control_decoder = msgspec.msgpack.Decoder(Ping | Pong)


def _control_frame(message: Ping | Pong) -> bytes:
    return frames.encode_control_frame(msgspec.msgpack.encode(message), CONTROL_BYTES_MAX)


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    frame_bytes_max: int
    send_queue_max: int
    ping_interval_s: float
    ping_timeout_s: float
    close_timeout_s: float


Deliver = Callable[["Connection", bytes], bool]  # False: the peer must be disconnected


class Connection:
    """One authenticated connection; ``run`` serves it until it closes."""

    def __init__(
        self,
        *,
        peer_id: bytes,
        listen_port: int,
        direction: Direction,
        address: SocketAddress,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        settings: ConnectionSettings,
        counters: TransportCounters,
    ) -> None:
        self.peer_id = peer_id
        self.listen_port = listen_port
        self.direction = direction
        self.address = address
        self.reader = reader
        self.writer = writer
        self._settings = settings
        self._counters = counters  # transport-wide totals, shared by every connection
        self._send_queue: collections.deque[bytes] = collections.deque()
        self._control_queue: collections.deque[bytes] = collections.deque()
        self._wake_writer = asyncio.Event()
        self.connected_since_unix_s = time.time()
        self.frames_in = self.bytes_in = self.frames_out = self.bytes_out = 0
        self.frames_dropped = 0
        self.rtt_s: float | None = None
        self.reserved = False  # set by the transport at admission, for PeerInfo
        self._loop = asyncio.get_running_loop()
        self._last_received_s = self._loop.time()
        self._ping_nonce = 0
        self._ping_sent_s: float | None = None  # the unanswered ping, if any
        # Set once, by whoever first decides the connection ends; later reasons are ignored.
        self.close_reason: CloseReason | None = None
        self.close_detail = ""
        self._io_tasks: tuple[asyncio.Task[None], ...] = ()
        self.closed = asyncio.Event()  # set once on_closed has run

    # ------------------------------------------------------------------ control

    def set_close_reason(self, reason: CloseReason, detail: str = "") -> None:
        if self.close_reason is None:
            self.close_reason = reason
            self.close_detail = detail

    def request_close(self, reason: CloseReason, detail: str = "") -> None:
        """Close soon (from any task): the serving task tears the connection down."""
        self.set_close_reason(reason, detail)
        for task in self._io_tasks:
            task.cancel()

    def send(self, frame: bytes) -> bool:
        """Queue an encoded payload frame; False (and counted) if the queue is full."""
        if len(self._send_queue) >= self._settings.send_queue_max:
            self.frames_dropped += 1
            self._counters.frames_dropped_queue_full += 1
            return False
        self._send_queue.append(frame)
        self._wake_writer.set()
        return True

    def take_queued_from(self, other: Connection) -> None:
        """Adopt the frames ``other`` (a connection this one replaces) has not written yet."""
        while other._send_queue and len(self._send_queue) < self._settings.send_queue_max:
            self._send_queue.append(other._send_queue.popleft())
        if self._send_queue:
            self._wake_writer.set()

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
            send_queue_len=len(self._send_queue),
            reserved=self.reserved,
            rtt_s=self.rtt_s,
        )

    # ------------------------------------------------------------------ serving

    async def run(self, deliver: Deliver, on_closed: Callable[[Connection], None]) -> None:
        """Serve until the peer goes, a loop fails, or ``request_close``; then tear down."""
        self._io_tasks = (
            self._loop.create_task(self._read_loop(deliver)),
            self._loop.create_task(self._write_loop()),
            self._loop.create_task(self._liveness_loop()),
        )
        try:
            await asyncio.wait(self._io_tasks, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            self.set_close_reason(CloseReason.STOPPING)
            raise
        finally:
            await self._finish(on_closed)

    async def close_unserved(self, on_closed: Callable[[Connection], None]) -> None:
        """Tear down a connection that was never served (it lost admission)."""
        await self._finish(on_closed)

    async def _finish(self, on_closed: Callable[[Connection], None]) -> None:
        self.set_close_reason(CloseReason.IO_ERROR, "connection ended")
        for task in self._io_tasks:
            task.cancel()
        if not self.closed.is_set():
            on_closed(self)
            self.closed.set()
        await asyncio.gather(*self._io_tasks, return_exceptions=True)
        await close_writer(self.writer, self._settings.close_timeout_s)

    async def _read_loop(self, deliver: Deliver) -> None:
        settings = self._settings
        while True:
            try:
                frame = await frames.read_frame_or_control(
                    self.reader, settings.frame_bytes_max, CONTROL_BYTES_MAX, self._touch
                )
            except frames.FrameError as error:
                self.set_close_reason(_FRAME_ERROR_REASONS[type(error)], str(error))
                return
            except OSError as error:
                self.set_close_reason(CloseReason.IO_ERROR, repr(error))
                return
            if frame is None:
                self.set_close_reason(CloseReason.PEER_CLOSED)
                return
            self._touch()
            if frame.is_control:
                if not self._process_control(frame.payload):
                    return
                continue
            self._record_in(len(frame.payload))
            if not deliver(self, frame.payload):
                return

    def _process_control(self, payload: bytes) -> bool:
        """Answer a ping, or note a pong; False if the frame is not a valid control message."""
        self._counters.control_frames_in += 1
        try:
            message = _control_decoder.decode(payload)
        except msgspec.DecodeError as error:
            self.set_close_reason(CloseReason.CONTROL_FRAME_INVALID, str(error))
            return False
        match message:
            case Ping(nonce=nonce):
                self._queue_control(Pong(nonce))
            case Pong(nonce=nonce):
                # A pong for another nonce is stale or made up: harmless, it is ignored.
                if self._ping_sent_s is not None and nonce == self._ping_nonce:
                    self.rtt_s = self._loop.time() - self._ping_sent_s
                    self._ping_sent_s = None
        return True

    def _queue_control(self, message: Ping | Pong) -> None:
        if len(self._control_queue) < CONTROL_QUEUE_MAX:
            self._control_queue.append(_control_frame(message))
            self._wake_writer.set()

    async def _write_loop(self) -> None:
        try:
            while True:
                await self._wake_writer.wait()
                self._wake_writer.clear()
                control = list(self._control_queue)
                payloads = list(self._send_queue)
                self._control_queue.clear()
                self._send_queue.clear()
                self.writer.writelines(control + payloads)
                await self.writer.drain()
                self._counters.control_frames_out += len(control)
                self._record_out(payloads)
        except OSError as error:
            self.set_close_reason(CloseReason.IO_ERROR, repr(error))

    async def _liveness_loop(self) -> None:
        interval_s = self._settings.ping_interval_s
        timeout_s = self._settings.ping_timeout_s
        while True:
            planned_s = self._loop.time() + interval_s
            await asyncio.sleep(interval_s)
            now_s = self._loop.time()
            stalled = now_s - planned_s > interval_s  # our loop, not the peer, was slow
            silent_s = now_s - self._last_received_s
            if not stalled and silent_s > timeout_s:
                self.set_close_reason(
                    CloseReason.PING_TIMEOUT,
                    f"nothing received for {silent_s:.1f}s (ping_timeout_s={timeout_s})",
                )
                return
            if self._ping_sent_s is None:
                self._ping_nonce = (self._ping_nonce + 1) & NONCE_MAX
                self._ping_sent_s = now_s
                self._queue_control(Ping(self._ping_nonce))

    def _touch(self) -> None:
        self._last_received_s = self._loop.time()

    def _record_in(self, payload_bytes: int) -> None:
        self.frames_in += 1
        self.bytes_in += payload_bytes
        self._counters.frames_in += 1
        self._counters.bytes_in += payload_bytes

    def _record_out(self, batch: list[bytes]) -> None:
        payload_bytes = sum(len(frame) for frame in batch) - frames.FRAME_HEADER_BYTES * len(batch)
        self.frames_out += len(batch)
        self.bytes_out += payload_bytes
        self._counters.frames_out += len(batch)
        self._counters.bytes_out += payload_bytes


async def close_writer(writer: asyncio.StreamWriter, close_timeout_s: float) -> None:
    """Close politely (TLS close_notify) within close_timeout_s, then drop the socket.

    Cancelled while waiting (the transport is stopping), it drops the socket before it goes.
    """
    writer.close()
    try:
        async with asyncio.timeout(close_timeout_s):
            await writer.wait_closed()
    except (OSError, TimeoutError):
        writer.transport.abort()
    except asyncio.CancelledError:
        writer.transport.abort()
        raise


def _socket_address(writer: asyncio.StreamWriter, which: str) -> SocketAddress:
    """``which`` is "peername" or "sockname"; IPv6 flow and scope ids are dropped."""
    name = writer.get_extra_info(which)
    if not name:
        return ("?", 0)
    return (str(name[0]), int(name[1]))
