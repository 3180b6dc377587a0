"""GET /search?q=<text>: what a piece of text names on this chain, for a search box.

    GET /search?q=12          the block at height 12 (and any record whose one key is 12)
    GET /search?q=<64 hex>    the transaction or block of that hash, a document anchored by
                              that SHA-256, ...
    GET /search?q=<40 hex>    the account (whose page shows what each module holds of it, so
                              address-keyed queries such as the bank's balance are no hits)
    GET /search?q=<id>        a ballot, a proposal, an asset, an item, a case...

Every module query with exactly one required parameter is a candidate: the text is parsed as
that parameter by the rules of any module request (apps/fields.py); a value the parameter
does not accept is no candidate, a query that answers 404 or `found: false` no hit. So a
module that lands later is searchable with no change here; a module gives at most one hit
(its first query that finds the text: a ballot, not also its tally). The answer lists the hits (none
is a 200 with an empty list, not a 404: the text is valid, it names nothing).

Cost: one SQLite point read per candidate (modules have a handful of one-key queries);
the text is at most SEARCH_TEXT_CHARS_MAX characters.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import msgspec
from fastapi import Query as QueryParam
from starlette.responses import Response

from chainbook.api.errors import ApiProblem, JSONView
from chainbook.api.openapi import NodeApi, responses
from chainbook.api.service import NodeService
from chainbook.apps.base import Query
from chainbook.apps.fields import build_from_text, describe_fields
from chainbook.apps.registry import Registry
from chainbook.errors import InvalidInput

SEARCH_TEXT_CHARS_MAX = 200
_HEIGHT = re.compile(r"[1-9][0-9]{0,17}")
_HASH = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_ADDRESS = re.compile(r"(0x)?[0-9a-fA-F]{40}")


class SearchHit(msgspec.Struct, frozen=True, omit_defaults=True):
    kind: Literal["block", "tx", "account", "query"]
    height: int | None = None
    """The block's height, or the transaction's."""
    hash: str | None = None
    address: str | None = None
    module: str | None = None
    query: str | None = None
    """With kind "query": GET /apps/<module>/<query>?<parameter>=<value> answers it."""
    parameter: str | None = None
    value: str | None = None


class SearchView(msgspec.Struct, frozen=True):
    text: str
    hits: list[SearchHit]


def get_key_parameter(query: Query) -> str | None:
    """The name of a query's one required parameter, or None if it has not exactly one."""
    required = [f for f in describe_fields(query.request) if f.required and f.is_scalar]
    every_required = [f for f in describe_fields(query.request) if f.required]
    if len(required) != 1 or len(every_required) != 1:
        return None
    return required[0].name


def is_answer_a_hit(answer: Any) -> bool:
    return getattr(answer, "found", True) is not False


def find_chain_hits(service: NodeService, text: str) -> list[SearchHit]:
    hits: list[SearchHit] = []
    if _HEIGHT.fullmatch(text) and service.get_block(int(text)) is not None:
        hits.append(SearchHit(kind="block", height=int(text)))
    if _HASH.fullmatch(text):
        hash_ = bytes.fromhex(text.removeprefix("0x"))
        location = service.get_tx(hash_)
        if location is not None:
            hits.append(SearchHit(kind="tx", hash=hash_.hex(), height=location.height))
        height = service.find_block_height(hash_)
        if height is not None:
            hits.append(SearchHit(kind="block", hash=hash_.hex(), height=height))
    if _ADDRESS.fullmatch(text):
        hits.append(SearchHit(kind="account", address=text.removeprefix("0x").lower()))
    return hits


def find_module_hits(service: NodeService, registry: Registry, text: str) -> list[SearchHit]:
    hits: list[SearchHit] = []
    values = [text]
    if _HASH.fullmatch(text) or _ADDRESS.fullmatch(text):  # hex fields are lowercase, no 0x
        normal = text.removeprefix("0x").lower()
        values = [normal] if normal == text else [text, normal]
    for module in registry.modules:
        for query in module.queries:  # one hit per module: its first query that finds it
            if hits and hits[-1].module == module.name:
                break
            parameter = get_key_parameter(query)
            if parameter is None:
                continue
            for value in values:
                try:
                    request = build_from_text(query.request, {parameter: value})
                    answer = service.query(module.name, query.name, request)
                except InvalidInput:  # not a value of this parameter, or no such record
                    continue
                if is_answer_a_hit(answer):
                    hits.append(SearchHit(kind="query", module=module.name, query=query.name,
                                          parameter=parameter, value=value))
                    break
    return hits


def add_lookup_routes(app: NodeApi, service: NodeService, registry: Registry) -> None:
    app.documented_types += [SearchHit, SearchView]

    @app.get(
        "/search",
        summary="What a text names: a block, a transaction, an account, a module's record",
        responses=responses({200: SearchView}, 400),
    )
    async def search(
        q: str = QueryParam(
            description="A height, a 64-hex hash, a 40-hex address or a module record's id.",
            min_length=1, max_length=SEARCH_TEXT_CHARS_MAX,
        ),
    ) -> Response:
        text = q.strip()
        if not text or len(text) > SEARCH_TEXT_CHARS_MAX:
            raise ApiProblem(
                "invalid_request",
                f"q: 1 to {SEARCH_TEXT_CHARS_MAX} characters (not only spaces), got {len(q)}",
            )
        hits = find_chain_hits(service, text)
        if not _ADDRESS.fullmatch(text):  # an account's page shows what modules hold of it
            hits += find_module_hits(service, registry, text)
        return JSONView(SearchView(text=text, hits=hits))


__all__ = ["SEARCH_TEXT_CHARS_MAX", "SearchHit", "SearchView", "add_lookup_routes"]
