"""The node's HTTP/JSON API: `create_app(service)` builds a FastAPI app on a NodeService.

Endpoints (OpenAPI docs at /docs and /redoc, served with their own assets; schema at
/openapi.json). Core ones here, the others in a file each (named on the right):

    POST /txs                  submit {"tx": "<hex>"}; 202 pending, ?wait=true 200 + receipt;
                               a transaction already pending answers 202 with code already_known,
                               one already committed 200 with its receipt and already_committed
    POST /txs/batch            many at once, each admitted or refused on its own
    POST /txs/dry-run          execute without committing (dry_run_routes.py)
    GET  /txs/{hash}           a committed tx, decoded and as hex, its receipt and proof
    GET  /txs/{hash}/receipt   its receipt file: inclusion and outcome proofs, header, commit and
                               validator-set changes, verifiable offline (api/proof_routes.py)
    GET  /txs?account=&module=&event=&from_height=&to_height=&cursor=   search (search_routes.py)
    GET  /accounts/{address}   an account's committed nonce and pending nonce
    GET  /accounts/{address}/txs   its history (search_routes.py)
    GET  /blocks/latest        the latest committed block (header, tx hashes, commit)
    GET  /blocks/{height}      a committed block
    GET  /blocks?cursor=&limit=    a page of block summaries (chain_routes.py)
    GET  /blocks/hash/{hash}   a block by hash; /blocks/{height}/results its receipts and
                               block events, e.g. the mint reward (chain_routes.py)
    GET  /blocks/{height}/raw  its exact bytes (api/proof_routes.py)
    GET  /mempool              pending count, bytes, first hashes (search_routes.py)
    GET  /apps                 the app modules: actions, queries, error codes, limits
    GET  /apps/{module}/{q}    a module's query, e.g. /apps/bank/balance?address=<40 hex>;
                               &prove=true answers a state proof file instead
    GET  /status               the node's view: height, app hash, round, peers, book repairs,
                               node and protocol versions, genesis hash
    GET  /health, /health/live readiness (503 when not committing or syncing), liveness
    GET  /genesis              the genesis file (chain_routes.py)
    GET  /validators           the current validator set
    GET  /validators/changes   the validator-set changes up to ?to_height=H, with headers and
                               commits (what a verifier follows from the genesis set)
    GET  /metrics              Prometheus text exposition
    WS   /events               live blocks, transactions and events (stream_routes.py)
    GET  /search?q=            what a text names: block, tx, account, module record
                               (lookup_routes.py)
    GET  /                     the explorer web page and its assets (explorer_routes.py)

Errors are always {"error": "<code>", "message": "<what was wrong, the value, what is
accepted>"}, with one status per code everywhere (api/errors.py: 400 bad input, 404 not
found, 413 too large, 503 retry later with Retry-After).

Concurrency: every endpoint is `async def` and calls the NodeService on the event loop's own
thread (no thread pool), so the Node, which runs consensus in the same loop, needs no locks; in
return its query methods must be quick (they are SQLite point reads).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence

import msgspec
from fastapi import FastAPI, Path, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from chainbook import limits
from chainbook.api import views
from chainbook.api.body_limit import BodySizeLimitMiddleware
from chainbook.api.chain_routes import add_chain_routes
from chainbook.api.docs_routes import add_docs_routes
from chainbook.api.dry_run_routes import add_dry_run_routes
from chainbook.api.errors import (
    ApiProblem,
    JSONView,
    add_error_handlers,
    get_error_code,
    get_error_status,
    get_status_for_code,
)
from chainbook.api.errors import error_response as _error_response
from chainbook.api.explorer_routes import add_explorer_routes
from chainbook.api.lookup_routes import add_lookup_routes
from chainbook.api.module_routes import add_module_routes
from chainbook.api.openapi import NodeApi, request_body, responses
from chainbook.api.paths import (
    ADDRESS_PATTERN,
    HASH_PATTERN,
    HEIGHT_PATTERN,
    parse_address_param,
    parse_hash,
    parse_height,
    pattern,
)
from chainbook.api.private_routes import add_private_routes
from chainbook.api.proof_routes import add_proof_routes
from chainbook.api.proof_views import ReceiptFile, StateProofFile, ValidatorChangesView
from chainbook.api.search_routes import add_search_routes
from chainbook.api.service import AccountView, NodeService, NodeStatus, TxLocation
from chainbook.api.stream_routes import add_stream_routes
from chainbook.apps.registry import REGISTRY, Registry
from chainbook.chain.tx import tx_hash
from chainbook.errors import InvalidInput
from chainbook.p2p.handshake import PROTOCOL_VERSION
from chainbook.types import Height

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
POST_ONLY_TX_PATHS = frozenset({"batch", "dry-run"})
WAIT_TIMEOUT_S_DEFAULT = 10.0


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """The API's error body; the status follows the code (api/errors.py)."""
    assert status == get_status_for_code(code), (status, code)
    return _error_response(code, message)


def decode_batch_body(body: bytes) -> list[str]:
    """The hex transactions of a POST /txs/batch body, at most limits.api_batch_txs_max."""
    try:
        request = msgspec.json.decode(body, type=views.SubmitBatchRequest)
    except msgspec.ValidationError as exc:
        raise ApiProblem("invalid_request", f"request body: {exc}") from None
    except msgspec.DecodeError as exc:
        raise ApiProblem("malformed_json", f"request body is not valid JSON: {exc}") from None
    if len(request.txs) > limits.api_batch_txs_max:
        raise ApiProblem(
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
        raise ApiProblem("invalid_request", f"request body: {exc}") from None
    except msgspec.DecodeError as exc:
        raise ApiProblem("malformed_json", f"request body is not valid JSON: {exc}") from None
    raw = request.tx[2:] if request.tx.startswith("0x") else request.tx
    try:
        return bytes.fromhex(raw)
    except ValueError:
        shown = request.tx if len(request.tx) <= 40 else request.tx[:40] + "..."
        raise ApiProblem(
            "invalid_hex", f"field `tx` must be hex (pairs of 0-9a-f), got {shown!r}"
        ) from None


# --- the app ----------------------------------------------------------------------------------


def create_app(
    service: NodeService,
    registry: Registry = REGISTRY,
    *,
    cors_origins: Sequence[str] = (),
) -> FastAPI:
    """Build the API of one node. The app holds no state of its own besides `service`; its
    module routes come from `registry` (the node's modules). `cors_origins` may call it from
    a browser page (config api_cors_origins; "*" for any)."""
    app = NodeApi(
        title="chainbook node API",
        version=get_node_version(),
        description=__doc__,
        default_response_class=JSONView,
        docs_url=None,
        redoc_url=None,
    )
    app.documented_types = list(_DOCUMENTED_TYPES)
    app.add_middleware(BodySizeLimitMiddleware, body_bytes_max=limits.api_request_bytes_max)
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
            max_age=600,
        )
    add_error_handlers(app)
    add_docs_routes(app)
    add_explorer_routes(app)
    add_chain_routes(app, service)
    add_search_routes(app, service)
    add_dry_run_routes(app, service, registry)
    add_stream_routes(app, service)
    add_proof_routes(app, service, JSONView, ApiProblem, parse_hash, parse_height, _responses)
    _add_tx_routes(app, service, registry)
    _add_block_routes(app, service)
    _add_node_routes(app, service)
    add_module_routes(app, service, registry, JSONView)
    add_private_routes(app, service, JSONView, ApiProblem)
    add_lookup_routes(app, service, registry)
    return app


def _add_tx_routes(app: FastAPI, service: NodeService, registry: Registry) -> None:
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
    async def get_tx(tx_hash: str = Path(json_schema_extra=pattern(HASH_PATTERN))) -> Response:
        if tx_hash in POST_ONLY_TX_PATHS:  # POST /txs/batch, /txs/dry-run: not a hash
            raise StarletteHTTPException(405, headers={"Allow": "POST"})
        hash_ = parse_hash(tx_hash)
        proof = service.get_tx_proof(hash_)
        if proof is not None:
            return JSONView(views.view_tx(hash_, proof.location, proof, proof.tx, registry))
        location = service.get_tx(hash_)
        block = service.get_block(location.height) if location is not None else None
        if location is None or block is None:
            raise ApiProblem("not_found", f"no committed transaction {hash_.hex()}")
        return JSONView(views.view_tx(hash_, location, None, block.txs[location.index], registry))


def _add_block_routes(app: FastAPI, service: NodeService) -> None:
    def block_view(height: Height) -> Response:
        block = service.get_block(height)
        if block is None:
            latest = service.status().height
            raise ApiProblem("not_found", f"no block at height {height} (latest {latest})")
        return JSONView(views.view_block(block, service.get_commit(height)))

    @app.get(
        "/blocks/latest",
        summary="The latest committed block",
        responses=_responses({200: views.BlockView}, 404),
    )
    async def get_latest_block() -> Response:
        height = service.status().height
        if height < 1:
            raise ApiProblem("not_found", "no block committed yet")
        return block_view(height)

    @app.get(
        "/blocks/{height}",
        summary="A committed block by height",
        responses=_responses({200: views.BlockView}, 400, 404),
    )
    async def get_block(height: str = Path(json_schema_extra=pattern(HEIGHT_PATTERN))) -> Response:
        return block_view(parse_height(height))


def _add_node_routes(app: FastAPI, service: NodeService) -> None:
    @app.get(
        "/accounts/{address}",
        summary="An account's nonces (its balances are module queries: /apps/bank/balance)",
        responses=_responses({200: AccountView}, 400),
    )
    async def get_account(
        address: str = Path(json_schema_extra=pattern(ADDRESS_PATTERN)),
    ) -> Response:
        return JSONView(service.get_account(parse_address_param(address)))

    @app.get(
        "/status",
        summary="This node's view of the chain, its version and its genesis hash",
        responses=_responses({200: NodeStatus}),
    )
    async def get_status() -> Response:
        status = msgspec.structs.replace(
            service.status(),
            node_version=get_node_version(),
            protocol_version=PROTOCOL_VERSION,
            genesis_hash=service.genesis.hash.hex(),
        )
        return JSONView(status)

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

_responses = responses
_request_body = request_body

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


def get_node_version() -> str:
    """The installed chainbook release."""
    try:
        return importlib.metadata.version("chainbook")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


__all__ = [
    "PROMETHEUS_CONTENT_TYPE",
    "ApiProblem",
    "create_app",
    "get_error_code",
    "get_error_status",
]
