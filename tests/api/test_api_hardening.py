"""The API's server against an outside attacker, over real sockets on loopback: idle
connections, a trickled body, too many connections from one client, and bad path values
sent raw (no client library normalising them)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import uvicorn

from chainbook.api import create_app
from chainbook.api.server import api_server_config
from tests.conftest import free_port
from tests.support.fake_node import FakeNode

STARTUP_TIMEOUT_S = 10.0
STATUS = b"GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


@asynccontextmanager
async def serving(**bounds: float) -> AsyncIterator[tuple[int, uvicorn.Server]]:
    port = free_port()
    config = api_server_config(create_app(FakeNode()), "127.0.0.1", port, **bounds)  # type: ignore[arg-type]
    config.timeout_graceful_shutdown = 2  # a broken guard fails the test, never hangs it
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT_S):
            while not server.started:
                await asyncio.sleep(0.01)
        yield port, server
    finally:
        server.should_exit = True
        await task


async def exchange(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), STARTUP_TIMEOUT_S)
    writer.close()
    return answer


async def wait_until(predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(STARTUP_TIMEOUT_S):
        while not predicate():
            await asyncio.sleep(0.01)


def test_idle_connections_are_closed_after_the_header_timeout() -> None:
    async def scenario() -> None:
        async with serving(header_timeout_s=0.3, connections_max=4) as (port, server):
            idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(4)]
            await wait_until(lambda: len(server.server_state.connections) >= 4)
            # Each idle socket gets a 408 and is closed: the slots come back.
            for reader, _ in idle:
                answer = await asyncio.wait_for(reader.read(), STARTUP_TIMEOUT_S)
                assert b" 408 " in answer and b"request_timeout" in answer
            assert b" 200 " in await exchange(port, STATUS)

    asyncio.run(scenario())


def test_a_trickled_body_is_cut_off_at_the_body_timeout() -> None:
    async def scenario() -> None:
        async with serving(body_timeout_s=0.5) as (port, _):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                b"POST /txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{"
            )
            await writer.drain()
            loop = asyncio.get_running_loop()
            started = loop.time()
            answer = b""
            for _ in range(50):  # one byte every 0.1 s: well under the limit, for 5 s
                try:
                    writer.write(b" ")
                    await writer.drain()
                except ConnectionError:
                    break
                try:
                    answer += await asyncio.wait_for(reader.read(4096), 0.1)
                except TimeoutError:
                    continue
                if reader.at_eof():
                    break
            assert b" 408 " in answer, answer
            assert loop.time() - started < 4.0  # the trickle alone lasts 5 s
            writer.close()

    asyncio.run(scenario())


def test_one_client_cannot_hold_every_connection() -> None:
    async def scenario() -> None:
        async with serving(connections_per_client_max=3, header_timeout_s=30) as (port, server):
            held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
            await wait_until(lambda: len(server.server_state.connections) >= 3)
            answer = await exchange(port, STATUS)
            assert b" 503 " in answer and b"too_many_connections" in answer
            assert b"limit 3 per client" in answer
            for _, writer in held:
                writer.close()
            await wait_until(lambda: len(server.server_state.connections) == 0)
            assert b" 200 " in await exchange(port, STATUS)

    asyncio.run(scenario())


def test_raw_bad_heights_get_400_over_a_real_socket() -> None:
    async def scenario() -> None:
        async with serving() as (port, _):
            for path in (b"/blocks/%C2%B2", b"/blocks/9223372036854775808", b"/blocks/%D9%A1"):
                request = b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                answer = await exchange(port, request)
                assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
                assert b"invalid_height" in answer

    asyncio.run(scenario())
