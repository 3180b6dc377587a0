"""The whole OpenAPI document against the app: schemathesis generates requests for every
operation (valid and invalid) and runs every check on each answer (no 5xx, status code and
content type documented, body and headers matching the schema, bad input refused, good input
accepted), bounded in examples and time; and over every error answer, its status is the one
its code maps to (api/errors.py), whatever the route."""

from __future__ import annotations

import time
from typing import Any

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks as st_checks

from chainbook.api import create_app
from chainbook.api.errors import STATUS_BY_CODE, STATUS_DEFAULT, get_status_for_code
from chainbook.apps.bank.actions import Transfer
from chainbook.apps.private.actions import Record
from chainbook.apps.private.content import compute_record_hash, describe_content_refusal
from chainbook.apps.registry import REGISTRY
from chainbook.chain.tx import DecodedTx, sign_tx, verify_tx
from chainbook.core.private_data import PrivateDataRefused, StoredContent
from tests.support.fake_node import ALICE, BOB, CHAIN_ID, FakeNode

EXAMPLES_PER_OPERATION = 12


class FreshNode(FakeNode):
    """A FakeNode whose latest block is always recent: /health answers 200 here (its 503 is
    tested in test_api_chain_routes.py; schemathesis counts any 5xx as a server error)."""

    def status(self) -> Any:
        return msgspec.structs.replace(
            super().status(), latest_block_time_ms=int(time.time() * 1000)
        )


class PrivateFreshNode(FreshNode):
    """With private data (api/private_routes.py PrivateDataService), so the /private routes
    are served and fuzzed too. The content check is the route contract's (the salted hash
    the signed private.record carries); membership is the node core's, tested in
    tests/core and tests/e2e."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.private: dict[tuple[str, str], StoredContent] = {}

    def submit_private(self, tx_bytes: bytes, salt: bytes, content: bytes) -> DecodedTx:
        action = REGISTRY.decode_action(verify_tx(CHAIN_ID, tx_bytes).action_bytes)
        if not isinstance(action, Record):
            raise PrivateDataRefused("invalid_request", "the action is not a private.record")
        refusal = describe_content_refusal(salt, content)
        if refusal is not None:
            raise PrivateDataRefused("invalid_content", refusal)
        if compute_record_hash(salt, content) != action.hash:
            raise PrivateDataRefused("hash_mismatch", "SHA-256(salt || content) differs")
        decoded = self.submit_tx(tx_bytes)
        self.private[(action.collection, action.record)] = StoredContent(
            action.collection, action.record, action.hash, salt, content, 1, 0
        )
        return decoded

    def get_private(self, collection: str, record: str) -> StoredContent | None:
        return self.private.get((collection, record))

    def private_status(self) -> dict[str, int]:
        return {"stored": len(self.private)}


def make_node() -> FakeNode:
    node = PrivateFreshNode(block_reward=1)
    for nonce in range(3):
        node.submit_tx(sign_tx(ALICE, CHAIN_ID, nonce, Transfer(to=BOB.address, amount=1)))
        node.commit_pending()
    node.auto_commit = False  # a wait=true submit times out at once instead of committing
    return node


APP = create_app(make_node())
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)

ALL_CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
    st_checks.response_headers_conformance,
    st_checks.negative_data_rejection,
    st_checks.positive_data_acceptance,
    st_checks.missing_required_header,
    st_checks.unsupported_method,
    st_checks.ignored_auth,
    st_checks.use_after_free,
    st_checks.ensure_resource_availability,
]


CROSS_FIELD_RULES = {
    "/apps/governance/institution": "exactly one of id, address, public_key; role in ROLES",
    "/apps/governance/institutions": "role in ROLES (apps/institutions.py; not enumerated)",
}
"""Operations whose parameters obey a rule across fields that OpenAPI parameters cannot say:
schema-valid values may break it, so "schema-valid data is accepted" is not checked there
(every other check is; the rule's own tests are in the module's tests)."""


def one_status_per_code(ctx: Any, response: Any, case: Any) -> bool | None:
    """An error answer's status is the status of its code (api/errors.py)."""
    if response.status_code < 400 or response.status_code == 503 and not response.content:
        return None
    body = response.json()
    code = body["error"]
    expected = get_status_for_code(code)
    if response.status_code != expected:
        raise AssertionError(f"{code} answered {response.status_code}, its status is {expected}")
    return None


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_passes_every_check(case: schemathesis.Case) -> None:
    response = case.call(timeout=10)
    checks = ALL_CHECKS
    if case.operation.method.upper() == "POST":
        # A body that is a *signed transaction* is schema-valid hex long before it is a valid
        # transaction (a signature no schema can describe): "schema-valid data is accepted"
        # cannot hold there, and is checked on every other operation.
        checks = [c for c in ALL_CHECKS if c is not st_checks.positive_data_acceptance]
    if case.operation.path in CROSS_FIELD_RULES:
        checks = [c for c in ALL_CHECKS if c is not st_checks.positive_data_acceptance]
    case.validate_response(response, checks=checks)
    one_status_per_code(None, response, case)


def test_the_document_lists_only_statuses_the_codes_map_to() -> None:
    document = APP.openapi()
    possible = {str(s) for s in {*STATUS_BY_CODE.values(), STATUS_DEFAULT}}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in operation.get("responses", {}):
                assert status.startswith("2") or status in possible, (path, method, status)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/blocks/%C2%B2", 400, "invalid_height"),
        ("/txs/zz", 400, "invalid_hash"),
        ("/accounts/zz", 400, "invalid_address"),
        ("/blocks/99", 404, "not_found"),
        ("/nope", 404, "not_found"),
        ("/apps/bank/nope", 404, "not_found"),
    ],
)
def test_the_same_code_has_the_same_status_on_every_route(
    path: str, status: int, code: str
) -> None:
    from fastapi.testclient import TestClient

    answer = TestClient(APP).get(path)
    assert (answer.status_code, answer.json()["error"]) == (status, code)
