"""Subscribing to a node's live stream (WebSocket /events, api/stream.py) with resumption.

    for message in client.subscribe(kinds="txs", account=address):
        print(message["height"], message["txs"])

Rules kept:
- Each message is one whole height; the subscriber remembers the last height it received
  and, when the connection drops (or the node closes it as too slow, 4008), reconnects with
  from_height = last + 1, to the same node or the next of its URLs: no height is missed, none
  is repeated.
- A refusal of the request itself (4400: a bad filter) is not retried: it raises
  StreamRefused with the node's reason.
- Reconnects are bounded: `reconnects_max` in a row without receiving anything, waiting
  `reconnect_wait_s` between them.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any
from urllib.parse import urlencode

import msgspec

from chainbook.client.http import ClientError, NodeUnreachable

RECONNECTS_MAX = 10
RECONNECT_WAIT_S = 0.5
CLOSE_BAD_REQUEST = 4400


class StreamRefused(ClientError):
    """The node refused the subscription itself (a bad filter): retrying would not help."""


def build_stream_url(base_url: str, filters: dict[str, Any], from_height: int | None) -> str:
    ws_url = "ws" + base_url.removeprefix("http") + "/events"
    params = {k: _text(v) for k, v in filters.items() if v is not None}
    if from_height is not None:
        params["from_height"] = str(from_height)
    return ws_url + ("?" + urlencode(params) if params else "")


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(sorted(str(v) for v in value))
    return str(value)


class _Resume:
    """What survives a reconnection: the next height to ask for, the URL in turn."""

    def __init__(self, urls: Sequence[str], from_height: int | None) -> None:
        self.urls = list(urls)
        self.current = 0
        self.next_height = from_height
        self.failures = 0

    def url(self, filters: dict[str, Any]) -> str:
        return build_stream_url(self.urls[self.current], filters, self.next_height)

    def on_message(self, message: dict[str, Any]) -> bool:
        """True for a height message (to hand over); records where to resume."""
        self.failures = 0
        if message.get("type") == "subscribed":
            self.next_height = int(message["from_height"])
            return False
        self.next_height = int(message["height"]) + 1
        return True

    def on_drop(self, code: int | None, reason: str) -> None:
        if code == CLOSE_BAD_REQUEST:
            raise StreamRefused(f"the node refused the subscription: {reason}")
        self.failures += 1
        if self.failures > RECONNECTS_MAX:
            raise NodeUnreachable(
                f"stream lost {self.failures} times in a row (last: {code} {reason})"
            )
        self.current = (self.current + 1) % len(self.urls)


def subscribe(
    urls: Sequence[str], *, from_height: int | None = None, **filters: Any
) -> Iterator[dict[str, Any]]:
    """Height messages, forever (until the caller stops iterating)."""
    from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
    from websockets.sync.client import connect

    resume = _Resume(urls, from_height)
    while True:
        code: int | None = None
        reason = ""
        try:
            with connect(resume.url(filters), open_timeout=10) as socket:
                for raw in socket:
                    message = msgspec.json.decode(raw)
                    if resume.on_message(message):
                        yield message
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            reason = exc.rcvd.reason if exc.rcvd is not None else str(exc)
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            reason = str(exc) or type(exc).__name__
        resume.on_drop(code, reason)
        time.sleep(RECONNECT_WAIT_S)


async def subscribe_async(
    urls: Sequence[str], *, from_height: int | None = None, **filters: Any
) -> AsyncIterator[dict[str, Any]]:
    """The asyncio form of `subscribe`."""
    import asyncio

    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

    resume = _Resume(urls, from_height)
    while True:
        code: int | None = None
        reason = ""
        try:
            async with connect(resume.url(filters), open_timeout=10) as socket:
                async for raw in socket:
                    message = msgspec.json.decode(raw)
                    if resume.on_message(message):
                        yield message
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            reason = exc.rcvd.reason if exc.rcvd is not None else str(exc)
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            reason = str(exc) or type(exc).__name__
        resume.on_drop(code, reason)
        await asyncio.sleep(RECONNECT_WAIT_S)


__all__ = ["StreamRefused", "build_stream_url", "subscribe", "subscribe_async"]
