"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for the load generator only.

Why not httpx: the load process shares the machine's cores with the nodes it measures, so every
microsecond it spends per request is taken from them. A request here is one write of prebuilt
bytes and one read of a Content-Length body (the node's API always sends one), about 10x less
CPU than a general client. It speaks only to our own nodes on loopback.
"""

from __future__ import annotations

import asyncio

RESPONSE_HEAD_BYTES_MAX = 16 * 1024
RESPONSE_BODY_BYTES_MAX = 64 * 1024 * 1024
"""A block of 10,000 transactions as JSON is ~0.7 MB; anything near this bound is a bug."""


class HttpError(Exception):
    """The connection failed or the answer was not HTTP as expected."""


class HttpConnection:
    """One keep-alive connection; requests on it are strictly sequential (the caller awaits
    each answer before the next request), which is what keeps a sender's nonces in order."""

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """(status, body); reconnects once if the kept-alive connection was closed."""
        try:
            return await asyncio.wait_for(self._exchange(method, path, body), self.timeout_s)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, HttpError) as exc:
            self.close()
            raise HttpError(f"{method} {self.host}:{self.port}{path}: {exc!r}") from None

    async def _exchange(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self._writer.write(head + body)
        return await read_response(self._reader)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > RESPONSE_HEAD_BYTES_MAX:
        raise HttpError(f"response head of {len(head)} bytes")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise HttpError(f"bad status line {lines[0]!r}")
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length is None or length > RESPONSE_BODY_BYTES_MAX:
        raise HttpError(f"response without a usable Content-Length ({length})")
    return int(parts[1]), await reader.readexactly(length)


__all__ = ["HttpConnection", "HttpError"]
