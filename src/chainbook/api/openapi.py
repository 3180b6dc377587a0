"""The OpenAPI document of the node, built from the msgspec views the routes answer with.

FastAPI derives schemas from pydantic models; the API's views are msgspec Structs, so a route
declares its answers with `responses({200: View}, 400, 404)` and the app (`NodeApi`) adds the
schemas of every type in `documented_types` to the document's components. Error statuses come
from api/errors.py, so the document lists exactly the statuses the codes map to.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from chainbook.api.errors import ERROR_DESCRIPTIONS
from chainbook.api.paths import ADDRESS_PATTERN, HASH_PATTERN, HEIGHT_PATTERN

REF = "#/components/schemas/{name}"


def schema_ref(type_: type) -> dict[str, Any]:
    return {"$ref": REF.format(name=type_.__name__)}


def responses(ok: dict[int, type], *errors: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses`: the views of the success statuses, the ErrorView of the others."""
    answer: dict[int | str, dict[str, Any]] = {
        status: {"description": "OK", "content": {"application/json": {"schema": schema_ref(t)}}}
        for status, t in ok.items()
    }
    for status in errors:
        # A caller naming 422 (FastAPI's status for a refused parameter) means the API's
        # 400 invalid_request (api/errors.py): document what is answered.
        status = 400 if status == 422 else status
        answer[status] = {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {"application/json": {"schema": {"$ref": REF.format(name="ErrorView")}}},
        }
    return answer


def request_body(type_: type) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema_ref(type_)}},
        }
    }


class NodeApi(FastAPI):
    """A FastAPI app whose OpenAPI components include the msgspec views in
    `documented_types` (route files extend it)."""

    documented_types: list[type]

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            schema = get_openapi(
                title=self.title,
                version=self.version,
                description=self.description,
                routes=self.routes,
            )
            _, components = msgspec.json.schema_components(
                tuple(dict.fromkeys(self.documented_types)), ref_template=REF
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(components)
            _keep_only_refs(schema)
            self.openapi_schema = schema
        return self.openapi_schema


def _keep_only_refs(document: dict[str, Any]) -> None:
    """FastAPI merges its own guess (from the `-> Response` annotation: a string) into a
    declared response schema; a declared $ref is the whole truth, so keep only it. And the
    422 it lists for request validation is the API's 400."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            answers = operation.get("responses", {})
            # FastAPI documents a 422 for every parameter; this API answers 400 (errors.py).
            if answers.pop("422", None) is not None and "400" not in answers:
                answers["400"] = responses({}, 400)[400]
            for response in answers.values():
                for media in response.get("content", {}).values():
                    schema = media.get("schema", {})
                    if "$ref" in schema:
                        media["schema"] = {"$ref": schema["$ref"]}
                    elif ("oneOf" in schema or "anyOf" in schema) and schema.get("type"):
                        del schema["type"]
            for parameter in operation.get("parameters", []):
                _give_path_pattern(parameter)


PATH_PATTERNS = {
    "height": HEIGHT_PATTERN,
    "tx_hash": HASH_PATTERN,
    "block_hash": HASH_PATTERN,
    "address": ADDRESS_PATTERN,
}
"""Path parameters are parsed by their name (api/paths.py: parse_height, parse_hash,
parse_address_param); a route that declares none gets its parser's pattern here."""


def _give_path_pattern(parameter: dict[str, Any]) -> None:
    regex = PATH_PATTERNS.get(parameter.get("name", ""))
    schema = parameter.setdefault("schema", {})
    if parameter.get("in") == "path" and regex is not None and "pattern" not in schema:
        schema["pattern"] = regex


__all__ = ["REF", "NodeApi", "request_body", "responses", "schema_ref"]
