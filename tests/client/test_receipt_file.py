"""Receipt files: inclusion AND outcome are proven; a node that lies about either, or a file
changed on the way, is refused with the check that failed; bad bytes never crash or pass."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from chainbook import codec
from chainbook.api.proof_routes import build_receipt_file
from chainbook.api.proof_views import PROOF_FILE_BYTES_MAX, ReceiptFile
from chainbook.apps.bank.actions import Transfer
from chainbook.chain.tx import sign_tx, tx_hash
from chainbook.chain.validators import Validator
from chainbook.client.light import TrustRoot
from chainbook.client.verify import (
    ProofError,
    ReceiptLeaf,
    check_tx_proof,
    load_proof_document,
    trust_root_from_genesis,
    verify_receipt_file,
)
from chainbook.crypto import PrivateKey
from chainbook.ledger.receipts import Event, Receipt
from tests.client.ledger_chain import LedgerChain
from tests.support import ALICE, BOB, CHAIN_ID

ROOT = trust_root_from_genesis(LedgerChain().genesis, "the test genesis")
VALIDATORS = ROOT.validator_set


def committed_node(node: LedgerChain | None = None) -> tuple[LedgerChain, list[bytes]]:
    """5 transfers in one block (built as a proposer does, no admission); the last two
    overdraw, so they are included with failed receipts."""
    node = node or LedgerChain()
    amounts = [10, 20, 30, 10**9, 10**9]
    txs = [
        sign_tx(ALICE, CHAIN_ID, nonce, Transfer(to=BOB.address, amount=amount, memo=""))
        for nonce, amount in enumerate(amounts)
    ]
    node.commit_block(txs)
    return node, txs


def receipt_json(node: LedgerChain, tx: bytes) -> dict[str, Any]:
    return msgspec.to_builtins(build_receipt_file(node, tx_hash(tx)))


@pytest.mark.parametrize("index", range(5))
def test_every_receipt_proves_its_outcome(index: int) -> None:
    node, txs = committed_node()
    verified = verify_receipt_file(msgspec.json.encode(receipt_json(node, txs[index])), ROOT)
    assert verified.tx_hash == tx_hash(txs[index]) and verified.index == index
    assert verified.sender == ALICE.address and verified.height == 1
    assert verified.ok == (index < 3)
    assert verified.code == ("" if index < 3 else "bank.insufficient_funds")
    assert verified.action == {"type": "bank.transfer", "to": BOB.address.hex(),
                               "amount": [10, 20, 30, 10**9, 10**9][index], "memo": ""}


class OutcomeLiar(LedgerChain):
    """Reports another outcome for one tx and builds every proof from its lie."""

    def __init__(self, lie: Any) -> None:
        super().__init__()
        self.lie = lie

    def get_receipts(self, height: int) -> list[Receipt] | None:
        receipts = super().get_receipts(height)
        assert receipts is not None
        return [self.lie(r) if r.index == 1 else r for r in receipts]


LIES = {
    "failed": lambda r: msgspec.structs.replace(
        r, ok=False, code="bank.insufficient_funds", error="insufficient funds", events=[]
    ),
    "fake mint": lambda r: msgspec.structs.replace(
        r, events=[*r.events, Event("bank", "mint", [("amount", "1000000")])]
    ),
    "other code": lambda r: msgspec.structs.replace(r, code="bank.other"),
}


@pytest.mark.parametrize("lie", LIES, ids=list(LIES))
def test_a_node_lying_about_the_outcome_is_refused(lie: str) -> None:
    node, txs = committed_node(OutcomeLiar(LIES[lie]))
    document = receipt_json(node, txs[1])
    with pytest.raises(ProofError, match="receipts_root: the outcome, error or events"):
        verify_receipt_file(msgspec.json.encode(document), ROOT)


def test_get_tx_of_a_lying_node_fails_tx_verify() -> None:
    """`chainbook tx HASH --verify` checks the outcome too (GET /txs/{hash} shape)."""
    from chainbook.api.views import view_tx

    node, txs = committed_node()
    proof = node.get_tx_proof(tx_hash(txs[0]))
    assert proof is not None
    honest = msgspec.to_builtins(view_tx(tx_hash(txs[0]), proof.location, proof, proof.tx))
    check_tx_proof(honest, VALIDATORS)
    for field, value in [("ok", False), ("code", "bank.x"), ("error", "no")]:
        lying = copy.deepcopy(honest)
        lying["receipt"][field] = value
        with pytest.raises(ProofError, match="receipts_root"):
            check_tx_proof(lying, VALIDATORS)
    lying = copy.deepcopy(honest)
    lying["receipt"]["events"].append({"module": "bank", "kind": "mint", "attributes": []})
    with pytest.raises(ProofError, match="receipts_root"):
        check_tx_proof(lying, VALIDATORS)


def _flip(text: str, at: int = -1) -> str:
    chars = list(text)
    chars[at] = "1" if chars[at] != "1" else "2"
    return "".join(chars)


def _reencoded_leaf(document: dict[str, Any], **changes: Any) -> str:
    leaf = codec.decode(bytes.fromhex(document["receipt"]), ReceiptLeaf)
    return codec.encode(msgspec.structs.replace(leaf, **changes)).hex()


TAMPERINGS: dict[str, tuple[Any, str]] = {
    "outcome flipped": (
        lambda d: d.update(receipt=_reencoded_leaf(d, ok=False)),
        "receipts_root",
    ),
    "error rewritten": (
        lambda d: d.update(receipt=_reencoded_leaf(d, error="x", code="bank.x")),
        "receipts_root",
    ),
    "event added": (
        lambda d: d.update(
            receipt=_reencoded_leaf(d, events=[Event("bank", "mint", [("amount", "5")])])
        ),
        "receipts_root",
    ),
    "tx changed": (lambda d: d.update(tx=_flip(d["tx"], -3)), "tx audit path"),
    "tx path": (lambda d: d["tx_path"].__setitem__(0, _flip(d["tx_path"][0])), "tx audit"),
    "receipt path cut": (lambda d: d["receipt_path"].pop(), "receipt audit path"),
    "index": (lambda d: d.update(index=2), "audit path"),
    "height": (lambda d: d.update(height=2), "height"),
    "header": (lambda d: d.update(header=_flip(d["header"], 40)), "header"),
    "commit signature": (lambda d: d.update(commit=_flip(d["commit"], -4)), "commit"),
    "chain id": (lambda d: d.update(chain_id="other"), "chain"),
    "version": (lambda d: d.update(version=2), "version"),
    "format": (lambda d: d.update(format="chainbook/other"), "unknown format"),
    "not hex": (lambda d: d.update(tx="zz"), "not hex"),
    "extra field": (lambda d: d.update(extra=1), "unknown field"),
    "missing field": (lambda d: d.pop("commit"), "missing required field"),
    "long path": (lambda d: d.update(tx_path=["00" * 32] * 65), "at most 64"),
}


@pytest.mark.parametrize("name", TAMPERINGS, ids=list(TAMPERINGS))
def test_a_changed_file_is_refused_with_the_reason(name: str) -> None:
    node, txs = committed_node()
    document = receipt_json(node, txs[0])
    change, reason = TAMPERINGS[name]
    change(document)
    with pytest.raises(ProofError, match=reason):
        verify_receipt_file(msgspec.json.encode(document), ROOT)


def test_another_genesis_is_refused() -> None:
    node, txs = committed_node()
    strangers = [Validator(PrivateKey.from_label(f"s{i}").public_key, 10) for i in range(4)]
    with pytest.raises(ProofError, match="validator set"):
        verify_receipt_file(
            msgspec.json.encode(receipt_json(node, txs[0])),
            TrustRoot(CHAIN_ID, strangers, "strangers"),
        )


def test_garbage_truncated_and_oversize_files() -> None:
    node, txs = committed_node()
    good = msgspec.json.encode(receipt_json(node, txs[0]))
    cases = {
        b"": "malformed or truncated",
        good[: len(good) // 2]: "malformed or truncated",
        b"[1, 2]": "a JSON object",
        b"\xff\xfe": "malformed",
        b" " * (PROOF_FILE_BYTES_MAX + 1): "at most",
    }
    for data, reason in cases.items():
        with pytest.raises(ProofError, match=reason):
            verify_receipt_file(data, ROOT)
    assert isinstance(load_proof_document(good), ReceiptFile)
