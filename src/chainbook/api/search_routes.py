"""Routes that search the transaction index, and the mempool:

    GET /txs?account=&module=&event=&action=&from_height=&to_height=&order=&cursor=&limit=
                                   committed transactions matching every filter given, a page
                                   at a time (chainbook/index/search.py: the order and cursors)
    GET /accounts/{address}/txs    the same with account= (an account's history)
    GET /mempool?limit=            pending transactions: counts and the first hashes

A node that keeps no index (config index = "off") answers 503 index_unavailable.
"""

from __future__ import annotations

from fastapi import Path, Query
from starlette.responses import Response

from chainbook import limits
from chainbook.api import chain_views
from chainbook.api.errors import JSONView
from chainbook.api.openapi import NodeApi, responses
from chainbook.api.paths import (
    ADDRESS_PATTERN,
    HEIGHT_PATTERN,
    NAME_PATTERN,
    count_pattern,
    parse_address_param,
    parse_choice,
    parse_count,
    parse_name,
    parse_optional_height,
    pattern,
)
from chainbook.api.service import NodeService
from chainbook.index.search import (
    INDEX_PAGE_TXS_DEFAULT,
    INDEX_PAGE_TXS_MAX,
    ORDERS,
    TxPage,
    TxSearch,
    parse_cursor,
)

MEMPOOL_HASHES_DEFAULT = 100
CURSOR_PATTERN = "^[0-9]{1,19}-[0-9]{1,9}$"
PAGE_LIMIT_SCHEMA = pattern(count_pattern(INDEX_PAGE_TXS_MAX))


def view_page(page: TxPage) -> chain_views.TxPageView:
    return chain_views.TxPageView(
        txs=[
            chain_views.TxSummaryView(
                hash=hit.hash.hex(),
                height=hit.height,
                index=hit.index,
                sender=hit.sender.hex(),
                nonce=hit.nonce,
                module=hit.module,
                action=hit.action,
                ok=hit.ok,
                code=hit.code,
                error=hit.error,
            )
            for hit in page.txs
        ],
        next_cursor=page.next_cursor,
        indexed_height=page.indexed_height,
    )


def add_search_routes(app: NodeApi, service: NodeService) -> None:
    app.documented_types += [chain_views.TxPageView, chain_views.MempoolView]

    def search(
        account: str | None,
        module: str | None,
        event: str | None,
        action: str | None,
        from_height: str | None,
        to_height: str | None,
        order: str | None,
        cursor: str | None,
        limit: str | None,
    ) -> Response:
        wanted = TxSearch(
            account=parse_address_param(account) if account is not None else None,
            module=parse_name(module, "module"),
            event_type=parse_name(event, "event"),
            action=parse_name(action, "action"),
            from_height=parse_optional_height(from_height, "from_height"),
            to_height=parse_optional_height(to_height, "to_height"),
            order=parse_choice(order, "order", ORDERS),
            after=parse_cursor(cursor) if cursor is not None else None,
            limit=parse_count(limit, "limit", INDEX_PAGE_TXS_DEFAULT, INDEX_PAGE_TXS_MAX),
        )
        return JSONView(view_page(service.search_txs(wanted)))

    filters = {
        "module": "Only this module's transactions (e.g. bank).",
        "event": "Only transactions whose receipt has this event type, <module>.<kind>.",
        "action": "Only this action, <module>.<action>.",
        "from_height": "Lowest height (inclusive).",
        "to_height": "Highest height (inclusive).",
        "order": "desc (newest first, default) or asc.",
        "cursor": "A page's next_cursor, to get the page after it.",
        "limit": f"Transactions per page, 1 to {INDEX_PAGE_TXS_MAX}.",
    }

    @app.get(
        "/txs",
        summary="Search committed transactions by account, module, event type, height",
        responses=responses({200: chain_views.TxPageView}, 400, 503),
    )
    async def search_txs(
        account: str | None = Query(
            None,
            description="Signer or named account (40 hex).",
            json_schema_extra=pattern(ADDRESS_PATTERN),
        ),
        module: str | None = Query(
            None, description=filters["module"], json_schema_extra=pattern(NAME_PATTERN)
        ),
        event: str | None = Query(
            None, description=filters["event"], json_schema_extra=pattern(NAME_PATTERN)
        ),
        action: str | None = Query(
            None, description=filters["action"], json_schema_extra=pattern(NAME_PATTERN)
        ),
        from_height: str | None = Query(
            None, description=filters["from_height"], json_schema_extra=pattern(HEIGHT_PATTERN)
        ),
        to_height: str | None = Query(
            None, description=filters["to_height"], json_schema_extra=pattern(HEIGHT_PATTERN)
        ),
        order: str | None = Query(
            None, description=filters["order"], json_schema_extra={"enum": list(ORDERS)}
        ),
        cursor: str | None = Query(
            None, description=filters["cursor"], json_schema_extra=pattern(CURSOR_PATTERN)
        ),
        limit: str | None = Query(
            None, description=filters["limit"], json_schema_extra=PAGE_LIMIT_SCHEMA
        ),
    ) -> Response:
        return search(account, module, event, action, from_height, to_height, order, cursor,
                      limit)

    @app.get(
        "/accounts/{address}/txs",
        summary="An account's history: the transactions it signed or that named it",
        responses=responses({200: chain_views.TxPageView}, 400, 503),
    )
    async def get_account_txs(
        address: str = Path(json_schema_extra=pattern(ADDRESS_PATTERN)),
        module: str | None = Query(
            None, description=filters["module"], json_schema_extra=pattern(NAME_PATTERN)
        ),
        event: str | None = Query(
            None, description=filters["event"], json_schema_extra=pattern(NAME_PATTERN)
        ),
        from_height: str | None = Query(
            None, description=filters["from_height"], json_schema_extra=pattern(HEIGHT_PATTERN)
        ),
        to_height: str | None = Query(
            None, description=filters["to_height"], json_schema_extra=pattern(HEIGHT_PATTERN)
        ),
        order: str | None = Query(
            None, description=filters["order"], json_schema_extra={"enum": list(ORDERS)}
        ),
        cursor: str | None = Query(
            None, description=filters["cursor"], json_schema_extra=pattern(CURSOR_PATTERN)
        ),
        limit: str | None = Query(
            None, description=filters["limit"], json_schema_extra=PAGE_LIMIT_SCHEMA
        ),
    ) -> Response:
        return search(address, module, event, None, from_height, to_height, order, cursor, limit)

    @app.get(
        "/mempool",
        summary="Pending transactions: count, bytes, and the first hashes in proposal order",
        responses=responses({200: chain_views.MempoolView}, 400),
    )
    async def get_mempool(
        limit: str | None = Query(
            None,
            description=f"Hashes to list, 1 to {limits.api_mempool_hashes_max}.",
            json_schema_extra=pattern(count_pattern(limits.api_mempool_hashes_max)),
        ),
    ) -> Response:
        count = parse_count(limit, "limit", MEMPOOL_HASHES_DEFAULT, limits.api_mempool_hashes_max)
        snapshot = service.get_mempool(count)
        return JSONView(
            chain_views.MempoolView(
                txs=snapshot.txs,
                bytes=snapshot.bytes,
                senders=snapshot.senders,
                hashes=[h.hex() for h in snapshot.hashes],
            )
        )


__all__ = ["add_search_routes", "view_page"]
