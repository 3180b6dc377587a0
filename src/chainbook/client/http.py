"""`Client`: the synchronous SDK for a node's HTTP API (client/async_http.py is the asyncio
one, with the same methods).

Errors, drawn once:

    ClientError                 anything this SDK raises on purpose
    ├── ApiError                the node answered with an error: .status, .code, .message
    ├── NodeUnreachable         no answer at all (connection refused, timeout, bad URL)
    └── ReceiptTimeout          wait_for_receipt gave up: .tx_hash, .timeout_s, .height and
                                .chain_advancing (False: the chain committed nothing meanwhile)

Answers are decoded strictly into the views of chainbook.api.views, the same classes the node
encodes, so a field that changes on one side fails loudly on the other.

Failover and retry: a Client may be given several node URLs. A request that gets no answer,
or a 503 (the node at capacity, not ready), is tried on the next URL; once every URL said 503,
the client waits as long as the node's Retry-After asked (at most retry_wait_s_max) and goes
round again, `attempts_max` tries in all. Other errors are the answer and are raised at once.
Submitting is safe to retry: a resubmitted transaction answers already_known or
already_committed, never a second execution.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import httpx
import msgspec

from chainbook.api import chain_views, views
from chainbook.api.proof_views import ReceiptFile, StateProofFile, ValidatorChangesView
from chainbook.api.service import AccountView, NodeStatus
from chainbook.apps.fields import from_json_value, to_json_value
from chainbook.apps.registry import REGISTRY, Registry
from chainbook.client.modules import AppsNamespace, query_params
from chainbook.ledger.queries import UnknownQuery

T = TypeVar("T")

TIMEOUT_S_DEFAULT = 10.0
"""Timeout of one request; a submit with wait=True adds its own wait on top."""
ATTEMPTS_MAX_DEFAULT = 4
RETRY_WAIT_S_MAX = 5.0
"""The longest a Retry-After is honoured for; a node asking more is tried again sooner."""
RECEIPT_POLL_S = 0.2


class ClientError(Exception):
    """Base of the errors of the client SDK."""


class ApiError(ClientError):
    """The node refused a request; `code` is the API's stable error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{message} (HTTP {status}, {code})")
        self.status = status
        self.code = code
        self.message = message


class NodeUnreachable(ClientError):
    """The node did not answer (not running, wrong URL, or too slow)."""


class ReceiptTimeout(ClientError):
    """No receipt within the timeout. `chain_advancing` tells a slow chain from a halted one."""

    def __init__(self, tx_hash: str, timeout_s: float, height: int, chain_advancing: bool):
        if chain_advancing:
            why = f"the chain is committing (height {height}) but has not included it"
        else:
            why = f"the chain is not committing: it stayed at height {height}"
        super().__init__(f"no receipt for {tx_hash} within {timeout_s:g} s: {why}")
        self.tx_hash = tx_hash
        self.timeout_s = timeout_s
        self.height = height
        self.chain_advancing = chain_advancing


def normalise_urls(base_url: str | Sequence[str]) -> list[str]:
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    if not urls:
        raise ValueError("a Client needs at least one node URL")
    return [url.rstrip("/") for url in urls]


def get_retry_after_s(response: httpx.Response) -> float:
    """The node's Retry-After in seconds (1 if absent or not a number), capped."""
    text = response.headers.get("retry-after", "1")
    wait_s = float(text) if text.isascii() and text.isdigit() else 1.0
    return min(wait_s, RETRY_WAIT_S_MAX)


class Client:
    """Talk to a node (or to any of several, failing over). `http` may be given to reuse a
    session or to test against an app; `sleep` is injectable for tests."""

    def __init__(
        self,
        base_url: str | Sequence[str] = "http://127.0.0.1:26700",
        *,
        timeout_s: float = TIMEOUT_S_DEFAULT,
        http: httpx.Client | None = None,
        registry: Registry = REGISTRY,
        attempts_max: int = ATTEMPTS_MAX_DEFAULT,
        sleep: Any = time.sleep,
        clock: Any = time.monotonic,
    ) -> None:
        """`sleep` and `clock` (seconds) are the waits' and deadlines' (tests give both)."""
        self.urls = normalise_urls(base_url)
        self.timeout_s = timeout_s
        self.registry = registry
        self.attempts_max = attempts_max
        self._sleep, self._clock = sleep, clock
        self._current = 0
        self._http = http if http is not None else httpx.Client(timeout=timeout_s)
        self.apps = AppsNamespace(self._run_query, registry)
        """`client.apps.<module>.<query>(**fields)`: every module query as a method."""

    @property
    def base_url(self) -> str:
        """The URL of the node answering now."""
        return self.urls[self._current]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- endpoints ----------------------------------------------------------------------------

    def submit_tx(
        self, tx_bytes: bytes, wait: bool = False, timeout_s: float = 10.0
    ) -> views.SubmitTxView:
        """Submit signed tx bytes. With wait=True, block until committed (status "committed",
        receipt set) or until `timeout_s` (status "pending")."""
        extra: dict[str, Any] = {}
        if wait:  # the node holds the answer up to timeout_s: give the request that much more
            extra["params"] = {"wait": "true", "timeout": timeout_s}
            extra["timeout"] = self.timeout_s + timeout_s
        answer = self._request("POST", "/txs", json={"tx": tx_bytes.hex()}, **extra)
        return _decode(answer, views.SubmitTxView)

    def get_tx(self, tx_hash: bytes | str) -> views.TxView:
        return _decode(self._request("GET", f"/txs/{_hex(tx_hash)}"), views.TxView)

    def get_block(self, height: int | str = "latest") -> views.BlockView:
        return _decode(self._request("GET", f"/blocks/{height}"), views.BlockView)

    def get_account(self, address: bytes | str) -> AccountView:
        """The account's nonces (its balances are module queries: `apps.bank.balance`)."""
        return _decode(self._request("GET", f"/accounts/{_hex(address)}"), AccountView)

    def query(self, module: str, name: str, *, prove: bool = False, **fields: Any) -> Any:
        """A module's query, e.g. query("bank", "balance", address=...), typed answer.

        With prove=True the answer is a StateProofFile instead (api/proof_views.py): the keys
        the query read, each proven under a committed header; check it offline with
        chainbook.client.verify.verify_state_proof_file.
        """
        if prove:
            return self.prove_query(module, name, **fields)
        return self._run_query(module, name, fields)

    def prove_query(self, module: str, name: str, **fields: Any) -> StateProofFile:
        found = self.registry.get_module(module)
        query = found.get_query(name) if found is not None else None
        if found is None or query is None:
            raise UnknownQuery(f"no query {module}.{name} in this client's registry")
        params = {**query_params(query, fields), "prove": "true"}
        answer = self._request("GET", f"/apps/{module}/{name}", params=params)
        return _decode(answer, StateProofFile)

    def get_receipt_file(self, tx_hash: bytes | str) -> ReceiptFile:
        """The self-contained receipt of a committed transaction (verify_receipt_file)."""
        return _decode(self._request("GET", f"/txs/{_hex(tx_hash)}/receipt"), ReceiptFile)

    def get_block_bytes(self, height: int) -> bytes:
        """A committed block's exact bytes (decode with chain.block.decode_block)."""
        return self._request("GET", f"/blocks/{height}/raw").content

    def get_validator_changes(self, to_height: int) -> ValidatorChangesView:
        answer = self._request("GET", "/validators/changes", params={"to_height": to_height})
        return _decode(answer, ValidatorChangesView)

    def _run_query(self, module: str, name: str, fields: dict[str, Any]) -> Any:
        found = self.registry.get_module(module)
        query = found.get_query(name) if found is not None else None
        if found is None or query is None:
            raise UnknownQuery(f"no query {module}.{name} in this client's registry")
        answer = self._request("GET", f"/apps/{module}/{name}", params=query_params(query, fields))
        try:
            return from_json_value(msgspec.json.decode(answer.content), query.response)
        except (msgspec.DecodeError, ValueError) as exc:
            raise ApiError(
                answer.status_code, "bad_response", f"unexpected answer from the node: {exc}"
            ) from None

    def status(self) -> NodeStatus:
        return _decode(self._request("GET", "/status"), NodeStatus)

    def health(self) -> chain_views.HealthView:
        """Readiness; raises ApiError (503, not_ready) when the node is not ready."""
        return _decode(self._request("GET", "/health"), chain_views.HealthView)

    def genesis(self) -> bytes:
        """The genesis file the node runs (load it with chainbook.ledger.genesis.load_genesis
        and compare its hash with a file you trust)."""
        return self._request("GET", "/genesis").content

    def get_blocks(
        self, cursor: int | None = None, limit: int = 20, order: str = "desc"
    ) -> chain_views.BlockPageView:
        params: dict[str, Any] = {"limit": limit, "order": order}
        if cursor is not None:
            params["cursor"] = cursor
        answer = self._request("GET", "/blocks", params=params)
        return _decode(answer, chain_views.BlockPageView)

    def get_block_by_hash(self, block_hash: bytes | str) -> views.BlockView:
        answer = self._request("GET", f"/blocks/hash/{_hex(block_hash)}")
        return _decode(answer, views.BlockView)

    def get_block_results(self, height: int) -> chain_views.BlockResultsView:
        answer = self._request("GET", f"/blocks/{height}/results")
        return _decode(answer, chain_views.BlockResultsView)

    def search_txs(
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
        """One page of committed transactions matching every filter given."""
        params = _search_params(
            account, module, event, action, from_height, to_height, order, cursor, limit
        )
        return _decode(self._request("GET", "/txs", params=params), chain_views.TxPageView)

    def iter_txs(self, **filters: Any) -> Iterator[chain_views.TxSummaryView]:
        """Every matching transaction, page after page (search_txs' filters)."""
        cursor = filters.pop("cursor", None)
        while True:
            page = self.search_txs(cursor=cursor, **filters)
            yield from page.txs
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def account_history(self, address: bytes | str, **filters: Any) -> chain_views.TxPageView:
        return self.search_txs(account=address, **filters)

    def mempool(self, limit: int = 100) -> chain_views.MempoolView:
        answer = self._request("GET", "/mempool", params={"limit": limit})
        return _decode(answer, chain_views.MempoolView)

    def dry_run(
        self,
        tx_bytes: bytes | None = None,
        *,
        sender: bytes | str | None = None,
        action: msgspec.Struct | dict[str, Any] | None = None,
        nonce: int | None = None,
    ) -> chain_views.DryRunView:
        """What a signed transaction (tx_bytes), or `action` as `sender` would sign it,
        would do now; nothing is committed."""
        if tx_bytes is not None:
            body: dict[str, Any] = {"tx": tx_bytes.hex()}
        else:
            if sender is None or action is None:
                raise ValueError("dry_run takes tx_bytes, or sender and action")
            json_action = action if isinstance(action, dict) else to_json_value(action)
            unsigned: dict[str, Any] = {"sender": _hex(sender), "action": json_action}
            if nonce is not None:
                unsigned["nonce"] = nonce
            body = {"unsigned": unsigned}
        answer = self._request("POST", "/txs/dry-run", json=body)
        return _decode(answer, chain_views.DryRunView)

    def wait_for_receipt(
        self, tx_hash: bytes | str, timeout_s: float = 30.0, poll_s: float = RECEIPT_POLL_S
    ) -> views.TxView:
        """The committed transaction once its block is final; ReceiptTimeout after
        `timeout_s`, saying whether the chain was committing meanwhile."""
        hash_text = _hex(tx_hash)
        deadline = self._clock() + timeout_s
        first_height = self.status().height
        height = first_height
        while True:
            try:
                return self.get_tx(hash_text)
            except ApiError as exc:
                if exc.code != "not_found":
                    raise
            if self._clock() >= deadline:
                height = self.status().height
                raise ReceiptTimeout(hash_text, timeout_s, height, height > first_height)
            self._sleep(poll_s)

    def subscribe(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Live heights from the node's /events (client/stream.py): reconnects on a drop and
        resumes after the last height received, so no height is missed or repeated."""
        from chainbook.client.stream import subscribe

        return subscribe(self.urls, **filters)

    def validators(self) -> views.ValidatorsView:
        return _decode(self._request("GET", "/validators"), views.ValidatorsView)

    def metrics(self) -> str:
        return self._request("GET", "/metrics").text

    # --- plumbing -----------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request with failover across the URLs and retry of 503 (module docstring)."""
        failure: ClientError | None = None
        wait_s = 0.0
        for attempt in range(self.attempts_max):
            if attempt and attempt % len(self.urls) == 0 and wait_s > 0:
                self._sleep(wait_s)  # every node said 503: wait as asked, then go round
                wait_s = 0.0
            url = self.base_url + path
            try:
                response = self._http.request(method, url, **kwargs)
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


def _api_error(response: httpx.Response) -> ApiError:
    try:
        error = msgspec.json.decode(response.content, type=views.ErrorView)
    except (msgspec.DecodeError, msgspec.ValidationError):
        text = response.text.strip()[:200] or response.reason_phrase
        return ApiError(response.status_code, "http_error", text)
    return ApiError(response.status_code, error.error, error.message)


def _decode(response: httpx.Response, type_: type[T]) -> T:
    try:
        return msgspec.json.decode(response.content, type=type_)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ApiError(
            response.status_code, "bad_response", f"unexpected answer from the node: {exc}"
        ) from None


def _hex(value: bytes | str) -> str:
    return value.hex() if isinstance(value, bytes) else value


def _search_params(
    account: bytes | str | None,
    module: str | None,
    event: str | None,
    action: str | None,
    from_height: int | None,
    to_height: int | None,
    order: str,
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    given = {
        "account": _hex(account) if account is not None else None,
        "module": module,
        "event": event,
        "action": action,
        "from_height": from_height,
        "to_height": to_height,
        "order": order,
        "cursor": cursor,
        "limit": limit,
    }
    return {k: v for k, v in given.items() if v is not None}


__all__ = [
    "ApiError",
    "Client",
    "ClientError",
    "NodeUnreachable",
    "ReceiptTimeout",
    "get_retry_after_s",
    "normalise_urls",
]
