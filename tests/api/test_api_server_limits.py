"""The API's HTTP server holds a bounded number of connections; the next one gets 503."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from chainbook.api import create_app
from chainbook.api.server import api_server_config
from tests.support.fake_node import FakeNode

STARTUP_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def first_line(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    line = await asyncio.wait_for(reader.readline(), STARTUP_TIMEOUT_S)
    writer.close()
    return line


def test_connections_beyond_the_bound_get_503() -> None:
    async def scenario() -> None:
        port = free_port()
        server = uvicorn.Server(
            api_server_config(create_app(FakeNode()), "127.0.0.1", port, connections_max=2)
        )
        serving = asyncio.create_task(server.serve())
        try:
            async with asyncio.timeout(STARTUP_TIMEOUT_S):
                while not server.started:
                    await asyncio.sleep(0.01)
            request = b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            assert b" 200 " in await first_line(port, request)
            # Two clients that never finish their request hold both slots...
            held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
            for _, writer in held:
                writer.write(b"GET /status HTTP/1.1\r\n")
                await writer.drain()
            async with asyncio.timeout(STARTUP_TIMEOUT_S):  # the server has both open
                while len(server.server_state.connections) < 2:
                    await asyncio.sleep(0.01)
            assert b" 503 " in await first_line(port, request)
            for _, writer in held:
                writer.close()
        finally:
            server.should_exit = True
            await serving

    asyncio.run(scenario())
