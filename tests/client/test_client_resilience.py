"""The SDK's failover, retry of 503 after Retry-After, wait_for_receipt, the asyncio client
and amounts, against the real API app (FakeNode) or scripted httpx transports."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient

from chainbook.apps.bank import Transfer
from chainbook.chain.tx import sign_tx
from chainbook.client import (
    ApiError,
    AsyncClient,
    Client,
    InvalidAmount,
    NodeUnreachable,
    ReceiptTimeout,
    format_amount,
    from_display,
    to_display,
)
from chainbook.client.http import RETRY_WAIT_S_MAX
from tests.support.fake_node import ALICE, BOB, CHAIN_ID, FakeNode


def scripted(answers: dict[str, list[httpx.Response | Exception]]) -> httpx.Client:
    """An httpx client whose hosts answer from scripts, in order."""
    calls: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.host)
        script = answers[request.url.host]
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = httpx.Client(transport=httpx.MockTransport(handle))
    client.calls = calls  # type: ignore[attr-defined]
    return client


def busy(retry_after: str = "2") -> httpx.Response:
    return httpx.Response(
        503, json={"error": "mempool_full", "message": "full"}, headers={"Retry-After": retry_after}
    )


def ok_health() -> httpx.Response:
    return httpx.Response(
        200,
        json={"status": "ok", "height": 3, "latest_block_age_ms": 5, "syncing": False,
              "reason": ""},
    )


def test_failover_to_the_next_url_when_a_node_is_down() -> None:
    http = scripted({"a": [httpx.ConnectError("refused")], "b": [ok_health()]})
    client = Client(["http://a", "http://b"], http=http)
    assert client.health().height == 3
    assert http.calls == ["a", "b"]  # type: ignore[attr-defined]
    assert client.base_url == "http://b"  # it stays on the node that answered


def test_503_everywhere_waits_as_retry_after_asks_then_succeeds() -> None:
    waits: list[float] = []
    http = scripted({"a": [busy("2"), ok_health()], "b": [busy("3"), ok_health()]})
    client = Client(["http://a", "http://b"], http=http, sleep=waits.append)
    assert client.health().status == "ok"
    assert waits == [3.0]  # one round of 503s, then the longest Retry-After
    assert http.calls == ["a", "b", "a"]  # type: ignore[attr-defined]


def test_retry_after_is_capped_and_attempts_are_bounded() -> None:
    waits: list[float] = []
    http = scripted({"a": [busy("3600")]})
    client = Client("http://a", http=http, sleep=waits.append, attempts_max=3)
    with pytest.raises(ApiError) as caught:
        client.health()
    assert caught.value.status == 503 and caught.value.code == "mempool_full"
    assert waits == [RETRY_WAIT_S_MAX, RETRY_WAIT_S_MAX]
    assert len(http.calls) == 3  # type: ignore[attr-defined]


def test_a_400_is_the_answer_not_retried() -> None:
    bad = httpx.Response(400, json={"error": "invalid_height", "message": "no"})
    http = scripted({"a": [bad], "b": [ok_health()]})
    client = Client(["http://a", "http://b"], http=http)
    with pytest.raises(ApiError, match="invalid_height"):
        client.health()
    assert http.calls == ["a"]  # type: ignore[attr-defined]


def test_every_node_down_is_node_unreachable() -> None:
    http = scripted({"a": [httpx.ConnectError("x")], "b": [httpx.ConnectError("y")]})
    with pytest.raises(NodeUnreachable):
        Client(["http://a", "http://b"], http=http, attempts_max=4).health()


# --- against the real app -------------------------------------------------------------------


class FakeClock:
    """Simulated seconds: a wait advances them, nothing else does (however slow the machine)."""

    def __init__(self, on_sleep: Callable[[], None] = lambda: None) -> None:
        self.now_s = 0.0
        self.on_sleep = on_sleep

    def __call__(self) -> float:
        return self.now_s

    def sleep(self, seconds: float) -> None:
        self.now_s += seconds
        self.on_sleep()


@pytest.fixture
def client(http: TestClient) -> Client:
    clock = FakeClock()
    return Client("http://testserver", http=http, sleep=clock.sleep, clock=clock)


def test_wait_for_receipt_returns_once_committed(client: Client, node: FakeNode) -> None:
    tx = sign_tx(ALICE, CHAIN_ID, 0, Transfer(to=BOB.address, amount=5))
    node.auto_commit = False
    submitted = client.submit_tx(tx)
    node.commit_pending()
    assert client.wait_for_receipt(submitted.hash, timeout_s=1).receipt.ok


def test_wait_for_receipt_on_a_halted_chain_says_so(client: Client, node: FakeNode) -> None:
    node.auto_commit = False
    tx = sign_tx(ALICE, CHAIN_ID, 0, Transfer(to=BOB.address, amount=5))
    submitted = client.submit_tx(tx)
    with pytest.raises(ReceiptTimeout, match="not committing") as caught:
        client.wait_for_receipt(submitted.hash, timeout_s=0.05, poll_s=0.01)
    assert caught.value.chain_advancing is False and caught.value.height == 0


def test_wait_for_receipt_on_a_moving_chain_says_it_is_committing(node: FakeNode) -> None:
    http = TestClient(__import__("chainbook.api", fromlist=["create_app"]).create_app(node))

    # Empty blocks while the client waits: the chain moves, the tx is never included.
    clock = FakeClock(on_sleep=node.commit_pending)
    client = Client("http://testserver", http=http, sleep=clock.sleep, clock=clock)
    with pytest.raises(ReceiptTimeout, match="is committing") as caught:
        client.wait_for_receipt("ab" * 32, timeout_s=0.05, poll_s=0.01)
    assert caught.value.chain_advancing


def test_search_helpers_walk_every_page(client: Client, node: FakeNode) -> None:
    for nonce in range(5):
        node.submit_tx(sign_tx(ALICE, CHAIN_ID, nonce, Transfer(to=BOB.address, amount=1)))
        node.commit_pending()
    heights = [t.height for t in client.iter_txs(account=BOB.address, limit=2)]
    assert heights == [5, 4, 3, 2, 1]
    assert client.account_history(ALICE.address, order="asc").txs[0].nonce == 0
    assert client.get_block_results(1).receipts[0].ok
    dry = client.dry_run(sender=ALICE.address, action=Transfer(to=BOB.address, amount=1))
    assert dry.ok and dry.nonce == 5


def test_the_async_client_speaks_the_same_api(node: FakeNode) -> None:
    from chainbook.api import create_app

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=create_app(node))
        http = httpx.AsyncClient(transport=transport)
        async with AsyncClient("http://testserver", http=http) as client:
            tx = sign_tx(ALICE, CHAIN_ID, 0, Transfer(to=BOB.address, amount=5))
            submitted = await client.submit_tx(tx, wait=True, timeout_s=1)
            assert submitted.status == "committed"
            assert (await client.wait_for_receipt(submitted.hash, timeout_s=1)).height == 1
            assert (await client.apps.bank.balance(address=BOB.address)).balance == 5
            assert (await client.status()).height == 1
            page = await client.search_txs(account=BOB.address)
            assert [t.hash for t in page.txs] == [submitted.hash]
            with pytest.raises(ApiError, match="invalid_height"):
                await client.get_block("²")

    asyncio.run(scenario())


def test_the_async_client_waits_on_its_clock_and_says_a_halted_chain(node: FakeNode) -> None:
    from chainbook.api import create_app

    clock = FakeClock()

    async def sleep(seconds: float) -> None:
        clock.sleep(seconds)

    async def scenario() -> None:
        node.auto_commit = False
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(node)))
        async with AsyncClient("http://testserver", http=http, sleep=sleep, clock=clock) as client:
            tx = sign_tx(ALICE, CHAIN_ID, 0, Transfer(to=BOB.address, amount=5))
            submitted = await client.submit_tx(tx)
            with pytest.raises(ReceiptTimeout, match="not committing") as caught:
                await client.wait_for_receipt(submitted.hash, timeout_s=0.05, poll_s=0.01)
            assert caught.value.chain_advancing is False

    asyncio.run(scenario())
    assert clock.now_s == pytest.approx(0.05)  # five waits of 0.01 s, simulated


# --- amounts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "text"),
    [(12_500_000, "12.5"), (1, "0.000001"), (0, "0"), (10**30, "1" + "0" * 24)],
)
def test_amounts_round_trip_exactly(units: int, text: str) -> None:
    assert to_display(units) == text
    assert from_display(text) == units


@pytest.mark.parametrize("text", ["0.0000001", "1e3", "-1", "1,5", "١٢", "", "1.", ".5", "²"])
def test_bad_display_amounts_are_refused_not_rounded(text: str) -> None:
    with pytest.raises(InvalidAmount):
        from_display(text)


def test_format_amount_for_people() -> None:
    assert format_amount(1_234_500_000) == "1,234.5 CBK"
    assert format_amount(-5) == "-0.000005 CBK"
