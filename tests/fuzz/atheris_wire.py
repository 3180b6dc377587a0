"""Atheris (coverage-guided) harness: wire messages and p2p frames, as a peer's bytes reach them.

    .venv/bin/pip install atheris
    .venv/bin/python -m tests.fuzz.atheris_wire -atheris_runs=2000000      # or -max_total_time=600

Each input is split by its first byte: even -> one p2p frame stream read by p2p.frames.read_frame
(a length header, then the payload), odd -> a payload for core.wire.decode_message. The only
errors allowed are FrameError and PeerMisbehaved; anything else is a crash atheris reports with
the input that caused it. Not run in CI (it runs until stopped); docs/RELIABILITY.md gives the
last result.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

import atheris

with atheris.instrument_imports():
    from chainbook.core.wire import decode_message, encode_message
    from chainbook.errors import PeerMisbehaved
    from chainbook.p2p import frames

FRAME_BYTES_MAX = 64 * 1024
_loop = asyncio.new_event_loop()


def _read_frames(data: bytes) -> None:
    reader = asyncio.StreamReader(loop=_loop)
    reader.feed_data(data)
    reader.feed_eof()

    async def read_all() -> None:
        while await frames.read_frame(reader, FRAME_BYTES_MAX) is not None:
            pass

    with contextlib.suppress(frames.FrameError):
        _loop.run_until_complete(read_all())


def test_one_input(data: bytes) -> None:
    if not data:
        return
    body = data[1:]
    if data[0] % 2 == 0:
        _read_frames(body)
        return
    try:
        message = decode_message(body)
    except PeerMisbehaved:
        return
    assert decode_message(encode_message(message)) == message


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
