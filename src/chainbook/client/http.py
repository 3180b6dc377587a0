"""`Client`: a small synchronous SDK for one node's HTTP API.

Errors, drawn once:

    ClientError                 anything this SDK raises on purpose
    ├── ApiError                the node answered with an error: .status, .code, .message
    └── NodeUnreachable         no answer at all (connection refused, timeout, bad URL)

Answers are decoded strictly into the views of chainbook.api.views, the same classes the node
encodes, so a field that changes on one side fails loudly on the other.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
import msgspec

from chainbook.api import views
from chainbook.api.proof_views import ReceiptFile, StateProofFile, ValidatorChangesView
from chainbook.api.service import AccountView, NodeStatus
from chainbook.apps.fields import from_json_value
from chainbook.apps.registry import REGISTRY, Registry
from chainbook.client.modules import AppsNamespace, query_params
from chainbook.ledger.queries import UnknownQuery

T = TypeVar("T")

TIMEOUT_S_DEFAULT = 10.0
"""Timeout of one request; a submit with wait=True adds its own wait on top."""


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


class Client:
    """Talk to one node. `http` may be given to reuse a session or to test against an app."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:26700",
        *,
        timeout_s: float = TIMEOUT_S_DEFAULT,
        http: httpx.Client | None = None,
        registry: Registry = REGISTRY,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.registry = registry
        self._http = http if http is not None else httpx.Client(timeout=timeout_s)
        self.apps = AppsNamespace(self._run_query, registry)
        """`client.apps.<module>.<query>(**fields)`: every module query as a method."""

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

    def validators(self) -> views.ValidatorsView:
        return _decode(self._request("GET", "/validators"), views.ValidatorsView)

    def metrics(self) -> str:
        return self._request("GET", "/metrics").text

    # --- plumbing -----------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self.base_url + path
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise NodeUnreachable(f"{method} {url}: no answer in time") from None
        except httpx.HTTPError as exc:
            raise NodeUnreachable(f"{method} {url}: {exc or type(exc).__name__}") from None
        if response.status_code >= 400:
            raise _api_error(response)
        return response


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


__all__ = ["ApiError", "Client", "ClientError", "NodeUnreachable"]
