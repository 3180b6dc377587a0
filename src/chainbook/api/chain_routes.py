"""Routes that read the chain beyond single blocks and transactions:

    GET /health                 200 when the node is ready to serve (committing, not syncing),
                                else 503 not_ready: for load balancers and Kubernetes probes
    GET /health/live            200 while the process answers (a liveness probe)
    GET /genesis                the genesis file the node runs (its hash is in /status)
    GET /blocks?cursor=&limit=&order=   a page of block summaries, newest first by default
    GET /blocks/hash/{hash}     a committed block by its hash
    GET /blocks/{height}/results   its receipts and its block-level events (the mint reward)

Readiness: the node is ready when it has a block, is not syncing, and its latest block is
younger than HEALTH_BLOCK_AGE_MS_MAX by its own clock (blocks, empty ones too, come about
once a second; a chain that stopped committing makes every node unready).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Path, Query
from starlette.responses import Response

from chainbook import limits
from chainbook.api import chain_views, views
from chainbook.api.errors import ApiProblem, JSONView
from chainbook.api.openapi import NodeApi, responses
from chainbook.api.paths import (
    HASH_PATTERN,
    HEIGHT_PATTERN,
    count_pattern,
    parse_choice,
    parse_count,
    parse_hash,
    parse_height,
    pattern,
)
from chainbook.api.service import NodeService
from chainbook.ledger.genesis import dump_genesis
from chainbook.types import Height

HEALTH_BLOCK_AGE_MS_MAX = 30_000
"""A latest block older than this means the chain (or this node) is not advancing."""
BLOCK_PAGE_DEFAULT = 20


def now_ms() -> int:
    return int(time.time() * 1000)


def compute_health(service: NodeService, clock_ms: int) -> chain_views.HealthView:
    status = service.status()
    age = clock_ms - status.latest_block_time_ms if status.height > 0 else None
    reason = ""
    if status.height < 1:
        reason = "no block committed yet"
    elif status.syncing:
        reason = f"syncing (at height {status.height})"
    elif age is not None and age > HEALTH_BLOCK_AGE_MS_MAX:
        reason = (
            f"not advancing: the latest block (height {status.height}) is {age} ms old, "
            f"limit {HEALTH_BLOCK_AGE_MS_MAX} ms"
        )
    return chain_views.HealthView(
        status="not_ready" if reason else "ok",
        height=status.height,
        latest_block_age_ms=age,
        syncing=status.syncing,
        reason=reason,
    )


def add_chain_routes(app: NodeApi, service: NodeService, clock_ms: Any = now_ms) -> None:
    app.documented_types += [
        chain_views.HealthView,
        chain_views.BlockPageView,
        chain_views.BlockResultsView,
    ]

    @app.get(
        "/health",
        summary="Readiness: 200 when committing and not syncing, else 503 not_ready",
        responses=responses({200: chain_views.HealthView}, 503),
    )
    async def get_health() -> Response:
        health = compute_health(service, clock_ms())
        if health.reason:
            raise ApiProblem("not_ready", health.reason)
        return JSONView(health)

    @app.get(
        "/health/live",
        summary="Liveness: 200 while the process answers",
        responses={200: {"description": "Alive", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"status": {"const": "ok"}},
            "required": ["status"]}}}}},
    )
    async def get_liveness() -> Response:
        return JSONView({"status": "ok"})

    @app.get(
        "/genesis",
        summary="The genesis file this node runs",
        responses={200: {"description": "The genesis file (JSON, as `testnet init` writes it)",
                         "content": {"application/json": {"schema": {"type": "object"}}}}},
    )
    async def get_genesis() -> Response:
        return Response(dump_genesis(service.genesis), media_type="application/json")

    _add_block_page_route(app, service)

    @app.get(
        "/blocks/hash/{block_hash}",
        summary="A committed block by its hash",
        responses=responses({200: views.BlockView}, 400, 404),
    )
    async def get_block_by_hash(
        block_hash: str = Path(json_schema_extra=pattern(HASH_PATTERN)),
    ) -> Response:
        hash_ = parse_hash(block_hash)
        height = service.find_block_height(hash_)
        block = service.get_block(height) if height is not None else None
        if height is None or block is None:
            raise ApiProblem("not_found", f"no committed block with hash {hash_.hex()}")
        return JSONView(views.view_block(block, service.get_commit(height)))

    @app.get(
        "/blocks/{height}/results",
        summary="A block's receipts and block-level events (e.g. the bank.mint reward)",
        responses=responses({200: chain_views.BlockResultsView}, 400, 404),
    )
    async def get_block_results(
        height: str = Path(json_schema_extra=pattern(HEIGHT_PATTERN)),
    ) -> Response:
        parsed = parse_height(height)
        block = service.get_block(parsed)
        receipts = service.get_receipts(parsed) if block is not None else None
        if block is None or receipts is None:
            latest = service.status().height
            raise ApiProblem("not_found", f"no block at height {parsed} (latest {latest})")
        events = service.get_block_events(parsed)
        return JSONView(
            chain_views.BlockResultsView(
                height=parsed,
                hash=block.hash.hex(),
                receipts=[views.view_receipt(r) for r in receipts],
                events=None if events is None else [views.view_event(e) for e in events],
            )
        )


def _add_block_page_route(app: FastAPI, service: NodeService) -> None:
    @app.get(
        "/blocks",
        summary="A page of block summaries (newest first by default)",
        responses=responses({200: chain_views.BlockPageView}, 400),
    )
    async def get_blocks(
        cursor: str | None = Query(
            None,
            description="The height to start at (a page's next_cursor); default: the latest "
            "(desc) or 1 (asc).",
            json_schema_extra=pattern(HEIGHT_PATTERN),
        ),
        limit: str | None = Query(
            None,
            description=f"Blocks per page, 1 to {limits.api_block_range_max}.",
            json_schema_extra=pattern(count_pattern(limits.api_block_range_max)),
        ),
        order: str | None = Query(
            None, description="desc (default) or asc.", json_schema_extra={"enum": ["desc", "asc"]}
        ),
    ) -> Response:
        count = parse_count(limit, "limit", BLOCK_PAGE_DEFAULT, limits.api_block_range_max)
        direction = parse_choice(order, "order", ("desc", "asc"))
        latest = service.status().height
        start: Height = (latest if direction == "desc" else 1) if cursor is None else 0
        if cursor is not None:
            start = parse_height(cursor)
        step = -1 if direction == "desc" else 1
        heights = [h for h in range(start, start + step * count, step) if 1 <= h <= latest]
        summaries = []
        for height in heights:
            block = service.get_block(height)
            if block is None:
                break
            header = block.header
            summaries.append(
                chain_views.BlockSummaryView(
                    height=height,
                    hash=block.hash.hex(),
                    time_ms=header.time_ms,
                    proposer=header.proposer.hex(),
                    tx_count=header.tx_count,
                    app_hash=header.app_hash.hex(),
                )
            )
        following = start + step * count
        more = len(summaries) == count and 1 <= following <= latest
        return JSONView(
            chain_views.BlockPageView(
                blocks=summaries,
                next_cursor=str(following) if more else None,
                latest_height=latest,
            )
        )


__all__ = ["HEALTH_BLOCK_AGE_MS_MAX", "add_chain_routes", "compute_health"]
