"""The proof routes through the real API app: receipt files, raw blocks, validator-set changes
and ?prove=true, on a fake node (receipts) and on a real ledger (state proofs)."""

from __future__ import annotations

import msgspec
from fastapi.testclient import TestClient

from chainbook import codec
from chainbook.api import create_app
from chainbook.api.proof_views import ReceiptFile, StateProofFile, ValidatorChangesView
from chainbook.api.service import ValidatorSetChange
from chainbook.apps.bank.actions import Transfer
from chainbook.chain.block import decode_block
from chainbook.chain.tx import sign_tx, tx_hash
from chainbook.client.light import TrustRoot
from chainbook.client.verify import (
    trust_root_from_genesis,
    verify_receipt_file,
    verify_state_proof_file,
)
from tests.client.ledger_chain import transfers_chain
from tests.support.fake_node import ALICE, BOB, CHAIN_ID, VALIDATORS, FakeNode


def test_receipt_file_route_serves_a_verifiable_file(http: TestClient, node: FakeNode) -> None:
    tx = sign_tx(ALICE, CHAIN_ID, 0, Transfer(BOB.address, 5, "x"))
    node.submit_tx(tx)
    node.commit_pending()
    answer = http.get(f"/txs/{tx_hash(tx).hex()}/receipt")
    assert answer.status_code == 200
    document = msgspec.json.decode(answer.content, type=ReceiptFile)
    verified = verify_receipt_file(document, TrustRoot(CHAIN_ID, list(VALIDATORS.validators), ""))
    assert verified.ok and verified.tx_hash == tx_hash(tx)
    missing = http.get(f"/txs/{'ab' * 32}/receipt")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert http.get("/txs/xyz/receipt").json()["error"] == "invalid_hash"


def test_raw_block_is_the_exact_bytes(http: TestClient, node: FakeNode) -> None:
    node.submit_tx(sign_tx(ALICE, CHAIN_ID, 0, Transfer(BOB.address, 5, "x")))
    block = node.commit_pending()
    answer = http.get("/blocks/1/raw")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.content == codec.encode(block) and decode_block(answer.content) == block
    assert http.get("/blocks/2/raw").status_code == 404
    assert http.get("/blocks/0/raw").json()["error"] == "invalid_height"


def test_validator_changes_route(http: TestClient, node: FakeNode) -> None:
    for _ in range(3):
        node.commit_pending()
    empty = http.get("/validators/changes", params={"to_height": 3})
    assert msgspec.json.decode(empty.content, type=ValidatorChangesView).changes == []
    # What the route does with a stored change (governance will record them).
    node.validator_changes = [
        ValidatorSetChange(
            2,
            list(VALIDATORS.validators),
            codec.encode(node.blocks[2].header),
            codec.encode(node.commits[2]),
        )
    ]
    served = msgspec.json.decode(
        http.get("/validators/changes", params={"to_height": 3}).content, type=ValidatorChangesView
    )
    assert [c.height for c in served.changes] == [2]
    assert bytes.fromhex(served.changes[0].header) == codec.encode(node.blocks[2].header)
    assert bytes.fromhex(served.changes[0].commit) == codec.encode(node.commits[2])
    below = http.get("/validators/changes", params={"to_height": 2}).json()
    assert below["changes"] == []
    assert http.get("/validators/changes", params={"to_height": 0}).status_code == 400
    assert http.get("/validators/changes").status_code == 400


def test_prove_true_on_a_real_ledger() -> None:
    chain, _ = transfers_chain()
    http = TestClient(create_app(chain))  # type: ignore[arg-type]
    answer = http.get(
        "/apps/bank/balance", params={"address": ALICE.address.hex(), "prove": "true"}
    )
    assert answer.status_code == 200, answer.text
    document = msgspec.json.decode(answer.content, type=StateProofFile)
    verified = verify_state_proof_file(document, trust_root_from_genesis(chain.genesis))
    assert verified.answer == document.answer
    plain = http.get("/apps/bank/balance", params={"address": ALICE.address.hex()}).json()
    assert plain["address"] == ALICE.address.hex()
    bad = http.get("/apps/bank/balance", params={"address": ALICE.address.hex(), "prove": "yes"})
    assert bad.status_code == 400 and "'prove' must be true or false" in bad.json()["message"]


def test_prove_before_the_first_block_is_a_clear_400(http: TestClient) -> None:
    answer = http.get("/apps/bank/supply", params={"prove": "true"})
    assert answer.status_code == 400 and answer.json()["error"] == "proof_unavailable"
