"""Evidence of equivocation, end to end through the NodeLedger: the pool, the proposer,
every node's verification of the block, the policy (power to zero two heights later, once),
and each bad piece refused with its reason while the state stays as it was."""

from __future__ import annotations

import msgspec
import pytest

from chainbook.apps.governance import RemoveValidator, SetValidatorPower
from chainbook.apps.governance.params import EVIDENCE_AGE_MAX
from chainbook.chain.commit import NIL, Vote, VoteType, sign_vote
from chainbook.chain.evidence import (
    DuplicateVoteEvidence,
    InvalidEvidence,
    compute_evidence_hash,
    make_duplicate_vote_evidence,
    verify_evidence_shape,
)
from chainbook.crypto import PrivateKey
from chainbook.errors import InvalidBlock
from chainbook.ledger.evidence import verify_evidence
from tests.apps.governance.chain import VALIDATORS, AppChain, GovernedLedger, equivocate
from tests.support import CHAIN_ID, ask

FIVE = [*VALIDATORS, PrivateKey.from_label("v4")]
OFFENDER = FIVE[4]


def chain_of(keys: list[PrivateKey] = FIVE, heights: int = 3) -> AppChain:
    chain = AppChain(GovernedLedger(validators=keys), keys)
    for _ in range(heights):
        chain.step()
    return chain


def add(chain: AppChain, evidence: DuplicateVoteEvidence) -> bool:
    ledger = chain.ledger
    return chain.pool.add(
        evidence, lambda e: verify_evidence(ledger.state, CHAIN_ID, ledger.governed, e)
    )


def test_an_equivocator_is_recorded_and_loses_its_power_two_heights_later() -> None:
    chain = chain_of()
    assert add(chain, equivocate(OFFENDER, height=2))
    block = chain.next_block()
    assert len(block.evidence) == 1
    assert block.header.evidence_hash == compute_evidence_hash(block.evidence)
    result = chain.commit(block)
    [event] = [e for e in result.events if e.kind == "evidence"]
    assert dict(event.attributes)["punished_from_height"] == str(block.height + 2)
    assert chain.ledger.get_validators(block.height + 1).is_validator(OFFENDER.address)
    assert not chain.ledger.get_validators(block.height + 2).is_validator(OFFENDER.address)
    [record] = ask(chain.ledger.state, "governance", "evidence").records
    assert (record.offence.validator, record.offence.height, record.included_height) == (
        OFFENDER.address,
        2,
        block.height,
    )
    chain.pool.prune(lambda e: False)  # as the core does after the commit
    chain.step()
    chain.step()
    assert len(chain.ledger.get_validators(chain.ledger.state.height)) == 4
    history = ask(chain.ledger.state, "governance", "history").entries
    assert history[0].change == RemoveValidator(OFFENDER.address)
    assert "equivocation at height 2 round 0 (precommit)" in history[0].note


def test_the_same_offence_is_never_applied_twice() -> None:
    chain = chain_of()
    evidence = equivocate(OFFENDER, height=2)
    add(chain, evidence)
    chain.step()
    again = chain.next_block()
    forged = _with_evidence(again, [evidence])
    with pytest.raises(InvalidBlock, match="recorded already"):
        chain.ledger.verify_block(forged)
    other_pair = make_duplicate_vote_evidence(
        evidence.vote_a,
        sign_vote(OFFENDER, CHAIN_ID, Vote(VoteType.PRECOMMIT, 2, 0, b"\x09" * 32)),
    )
    with pytest.raises(InvalidEvidence, match="recorded already"):
        verify_evidence(chain.ledger.state, CHAIN_ID, chain.ledger.governed, other_pair)
    twice = _with_evidence(chain.next_block(), [equivocate(FIVE[3], 2)] * 2)
    with pytest.raises(InvalidBlock, match="repeats an offence"):
        chain.ledger.verify_block(twice)


def _with_evidence(block: object, evidence: list[DuplicateVoteEvidence]) -> object:
    header = msgspec.structs.replace(
        block.header,
        evidence_hash=compute_evidence_hash(evidence),  # type: ignore[attr-defined]
    )
    return msgspec.structs.replace(block, header=header, evidence=evidence)  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: _bad_signature(), "vote_b signature does not verify"),
        (lambda: equivocate(OFFENDER, height=40), "a height that does not exist yet"),
        (lambda: equivocate(PrivateKey.from_label("nobody"), height=2), "not a validator"),
        (lambda: _two_signers(), "signed by two validators"),
        (lambda: _same_block(), "same block"),
        (lambda: _two_slots(), "different slots"),
    ],
)
def test_bad_evidence_is_refused_with_its_reason_in_the_pool_and_in_a_block(
    make: object, reason: str
) -> None:
    chain = chain_of()
    evidence = make()  # type: ignore[operator]
    state_before = dict(chain.ledger.state.kv)
    with pytest.raises(InvalidEvidence, match=reason):
        verify_evidence(chain.ledger.state, CHAIN_ID, chain.ledger.governed, evidence)
    assert not add(chain, evidence) and chain.pool.counters["evidence_refused"] == 1
    block = _with_evidence(chain.next_block(), [evidence])
    with pytest.raises(InvalidBlock, match=reason):
        chain.ledger.verify_block(block)  # type: ignore[arg-type]
    assert chain.ledger.state.kv == state_before


def _bad_signature() -> DuplicateVoteEvidence:
    evidence = equivocate(OFFENDER, height=2)
    signature = bytes([evidence.vote_b.signature[0] ^ 1]) + evidence.vote_b.signature[1:]
    return msgspec.structs.replace(
        evidence, vote_b=msgspec.structs.replace(evidence.vote_b, signature=signature)
    )


def _two_signers() -> DuplicateVoteEvidence:
    a = sign_vote(OFFENDER, CHAIN_ID, Vote(VoteType.PREVOTE, 2, 0, b"\x01" * 32))
    b = sign_vote(FIVE[0], CHAIN_ID, Vote(VoteType.PREVOTE, 2, 0, b"\x02" * 32))
    return DuplicateVoteEvidence(a, b)


def _same_block() -> DuplicateVoteEvidence:
    a = sign_vote(OFFENDER, CHAIN_ID, Vote(VoteType.PREVOTE, 2, 0, b"\x01" * 32))
    return DuplicateVoteEvidence(a, a)


def _two_slots() -> DuplicateVoteEvidence:
    a = sign_vote(OFFENDER, CHAIN_ID, Vote(VoteType.PREVOTE, 2, 0, NIL))
    b = sign_vote(OFFENDER, CHAIN_ID, Vote(VoteType.PREVOTE, 2, 1, b"\x02" * 32))
    return DuplicateVoteEvidence(a, b)


def test_a_block_carries_only_evidence_of_lower_heights() -> None:
    chain = chain_of()
    height = chain.ledger.state.height + 1
    evidence = equivocate(OFFENDER, height=height)
    assert add(chain, evidence)  # the pool keeps it for later
    assert chain.next_block().evidence == []
    block = _with_evidence(chain.next_block(), [evidence])
    with pytest.raises(InvalidBlock, match="lower heights only"):
        chain.ledger.verify_block(block)  # type: ignore[arg-type]
    chain.step()
    assert chain.next_block().evidence == [evidence]


def test_evidence_older_than_the_governance_bound_is_refused() -> None:
    chain = chain_of(heights=1)
    evidence = equivocate(OFFENDER, height=1)
    age_max = ask(chain.ledger.state, "governance", "param", name=EVIDENCE_AGE_MAX).value
    while chain.ledger.state.height < age_max:
        chain.step()
    verify_evidence(chain.ledger.state, CHAIN_ID, chain.ledger.governed, evidence)  # age == max
    chain.step()
    with pytest.raises(InvalidEvidence, match="governance accepts at most"):
        verify_evidence(chain.ledger.state, CHAIN_ID, chain.ledger.governed, evidence)


def test_a_non_canonical_pair_is_refused_before_any_signature_check() -> None:
    evidence = equivocate(OFFENDER, 2)
    swapped = DuplicateVoteEvidence(evidence.vote_b, evidence.vote_a)
    with pytest.raises(InvalidEvidence, match="out of order"):
        verify_evidence_shape(swapped)


def test_the_evidence_follows_a_rotated_key_and_drops_the_offenders_pending_changes() -> None:
    from chainbook.apps.governance import RotateValidatorKey

    chain = chain_of(heights=1)
    ledger_keys = FIVE[:4]
    new_key = PrivateKey.from_label("v4-rotated")
    chain.keys[new_key.address] = new_key
    rotate = RotateValidatorKey(OFFENDER.address, new_key.public_key)
    txs = [chain.governed.tx(FIVE[0], _propose(rotate))]
    chain.step(txs)
    chain.step([chain.governed.tx(k, _vote(1)) for k in ledger_keys])
    for _ in range(2):
        chain.step()
    assert chain.ledger.get_validators(chain.ledger.state.height).is_validator(new_key.address)
    # A pending power change for the (rotated) offender, then the evidence of its old key.
    later = chain.ledger.state.height + 5
    change = SetValidatorPower(new_key.address, 5)
    chain.step([chain.governed.tx(FIVE[0], _propose(change, later, later + 10))])
    chain.step([chain.governed.tx(k, _vote(2)) for k in ledger_keys])
    assert add(chain, equivocate(OFFENDER, height=1))
    result = chain.step()
    [event] = [e for e in result.events if e.kind == "evidence"]
    assert dict(event.attributes)["punished_from_height"] != "0"
    detail = ask(chain.ledger.state, "governance", "proposal", id=2).proposal
    assert detail.status == "failed" and "removed for equivocation" in detail.reason
    chain.step()
    chain.step()
    assert not chain.ledger.get_validators(chain.ledger.state.height).is_validator(new_key.address)


def _propose(change: object, deadline: int = 0, activation: int = 0) -> object:
    from chainbook.apps.governance import Propose

    return Propose("p", change, deadline, activation)  # type: ignore[arg-type]


def _vote(proposal_id: int) -> object:
    from chainbook.apps.governance import CastVote

    return CastVote(proposal_id, "yes")


def test_the_only_validator_keeps_its_power() -> None:
    chain = chain_of(keys=FIVE[:1])
    add(chain, equivocate(FIVE[0], 1))
    result = chain.step()
    [event] = [e for e in result.events if e.kind == "evidence"]
    attributes = dict(event.attributes)
    assert attributes["punished_from_height"] == "0"
    assert "would leave no validator" in attributes["note"]
    chain.step()
    chain.step()
    assert chain.ledger.get_validators(chain.ledger.state.height).is_validator(FIVE[0].address)
