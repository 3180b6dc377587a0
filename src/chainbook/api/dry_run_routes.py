"""POST /txs/dry-run: what a transaction would do if it were executed now (api/dry_run.py).

    {"tx": "<hex of a signed tx>"}                         signature checked, then executed
    {"unsigned": {"sender": "<40 hex>", "action": {"type": "bank.transfer", ...},
                  "nonce": 3}}                            executed as if `sender` signed it

The answer is the receipt it would get (ok, error, events); nothing is committed, nothing
enters the mempool. A refusal admission would give (bad signature, wrong nonce, unknown
action) is the same error here, with the same code and status.
"""

from __future__ import annotations

import msgspec
from fastapi import Request
from starlette.responses import Response

from chainbook.api import chain_views, views
from chainbook.api.chain_routes import now_ms
from chainbook.api.dry_run import build_unsigned_tx
from chainbook.api.errors import ApiProblem, JSONView
from chainbook.api.openapi import NodeApi, request_body, responses
from chainbook.api.paths import parse_address_param
from chainbook.api.service import NodeService
from chainbook.apps.registry import Registry
from chainbook.chain.tx import DecodedTx, verify_tx


def decode_dry_run_body(body: bytes) -> chain_views.DryRunRequest:
    try:
        request = msgspec.json.decode(body, type=chain_views.DryRunRequest)
    except msgspec.ValidationError as exc:
        raise ApiProblem("invalid_request", f"request body: {exc}") from None
    except msgspec.DecodeError as exc:
        raise ApiProblem("malformed_json", f"request body is not valid JSON: {exc}") from None
    if (request.tx is None) == (request.unsigned is None):
        raise ApiProblem(
            "invalid_request", "request body must hold exactly one of `tx` and `unsigned`"
        )
    return request


def add_dry_run_routes(app: NodeApi, service: NodeService, registry: Registry) -> None:
    app.documented_types += [chain_views.DryRunRequest, chain_views.DryRunView]

    @app.post(
        "/txs/dry-run",
        summary="Execute a signed or unsigned transaction on the latest state, commit nothing",
        responses=responses({200: chain_views.DryRunView}, 400, 413),
        openapi_extra=request_body(chain_views.DryRunRequest),
    )
    async def dry_run(request: Request) -> Response:
        body = decode_dry_run_body(await request.body())
        tx = _build_tx(service, registry, body)
        receipt = service.dry_run(tx, now_ms())
        return JSONView(
            chain_views.DryRunView(
                ok=receipt.ok,
                error=receipt.error,
                events=[views.view_event(e) for e in receipt.events],
                height=receipt.height,
                sender=tx.sender.hex(),
                nonce=tx.nonce,
                signed=body.tx is not None,
            )
        )


def _build_tx(
    service: NodeService, registry: Registry, body: chain_views.DryRunRequest
) -> DecodedTx:
    if body.tx is not None:
        raw = body.tx.removeprefix("0x")
        try:
            tx_bytes = bytes.fromhex(raw)
        except ValueError:
            raise ApiProblem(
                "invalid_hex", f"field `tx` must be hex (pairs of 0-9a-f), got {body.tx[:40]!r}"
            ) from None
        return verify_tx(service.chain_id, tx_bytes)
    unsigned = body.unsigned
    assert unsigned is not None
    sender = parse_address_param(unsigned.sender)
    nonce = unsigned.nonce
    if nonce is None:
        nonce = service.get_account(sender).pending_nonce
    return build_unsigned_tx(registry, service.chain_id, sender, nonce, unsigned.action)


__all__ = ["add_dry_run_routes", "decode_dry_run_body"]
