"""The live stream (WebSocket /events) over a real uvicorn server and a FakeNode: replay then
live, filters, the slow-subscriber bound, bad requests, and the SDK's resumption without gap
or duplicate across forced disconnections."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import sign_tx
from chainbook.client import Client, StreamRefused
from tests.support import CAROL
from tests.support.fake_node import ALICE, BOB, CHAIN_ID, FakeNode

DEADLINE_S = 10.0


def ws_url(url: str, query: str = "") -> str:
    return url.replace("http", "ws", 1) + "/events" + (f"?{query}" if query else "")


def pay(node: FakeNode, nonce: int, to: bytes = BOB.address) -> None:
    node.submit_tx(sign_tx(ALICE, CHAIN_ID, nonce, Transfer(to=to, amount=1)))
    node.commit_pending()


def receive(socket: Any) -> dict[str, Any]:
    return msgspec.json.decode(socket.recv(timeout=DEADLINE_S))  # type: ignore[no-any-return]


def wait_for(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_replay_from_a_height_then_live(served_node: tuple[FakeNode, str]) -> None:
    node, url = served_node
    for nonce in range(3):
        pay(node, nonce)
    with connect(ws_url(url, "from_height=2")) as socket:
        hello = receive(socket)
        assert hello == {"type": "subscribed", "from_height": 2, "latest_height": 3}
        assert [receive(socket)["height"] for _ in range(2)] == [2, 3]
        pay(node, 3)
        live = receive(socket)
        assert live["height"] == 4 and live["block"]["tx_count"] == 1
        assert live["txs"][0]["action"] == "bank.transfer"
        assert live["txs"][0]["fields"]["to"] == BOB.address.hex()


def test_filters_pick_accounts_and_event_types(served_node: tuple[FakeNode, str]) -> None:
    node, url = served_node
    query = f"kinds=txs&account={CAROL.address.hex()}&from_height=1"
    with connect(ws_url(url, query)) as socket:
        assert receive(socket)["type"] == "subscribed"
        pay(node, 0, BOB.address)  # height 1: nothing for Carol, nothing sent
        pay(node, 1, CAROL.address)  # height 2
        message = receive(socket)
        assert message["height"] == 2 and message["block"] is None
        assert [t["nonce"] for t in message["txs"]] == [1] and message["events"] == []


def test_block_events_stream_with_an_event_filter() -> None:
    from tests.conftest import free_port, serve

    node = FakeNode(block_reward=7)
    port = free_port()
    server, thread = serve(node, port)
    try:
        with connect(f"ws://127.0.0.1:{port}/events?kinds=events&event=bank.mint") as socket:
            assert receive(socket)["type"] == "subscribed"
            node.commit_pending()
            message = receive(socket)
            assert message["events"] == [
                {"tx_index": None, "module": "bank", "kind": "mint",
                 "attributes": message["events"][0]["attributes"]}
            ]
            assert ["amount", "7"] in message["events"][0]["attributes"]
    finally:
        server.should_exit = True
        thread.join(DEADLINE_S)


@pytest.mark.parametrize(
    "query", ["kinds=nope", "account=zz", "from_height=%C2%B2", "colour=red", "module=" + "x" * 101]
)
def test_bad_requests_close_with_4400_and_a_reason(
    served_node: tuple[FakeNode, str], query: str
) -> None:
    _, url = served_node
    with connect(ws_url(url, query)) as socket, pytest.raises(ConnectionClosed) as caught:
        socket.recv(timeout=DEADLINE_S)
    assert caught.value.rcvd is not None and caught.value.rcvd.code == 4400
    assert caught.value.rcvd.reason


def test_subscribers_beyond_the_bound_are_told_to_try_later(
    served_node: tuple[FakeNode, str],
) -> None:
    node, url = served_node
    node.events.subscribers_max = 1
    with connect(ws_url(url)) as first:
        assert receive(first)["type"] == "subscribed"
        with connect(ws_url(url)) as second, pytest.raises(ConnectionClosed) as caught:
            second.recv(timeout=DEADLINE_S)
        assert caught.value.rcvd is not None and caught.value.rcvd.code == 1013


def test_a_slow_subscriber_is_closed_with_the_height_to_resume_from() -> None:
    from chainbook.api.stream import EventHub, StreamFilter

    async def scenario() -> None:
        node = FakeNode()
        hub = EventHub(node.registry, pending_heights_max=2)
        subscription = hub.subscribe(StreamFilter())
        for _ in range(3):  # nobody reads: the third overflows the bound of 2
            block = node.commit_pending()
            hub.publish(block, node.receipts[block.height], [])
        assert subscription.too_slow
        assert await subscription.next() is None
        subscription.close()
        assert hub.subscriber_count == 0

    asyncio.run(scenario())


def test_the_sdk_resumes_after_every_drop_without_gap_or_duplicate(
    served_node: tuple[FakeNode, str],
) -> None:
    node, url = served_node
    for nonce in range(3):
        pay(node, nonce)
    # A bound of 0: each live height overflows it, so the node closes the stream (4008) at
    # every block and the SDK must reconnect and resume from where it was, every time.
    node.events.pending_heights_max = 0
    heights: list[int] = []
    stop = threading.Event()

    def collect() -> None:
        for message in Client(url).subscribe(from_height=1, kinds="blocks,txs"):
            heights.append(message["height"])
            if len(heights) >= 8 or stop.is_set():
                return

    thread = threading.Thread(target=collect, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(heights) >= 3)
        for nonce in range(3, 8):
            pay(node, nonce)
            wait_for(lambda n=nonce: len(heights) >= n + 1)
    finally:
        stop.set()
        thread.join(DEADLINE_S)
    assert heights == list(range(1, 9))
    assert node.events.closed_too_slow >= 1


def test_the_sdk_does_not_retry_a_refused_filter(served_node: tuple[FakeNode, str]) -> None:
    _, url = served_node
    with pytest.raises(StreamRefused, match="kinds"):
        next(iter(Client(url).subscribe(kinds="nope")))
