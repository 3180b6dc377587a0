"""The private-data routes of a node's API (the content is off chain; apps/private).

    POST /private/{collection}/{record}   {"tx", "salt", "content"} (hex): check the content
                                          against the signed private.record, admit the
                                          transaction, push the content to the member nodes;
                                          ?wait=true waits for the commit
    GET  /private/{collection}/{record}   the content this node holds (404 if it holds none:
                                          not a member, not received yet, or purged)
    GET  /private/{collection}/{record}/disclosure
                                          a disclosure file: content, salt and a state proof
                                          of the record's hash (400 not_provable_yet until a
                                          header commits to the state holding it: the next
                                          block)
    GET  /private/status                  this node's private-data counters

Trust assumption: the API is local to the organisation that runs the node
(runtime/private_service.py); it does not authenticate readers. Refusals: 400 with the
core's codes (hash_mismatch, invalid_content, not_a_member_node, pending_full,
invalid_request, invalid_hex) or a transaction's; 404 not_found. A service that keeps no
private data (the API's test fakes) gets none of these routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import msgspec
from fastapi import Query, Request
from starlette.responses import Response

from chainbook import limits
from chainbook.api.openapi import NodeApi, request_body, responses
from chainbook.api.private_views import (
    DISCLOSURE_FORMAT,
    DISCLOSURE_VERSION,
    DisclosureFile,
    PrivateContentView,
    PrivateStatusView,
    SubmitPrivateRequest,
    SubmitPrivateView,
)
from chainbook.api.proof_routes import ProofNotFound, build_state_proof_file
from chainbook.api.service import NodeService, TxLocation
from chainbook.apps.private.content import compute_record_hash
from chainbook.apps.private.queries import RecordRequest
from chainbook.chain.tx import DecodedTx
from chainbook.core.private_data import StoredContent


@runtime_checkable
class PrivateDataService(Protocol):
    """What a node that keeps private data offers (runtime/private_service.py)."""

    def submit_private(self, tx_bytes: bytes, salt: bytes, content: bytes) -> DecodedTx: ...

    def get_private(self, collection: str, record: str) -> StoredContent | None: ...

    def private_status(self) -> dict[str, int]: ...


def _hex(field: str, text: str, problem: Any) -> bytes:
    try:
        return bytes.fromhex(text[2:] if text.startswith("0x") else text)
    except ValueError:
        raise problem("invalid_hex", f"field `{field}` must be hex") from None


def add_private_routes(
    app: NodeApi, service: NodeService, json_view: Callable[..., Response], problem: Any
) -> None:
    """The routes above, for a service that keeps private data (a node, or a test fake that
    implements PrivateDataService; the plain FakeNode has no such routes)."""
    if not isinstance(service, PrivateDataService):
        return
    private = service
    app.documented_types += [
        PrivateStatusView, SubmitPrivateRequest, SubmitPrivateView, PrivateContentView,
        DisclosureFile,
    ]

    def private_service() -> PrivateDataService:
        return private

    def held(collection: str, record: str) -> StoredContent:
        stored = private_service().get_private(collection, record)
        if stored is None:
            raise problem(
                "not_found",
                f"this node holds no content of record {record!r} of collection "
                f"{collection!r} (not a member node, not received yet, or purged)",
            )
        return stored

    @app.get(
        "/private/status",
        summary="This node's private-data counters",
        tags=["private"],
        responses=responses({200: PrivateStatusView}),
    )
    async def get_private_status() -> Response:
        counters = private_service().private_status()
        node_id = service.status().node_id
        return json_view(PrivateStatusView(node_id=node_id, counters=counters))

    @app.post(
        "/private/{collection}/{record}",
        summary="Submit a private record: its transaction and its content (members only)",
        tags=["private"],
        responses=responses({200: SubmitPrivateView, 202: SubmitPrivateView}, 400, 413, 503),
        openapi_extra=request_body(SubmitPrivateRequest),
    )
    async def submit_private(
        collection: str,
        record: str,
        request: Request,
        wait: bool = Query(False),
        timeout: float = Query(10.0, gt=0, le=limits.api_wait_commit_s_max),
    ) -> Response:
        try:
            body = msgspec.json.decode(await request.body(), type=SubmitPrivateRequest)
        except msgspec.DecodeError as exc:  # ValidationError included
            raise problem("invalid_request", f"request body: {exc}") from None
        tx, salt = _hex("tx", body.tx, problem), _hex("salt", body.salt, problem)
        content = _hex("content", body.content, problem)
        decoded = private_service().submit_private(tx, salt, content)
        stored = service.get_tx(decoded.hash)
        location: TxLocation | None = stored
        if wait and location is None:
            location = await service.wait_for_tx(decoded.hash, timeout)
        view = SubmitPrivateView(
            hash=decoded.hash.hex(),
            record_hash=compute_record_hash(salt, content).hex(),
            status="pending" if location is None else "committed",
            height=None if location is None else location.height,
        )
        return json_view(view, 202 if location is None else 200)

    @app.get(
        "/private/{collection}/{record}",
        summary="The content of a private record, if this node holds it",
        tags=["private"],
        responses=responses({200: PrivateContentView}, 404),
    )
    async def get_private(collection: str, record: str) -> Response:
        stored = held(collection, record)
        return json_view(
            PrivateContentView(
                collection=stored.collection,
                record=stored.record,
                hash=stored.hash.hex(),
                salt=stored.salt.hex(),
                content=stored.content.hex(),
                height=stored.height,
                purge_at_height=stored.purge_at_height,
            )
        )

    @app.get(
        "/private/{collection}/{record}/disclosure",
        summary="A disclosure file: one record's content, salt and the proof of its hash",
        tags=["private"],
        responses=responses({200: DisclosureFile}, 404, 503),
    )
    async def get_disclosure(collection: str, record: str) -> Response:
        stored = held(collection, record)
        params = {"collection": collection, "record": record}
        try:
            proof = build_state_proof_file(
                service, "private", "recorded", params, RecordRequest(collection, record)
            )
        except ProofNotFound as exc:
            raise problem("not_provable_yet", f"cannot prove the record yet: {exc}") from None
        if not proof.answer.get("found"):
            raise problem(
                "not_provable_yet",
                f"the latest proven state (after block {proof.height}) does not hold the "
                "record yet; retry after the next block",
            )
        return json_view(
            DisclosureFile(
                format=DISCLOSURE_FORMAT,
                version=DISCLOSURE_VERSION,
                collection=collection,
                record=record,
                salt=stored.salt.hex(),
                content=stored.content.hex(),
                proof=proof,
            )
        )


__all__ = ["PrivateDataService", "add_private_routes"]
