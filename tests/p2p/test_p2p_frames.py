"""Framing: 4-byte big-endian length + payload, limits checked before the payload is read."""

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.p2p.frames import (
    FRAME_HEADER_BYTES,
    READ_CHUNK_BYTES,
    EmptyFrame,
    Frame,
    OversizeFrame,
    TruncatedFrame,
    encode_control_frame,
    encode_frame,
    encode_frame_header,
    read_frame,
    read_frame_or_control,
)

LIMIT = 64
STEP_TIMEOUT_S = 2.0


def read_all(stream: bytes, limit: int, chunk_sizes: list[int] | None = None) -> list[bytes]:
    """Feed ``stream`` (in chunks) then EOF; read frames until the clean end."""

    async def scenario() -> list[bytes]:
        reader = asyncio.StreamReader()
        position = 0
        for size in chunk_sizes or []:
            reader.feed_data(stream[position : position + size])
            position += size
        reader.feed_data(stream[position:])
        reader.feed_eof()
        payloads = []
        while (payload := await read_frame(reader, limit)) is not None:
            payloads.append(payload)
        return payloads

    return asyncio.run(asyncio.wait_for(scenario(), STEP_TIMEOUT_S))


def test_header_is_four_bytes_big_endian() -> None:
    assert encode_frame(b"abc", LIMIT) == b"\x00\x00\x00\x03abc"
    assert encode_frame_header(0x01020304) == b"\x01\x02\x03\x04"
    assert FRAME_HEADER_BYTES == 4


def test_frame_of_exactly_the_limit_is_accepted() -> None:
    payload = b"x" * LIMIT
    assert read_all(encode_frame(payload, LIMIT), LIMIT) == [payload]


def test_oversize_announcement_raises_before_the_payload_arrives() -> None:
    async def scenario() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data(encode_frame_header(LIMIT + 1))  # no payload, no EOF: would block
        with pytest.raises(OversizeFrame) as raised:
            await read_frame(reader, LIMIT)
        assert (raised.value.length, raised.value.limit) == (LIMIT + 1, LIMIT)

    asyncio.run(asyncio.wait_for(scenario(), STEP_TIMEOUT_S))


def test_zero_length_frame_is_an_error() -> None:
    with pytest.raises(EmptyFrame):
        read_all(encode_frame_header(0), LIMIT)


def test_clean_end_between_frames_returns_none() -> None:
    assert read_all(b"", LIMIT) == []


@pytest.mark.parametrize(
    ("stream", "expected", "received"),
    [
        (b"\x00\x00", 4, 2),  # inside the header
        (b"\x00\x00\x00\x05ab", 9, 6),  # inside the payload
        (b"\x00\x00\x00\x05", 9, 4),  # right after the header
    ],
)
def test_end_inside_a_frame_is_truncated(stream: bytes, expected: int, received: int) -> None:
    with pytest.raises(TruncatedFrame) as raised:
        read_all(stream, LIMIT)
    assert (raised.value.expected, raised.value.received) == (expected, received)


def test_encode_refuses_what_no_peer_accepts() -> None:
    with pytest.raises(OversizeFrame):
        encode_frame(b"x" * (LIMIT + 1), LIMIT)
    with pytest.raises(EmptyFrame):
        encode_frame(b"", LIMIT)
    with pytest.raises(ValueError, match="frame_bytes_max"):
        encode_frame(b"x", 0)


@settings(max_examples=200, deadline=None)
@given(
    payloads=st.lists(st.binary(min_size=1, max_size=LIMIT), max_size=8),
    chunk_sizes=st.lists(st.integers(min_value=0, max_value=3 * LIMIT), max_size=10),
)
def test_round_trip_whatever_the_chunking(payloads: list[bytes], chunk_sizes: list[int]) -> None:
    stream = b"".join(encode_frame(payload, LIMIT) for payload in payloads)
    assert read_all(stream, LIMIT, chunk_sizes) == payloads


# ----------------------------------------------------------------------------- control frames

CONTROL_LIMIT = 8


def read_all_kinds(stream: bytes, on_progress: Any = None) -> list[Frame]:
    async def scenario() -> list[Frame]:
        reader = asyncio.StreamReader()
        reader.feed_data(stream)
        reader.feed_eof()
        found = []
        while frame := await read_frame_or_control(reader, LIMIT, CONTROL_LIMIT, on_progress):
            found.append(frame)
        return found

    return asyncio.run(asyncio.wait_for(scenario(), STEP_TIMEOUT_S))


def test_control_frames_are_marked_by_an_empty_header_and_payload_frames_are_unchanged() -> None:
    assert encode_control_frame(b"pi", CONTROL_LIMIT) == b"\x00\x00\x00\x00\x00\x00\x00\x02pi"
    stream = encode_frame(b"a", LIMIT) + encode_control_frame(b"pi", CONTROL_LIMIT)
    stream += encode_frame(b"b", LIMIT)
    assert read_all_kinds(stream) == [
        Frame(b"a", is_control=False),
        Frame(b"pi", is_control=True),
        Frame(b"b", is_control=False),
    ]


def test_control_frames_have_their_own_limit_checked_before_reading() -> None:
    assert read_all_kinds(encode_control_frame(b"x" * CONTROL_LIMIT, CONTROL_LIMIT))
    with pytest.raises(OversizeFrame) as raised:
        read_all_kinds(encode_frame_header(0) + encode_frame_header(CONTROL_LIMIT + 1))
    assert raised.value.limit == CONTROL_LIMIT


def test_a_marker_without_a_control_frame_is_an_error_not_a_free_spin() -> None:
    with pytest.raises(EmptyFrame):  # marker, then an empty control frame
        read_all_kinds(encode_frame_header(0) * 2)
    with pytest.raises(TruncatedFrame):  # marker, then the end
        read_all_kinds(encode_frame_header(0))


def test_hello_reading_still_refuses_the_marker() -> None:
    with pytest.raises(EmptyFrame):
        read_all(encode_control_frame(b"pi", CONTROL_LIMIT), LIMIT)


def test_a_large_payload_reports_progress_per_chunk() -> None:
    calls: list[None] = []
    size = 2 * READ_CHUNK_BYTES + 1

    async def scenario() -> bytes | None:
        reader = asyncio.StreamReader()
        payload = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        reader.feed_data(encode_frame(payload, size))
        reader.feed_eof()
        frame = await read_frame_or_control(reader, size, CONTROL_LIMIT, lambda: calls.append(None))
        assert frame is not None and frame.payload == payload
        return frame.payload

    asyncio.run(asyncio.wait_for(scenario(), STEP_TIMEOUT_S))
    assert len(calls) == 3


def test_truncation_inside_a_chunked_payload_counts_every_byte_received() -> None:
    size = READ_CHUNK_BYTES + 10
    stream = encode_frame_header(size) + b"y" * (READ_CHUNK_BYTES + 3)

    async def scenario() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data(stream)
        reader.feed_eof()
        with pytest.raises(TruncatedFrame) as raised:
            await read_frame_or_control(reader, size, CONTROL_LIMIT, lambda: None)
        assert raised.value.received == len(stream)
        assert raised.value.expected == FRAME_HEADER_BYTES + size

    asyncio.run(asyncio.wait_for(scenario(), STEP_TIMEOUT_S))
