"""Shared proof vectors: receipt files and state proof files, valid and tampered, that the Python
verifier (client/verify.py) and the JavaScript one (js/verifier/) must judge the same.

Regenerate with `.venv/bin/python -m tests.vectors.build_proof_vectors`; the tests check the
files are current (tests/vectors/test_proof_vectors.py) and run both verifiers over them
(tests/js/test_js_verifier.py). Format "chainbook/proof-vector/v1":

    name, description
    kind       "receipt" | "state"
    genesis    {chain_id, validators: [{name, public_key, power}]}   what the verifier trusts
    document   the proof document as JSON, or null with `document_text` (raw text, e.g. cut)
    expect     {valid: true, facts: {...}} | {valid: false, reason: "<words in Python's error>"}

Everything is deterministic (keys from labels, fixed times, Ed25519's deterministic signatures).
"""

from __future__ import annotations

import copy
import json
import pathlib
from collections.abc import Callable
from typing import Any

import msgspec

from chainbook import codec, merkle
from chainbook.api.proof_routes import build_receipt_file, build_state_proof_file
from chainbook.api.proof_views import (
    PROOF_VERSION,
    RECEIPT_FORMAT,
    ReceiptFile,
    ValidatorChangeView,
)
from chainbook.apps.bank import Transfer
from chainbook.apps.fields import build_from_text
from chainbook.chain.block import Header, compute_header_hash
from chainbook.chain.commit import Vote, VoteType, make_commit, sign_vote
from chainbook.chain.tx import sign_tx, tx_hash
from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.client.verify import ReceiptLeaf
from chainbook.crypto import PrivateKey
from chainbook.ledger.queries import find_query
from chainbook.ledger.receipts import Event, Receipt, encode_receipt_leaf
from chainbook.ledger.state_tree import StateProof
from tests.client.ledger_chain import LedgerChain, transfers_chain
from tests.support import ALICE, BOB, CAROL, DAVE

FORMAT = "chainbook/proof-vector/v1"
VECTORS_DIR = pathlib.Path(__file__).parent / "proofs"

Vector = dict[str, Any]


def genesis_json(chain_id: str, validators: list[Validator]) -> dict[str, Any]:
    return {
        "chain_id": chain_id,
        "validators": [
            {"name": v.name, "public_key": v.public_key.hex(), "power": v.power} for v in validators
        ],
    }


def vector(
    name: str, description: str, kind: str, genesis: dict[str, Any], document: Any, expect: Any
) -> Vector:
    return {
        "format": FORMAT,
        "name": name,
        "description": description,
        "kind": kind,
        "genesis": genesis,
        "document": document,
        "expect": expect,
    }


def flip_hex(text: str, at: int) -> str:
    chars = list(text)
    chars[at] = "0" if chars[at] != "0" else "1"
    return "".join(chars)


def with_leaf(document: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    leaf = codec.decode(bytes.fromhex(document["receipt"]), ReceiptLeaf)
    changed["receipt"] = codec.encode(msgspec.structs.replace(leaf, **changes)).hex()
    return changed


def changed(document: dict[str, Any], change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    copied = copy.deepcopy(document)
    change(copied)
    return copied


# --- receipts of a real ledger -------------------------------------------------------------------


def receipt_vectors(chain: LedgerChain, txs: list[bytes]) -> list[Vector]:
    genesis = genesis_json(chain.chain_id, list(chain.genesis.validator_set.validators))

    def doc(index: int) -> dict[str, Any]:
        built = msgspec.to_builtins(build_receipt_file(chain, tx_hash(txs[index])))
        assert isinstance(built, dict)
        return built

    def facts(index: int) -> dict[str, Any]:
        location = chain.get_tx(tx_hash(txs[index]))
        assert location is not None
        receipt = location.receipt
        return {
            "height": location.height,
            "index": location.index,
            "tx_hash": receipt.tx_hash.hex(),
            "ok": receipt.ok,
            "code": receipt.code,
        }

    ok, failed, second_of_two = doc(0), doc(1), doc(3)

    def invalid(reason: str) -> dict[str, Any]:
        return {"valid": False, "reason": reason}

    def sig_dropped(d: dict[str, Any]) -> None:
        commit = codec.decode(bytes.fromhex(d["commit"]), Any)  # [h, r, hash, sigs]
        commit[3] = []
        d["commit"] = codec.encode(commit).hex()

    return [
        vector("receipt_ok", "a transfer that succeeded", "receipt", genesis, ok,
               {"valid": True, "facts": facts(0)}),
        vector("receipt_failed", "an overdraft: included, failed with its code", "receipt",
               genesis, failed, {"valid": True, "facts": facts(1)}),
        vector("receipt_second_of_two", "leaf 1 of a 2-tx block", "receipt", genesis,
               second_of_two, {"valid": True, "facts": facts(3)}),
        vector("receipt_outcome_flipped", "a success re-labelled failed", "receipt", genesis,
               with_leaf(ok, ok=False, code="bank.insufficient_funds", error="x"),
               invalid("receipts_root")),
        vector("receipt_failure_hidden", "a failure re-labelled success", "receipt", genesis,
               with_leaf(failed, ok=True, code="", error=""), invalid("receipts_root")),
        vector("receipt_fake_mint_event", "a bank.mint event added", "receipt", genesis,
               with_leaf(ok, events=[Event("bank", "mint", [("amount", "1000000")])]),
               invalid("receipts_root")),
        vector("receipt_code_changed", "another error code", "receipt", genesis,
               with_leaf(failed, code="bank.other"), invalid("receipts_root")),
        vector("receipt_tx_changed", "one byte of the tx", "receipt", genesis,
               changed(ok, lambda d: d.update(tx=flip_hex(d["tx"], -3))),
               invalid("tx audit path")),
        vector("receipt_path_cut", "the receipt's audit path shortened", "receipt", genesis,
               changed(second_of_two, lambda d: d["receipt_path"].pop()),
               invalid("receipt audit path")),
        vector("receipt_header_changed", "one byte of the header (its app_hash)", "receipt",
               genesis, changed(ok, lambda d: d.update(header=flip_hex(d["header"], -60))),
               invalid("commit")),
        vector("receipt_signature_changed", "one byte of a commit signature", "receipt",
               genesis, changed(ok, lambda d: d.update(commit=flip_hex(d["commit"], -6))),
               invalid("commit")),
        vector("receipt_no_quorum", "the commit's signatures removed", "receipt", genesis,
               changed(ok, sig_dropped), invalid("needs more than 2/3")),
        vector("receipt_other_chain", "a receipt of another chain", "receipt", genesis,
               changed(ok, lambda d: d.update(chain_id="other-chain")), invalid("chain")),
        vector("receipt_version_2", "an unknown version", "receipt", genesis,
               changed(ok, lambda d: d.update(version=2)), invalid("version")),
        vector("receipt_not_hex", "a field that is not hex", "receipt", genesis,
               changed(ok, lambda d: d.update(tx="zz")), invalid("not hex")),
        vector("receipt_truncated", "the file cut in half", "receipt", genesis, None,
               invalid("truncated")) | {"document_text": json.dumps(ok)[:300]},
    ]


# --- a synthetic receipt after a validator-set change ------------------------------------

SYNTH_CHAIN = "synthetic-chain"
SET_A = [PrivateKey.from_label(f"vector-a{i}") for i in range(4)]
SET_B = [PrivateKey.from_label(f"vector-b{i}") for i in range(3)]


def vset(keys: list[PrivateKey]) -> ValidatorSet:
    return ValidatorSet([Validator(k.public_key, 10, f"v{i}") for i, k in enumerate(keys)])


def make_header(
    height: int, current: ValidatorSet, following: ValidatorSet, **roots: Any
) -> Header:
    return Header(
        chain_id=SYNTH_CHAIN,
        height=height,
        time_ms=1_700_000_000_000 + height * 1000,
        prev_block_hash=bytes(32),
        last_commit_hash=merkle.EMPTY_ROOT,
        txs_root=roots.get("txs_root", merkle.EMPTY_ROOT),
        tx_count=roots.get("tx_count", 0),
        receipts_root=roots.get("receipts_root", merkle.EMPTY_ROOT),
        app_hash=bytes(32),
        validators_hash=current.hash,
        next_validators_hash=following.hash,
        proposer=current.validators[0].address,
        evidence_hash=merkle.EMPTY_ROOT,
    )


def signed_commit(header: Header, keys: list[PrivateKey], validators: ValidatorSet) -> bytes:
    vote = Vote(VoteType.PRECOMMIT, header.height, 0, compute_header_hash(header))
    return codec.encode(make_commit(validators, [sign_vote(k, SYNTH_CHAIN, vote) for k in keys]))


def change_vectors() -> list[Vector]:
    a, b = vset(SET_A), vset(SET_B)
    genesis = genesis_json(SYNTH_CHAIN, list(a.validators))
    tx = sign_tx(ALICE, SYNTH_CHAIN, 0, Transfer(BOB.address, 42, "after the change"))
    receipt = Receipt(tx_hash(tx), 6, 0, True, "", "", [])
    leaf = encode_receipt_leaf(receipt)
    hop_header = make_header(3, a, b)
    hop = ValidatorChangeView(
        height=3,
        header=codec.encode(hop_header).hex(),
        commit=signed_commit(hop_header, SET_A, a).hex(),
        validators=codec.encode(list(b.validators)).hex(),
    )
    target = make_header(
        6, b, b, txs_root=merkle.root([tx]), tx_count=1, receipts_root=merkle.root([leaf])
    )

    def document(
        changes: list[ValidatorChangeView], signers: list[PrivateKey], signing_set: Any = b
    ) -> Any:
        return msgspec.to_builtins(
            ReceiptFile(
                format=RECEIPT_FORMAT,
                version=PROOF_VERSION,
                chain_id=SYNTH_CHAIN,
                height=6,
                index=0,
                tx=tx.hex(),
                receipt=leaf.hex(),
                tx_path=[],
                receipt_path=[],
                header=codec.encode(target).hex(),
                commit=signed_commit(target, signers, signing_set).hex(),
                validator_changes=changes,
            )
        )

    lone = vset(SET_A[:1])
    forged_header = make_header(3, b, lone)
    self_signed = ValidatorChangeView(
        height=3,
        header=codec.encode(forged_header).hex(),
        commit=signed_commit(forged_header, SET_B, b).hex(),
        validators=codec.encode(list(lone.validators)).hex(),
    )
    wrong_set = msgspec.structs.replace(hop, validators=codec.encode(list(a.validators)).hex())
    facts = {"height": 6, "index": 0, "tx_hash": tx_hash(tx).hex(), "ok": True, "code": ""}
    return [
        vector("change_followed", "genesis set A hands over to B at height 3; a receipt at 6 "
               "signed by B", "receipt", genesis, document([hop], SET_B),
               {"valid": True, "facts": facts}),
        vector("change_two_thirds_exactly", "signed by 2 of the 3 validators of B: exactly 2/3 "
               "of the power, not more", "receipt", genesis, document([hop], SET_B[:2]),
               {"valid": False, "reason": "needs more than 2/3"}),
        vector("change_missing", "the same receipt without the hop", "receipt", genesis,
               document([], SET_B), {"valid": False, "reason": "missing or forged"}),
        vector("change_forged_set", "the hop names a set the header did not announce",
               "receipt", genesis, document([wrong_set], SET_B),
               {"valid": False, "reason": "announces"}),
        vector("change_forged_hop", "a hop signed by the new set instead of the old", "receipt",
               genesis, document([self_signed], SET_B),
               {"valid": False, "reason": "set in force"}),
    ]


# --- state proofs of a real ledger ---------------------------------------------------------


def state_vectors(chain: LedgerChain) -> list[Vector]:
    genesis = genesis_json(chain.chain_id, list(chain.genesis.validator_set.validators))

    def doc(query: str, **params: str) -> dict[str, Any]:
        request_type = find_query(chain.ledger.state.registry, "bank", query).request
        request = build_from_text(request_type, params)
        built = build_state_proof_file(chain, "bank", query, params, request)
        value = msgspec.to_builtins(built)
        assert isinstance(value, dict)
        return value

    carol = doc("balance", address=CAROL.address.hex())
    dave = doc("balance", address=DAVE.address.hex())
    supply = doc("supply")

    def bigger_value(d: dict[str, Any]) -> None:
        proof = codec.decode(bytes.fromhex(d["entries"][0]["proof"]), StateProof)
        forged = msgspec.structs.replace(proof, value=codec.encode(10**9))
        d["entries"][0]["proof"] = codec.encode(forged).hex()

    def invalid(reason: str) -> dict[str, Any]:
        return {"valid": False, "reason": reason}

    def valid(d: dict[str, Any]) -> dict[str, Any]:
        return {"valid": True, "facts": {"height": d["height"], "answer": d["answer"]}}

    return [
        vector("state_balance", "CAROL's balance, proven", "state", genesis, carol, valid(carol)),
        vector("state_absent", "DAVE has no account: proven absent", "state", genesis, dave,
               valid(dave)),
        vector("state_supply", "the supply (JS checks its keys, not its answer)", "state",
               genesis, supply, valid(supply)),
        vector("state_answer_changed", "the answer inflated", "state", genesis,
               changed(carol, lambda d: d["answer"].update(balance=10**9)),
               invalid("not what the proven state gives")),
        vector("state_value_changed", "the proven value inflated", "state", genesis,
               changed(carol, bigger_value), invalid("leads to root")),
        vector("state_entry_dropped", "the proof of the key read removed", "state", genesis,
               changed(carol, lambda d: d.update(entries=[])), invalid("does not cover")),
        vector("state_absence_lie", "DAVE's absence proof relabelled as CAROL's", "state",
               genesis,
               changed(carol, lambda d: d.update(entries=[
                   {"key": carol["entries"][0]["key"], "proof": dave["entries"][0]["proof"]}
               ])),
               invalid("the proof is of key")),
        vector("state_wrong_header", "the header of another height", "state", genesis,
               changed(carol, lambda d: d.update(height=d["height"] - 1)), invalid("header")),
    ]


def build_vectors() -> list[Vector]:
    chain, txs = transfers_chain()
    return [*receipt_vectors(chain, txs), *change_vectors(), *state_vectors(chain)]


def dump(value: Vector) -> str:
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def main() -> None:
    VECTORS_DIR.mkdir(exist_ok=True)
    for old in VECTORS_DIR.glob("*.json"):
        old.unlink()
    for built in build_vectors():
        (VECTORS_DIR / f"{built['name']}.json").write_text(dump(built))
        print(f"wrote {built['name']}.json")


if __name__ == "__main__":
    main()
