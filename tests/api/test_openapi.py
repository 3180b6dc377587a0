"""The published OpenAPI document is valid OpenAPI 3.1 (openapi-spec-validator), every response
of ours names its schema, and no schema says "a string" beside a reference to an object."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from chainbook.api import create_app
from tests.support.fake_node import FakeNode


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_the_openapi_document_is_valid() -> None:
    schema = create_app(FakeNode()).openapi()
    validate(schema)
    for node in _walk(schema):
        if "$ref" in node:
            assert "type" not in node, node


def test_json_shapes_are_declared() -> None:
    paths = create_app(FakeNode()).openapi()["paths"]

    def schema_of(path: str, status: str = "200") -> Any:
        return paths[path]["get"]["responses"][status]["content"]["application/json"]["schema"]

    assert schema_of("/status") == {"$ref": "#/components/schemas/NodeStatus"}
    assert schema_of("/txs/{tx_hash}/receipt") == {"$ref": "#/components/schemas/ReceiptFile"}
    assert schema_of("/validators/changes")["$ref"].endswith("ValidatorChangesView")
    balance = schema_of("/apps/bank/balance")
    assert {"$ref": "#/components/schemas/StateProofFile"} in balance["oneOf"]
    raw = paths["/blocks/{height}/raw"]["get"]["responses"]["200"]["content"]
    assert raw == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    prove = [p for p in paths["/apps/bank/balance"]["get"]["parameters"] if p["name"] == "prove"]
    assert prove and prove[0]["schema"]["type"] == "boolean"
