"""POST /txs/batch: many transactions per request, each admitted or refused on its own."""

from __future__ import annotations

from fastapi.testclient import TestClient

from chainbook import limits
from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import sign_tx, tx_hash
from tests.support.fake_node import ALICE, BOB, CHAIN_ID, FakeNode


def transfer_tx(nonce: int) -> bytes:
    return sign_tx(ALICE, CHAIN_ID, nonce, Transfer(to=BOB.address, amount=1))


def test_batch_admits_each_and_reports_refusals_in_place(http: TestClient,
                                                         node: FakeNode) -> None:
    good = [transfer_tx(0), transfer_tx(1)]
    gap = transfer_tx(7)
    answer = http.post("/txs/batch", json={"txs": [good[0].hex(), "zz", gap.hex(), good[1].hex()]})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert results[0] == {"hash": tx_hash(good[0]).hex(), "error": None}
    assert results[1]["hash"] is None and results[1]["error"]["error"] == "invalid_hex"
    assert results[2]["error"]["error"] == "invalid_nonce"
    assert "expected 1, got 7" in results[2]["error"]["message"]
    assert results[3]["hash"] == tx_hash(good[1]).hex()
    assert node.pending_hashes() == {tx_hash(tx) for tx in good}


def test_batch_over_the_limit_is_refused_whole(http: TestClient, node: FakeNode) -> None:
    txs = ["00"] * (limits.api_batch_txs_max + 1)
    answer = http.post("/txs/batch", json={"txs": txs})
    assert answer.status_code == 400
    assert answer.json()["error"] == "too_many_transactions"
    assert str(limits.api_batch_txs_max) in answer.json()["message"]
    assert not node.pending_hashes()


def test_batch_with_unknown_field_is_refused(http: TestClient) -> None:
    answer = http.post("/txs/batch", json={"txs": [], "extra": 1})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
