"""The routes that serve proofs and exact bytes:

    GET /txs/{hash}/receipt            the receipt file of a committed transaction
    GET /blocks/{height}/raw           the block's exact bytes (application/octet-stream)
    GET /validators/changes?to_height  the chain of validator-set changes a verifier follows
    GET /apps/{module}/{query}?prove=true   (api/module_routes.py) the state proof file

The node assembles the documents (api/proof_views.py) from what it stores; it is trusted for
nothing: every byte in them is checked by the verifier (client/verify.py, js/verifier/). The
validator-set changes come with their headers and commits from every node, a pruned or a
state-synced one too (NodeService.get_validator_changes: it never needs a whole block).
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import FastAPI, Query
from starlette.responses import Response

from chainbook import codec, merkle
from chainbook.api.proof_views import (
    PROOF_VERSION,
    RECEIPT_FORMAT,
    STATE_PROOF_FORMAT,
    VALIDATOR_CHANGES_MAX,
    ReceiptFile,
    StateEntryView,
    StateProofFile,
    ValidatorChangesView,
    ValidatorChangeView,
)
from chainbook.api.service import NodeService
from chainbook.apps.fields import to_json_value
from chainbook.ledger.receipts import encode_receipt_leaf
from chainbook.types import Hash, Height

OCTET_STREAM = "application/octet-stream"


class ProofNotFound(Exception):
    """What a document needs is not stored (no such transaction or block)."""


def build_validator_changes(service: NodeService, to_height: Height) -> list[ValidatorChangeView]:
    """Each change below `to_height` with its header and commit, as stored by the node (a
    pruned or state-synced node too: it keeps them, api/service.py ValidatorSetChange)."""
    try:
        changes = service.get_validator_changes(to_height)
    except LookupError as exc:
        raise ProofNotFound(str(exc)) from None
    if len(changes) > VALIDATOR_CHANGES_MAX:
        raise ProofNotFound(
            f"{len(changes)} validator-set changes below height {to_height}, a document "
            f"carries at most {VALIDATOR_CHANGES_MAX}"
        )
    return [
        ValidatorChangeView(
            height=change.height,
            header=change.header.hex(),
            commit=change.commit.hex(),
            validators=codec.encode(change.validators).hex(),
        )
        for change in changes
    ]


def build_receipt_file(service: NodeService, tx_hash: Hash) -> ReceiptFile:
    proof = service.get_tx_proof(tx_hash)
    if proof is None:
        raise ProofNotFound(f"no committed transaction {tx_hash.hex()}")
    height, index = proof.location.height, proof.location.index
    receipts = service.get_receipts(height)
    if receipts is None:
        raise ProofNotFound(f"the receipts of block {height}")
    leaves = [merkle.leaf_hash(encode_receipt_leaf(r)) for r in receipts]
    return ReceiptFile(
        format=RECEIPT_FORMAT,
        version=PROOF_VERSION,
        chain_id=proof.block.header.chain_id,
        height=height,
        index=index,
        tx=proof.tx.hex(),
        receipt=encode_receipt_leaf(receipts[index]).hex(),
        tx_path=[h.hex() for h in proof.audit_path],
        receipt_path=[h.hex() for h in merkle.inclusion_proof(leaves, index)],
        header=codec.encode(proof.block.header).hex(),
        commit=codec.encode(proof.commit).hex(),
        validator_changes=build_validator_changes(service, height),
    )


def build_state_proof_file(
    service: NodeService,
    module: str,
    query: str,
    params: dict[str, str],
    request: msgspec.Struct,
) -> StateProofFile:
    proven = service.prove_query(module, query, request)
    header_height = proven.height + 1
    block = service.get_block(header_height)
    commit = service.get_commit(header_height)
    if block is None or commit is None:
        raise ProofNotFound(f"block {header_height}, whose header commits to the state proven")
    return StateProofFile(
        format=STATE_PROOF_FORMAT,
        version=PROOF_VERSION,
        chain_id=block.header.chain_id,
        module=module,
        query=query,
        request=dict(params),
        answer=to_json_value(proven.answer),
        height=proven.height,
        entries=[
            StateEntryView(key=p.key.hex(), proof=codec.encode(p).hex()) for p in proven.proofs
        ],
        header=codec.encode(block.header).hex(),
        commit=codec.encode(commit).hex(),
        validator_changes=build_validator_changes(service, header_height),
    )


def add_proof_routes(
    app: FastAPI,
    service: NodeService,
    json_response: Any,
    problem: Any,
    parse_hash: Any,
    parse_height: Any,
    responses: Any,
) -> None:
    """Register the routes; `problem(status, code, message)` builds the API's error."""

    @app.get(
        "/txs/{tx_hash}/receipt",
        summary="The receipt file of a committed transaction: its inclusion and outcome "
        "proofs, header, commit and validator-set changes (verifies offline)",
        responses=responses({200: ReceiptFile}, 400, 404),
    )
    async def get_receipt_file(tx_hash: str) -> Response:
        hash_ = parse_hash(tx_hash)
        try:
            return json_response(build_receipt_file(service, hash_))  # type: ignore[no-any-return]
        except ProofNotFound as exc:
            raise problem(404, "not_found", str(exc)) from None

    @app.get(
        "/blocks/{height}/raw",
        summary="A committed block's exact bytes (canonical MessagePack, docs/PROTOCOL.md)",
        response_class=Response,
        responses={
            200: {
                "description": "The block bytes",
                "content": {OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}}},
            },
            **responses({}, 400, 404),
        },
    )
    async def get_block_raw(height: str) -> Response:
        parsed = parse_height(height)
        data = service.get_block_bytes(parsed)
        if data is None:
            raise problem(404, "not_found", f"no block at height {parsed}")
        return Response(data, media_type=OCTET_STREAM)

    @app.get(
        "/validators/changes",
        summary="The validator-set changes in force at to_height, oldest first, each with its "
        "header and commit (empty while the genesis set holds)",
        responses=responses({200: ValidatorChangesView}, 404, 422),
    )
    async def get_validator_changes(
        to_height: int = Query(..., ge=1, description="The height a verifier wants to reach."),
    ) -> Response:
        try:
            changes = build_validator_changes(service, to_height)
        except ProofNotFound as exc:
            raise problem(404, "not_found", str(exc)) from None
        return json_response(  # type: ignore[no-any-return]
            ValidatorChangesView(to_height=to_height, changes=changes)
        )


__all__ = [
    "ProofNotFound",
    "add_proof_routes",
    "build_receipt_file",
    "build_state_proof_file",
    "build_validator_changes",
]
