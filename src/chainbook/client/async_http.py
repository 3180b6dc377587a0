"""`AsyncClient`: the asyncio SDK, the same calls as `Client` (client/http.py) awaited, with
the same failover across URLs, retry of 503 after Retry-After, errors and strict decoding.

    async with AsyncClient(["http://n0:26700", "http://n1:26700"]) as client:
        status = await client.status()
        balance = await client.apps.bank.balance(address=...)
        async for message in client.subscribe(kinds="txs"):
            ...
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx
import msgspec

from chainbook.api import chain_views, views
from chainbook.api.service import AccountView, NodeStatus
from chainbook.apps.fields import from_json_value
from chainbook.apps.registry import REGISTRY, Registry
from chainbook.client.http import (
    ATTEMPTS_MAX_DEFAULT,
    RECEIPT_POLL_S,
    TIMEOUT_S_DEFAULT,
    ApiError,
    ClientError,
    NodeUnreachable,
    ReceiptTimeout,
    _api_error,
    _decode,
    _hex,
    _search_params,
    get_retry_after_s,
    normalise_urls,
)
from chainbook.client.modules import AppsNamespace, query_params
from chainbook.ledger.queries import UnknownQuery

T = TypeVar("T")


class AsyncClient:
    def __init__(
        self,
        base_url: str | Sequence[str] = "http://127.0.0.1:26700",
        *,
        timeout_s: float = TIMEOUT_S_DEFAULT,
        http: httpx.AsyncClient | None = None,
        registry: Registry = REGISTRY,
        attempts_max: int = ATTEMPTS_MAX_DEFAULT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`sleep` and `clock` (seconds) are the waits' and deadlines' (tests give both)."""
        self.urls = normalise_urls(base_url)
        self._sleep, self._clock = sleep, clock
        self.timeout_s = timeout_s
        self.registry = registry
        self.attempts_max = attempts_max
        self._current = 0
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout_s)
        self.apps = AppsNamespace(self._run_query, registry)
        """`await client.apps.<module>.<query>(**fields)`."""

    @property
    def base_url(self) -> str:
        return self.urls[self._current]

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- endpoints ----------------------------------------------------------------------------

    async def submit_tx(
        self, tx_bytes: bytes, wait: bool = False, timeout_s: float = 10.0
    ) -> views.SubmitTxView:
        extra: dict[str, Any] = {}
        if wait:
            extra["params"] = {"wait": "true", "timeout": timeout_s}
            extra["timeout"] = self.timeout_s + timeout_s
        answer = await self._request("POST", "/txs", json={"tx": tx_bytes.hex()}, **extra)
        return _decode(answer, views.SubmitTxView)

    async def get_tx(self, tx_hash: bytes | str) -> views.TxView:
        return _decode(await self._request("GET", f"/txs/{_hex(tx_hash)}"), views.TxView)

    async def get_block(self, height: int | str = "latest") -> views.BlockView:
        return _decode(await self._request("GET", f"/blocks/{height}"), views.BlockView)

    async def get_block_results(self, height: int) -> chain_views.BlockResultsView:
        answer = await self._request("GET", f"/blocks/{height}/results")
        return _decode(answer, chain_views.BlockResultsView)

    async def get_account(self, address: bytes | str) -> AccountView:
        return _decode(await self._request("GET", f"/accounts/{_hex(address)}"), AccountView)

    async def status(self) -> NodeStatus:
        return _decode(await self._request("GET", "/status"), NodeStatus)

    async def health(self) -> chain_views.HealthView:
        return _decode(await self._request("GET", "/health"), chain_views.HealthView)

    async def search_txs(
        self,
        *,
        account: bytes | str | None = None,
        module: str | None = None,
        event: str | None = None,
        action: str | None = None,
        from_height: int | None = None,
        to_height: int | None = None,
        order: str = "desc",
        cursor: str | None = None,
        limit: int = 20,
    ) -> chain_views.TxPageView:
        params = _search_params(
            account, module, event, action, from_height, to_height, order, cursor, limit
        )
        answer = await self._request("GET", "/txs", params=params)
        return _decode(answer, chain_views.TxPageView)

    async def mempool(self, limit: int = 100) -> chain_views.MempoolView:
        answer = await self._request("GET", "/mempool", params={"limit": limit})
        return _decode(answer, chain_views.MempoolView)

    async def query(self, module: str, name: str, **fields: Any) -> Any:
        return await self._run_query(module, name, fields)

    async def wait_for_receipt(
        self, tx_hash: bytes | str, timeout_s: float = 30.0, poll_s: float = RECEIPT_POLL_S
    ) -> views.TxView:
        hash_text = _hex(tx_hash)
        deadline = self._clock() + timeout_s
        first_height = (await self.status()).height
        while True:
            try:
                return await self.get_tx(hash_text)
            except ApiError as exc:
                if exc.code != "not_found":
                    raise
            if self._clock() >= deadline:
                height = (await self.status()).height
                raise ReceiptTimeout(hash_text, timeout_s, height, height > first_height)
            await self._sleep(poll_s)

    def subscribe(self, **filters: Any) -> AsyncIterator[dict[str, Any]]:
        from chainbook.client.stream import subscribe_async

        return subscribe_async(self.urls, **filters)

    async def _run_query(self, module: str, name: str, fields: dict[str, Any]) -> Any:
        found = self.registry.get_module(module)
        query = found.get_query(name) if found is not None else None
        if found is None or query is None:
            raise UnknownQuery(f"no query {module}.{name} in this client's registry")
        params = query_params(query, fields)
        answer = await self._request("GET", f"/apps/{module}/{name}", params=params)
        try:
            return from_json_value(msgspec.json.decode(answer.content), query.response)
        except (msgspec.DecodeError, ValueError) as exc:
            raise ApiError(
                answer.status_code, "bad_response", f"unexpected answer from the node: {exc}"
            ) from None

    # --- plumbing -----------------------------------------------------------------------------

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        failure: ClientError | None = None
        wait_s = 0.0
        for attempt in range(self.attempts_max):
            if attempt and attempt % len(self.urls) == 0 and wait_s > 0:
                await self._sleep(wait_s)
                wait_s = 0.0
            url = self.base_url + path
            try:
                response = await self._http.request(method, url, **kwargs)
            except httpx.TimeoutException:
                failure = NodeUnreachable(f"{method} {url}: no answer in time")
            except httpx.HTTPError as exc:
                failure = NodeUnreachable(f"{method} {url}: {exc or type(exc).__name__}")
            else:
                if response.status_code < 400:
                    return response
                failure = _api_error(response)
                if response.status_code != 503:
                    raise failure
                wait_s = max(wait_s, get_retry_after_s(response))
            self._current = (self._current + 1) % len(self.urls)
        assert failure is not None
        raise failure


__all__ = ["AsyncClient"]
