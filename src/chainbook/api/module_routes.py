"""The routes every app module gets from its manifest: GET /apps/<module>/<query>.

    GET /apps                       the modules of this node: actions, queries, error codes
    GET /apps/<module>/<query>?f=v  a query; parameters are the request type's fields
    ... &prove=true                 the answer as a state proof file (api/proof_routes.py):
                                    the keys the query read, each proven under a header

Parameters are decoded into the query's request Struct by apps/fields.py (hex bytes, decimal
integers, JSON for nested values); the answer is the response type as JSON (bytes as hex). The
OpenAPI document gets each route's parameters and response schema from the same types. Errors
have the API's one body: 400 invalid_request naming the parameter, 404 unknown_query listing
what exists.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import FastAPI, Request
from starlette.responses import Response

from chainbook.api.proof_routes import ProofNotFound, build_state_proof_file
from chainbook.api.service import NodeService
from chainbook.apps.base import Query, get_action_tag
from chainbook.apps.fields import InvalidField, build_from_text, describe_fields, json_schema
from chainbook.apps.fields import to_json_value as _to_json_value
from chainbook.apps.registry import Registry

PROVE_PARAM = "prove"
"""Reserved: no module's request may have a field of this name."""


class QueryParameter(msgspec.Struct, frozen=True):
    name: str
    required: bool
    schema: dict[str, Any]
    """The JSON Schema of the parameter's value (as the route parses it)."""


class QueryInfo(msgspec.Struct, frozen=True):
    """One query's request parameters and answer schema: what a generic client (the
    explorer's module views, a form builder) needs to ask it and show the answer."""

    name: str
    summary: str
    parameters: list[QueryParameter]
    response: dict[str, Any]
    """The JSON Schema of the answer."""


class ModuleInfo(msgspec.Struct, frozen=True):
    name: str
    summary: str
    actions: list[str]
    """Action tags: what POST /txs accepts for this module."""
    queries: list[str]
    errors: list[str]
    """Error codes its receipts and refusals carry."""
    limits: dict[str, int]
    query_schemas: list[QueryInfo] = []
    """The queries again, each with its parameters and answer schema."""


def describe_query(query: Query) -> QueryInfo:
    return QueryInfo(
        name=query.name,
        summary=query.summary,
        parameters=[
            QueryParameter(name=f.name, required=f.required, schema=f.schema)
            for f in describe_fields(query.request)
        ],
        response=json_schema(query.response),
    )


def describe_registry(registry: Registry) -> list[ModuleInfo]:
    return [
        ModuleInfo(
            name=m.name,
            summary=m.summary,
            actions=[get_action_tag(a) for a in m.actions],
            queries=[q.name for q in m.queries],
            errors=[e.code for e in m.errors],
            limits=dict(m.limits),
            query_schemas=[describe_query(q) for q in m.queries],
        )
        for m in registry.modules
    ]


def add_module_routes(
    app: FastAPI, service: NodeService, registry: Registry, json_response: Any
) -> None:
    """Add GET /apps and one route per query of every module of `registry`."""
    modules = describe_registry(registry)

    @app.get(
        "/apps",
        summary="The app modules of this node: actions, queries, error codes, limits",
        responses={200: _json_response_doc({"type": "array", "items": json_schema(ModuleInfo)})},
    )
    async def list_modules() -> Response:
        return json_response(_to_json_value(modules))  # type: ignore[no-any-return]

    for module in registry.modules:
        for query in module.queries:
            _add_query_route(app, service, module.name, query, json_response)


def _add_query_route(
    app: FastAPI, service: NodeService, module: str, query: Query, json_response: Any
) -> None:
    async def run(request: Request) -> Response:
        params: dict[str, str] = {}
        for key, value in request.query_params.multi_items():
            if key in params:
                raise InvalidField(f"parameter {key!r} given twice")
            params[key] = value
        prove = _parse_prove(params.pop(PROVE_PARAM, "false"))
        built = build_from_text(query.request, params)
        if prove:
            try:
                document = build_state_proof_file(service, module, query.name, params, built)
            except ProofNotFound as exc:
                raise InvalidField(f"cannot prove: {exc}") from None
            return json_response(document)  # type: ignore[no-any-return]
        answer = service.query(module, query.name, built)
        return json_response(_to_json_value(answer))  # type: ignore[no-any-return]

    parameters = [
        {"name": f.name, "in": "query", "required": f.required, "schema": f.schema}
        for f in describe_fields(query.request)
    ]
    parameters.append(
        {
            "name": PROVE_PARAM,
            "in": "query",
            "required": False,
            "schema": {"type": "boolean", "default": False},
            "description": "Answer a state proof file (the keys read, proven) instead.",
        }
    )
    app.add_api_route(
        f"/apps/{module}/{query.name}",
        run,
        methods=["GET"],
        summary=query.summary,
        name=f"{module}.{query.name}",
        tags=[module],
        openapi_extra={
            "parameters": parameters,
            "responses": {
                "200": _json_response_doc(
                    {
                        "oneOf": [
                            json_schema(query.response),
                            {"$ref": "#/components/schemas/StateProofFile"},
                        ]
                    }
                ),
                "400": _error_doc("Invalid parameter"),
                "404": _error_doc("No such record (a query naming one by its id)"),
            },
        },
    )


def _parse_prove(text: str) -> bool:
    if text not in ("true", "false"):
        raise InvalidField(f"parameter {PROVE_PARAM!r} must be true or false, got {text!r}")
    return text == "true"


def _json_response_doc(schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _error_doc(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorView"}}},
    }


__all__ = ["ModuleInfo", "QueryInfo", "add_module_routes", "describe_registry"]
