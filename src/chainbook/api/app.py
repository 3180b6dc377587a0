"""The node's HTTP/JSON API: `create_app(service)` builds a FastAPI app on a NodeService.

Endpoints (OpenAPI docs at /docs, schema at /openapi.json):

    POST /txs                  submit {"tx": "<hex>"}; 202 pending, ?wait=true 200 + receipt;
                               a transaction already pending answers 202 with code already_known,
                               one already committed 200 with its receipt and already_committed
    GET  /txs/{hash}           a committed tx, its receipt and an offline-checkable inclusion proof
    GET  /txs/{hash}/receipt   its receipt file: inclusion and outcome proofs, header, commit and
                               validator-set changes, verifiable offline (api/proof_routes.py)
    GET  /blocks/latest        the latest committed block (header, tx hashes, commit)
    GET  /blocks/{height}      a committed block
    GET  /blocks/{height}/raw  its exact bytes
    GET  /accounts/{address}   an account's committed nonce and pending nonce
    GET  /apps                 the app modules: actions, queries, error codes, limits
    GET  /apps/{module}/{q}    a module's query, e.g. /apps/bank/balance?address=<40 hex>;
                               &prove=true answers a state proof file instead
    GET  /status               the node's view: height, app hash, round, peers, book repairs
    GET  /validators           the current validator set
    GET  /validators/changes   the validator-set changes up to ?to_height=H, with headers and
                               commits (what a verifier follows from the genesis set)
    GET  /metrics              Prometheus text exposition

Errors are always {"error": "<code>", "message": "<what was wrong, the value, what is accepted>"}:

    400  a refused transaction (code from chainbook.errors: invalid_signature, invalid_nonce, ...),
         a malformed body (malformed_json, invalid_request, invalid_hex) or path value
         (invalid_hash, invalid_address, invalid_height)
    404  not_found: no such transaction or block
    413  request_too_large: body over limits.api_request_bytes_max (checked before it is read)
    422  invalid_request: a query parameter out of range (e.g. timeout)
    503  mempool_full, with Retry-After: the node is at capacity, not the client misbehaving, so
         503 (retry later, maybe elsewhere) rather than 429 (which means "you, slow down")

Concurrency: every endpoint is `async def` and calls the NodeService on the event loop's own
thread (no thread pool), so the Node, which runs consensus in the same loop, needs no locks; in
return its query methods must be quick (they are SQLite point reads).
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from chainbook import limits
from chainbook.api import views
from chainbook.api.body_limit import BodySizeLimitMiddleware
from chainbook.api.module_routes import add_module_routes
from chainbook.api.proof_routes import add_proof_routes
from chainbook.api.proof_views import ReceiptFile, StateProofFile, ValidatorChangesView
from chainbook.api.service import AccountView, NodeService, NodeStatus, TxLocation
from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.tx import tx_hash
from chainbook.crypto import HASH_BYTES, parse_address
from chainbook.errors import InvalidInput, MempoolFull
from chainbook.types import Hash, Height

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
WAIT_TIMEOUT_S_DEFAULT = 10.0
MEMPOOL_FULL_RETRY_AFTER_S = 1


class ApiProblem(Exception):
    """An error the API reports as it is: status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class JSONView(Response):
    """A response encoded by msgspec (the project's JSON codec), not by FastAPI's encoder."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return msgspec.json.encode(content)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    return JSONView(views.ErrorView(error=code, message=message), status, headers=headers)


# --- mapping errors to statuses --------------------------------------------------------------


def get_error_code(exc: InvalidInput) -> str:
    code = getattr(exc, "code", None)
    if isinstance(code, str):
        return code
    return "decode_error" if type(exc).__name__ == "DecodeError" else "invalid_input"


def get_error_status(exc: InvalidInput) -> int:
    if isinstance(exc, MempoolFull):
        return 503
    return 400


async def _on_invalid_input(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidInput)
    status = get_error_status(exc)
    headers = {"Retry-After": str(MEMPOOL_FULL_RETRY_AFTER_S)} if status == 503 else None
    return error_response(status, get_error_code(exc), str(exc), headers)


async def _on_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return error_response(exc.status, exc.code, exc.message)


async def _on_request_validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "invalid_request", describe_validation_errors(exc.errors()))


async def _on_http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail))


def describe_validation_errors(errors: Any) -> str:
    """FastAPI's error list as one line naming each field: "query.timeout: ..."."""
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


# --- parsing path values and bodies -----------------------------------------------------------


def parse_hash(text: str) -> Hash:
    raw = text[2:] if text.startswith("0x") else text
    try:
        value = bytes.fromhex(raw)
    except ValueError:
        value = b""
    if len(value) != HASH_BYTES:
        raise ApiProblem(
            400, "invalid_hash", f"hash must be {HASH_BYTES * 2} hex characters, got {text!r}"
        )
    return value


def parse_address_param(text: str) -> bytes:
    try:
        return parse_address(text)
    except ValueError as exc:
        raise ApiProblem(400, "invalid_address", str(exc)) from None


def parse_height(text: str) -> Height:
    if not text.isdigit() or int(text) < 1:
        raise ApiProblem(
            400, "invalid_height", f"height must be an integer >= 1 or 'latest', got {text!r}"
        )
    return int(text)


def decode_batch_body(body: bytes) -> list[str]:
    """The hex transactions of a POST /txs/batch body, at most limits.api_batch_txs_max."""
    try:
        request = msgspec.json.decode(body, type=views.SubmitBatchRequest)
    except msgspec.ValidationError as exc:
        raise ApiProblem(400, "invalid_request", f"request body: {exc}") from None
    except msgspec.DecodeError as exc:
        raise ApiProblem(400, "malformed_json", f"request body is not valid JSON: {exc}") from None
    if len(request.txs) > limits.api_batch_txs_max:
        raise ApiProblem(
            400,
            "too_many_transactions",
            f"{len(request.txs)} transactions in one batch, limit {limits.api_batch_txs_max}",
        )
    return request.txs


def parse_batch_tx(tx_hex: str) -> bytes | None:
    try:
        return bytes.fromhex(tx_hex[2:] if tx_hex.startswith("0x") else tx_hex)
    except ValueError:
        return None


async def submit_batch_txs(service: NodeService, txs_hex: list[str]) -> views.SubmitBatchView:
    """Admit each transaction of a batch; a refusal is reported in place, not raised."""
    parsed = [parse_batch_tx(tx) for tx in txs_hex]
    results = await service.submit_txs([tx for tx in parsed if tx is not None])
    items: list[views.BatchItemView] = []
    answers = iter(results)
    for tx in parsed:
        if tx is None:
            error = views.ErrorView(error="invalid_hex", message="transaction is not hex")
            items.append(views.BatchItemView(hash=None, error=error))
            continue
        answer = next(answers)
        if isinstance(answer, InvalidInput):
            error = views.ErrorView(error=get_error_code(answer), message=str(answer))
            items.append(views.BatchItemView(hash=None, error=error))
        else:
            items.append(views.BatchItemView(hash=answer.hash.hex()))
    return views.SubmitBatchView(results=items)


def decode_submit_body(body: bytes) -> bytes:
    """The tx bytes of a POST /txs body; each failure names the field and what is accepted."""
    try:
        request = msgspec.json.decode(body, type=views.SubmitTxRequest)
    except msgspec.ValidationError as exc:
        raise ApiProblem(400, "invalid_request", f"request body: {exc}") from None
    except msgspec.DecodeError as exc:
        raise ApiProblem(400, "malformed_json", f"request body is not valid JSON: {exc}") from None
    raw = request.tx[2:] if request.tx.startswith("0x") else request.tx
    try:
        return bytes.fromhex(raw)
    except ValueError:
        shown = request.tx if len(request.tx) <= 40 else request.tx[:40] + "..."
        raise ApiProblem(
            400, "invalid_hex", f"field `tx` must be hex (pairs of 0-9a-f), got {shown!r}"
        ) from None


# --- the app ----------------------------------------------------------------------------------


def create_app(service: NodeService, registry: Registry = REGISTRY) -> FastAPI:
    """Build the API of one node. The app holds no state of its own besides `service`; its
    module routes come from `registry` (the node's modules)."""
    app = _NodeApi(
        title="chainbook node API",
        version="1",
        description=__doc__,
        default_response_class=JSONView,
    )
    app.add_middleware(BodySizeLimitMiddleware, body_bytes_max=limits.api_request_bytes_max)
    app.add_exception_handler(InvalidInput, _on_invalid_input)
    app.add_exception_handler(ApiProblem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    add_proof_routes(app, service, JSONView, ApiProblem, parse_hash, parse_height, _responses)
    _add_tx_routes(app, service)
    _add_block_routes(app, service)
    _add_node_routes(app, service)
    add_module_routes(app, service, registry, JSONView)
    return app


def _add_tx_routes(app: FastAPI, service: NodeService) -> None:
    @app.post(
        "/txs",
        status_code=202,
        summary="Submit a signed transaction",
        responses=_responses(
            {202: views.SubmitTxView, 200: views.SubmitTxView}, 400, 413, 503
        ),
        openapi_extra=_request_body(views.SubmitTxRequest),
    )
    async def submit_tx(
        request: Request,
        wait: bool = Query(False, description="Wait until the transaction is committed."),
        timeout: float = Query(
            WAIT_TIMEOUT_S_DEFAULT,
            gt=0,
            le=limits.api_wait_commit_s_max,
            description="Seconds to wait with wait=true; on timeout the answer is 202 pending.",
        ),
    ) -> Response:
        tx_bytes = decode_submit_body(await request.body())
        hash_ = tx_hash(tx_bytes)
        committed = service.get_tx(hash_)
        if committed is not None:  # a retry of what is final: its outcome, not a nonce error
            return JSONView(views.view_submitted(hash_, committed, "already_committed"), 200)
        known = service.is_pending(hash_)
        decoded = service.submit_tx(tx_bytes)
        location: TxLocation | None = None
        if wait:
            location = await service.wait_for_tx(decoded.hash, timeout)
        status = 200 if location is not None else 202
        code = "already_known" if known else None
        return JSONView(views.view_submitted(decoded.hash, location, code), status)

    @app.post(
        "/txs/batch",
        summary="Submit many signed transactions; each is admitted (or refused) on its own",
        responses=_responses({200: views.SubmitBatchView}, 400, 413),
        openapi_extra=_request_body(views.SubmitBatchRequest),
    )
    async def submit_batch(request: Request) -> Response:
        txs = decode_batch_body(await request.body())
        return JSONView(await submit_batch_txs(service, txs))

    @app.get(
        "/txs/{tx_hash}",
        summary="A committed transaction with its receipt and inclusion proof",
        responses=_responses({200: views.TxView}, 400, 404),
    )
    async def get_tx(tx_hash: str) -> Response:
        hash_ = parse_hash(tx_hash)
        proof = service.get_tx_proof(hash_)
        if proof is not None:
            return JSONView(views.view_tx(hash_, proof.location, proof, proof.tx))
        location = service.get_tx(hash_)
        block = service.get_block(location.height) if location is not None else None
        if location is None or block is None:
            raise ApiProblem(404, "not_found", f"no committed transaction {hash_.hex()}")
        return JSONView(views.view_tx(hash_, location, None, block.txs[location.index]))


def _add_block_routes(app: FastAPI, service: NodeService) -> None:
    def block_view(height: Height) -> Response:
        block = service.get_block(height)
        if block is None:
            latest = service.status().height
            raise ApiProblem(404, "not_found", f"no block at height {height} (latest {latest})")
        return JSONView(views.view_block(block, service.get_commit(height)))

    @app.get(
        "/blocks/latest",
        summary="The latest committed block",
        responses=_responses({200: views.BlockView}, 404),
    )
    async def get_latest_block() -> Response:
        height = service.status().height
        if height < 1:
            raise ApiProblem(404, "not_found", "no block committed yet")
        return block_view(height)

    @app.get(
        "/blocks/{height}",
        summary="A committed block by height",
        responses=_responses({200: views.BlockView}, 400, 404),
    )
    async def get_block(height: str) -> Response:
        return block_view(parse_height(height))


def _add_node_routes(app: FastAPI, service: NodeService) -> None:
    @app.get(
        "/accounts/{address}",
        summary="An account's nonces (its balances are module queries: /apps/bank/balance)",
        responses=_responses({200: AccountView}, 400),
    )
    async def get_account(address: str) -> Response:
        return JSONView(service.get_account(parse_address_param(address)))

    @app.get(
        "/status",
        summary="This node's view of the chain",
        responses=_responses({200: NodeStatus}),
    )
    async def get_status() -> Response:
        return JSONView(service.status())

    @app.get(
        "/validators",
        summary="The current validator set",
        responses=_responses({200: views.ValidatorsView}),
    )
    async def get_validators() -> Response:
        status = service.status()
        total = sum(v.power for v in status.validators)
        return JSONView(
            views.ValidatorsView(
                height=status.height, power_total=total, validators=status.validators
            )
        )

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def get_metrics() -> Response:
        return Response(service.metrics_text(), media_type=PROMETHEUS_CONTENT_TYPE)


# --- OpenAPI from msgspec types -----------------------------------------------------------------

_REF = "#/components/schemas/{name}"
_ERROR_STATUSES = {
    400: "Invalid input",
    404: "Not found",
    413: "Request body too large",
    422: "Invalid query parameter",
    503: "Mempool full; retry later",
}


def _schema_ref(type_: type) -> dict[str, Any]:
    return {"$ref": _REF.format(name=type_.__name__)}


def _responses(ok: dict[int, type], *errors: int) -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {
        status: {"description": "OK", "content": {"application/json": {"schema": _schema_ref(t)}}}
        for status, t in ok.items()
    }
    for status in errors:
        responses[status] = {
            "description": _ERROR_STATUSES[status],
            "content": {"application/json": {"schema": _schema_ref(views.ErrorView)}},
        }
    return responses


def _request_body(type_: type) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _schema_ref(type_)}},
        }
    }


_DOCUMENTED_TYPES: tuple[type, ...] = (
    views.SubmitTxRequest,
    views.SubmitTxView,
    views.SubmitBatchRequest,
    views.SubmitBatchView,
    views.ErrorView,
    views.TxView,
    views.BlockView,
    AccountView,
    views.ValidatorsView,
    NodeStatus,
    ReceiptFile,
    StateProofFile,
    ValidatorChangesView,
)


class _NodeApi(FastAPI):
    """FastAPI derives schemas from pydantic; ours are msgspec Structs, so add them here."""

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            schema = get_openapi(
                title=self.title,
                version=self.version,
                description=self.description,
                routes=self.routes,
            )
            _, components = msgspec.json.schema_components(_DOCUMENTED_TYPES, ref_template=_REF)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(components)
            _drop_types_beside_refs(schema)
            self.openapi_schema = schema
        return self.openapi_schema


def _drop_types_beside_refs(node: Any) -> None:
    """FastAPI writes {"type": "string"} for a Response class it cannot describe and merges it
    with the $ref we declare, which then says "a string that is an object"; keep the $ref."""
    if isinstance(node, dict):
        if "$ref" in node:
            node.pop("type", None)
        for value in node.values():
            _drop_types_beside_refs(value)
    elif isinstance(node, list):
        for value in node:
            _drop_types_beside_refs(value)


__all__ = [
    "PROMETHEUS_CONTENT_TYPE",
    "ApiProblem",
    "create_app",
    "get_error_code",
    "get_error_status",
]
