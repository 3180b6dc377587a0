"""WebSocket /events: the live stream of committed heights (api/stream.py has the rules).

    ws://<node>/events?kinds=blocks,txs,events&module=bank&event=bank.mint
                      &account=<40 hex>&item=<id>&from_height=<h>

Every parameter is optional. The server first sends {"type": "subscribed", "from_height": f,
"latest_height": l}, then one {"type": "height", ...} message per height with matches, in
order: heights from_height .. l from the book (at most STREAM_REPLAY_HEIGHTS_MAX), then live
ones. Without from_height the stream starts after the latest height. Bad parameters close the
socket with 4400 and the reason; too many subscribers 1013; a subscriber too slow to read
4008 (its reason names the height to resume from).
"""

from __future__ import annotations

import asyncio
import contextlib

import msgspec
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from chainbook.api.errors import ApiProblem
from chainbook.api.paths import parse_address_param, parse_optional_height
from chainbook.api.service import NodeService
from chainbook.api.stream import (
    CLOSE_BAD_REQUEST,
    CLOSE_TOO_SLOW,
    CLOSE_TRY_LATER,
    STREAM_KINDS,
    STREAM_REPLAY_HEIGHTS_MAX,
    StreamFilter,
    SubscribedMessage,
    Subscription,
    TooManySubscribers,
    compute_message,
)
from chainbook.index.entries import IndexedBlock, compute_block_entries
from chainbook.types import Height

_REASON_CHARS_MAX = 120
"""A close reason must fit in 123 bytes (RFC 6455)."""
_encoder = msgspec.json.Encoder()


def parse_stream_filter(params: dict[str, str]) -> tuple[StreamFilter, Height | None]:
    known = {"kinds", "module", "event", "account", "item", "from_height"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ApiProblem(
            "invalid_request", f"unknown parameter {unknown[0][:40]!r}; parameters: "
            + ", ".join(sorted(known))
        )
    kinds = frozenset(STREAM_KINDS)
    if "kinds" in params:
        kinds = frozenset(k for k in params["kinds"].split(",") if k)
        if not kinds or not kinds <= set(STREAM_KINDS):
            raise ApiProblem(
                "invalid_request",
                f"kinds must be a comma-separated subset of {','.join(STREAM_KINDS)}, "
                f"got {params['kinds'][:40]!r}",
            )
    for name in ("module", "event", "item"):
        value = params.get(name)
        if value is not None and (not value.isascii() or not 1 <= len(value) <= 100):
            raise ApiProblem(
                "invalid_request", f"{name} must be 1 to 100 ASCII characters, got {value[:40]!r}"
            )
    account = params.get("account")
    wanted = StreamFilter(
        kinds=kinds,
        module=params.get("module"),
        event_type=params.get("event"),
        account=parse_address_param(account) if account is not None else None,
        item=params.get("item"),
    )
    return wanted, parse_optional_height(params.get("from_height"), "from_height")


def add_stream_routes(app: FastAPI, service: NodeService) -> None:
    def load(height: Height) -> IndexedBlock | None:
        hub = service.events
        recent = hub.get_recent(height)
        if recent is not None:
            return recent
        block = service.get_block(height)
        receipts = service.get_receipts(height) if block is not None else None
        events = service.get_block_events(height) if block is not None else None
        if block is None or receipts is None or events is None:
            return None
        return compute_block_entries(block, receipts, events, hub.registry)

    @app.websocket("/events")
    async def events(socket: WebSocket) -> None:
        hub = service.events
        await socket.accept()
        try:
            wanted, from_height = parse_stream_filter(dict(socket.query_params))
        except (ApiProblem, ValueError) as exc:
            await _close(socket, CLOSE_BAD_REQUEST, str(exc))
            return
        try:
            subscription = hub.subscribe(wanted)
        except TooManySubscribers as exc:
            await _close(socket, CLOSE_TRY_LATER, f"too many subscribers: {exc}")
            return
        # The client sends nothing; reading tells us when it (or the server) hangs up.
        closed = asyncio.create_task(_wait_closed(socket))
        try:
            latest = hub.latest_height if hub.latest_height else service.status().height
            start = latest + 1 if from_height is None else from_height
            if latest - start + 1 > STREAM_REPLAY_HEIGHTS_MAX:
                await _close(
                    socket,
                    CLOSE_BAD_REQUEST,
                    f"from_height {start} is more than {STREAM_REPLAY_HEIGHTS_MAX} heights "
                    f"behind {latest}; search GET /txs for older ones",
                )
                return
            await socket.send_text(
                _encoder.encode(SubscribedMessage(from_height=start, latest_height=latest)).decode()
            )
            next_height = start
            while next_height <= latest:
                block = load(next_height)
                if block is None:
                    await _close(socket, CLOSE_BAD_REQUEST, f"height {next_height} not available")
                    return
                await _send(socket, block, wanted)
                next_height += 1
            while True:
                block = await _next_or_closed(subscription, closed)
                if closed.done():
                    return
                if block is None:
                    await _close(
                        socket,
                        CLOSE_TOO_SLOW,
                        f"too slow: {hub.pending_heights_max} heights pending; "
                        f"resume with from_height={next_height}",
                    )
                    hub.closed_too_slow += 1
                    return
                if block.height < next_height:
                    continue  # already sent from the replay
                while next_height < block.height:  # published while we replayed: load it
                    missed = load(next_height)
                    if missed is None:
                        await _close(socket, CLOSE_BAD_REQUEST, f"height {next_height} lost")
                        return
                    await _send(socket, missed, wanted)
                    next_height += 1
                await _send(socket, block, wanted)
                next_height = block.height + 1
        except WebSocketDisconnect:
            return
        finally:
            closed.cancel()
            subscription.close()


async def _wait_closed(socket: WebSocket) -> None:
    with contextlib.suppress(Exception):
        while (await socket.receive())["type"] != "websocket.disconnect":
            pass


async def _next_or_closed(
    subscription: Subscription, closed: asyncio.Task[None]
) -> IndexedBlock | None:
    waiting = asyncio.ensure_future(subscription.next())
    await asyncio.wait({waiting, closed}, return_when=asyncio.FIRST_COMPLETED)
    if not waiting.done():
        waiting.cancel()
        return None
    return waiting.result()


async def _send(socket: WebSocket, block: IndexedBlock, wanted: StreamFilter) -> None:
    message = compute_message(block, wanted)
    if message is not None:
        await socket.send_text(_encoder.encode(message).decode())


async def _close(socket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await socket.close(code, reason[:_REASON_CHARS_MAX])


__all__ = ["add_stream_routes", "parse_stream_filter"]
