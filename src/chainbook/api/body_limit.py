"""A pure ASGI middleware that refuses request bodies over a byte limit, before reading them.

Two checks, because a client may lie or say nothing: a Content-Length above the limit gets a
413 at once, without reading a byte; a body sent without Content-Length (chunked) is counted
as it streams through `receive`, and the request is cut off with a 413 the moment the count
passes the limit, so a node never buffers more than the limit plus one chunk.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _BodyTooLarge(Exception):
    pass


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, body_bytes_max: int) -> None:
        self.app = app
        self.body_bytes_max = body_bytes_max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.body_bytes_max:
            await self._refuse(send, declared)
            return
        response_started = False
        body_bytes_seen = 0

        async def counting_receive() -> Message:
            nonlocal body_bytes_seen
            message = await receive()
            if message["type"] == "http.request":
                body_bytes_seen += len(message.get("body", b""))
                if body_bytes_seen > self.body_bytes_max:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if response_started:
                raise
            await self._refuse(send, None)

    async def _refuse(self, send: Send, declared: int | None) -> None:
        size = f"{declared} bytes" if declared is not None else "more than that"
        body = msgspec.json.encode(
            {
                "error": "request_too_large",
                "message": f"request body is {size}; limit {self.body_bytes_max} bytes",
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    headers: Any = scope.get("headers", [])
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


__all__ = ["BodySizeLimitMiddleware"]
