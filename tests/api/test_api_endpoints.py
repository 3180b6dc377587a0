"""The HTTP API over a FakeNode: each endpoint, and each error mapped to its status and code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from chainbook import limits
from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import sign_tx
from chainbook.client.verify import verify_tx_proof
from tests.support.fake_node import ALICE, BOB, CHAIN_ID, VALIDATORS, FakeNode


def transfer_tx(nonce: int = 0, amount: int = 5, chain_id: str = CHAIN_ID) -> bytes:
    return sign_tx(ALICE, chain_id, nonce, Transfer(to=BOB.address, amount=amount))


def submit(http: TestClient, tx: bytes, **params: object) -> object:
    return http.post("/txs", json={"tx": tx.hex()}, params=params)


def assert_error(response: object, status: int, code: str, *words: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error", "message"}
    assert body["error"] == code
    for word in words:
        assert word in body["message"], body["message"]


# --- POST /txs ---------------------------------------------------------------------------------


def test_submit_returns_202_with_the_hash(http: TestClient, node: FakeNode) -> None:
    response = submit(http, transfer_tx())
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and len(body["hash"]) == 64
    assert bytes.fromhex(body["hash"]) in node.mempool


def test_submit_with_wait_returns_the_receipt(http: TestClient) -> None:
    response = submit(http, transfer_tx(), wait="true", timeout=5)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "committed"
    assert body["height"] == 1 and body["index"] == 0
    assert body["receipt"]["ok"] is True
    assert body["receipt"]["tx_hash"] == body["hash"]


def test_submit_with_wait_times_out_as_pending(http: TestClient, node: FakeNode) -> None:
    node.auto_commit = False
    response = submit(http, transfer_tx(), wait="true", timeout=0.05)
    assert response.status_code == 202
    assert response.json()["status"] == "pending"


def test_wait_timeout_above_the_limit_is_refused_naming_timeout(http: TestClient) -> None:
    response = submit(http, transfer_tx(), wait="true", timeout=limits.api_wait_commit_s_max + 1)
    assert_error(response, 400, "invalid_request", "timeout")


def test_bad_hex_is_400_naming_the_field(http: TestClient) -> None:
    assert_error(http.post("/txs", json={"tx": "zz12"}), 400, "invalid_hex", "`tx`", "zz12")


def test_unknown_field_is_400_naming_it(http: TestClient) -> None:
    response = http.post("/txs", json={"tx": "00", "fee": 1})
    assert_error(response, 400, "invalid_request", "fee")


def test_missing_field_and_wrong_type_name_the_field(http: TestClient) -> None:
    assert_error(http.post("/txs", json={}), 400, "invalid_request", "tx")
    assert_error(http.post("/txs", json={"tx": 5}), 400, "invalid_request", "tx")


def test_malformed_json_is_400(http: TestClient) -> None:
    response = http.post("/txs", content=b"{not json", headers={"content-type": "application/json"})
    assert_error(response, 400, "malformed_json")


def test_bytes_that_are_not_a_transaction_are_400(http: TestClient) -> None:
    assert_error(http.post("/txs", json={"tx": "c0ffee"}), 400, "decode_error")


def test_declared_oversize_body_is_413_before_reading(http: TestClient) -> None:
    body = b"x" * (limits.api_request_bytes_max + 1)
    response = http.post("/txs", content=body, headers={"content-type": "application/json"})
    assert_error(response, 413, "request_too_large", str(limits.api_request_bytes_max))


def test_streamed_oversize_body_without_length_is_413(http: TestClient) -> None:
    chunk = b"x" * 65536

    def chunks() -> Iterator[bytes]:
        for _ in range(limits.api_request_bytes_max // len(chunk) + 2):
            yield chunk

    response = http.post("/txs", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "request_too_large")


def test_body_at_the_limit_is_read(http: TestClient) -> None:
    prefix, suffix = b'{"tx": "', b'"}'
    filler = b"0" * (limits.api_request_bytes_max - len(prefix) - len(suffix))
    response = http.post("/txs", content=prefix + filler + suffix)
    assert response.status_code == 400  # read and parsed: too large a tx, not a too large body
    assert response.json()["error"] == "too_large"


def test_bad_signature_is_400_invalid_signature(http: TestClient) -> None:
    tx = bytearray(transfer_tx())
    tx[-1] ^= 0x01  # last byte of the signature
    assert_error(submit(http, bytes(tx)), 400, "invalid_signature")


def test_other_chain_is_400_wrong_chain_id(http: TestClient) -> None:
    assert_error(submit(http, transfer_tx(chain_id="other")), 400, "wrong_chain_id", "other")


def test_wrong_nonce_is_400_with_expected_and_got(http: TestClient) -> None:
    assert_error(submit(http, transfer_tx(nonce=7)), 400, "invalid_nonce", "expected 0", "got 7")


def test_a_resubmitted_transaction_answers_its_status_and_hash(
    http: TestClient, node: FakeNode
) -> None:
    tx = transfer_tx()
    first = submit(http, tx)
    assert first.status_code == 202 and first.json()["code"] is None
    again = submit(http, tx)
    assert again.status_code == 202
    assert again.json()["status"] == "pending" and again.json()["code"] == "already_known"
    assert again.json()["hash"] == first.json()["hash"]
    node.commit_pending()
    final = submit(http, tx)  # a retry after the commit: its outcome, not "invalid nonce"
    assert final.status_code == 200, final.text
    body = final.json()
    assert body["status"] == "committed" and body["code"] == "already_committed"
    assert body["receipt"]["ok"] is True and body["hash"] == first.json()["hash"]


def test_mempool_full_is_503_with_retry_after(http: TestClient, node: FakeNode) -> None:
    node.mempool_full = True
    response = submit(http, transfer_tx())
    assert_error(response, 503, "mempool_full")
    assert response.headers["retry-after"] == "1"


# --- GET /txs/{hash} ---------------------------------------------------------------------------


def test_get_tx_returns_receipt_and_a_proof_that_verifies(http: TestClient) -> None:
    tx_hash = submit(http, transfer_tx(), wait="true").json()["hash"]
    response = http.get(f"/txs/{tx_hash}")
    assert response.status_code == 200
    body = response.json()
    assert body["hash"] == tx_hash and body["height"] == 1
    assert body["receipt"]["ok"] is True
    proof = body["proof"]
    assert proof["tree_size"] == 1 and proof["header"]["txs_root"] == proof["txs_root"]
    assert len(proof["commit"]["signatures"]) == 4
    assert verify_tx_proof(body, VALIDATORS)


def test_unknown_tx_is_404(http: TestClient) -> None:
    assert_error(http.get("/txs/" + "ab" * 32), 404, "not_found", "ab" * 32)


def test_bad_tx_hash_is_400_naming_the_value(http: TestClient) -> None:
    assert_error(http.get("/txs/xyz"), 400, "invalid_hash", "'xyz'")
    assert_error(http.get("/txs/abcd"), 400, "invalid_hash", "64 hex")


# --- blocks ------------------------------------------------------------------------------------


def test_blocks_by_height_and_latest(http: TestClient, node: FakeNode) -> None:
    for nonce in range(3):
        submit(http, transfer_tx(nonce=nonce))
    node.commit_pending()
    node.commit_pending()
    first = http.get("/blocks/1").json()
    assert first["header"]["height"] == 1 and first["header"]["tx_count"] == 3
    assert len(first["tx_hashes"]) == 3 and first["last_commit"] is None
    assert first["commit"]["block_hash"] == first["hash"]
    latest = http.get("/blocks/latest").json()
    assert latest["header"]["height"] == 2
    assert latest["header"]["prev_block_hash"] == first["hash"]
    assert latest["last_commit"]["block_hash"] == first["hash"]


def test_no_block_yet_and_unknown_height_are_404(http: TestClient, node: FakeNode) -> None:
    assert_error(http.get("/blocks/latest"), 404, "not_found")
    node.commit_pending()
    assert_error(http.get("/blocks/5"), 404, "not_found", "height 5", "latest 1")


def test_bad_height_is_400_naming_the_value(http: TestClient) -> None:
    assert_error(http.get("/blocks/abc"), 400, "invalid_height", "'abc'")
    assert_error(http.get("/blocks/0"), 400, "invalid_height", "'0'")


# --- accounts, status, validators, metrics, docs -----------------------------------------------


def test_account_nonces_and_the_bank_balance_query(http: TestClient) -> None:
    submit(http, transfer_tx(nonce=0, amount=100), wait="true")
    submit(http, transfer_tx(nonce=1))
    body = http.get(f"/accounts/{ALICE.address.hex()}").json()
    assert body == {"address": ALICE.address.hex(), "nonce": 1, "pending_nonce": 2}
    alice = http.get("/apps/bank/balance", params={"address": ALICE.address.hex()}).json()
    assert alice == {"address": ALICE.address.hex(), "balance": 1_000_000 - 100, "exists": True}
    bob = http.get("/apps/bank/balance", params={"address": "0x" + BOB.address.hex()}).json()
    assert bob["balance"] == 100


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({}, "missing parameter 'address'"),
        ({"address": "zz"}, "expected hex"),
        ({"address": "ab" * 19}, "expected 20 bytes (40 hex characters), got 19"),
        ({"address": "ab" * 20, "extra": "1"}, "unknown parameter 'extra'; parameters: address"),
    ],
)
def test_a_module_query_refuses_bad_parameters_naming_them(
    http: TestClient, params: dict[str, str], fragment: str
) -> None:
    assert_error(http.get("/apps/bank/balance", params=params), 400, "invalid_request", fragment)


def test_a_parameter_given_twice_is_refused(http: TestClient) -> None:
    url = f"/apps/bank/balance?address={ALICE.address.hex()}&address={BOB.address.hex()}"
    assert_error(http.get(url), 400, "invalid_request", "given twice")


def test_the_module_list_describes_every_module(http: TestClient) -> None:
    (bank,) = [m for m in http.get("/apps").json() if m["name"] == "bank"]
    assert "bank.transfer" in bank["actions"] and "balance" in bank["queries"]
    assert "bank.insufficient_funds" in bank["errors"]
    assert bank["limits"]["memo_bytes_max"] == 256


def test_bad_address_is_400_naming_the_value(http: TestClient) -> None:
    assert_error(http.get("/accounts/nothex"), 400, "invalid_address", "'nothex'")


def test_status(http: TestClient, node: FakeNode) -> None:
    node.commit_pending()
    body = http.get("/status").json()
    assert body["chain_id"] == CHAIN_ID and body["height"] == 1
    assert body["book_repairs"] == 0 and len(body["peers"]) == 1


def test_validators(http: TestClient) -> None:
    body = http.get("/validators").json()
    assert body["power_total"] == 40
    assert [v["public_key"] for v in body["validators"]] == [
        v.public_key.hex() for v in VALIDATORS.validators
    ]


def test_metrics_is_prometheus_text(http: TestClient) -> None:
    response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "chainbook_height 0" in response.text


def test_openapi_documents_the_views(http: TestClient) -> None:
    schema = http.get("/openapi.json").json()
    assert {"/txs", "/txs/{tx_hash}", "/blocks/{height}", "/status"} <= set(schema["paths"])
    assert {"TxView", "SubmitTxRequest", "ErrorView"} <= set(schema["components"]["schemas"])
    assert http.get("/docs").status_code == 200


def test_unknown_route_is_404_json(http: TestClient) -> None:
    assert_error(http.get("/nope"), 404, "not_found")
