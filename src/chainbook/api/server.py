"""The HTTP server of a node's API: uvicorn, with the API's outside-facing bounds.

Rules kept (each is a defence found by an outside attack on the node):
- At most `connections_max` connections or requests in progress (uvicorn answers the next
  request 503).
- At most `connections_per_client_max` connections from one client address: the next is
  answered 503 too_many_connections and closed at once. 256 idle sockets from one host
  used to take every slot and shut every other client out.
- A connection must complete its request headers within `header_timeout_s` of opening (or
  of starting a request): an idle or trickling socket is answered 408 request_timeout and
  closed, so idle connections cannot pile up to the bound above.
- A request body must arrive whole within `body_timeout_s` of the headers: a body sent at
  1 byte/s is cut off (408) instead of holding a slot for as long as the sender likes.
- Keep-alive connections idle between requests close after uvicorn's timeout_keep_alive.
(Request bodies are also bounded in bytes by the app: limits.api_request_bytes_max.)
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import msgspec
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from chainbook import limits

HEADER_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 20.0
KEEP_ALIVE_TIMEOUT_S = 5.0


def _error_bytes(status: int, reason: str, code: str, message: str) -> bytes:
    body = msgspec.json.encode({"error": code, "message": message})
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n"
    )
    if status == 503:
        head += "retry-after: 1\r\n"
    return head.encode() + b"\r\n" + body


class _Guard:
    """Per-server state shared by its connections: open connections by client address."""

    def __init__(
        self, connections_per_client_max: int, header_timeout_s: float, body_timeout_s: float
    ) -> None:
        self.connections_per_client_max = connections_per_client_max
        self.header_timeout_s = header_timeout_s
        self.body_timeout_s = body_timeout_s
        self.by_client: Counter[str] = Counter()
        self.refused = 0
        self.timed_out = 0


def make_guarded_protocol(guard: _Guard) -> type[HttpToolsProtocol]:
    class GuardedHttpProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol with a per-client bound and header/body deadlines."""

        _client_key: str | None = None
        _deadline: asyncio.TimerHandle | None = None
        _in_body = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            key = self.client[0] if self.client else "?"
            if guard.by_client[key] >= guard.connections_per_client_max:
                guard.refused += 1
                message = (
                    f"{guard.by_client[key]} connections open from {key}, limit "
                    f"{guard.connections_per_client_max} per client"
                )
                transport.write(
                    _error_bytes(503, "Service Unavailable", "too_many_connections", message)
                )
                transport.close()
                return
            self._client_key = key
            guard.by_client[key] += 1
            self._arm(guard.header_timeout_s, "request headers")

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            self._release()
            super().connection_lost(exc)

        def _release(self) -> None:
            if self._client_key is not None:
                guard.by_client[self._client_key] -= 1
                if guard.by_client[self._client_key] <= 0:
                    del guard.by_client[self._client_key]
                self._client_key = None

        def handle_websocket_upgrade(self) -> None:
            # The stream has its own bounds (api/stream.py); this socket is no longer HTTP.
            self._disarm()
            self._release()
            super().handle_websocket_upgrade()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm(guard.header_timeout_s, "request headers")

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self._in_body = True
            self._arm(guard.body_timeout_s, "request body")

        def on_message_complete(self) -> None:
            self._in_body = False
            self._disarm()
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._disarm()  # keep-alive: uvicorn's own timer runs now

        def _arm(self, timeout_s: float, what: str) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(timeout_s, self._expire, timeout_s, what)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self, timeout_s: float, what: str) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            guard.timed_out += 1
            started = self.cycle is not None and self.cycle.response_started
            if not started:
                message = f"{what} not received within {timeout_s:g} s"
                self.transport.write(
                    _error_bytes(408, "Request Timeout", "request_timeout", message)
                )
            if self.cycle is not None:
                self.cycle.disconnected = True
                self.cycle.message_event.set()
            self.transport.close()

    return GuardedHttpProtocol


def api_server_config(
    app: Any,
    host: str,
    port: int,
    *,
    connections_max: int = limits.api_connections_max,
    connections_per_client_max: int = limits.api_connections_per_client_max,
    header_timeout_s: float = HEADER_TIMEOUT_S,
    body_timeout_s: float = BODY_TIMEOUT_S,
) -> uvicorn.Config:
    """The uvicorn config of a node's API (see the module docstring for each bound)."""
    guard = _Guard(connections_per_client_max, header_timeout_s, body_timeout_s)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        limit_concurrency=connections_max,
        timeout_keep_alive=int(KEEP_ALIVE_TIMEOUT_S),
        http=make_guarded_protocol(guard),
        ws="websockets-sansio",
    )
    config.chainbook_guard = guard  # type: ignore[attr-defined]
    return config


__all__ = ["BODY_TIMEOUT_S", "HEADER_TIMEOUT_S", "api_server_config", "make_guarded_protocol"]
