"""Offline receipt checks: a real RFC 6962 tree over several transactions and a real commit
signed by chainbook.crypto keys; every tampering with the path, header or commit is caught."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from chainbook.api.views import view_commit, view_tx
from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import sign_tx, tx_hash
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.client.verify import ProofError, check_tx_proof, verify_tx_proof
from chainbook.crypto import PrivateKey
from tests.support.fake_node import (
    ALICE,
    BOB,
    CHAIN_ID,
    VALIDATOR_KEYS,
    VALIDATORS,
    FakeNode,
    sign_commit,
)

TX_COUNT = 7  # not a power of two: the RFC 6962 split is exercised on both sides


@pytest.fixture
def committed() -> FakeNode:
    node = FakeNode()
    for nonce in range(TX_COUNT):
        tx = sign_tx(ALICE, CHAIN_ID, nonce, Transfer(to=BOB.address, amount=1, memo=str(nonce)))
        node.submit_tx(tx)
    node.commit_pending()
    return node


def proof_json(node: FakeNode, index: int) -> dict[str, Any]:
    tx = node.blocks[1].txs[index]
    proof = node.get_tx_proof(tx_hash(tx))
    assert proof is not None
    return msgspec.to_builtins(view_tx(tx_hash(tx), proof.location, proof, proof.tx))


@pytest.mark.parametrize("index", range(TX_COUNT))
def test_every_leaf_verifies(committed: FakeNode, index: int) -> None:
    assert verify_tx_proof(proof_json(committed, index), VALIDATORS)


def tampered(node: FakeNode, change: Any, index: int = 3) -> dict[str, Any]:
    proof = copy.deepcopy(proof_json(node, index))
    change(proof)
    return proof


def flip_hex(text: str) -> str:
    return ("1" if text[0] != "1" else "2") + text[1:]


def test_tampered_audit_path_fails(committed: FakeNode) -> None:
    def change(p: dict[str, Any]) -> None:
        p["proof"]["audit_path"][0] = flip_hex(p["proof"]["audit_path"][0])

    with pytest.raises(ProofError, match="audit path"):
        check_tx_proof(tampered(committed, change), VALIDATORS)


def test_shortened_audit_path_fails(committed: FakeNode) -> None:
    proof = tampered(committed, lambda p: p["proof"]["audit_path"].pop())
    assert not verify_tx_proof(proof, VALIDATORS)


def test_wrong_index_fails(committed: FakeNode) -> None:
    def change(p: dict[str, Any]) -> None:
        p["index"] = p["proof"]["index"] = p["receipt"]["index"] = 4

    assert not verify_tx_proof(tampered(committed, change), VALIDATORS)


def test_tampered_tx_fails(committed: FakeNode) -> None:
    def change(p: dict[str, Any]) -> None:
        p["tx"] = p["tx"][:-2] + ("00" if p["tx"][-2:] != "00" else "01")

    with pytest.raises(ProofError, match="hash"):
        check_tx_proof(tampered(committed, change), VALIDATORS)


def test_tampered_header_fails(committed: FakeNode) -> None:
    def change(p: dict[str, Any]) -> None:
        p["proof"]["header"]["app_hash"] = flip_hex(p["proof"]["header"]["app_hash"])

    with pytest.raises(ProofError, match="header hashes"):
        check_tx_proof(tampered(committed, change), VALIDATORS)


def test_tampered_commit_signature_fails(committed: FakeNode) -> None:
    def change(p: dict[str, Any]) -> None:
        sig = p["proof"]["commit"]["signatures"][1]
        sig["signature"] = flip_hex(sig["signature"])

    with pytest.raises(ProofError, match="commit certificate"):
        check_tx_proof(tampered(committed, change), VALIDATORS)


def test_commit_without_quorum_fails(committed: FakeNode) -> None:
    header = committed.blocks[1].header
    two_of_four = msgspec.to_builtins(view_commit(sign_commit(header, VALIDATOR_KEYS[:2])))

    def change(p: dict[str, Any]) -> None:
        p["proof"]["commit"] = two_of_four

    with pytest.raises(ProofError, match="needs more than 2/3"):
        check_tx_proof(tampered(committed, change), VALIDATORS)


def test_another_validator_set_fails(committed: FakeNode) -> None:
    strangers = ValidatorSet(
        [Validator(PrivateKey.from_label(f"stranger{i}").public_key, 10) for i in range(4)]
    )
    assert not verify_tx_proof(proof_json(committed, 0), strangers)


def test_garbage_is_a_proof_error_not_a_crash() -> None:
    assert not verify_tx_proof({"hash": "00"}, VALIDATORS)
    assert not verify_tx_proof(b"not json", VALIDATORS)
