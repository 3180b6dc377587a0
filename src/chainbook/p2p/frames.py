"""Length-prefixed frames: a 4-byte big-endian unsigned length, then that many payload bytes.

What this module guarantees, and why:

- A peer can never make us allocate or wait for more than ``frame_bytes_max`` payload bytes:
  the announced length is checked against the limit *before* any payload is read, and an
  over-limit length raises ``OversizeFrame`` naming the length and the limit.
- A zero-length frame is an error (``EmptyFrame``): no message of ours is empty, so an empty
  frame is either a bug or a probe, and accepting it would let a peer spin us for free. (An
  empty header is the control marker below; the frame after it may not be empty either.)
- A stream that ends between frames is a clean end (``read_frame`` returns ``None``); a stream
  that ends inside a frame raises ``TruncatedFrame``.
- **Control frames** (the transport's own ping and pong, never shown to the node) are marked by
  an empty header: ``00 00 00 00``, then an ordinary frame of at most ``control_bytes_max``
  bytes. Payload frames are byte for byte what they were before control frames existed, and
  the marker is free because a payload is never empty. ``read_frame_or_control`` reads both;
  ``read_frame`` (the Hello) still refuses an empty header.
- A large payload is read in chunks of ``READ_CHUNK_BYTES`` and ``on_progress`` is called after
  each, so a peer that is slowly sending a big frame is seen to be alive.

Errors, all raised for bad input from the remote side (or, from ``encode_frame``, from a local
caller that tried to send what no peer would accept)::

    FrameError(ValueError)
    ├── OversizeFrame    length > limit
    ├── EmptyFrame       length == 0
    └── TruncatedFrame   the stream ended inside a frame
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = [
    "FRAME_HEADER_BYTES",
    "FRAME_LENGTH_MAX",
    "FrameError",
    "OversizeFrame",
    "EmptyFrame",
    "TruncatedFrame",
    "READ_CHUNK_BYTES",
    "Frame",
    "encode_frame",
    "encode_frame_header",
    "encode_control_frame",
    "verify_frame_length",
    "read_frame",
    "read_frame_or_control",
]

FRAME_HEADER_BYTES = 4
FRAME_LENGTH_MAX = 2 ** (8 * FRAME_HEADER_BYTES) - 1  # what the header can express at all
_BYTE_ORDER: Final = "big"
READ_CHUNK_BYTES = 256 * 1024
_CONTROL_MARKER: Final = bytes(FRAME_HEADER_BYTES)


class FrameError(ValueError):
    """A frame broke the framing rules."""


class OversizeFrame(FrameError):
    """A frame announced more payload bytes than the limit."""

    def __init__(self, *, length: int, limit: int) -> None:
        super().__init__(f"frame of {length} bytes exceeds the limit of {limit} bytes")
        self.length = length
        self.limit = limit


class EmptyFrame(FrameError):
    """A frame announced a zero-length payload; payloads have at least one byte."""

    def __init__(self) -> None:
        super().__init__("frame length is 0; a frame carries at least 1 byte")


class TruncatedFrame(FrameError):
    """The stream ended before a frame was complete (byte counts include the header)."""

    def __init__(self, *, expected: int, received: int) -> None:
        super().__init__(f"stream ended inside a frame: expected {expected} bytes, got {received}")
        self.expected = expected
        self.received = received


def verify_frame_length(length: int, frame_bytes_max: int) -> None:
    """Raise ``EmptyFrame`` or ``OversizeFrame`` unless ``1 <= length <= frame_bytes_max``."""
    if length == 0:
        raise EmptyFrame()
    if length > frame_bytes_max:
        raise OversizeFrame(length=length, limit=frame_bytes_max)


def _verify_limit(frame_bytes_max: int) -> None:
    if not 1 <= frame_bytes_max <= FRAME_LENGTH_MAX:
        raise ValueError(
            f"frame_bytes_max must be in [1, {FRAME_LENGTH_MAX}], got {frame_bytes_max}"
        )


def encode_frame_header(length: int) -> bytes:
    """The 4-byte header announcing ``length`` payload bytes (not checked against a limit)."""
    return length.to_bytes(FRAME_HEADER_BYTES, _BYTE_ORDER)


def encode_frame(payload: bytes, frame_bytes_max: int) -> bytes:
    """Header + payload. Raises ``EmptyFrame``/``OversizeFrame`` for a payload no peer accepts."""
    _verify_limit(frame_bytes_max)
    verify_frame_length(len(payload), frame_bytes_max)
    return encode_frame_header(len(payload)) + payload


def encode_control_frame(payload: bytes, control_bytes_max: int) -> bytes:
    """The control marker, then ``payload`` as an ordinary frame of at most control_bytes_max."""
    return _CONTROL_MARKER + encode_frame(payload, control_bytes_max)


@dataclass(frozen=True, slots=True)
class Frame:
    payload: bytes
    is_control: bool  # a transport control frame (after the empty-header marker)


async def read_frame_or_control(
    reader: asyncio.StreamReader,
    frame_bytes_max: int,
    control_bytes_max: int,
    on_progress: Callable[[], None] | None = None,
) -> Frame | None:
    """Read one payload or control frame; ``None`` if the stream ended cleanly between frames.

    ``frame_bytes_max`` bounds payload frames, ``control_bytes_max`` control frames; both are
    verified before the payload is read.
    """
    _verify_limit(frame_bytes_max)
    _verify_limit(control_bytes_max)
    header = await _read_header_or_eof(reader)
    if header is None:
        return None
    length = int.from_bytes(header, _BYTE_ORDER)
    if length == 0:
        control = await _read_control(reader, control_bytes_max)
        return Frame(control, is_control=True)
    verify_frame_length(length, frame_bytes_max)
    return Frame(await _read_payload(reader, length, on_progress), is_control=False)


async def _read_control(reader: asyncio.StreamReader, control_bytes_max: int) -> bytes:
    """The frame after a control marker; the stream may not end here."""
    header = await _read_header_or_eof(reader)
    if header is None:
        raise TruncatedFrame(expected=2 * FRAME_HEADER_BYTES, received=FRAME_HEADER_BYTES)
    length = int.from_bytes(header, _BYTE_ORDER)
    verify_frame_length(length, control_bytes_max)
    return await _read_payload(reader, length, None)


async def _read_payload(
    reader: asyncio.StreamReader, length: int, on_progress: Callable[[], None] | None
) -> bytes:
    """``length`` bytes, in chunks when ``on_progress`` wants to hear of each."""
    chunks: list[bytes] = []
    received = 0
    try:
        while received < length:
            step = length - received if on_progress is None else READ_CHUNK_BYTES
            chunk = await reader.readexactly(min(step, length - received))
            chunks.append(chunk)
            received += len(chunk)
            if on_progress is not None:
                on_progress()
    except asyncio.IncompleteReadError as error:
        raise TruncatedFrame(
            expected=FRAME_HEADER_BYTES + length,
            received=FRAME_HEADER_BYTES + received + len(error.partial),
        ) from None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def read_frame(reader: asyncio.StreamReader, frame_bytes_max: int) -> bytes | None:
    """Read one frame's payload; ``None`` if the stream ended cleanly between frames.

    The length is verified before the payload is read, so an oversize announcement costs us
    four bytes, never the payload.
    """
    _verify_limit(frame_bytes_max)
    header = await _read_header_or_eof(reader)
    if header is None:
        return None
    length = int.from_bytes(header, _BYTE_ORDER)
    verify_frame_length(length, frame_bytes_max)
    return await _read_payload(reader, length, None)


async def _read_header_or_eof(reader: asyncio.StreamReader) -> bytes | None:
    """The 4 header bytes; ``None`` on EOF before the first byte, ``TruncatedFrame`` after it."""
    try:
        return await reader.readexactly(FRAME_HEADER_BYTES)
    except asyncio.IncompleteReadError as error:
        if not error.partial:
            return None
        raise TruncatedFrame(expected=FRAME_HEADER_BYTES, received=len(error.partial)) from None
