"""State proof files on a real ledger: every module query can be proven; the verifier re-runs
the query over the proven keys; a node that answers from keys it did not prove, proves keys
that give another answer, or a file changed on the way, is refused."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from chainbook import codec
from chainbook.api.proof_routes import build_state_proof_file
from chainbook.apps.fields import build_from_text
from chainbook.client.light import TrustRoot
from chainbook.client.verify import ProofError, trust_root_from_genesis, verify_state_proof_file
from chainbook.ledger.proven_query import ProofUnavailable
from chainbook.ledger.queries import find_query
from chainbook.ledger.state_tree import StateProof
from tests.client.ledger_chain import LedgerChain, transfers_chain
from tests.support import ALICE, BOB, CAROL, DAVE, balance_of


@pytest.fixture(scope="module")
def chain() -> LedgerChain:
    return transfers_chain()[0]


def proof_document(chain: LedgerChain, module: str, query: str, **params: str) -> dict[str, Any]:
    registry = chain.ledger.state.registry
    request = build_from_text(find_query(registry, module, query).request, params)
    document = build_state_proof_file(chain, module, query, params, request)
    return msgspec.to_builtins(document)


def root_of(chain: LedgerChain) -> TrustRoot:
    return trust_root_from_genesis(chain.genesis)


def test_a_balance_is_proven_against_the_next_header(chain: LedgerChain) -> None:
    document = proof_document(chain, "bank", "balance", address=CAROL.address.hex())
    verified = verify_state_proof_file(msgspec.json.encode(document), root_of(chain))
    assert verified.height == chain.height - 1 and verified.header_height == chain.height
    # State after block 3: CAROL got 5 (the overdraft of block 2 failed).
    assert verified.answer["balance"] == 5 == balance_of(chain.ledger.state, CAROL.address)
    assert [key for key, _ in verified.entries] == [b"bank/balance/" + CAROL.address]


def test_an_absent_account_is_proven_absent(chain: LedgerChain) -> None:
    document = proof_document(chain, "bank", "balance", address=DAVE.address.hex())
    verified = verify_state_proof_file(msgspec.json.encode(document), root_of(chain))
    assert verified.answer == {"address": DAVE.address.hex(), "balance": 0, "exists": False}
    assert verified.entries == [(b"bank/balance/" + DAVE.address, None)]


PROVEN_QUERIES = [
    "notary.anchored",
    "ip.work",
    "ip.history",
    "vote.ballot",
    "vote.tally",
    "vote.voter",
    "evidence.case",
    "evidence.policy",
    "evidence.endorsement",
    "trace.product",
    "trace.item",
    "trace.verdict",
    "trace.history",
    "private.collection",
    "private.recorded",
    "private.member_node",
    "identity.credential",
    "iot.device",
    "iot.latest",
    "iot.history",
    "iot.batch",
    "bank.supply",
    "bank.balance",
    "accounts.policy",
    "fees.params",
    "fees.minimum_fee",
    "governance.institution",
    "governance.institutions",
    "governance.proposals",
    "governance.proposal",
    "governance.history",
    "governance.schedule",
    "governance.validators",
    "governance.validator_sets",
    "governance.params",
    "governance.param",
    "governance.evidence",
    "assets.token",
    "assets.tokens",
    "assets.balance",
    "assets.balances",
    "assets.holders",
    "assets.asset",
    "assets.asset_history",
    "assets.assets_of",
    "royalty.work",
    "royalty.split_history",
    "royalty.payments",
    "royalty.payees",
    "royalty.work_statement",
    "royalty.holder_statement",
    "royalty.received",
    "royalty.holder_tokens",
    "royalty.works_of",
    "royalty.catalogue",
    "royalty.reference",
    "loans.loan",
    "loans.outstanding",
    "loans.history",
    "loans.loans_of",
    "loans.credit",
    "loans.offered",
    "settlement.offer",
    "settlement.lock",
    "settlement.offers_by_maker",
    "settlement.offers_by_status",
    "settlement.locks_by_party",
    "settlement.escrow",
    "invoice.invoice",
    "invoice.by_seller",
    "invoice.by_buyer",
    "invoice.by_period",
    "invoice.totals",
]
QUERY_PARAMS: dict[str, dict[str, str]] = {
    "bank.balance": {"address": ALICE.address.hex()},
    "accounts.policy": {"address": ALICE.address.hex()},
    "fees.minimum_fee": {"tx_bytes": "250"},
    "notary.anchored": {"hash": "ab" * 32},
    "ip.work": {"work": "ab" * 32},
    "ip.history": {"work": "ab" * 32},
    "vote.ballot": {"ballot": "b1"},
    "vote.tally": {"ballot": "b1"},
    "vote.voter": {"ballot": "b1", "address": ALICE.address.hex()},
    "evidence.case": {"case": "c1"},
    "evidence.policy": {"case": "c1"},
    "evidence.endorsement": {"case": "c1", "institution": "hz-notary"},
    "trace.product": {"product": "tea"},
    "trace.item": {"item": "lot-1"},
    "trace.verdict": {"item": "lot-1"},
    "trace.history": {"item": "lot-1"},
    "private.collection": {"collection": "risk"},
    "private.recorded": {"collection": "risk", "record": "e1"},
    "private.member_node": {"collection": "risk", "public_key": ALICE.public_key.hex()},
    "identity.credential": {"commitment": "ab" * 32},
    "iot.device": {"device": "gauge-1"},
    "iot.latest": {"device": "gauge-1", "metric": "strain"},
    "iot.history": {"device": "gauge-1", "metric": "strain"},
    "iot.batch": {"device": "gauge-1", "batch": "1"},
    "governance.institution": {"id": "nobody"},
    "governance.proposal": {"id": "1"},
    "governance.param": {"name": "consensus.block_txs_max"},
    "assets.token": {"token": "CNYX"},
    "assets.balance": {"token": "CNYX", "address": ALICE.address.hex()},
    "assets.balances": {"address": ALICE.address.hex()},
    "assets.holders": {"token": "CNYX"},
    "assets.asset": {"asset_id": "LR-HK-1"},
    "assets.asset_history": {"asset_id": "LR-HK-1"},
    "assets.assets_of": {"owner": ALICE.address.hex()},
    "royalty.work": {"work": "USRC17607839"},
    "royalty.split_history": {"work": "USRC17607839"},
    "royalty.payments": {"work": "USRC17607839"},
    "royalty.payees": {"work": "USRC17607839"},
    "royalty.work_statement": {"work": "USRC17607839", "from_height": "1"},
    "royalty.holder_statement": {"holder": ALICE.address.hex()},
    "royalty.received": {"holder": ALICE.address.hex()},
    "royalty.holder_tokens": {"holder": ALICE.address.hex()},
    "royalty.works_of": {"holder": ALICE.address.hex()},
    "royalty.catalogue": {"institution": "sunrise-records"},
    "royalty.reference": {"work": "USRC17607839", "reference": "LIC-1"},
    "loans.loan": {"loan_id": "L-1"},
    "loans.outstanding": {"loan_id": "L-1", "blocks_ahead": "10"},
    "loans.history": {"loan_id": "L-1"},
    "loans.loans_of": {"address": BOB.address.hex(), "role": "borrower"},
    "loans.credit": {"address": BOB.address.hex()},
    "loans.offered": {"loan_id": "O-1"},
    "settlement.offer": {"offer_id": "1"},
    "settlement.lock": {"lock_id": "1"},
    "settlement.offers_by_maker": {"maker": ALICE.address.hex()},
    "settlement.offers_by_status": {"status": "open"},
    "settlement.locks_by_party": {"party": ALICE.address.hex()},
    "invoice.invoice": {"id": "sz-shop/2025-0001"},
    "invoice.by_seller": {"seller": "sz-shop"},
    "invoice.by_buyer": {"buyer": ALICE.address.hex()},
    "invoice.totals": {"seller": "sz-shop", "from_height": "1", "to_height": "9"},
}


@pytest.fixture(scope="module")
def governed_chain() -> LedgerChain:
    """A chain whose validator passed a proposal (an executed change in the history)."""
    from chainbook.apps.governance import CastVote, Propose, SetParameter
    from tests.client.ledger_chain import signed_tx
    from tests.support import VALIDATOR

    chain = LedgerChain()
    change = SetParameter("consensus.block_txs_max", 100)
    chain.commit_block(
        [
            signed_tx(VALIDATOR, 0, Propose("fewer", change)),
            signed_tx(VALIDATOR, 1, CastVote(1, "yes")),
        ]
    )
    for _ in range(3):
        chain.commit_block([])
    return chain


@pytest.fixture(scope="module")
def lent_chain() -> LedgerChain:
    """A chain where Alice and Bob both signed loan L-1, Bob repaid part, Alice offers O-1."""
    from chainbook.apps.loans import Create, Instalment, Offer, Repay
    from tests.client.ledger_chain import signed_tx

    chain = LedgerChain()
    terms = Create("L-1", ALICE.address, BOB.address, "", 100, 100, 10, [Instalment(20, 100)])
    chain.commit_block(
        [
            signed_tx([ALICE, BOB], 0, terms, accounts=[ALICE.address, BOB.address]),
            signed_tx(BOB, 0, Repay("L-1", 10)),
            signed_tx(ALICE, 1, Offer("O-1", CAROL.address, "", 5, 0, 1, [Instalment(5, 5)], 9)),
        ]
    )
    chain.commit_block([])
    return chain


def test_the_list_above_is_every_query_of_the_registry() -> None:
    from chainbook.apps.registry import REGISTRY

    every = {f"{m.name}.{q.name}" for m in REGISTRY.modules for q in m.queries}
    assert every == set(PROVEN_QUERIES), "add the new query to PROVEN_QUERIES"


@pytest.mark.parametrize("module_query", PROVEN_QUERIES)
def test_every_module_query_can_be_proven(
    chain: LedgerChain, governed_chain: LedgerChain, lent_chain: LedgerChain, module_query: str
) -> None:
    module, query = module_query.split(".")
    on = {"governance": governed_chain, "loans": lent_chain}.get(module, chain)
    document = proof_document(on, module, query, **QUERY_PARAMS.get(module_query, {}))
    verify_state_proof_file(msgspec.json.encode(document), root_of(on))


def _proof(document: dict[str, Any], number: int = 0) -> StateProof:
    return codec.decode(bytes.fromhex(document["entries"][number]["proof"]), StateProof)


def _with_proof(document: dict[str, Any], proof: StateProof, number: int = 0) -> None:
    document["entries"][number] = {"key": proof.key.hex(), "proof": codec.encode(proof).hex()}


def _change_value(d: dict[str, Any]) -> None:
    proof = _proof(d)
    assert proof.value is not None
    _with_proof(d, msgspec.structs.replace(proof, value=codec.encode(10**9)))


TAMPERINGS: dict[str, tuple[Any, str]] = {
    "answer": (lambda d: d["answer"].update(balance=10**9), "not what the proven state"),
    "proven value": (_change_value, "leads to root"),
    "proof dropped": (lambda d: d.update(entries=[]), "does not cover"),
    "another key": (
        lambda d: d["entries"][0].update(key=(b"bank/balance/" + BOB.address).hex()),
        "the proof is of key",
    ),
    "request": (lambda d: d["request"].update(address=BOB.address.hex()), "does not cover"),
    "height": (lambda d: d.update(height=d["height"] - 1), "header"),
    "header": (lambda d: d.update(header=d["header"][:-2] + "00"), "header"),
    "commit": (lambda d: d.update(commit=d["commit"][:-4] + "0000"), "commit"),
    "unknown query": (lambda d: d.update(query="nope"), "unknown query"),
    "bad request field": (lambda d: d["request"].update(addr="00"), "unknown"),
    "too many entries": (lambda d: d.update(entries=d["entries"] * 65), "at most 64"),
    "proof bytes": (lambda d: d["entries"][0].update(proof="c1"), "proof"),
}


@pytest.mark.parametrize("name", TAMPERINGS, ids=list(TAMPERINGS))
def test_a_changed_state_proof_is_refused(chain: LedgerChain, name: str) -> None:
    document = copy.deepcopy(proof_document(chain, "bank", "balance", address=ALICE.address.hex()))
    change, reason = TAMPERINGS[name]
    change(document)
    with pytest.raises(ProofError, match=reason):
        verify_state_proof_file(msgspec.json.encode(document), root_of(chain))


def test_a_node_proving_an_older_state_with_a_newer_header_is_refused() -> None:
    """The answer of one version with the proofs of another: the roots differ."""
    chain, _ = transfers_chain()
    old = proof_document(chain, "bank", "balance", address=ALICE.address.hex())
    chain.commit_block([])
    chain.commit_block([])  # block rewards moved the proposer's balance; ALICE unchanged
    new = proof_document(chain, "bank", "balance", address=VALIDATOR_ADDRESS_HEX(chain))
    mixed = {**new, "entries": old["entries"], "answer": old["answer"], "request": old["request"]}
    with pytest.raises(ProofError, match="leads to root"):
        verify_state_proof_file(msgspec.json.encode(mixed), root_of(chain))


def VALIDATOR_ADDRESS_HEX(chain: LedgerChain) -> str:  # noqa: N802
    return chain.keys[0].address.hex()


def test_nothing_to_prove_before_the_first_block() -> None:
    chain = LedgerChain()
    with pytest.raises(ProofUnavailable, match="no block is committed"):
        proof_document(chain, "bank", "supply")
