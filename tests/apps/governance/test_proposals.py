"""Proposals: who may propose and vote, the > 2/3 rule, deadlines, withdrawal, rejection, expiry;
every refusal named and leaving the state as it was (but the nonce)."""

from __future__ import annotations

import pytest

from chainbook import codec
from chainbook.apps.governance import (
    AddValidator,
    CastVote,
    Propose,
    RegisterInstitution,
    RemoveValidator,
    SetParameter,
    SetProposer,
    Withdraw,
)
from chainbook.apps.governance.errors import VotingEnded
from chainbook.apps.registry import REGISTRY
from chainbook.core.mempool import Mempool
from chainbook.errors import DecodeError, InvalidInput, UnknownAction
from chainbook.ledger.state import NONCE_PREFIX
from tests.apps.governance.chain import VALIDATORS, GovernedLedger
from tests.support import ALICE, BOB, CHAIN_ID, ask

NEWCOMER = VALIDATORS[0].from_label("newcomer")
ADD = AddValidator(public_key=NEWCOMER.public_key, power=10, name="e")


def governance_keys(ledger: GovernedLedger) -> dict[bytes, bytes]:
    """The module's state and everything else but nonces: a refusal may only move a nonce."""
    return {k: v for k, v in ledger.state.kv.items() if not k.startswith(NONCE_PREFIX)}


def refused(ledger: GovernedLedger, key: object, action: object, code: str, text: str) -> None:
    before = governance_keys(ledger)
    receipt = ledger.run(key, action)  # type: ignore[arg-type]
    assert not receipt.ok
    assert text in receipt.error, receipt.error
    assert governance_keys(ledger) == before
    errors = {e.code for e in REGISTRY.get_module("governance").errors}  # type: ignore[union-attr]
    assert code in errors


def test_a_validator_proposes_and_the_proposal_is_being_voted_on() -> None:
    ledger = GovernedLedger()
    receipt = ledger.propose(ADD)
    assert receipt.ok, receipt.error
    [event] = receipt.events
    assert (event.module, event.kind) == ("governance", "proposed")
    assert dict(event.attributes) == {
        "proposal_id": "1",
        "kind": "add_validator",
        "deadline_height": str(1 + 100),
        "activation_height": "0",
    }
    record = ledger.proposal(1)
    assert (record.status, record.proposer, record.submitted_height) == (
        "voting",
        VALIDATORS[0].address,
        1,
    )
    assert ask(ledger.state, "governance", "proposals", status="voting").proposals == [record]


def test_an_account_that_is_not_allowed_cannot_propose() -> None:
    ledger = GovernedLedger()
    refused(
        ledger, ALICE, Propose("x", ADD), "governance.not_allowed_to_propose", "may not propose"
    )


def test_an_allowed_account_may_propose_and_a_passed_set_proposer_allows_one() -> None:
    from chainbook.apps.governance import GovernanceGenesis

    ledger = GovernedLedger(
        app_state={"governance": GovernanceGenesis(proposers=[ALICE.address.hex()])}
    )
    assert ledger.run(ALICE, Propose("alice proposes", ADD)).ok
    refused(
        ledger, BOB, Propose("bob", ADD), "governance.not_allowed_to_propose", BOB.address.hex()
    )
    ledger.pass_proposal(SetProposer(address=BOB.address, allowed=True))
    ledger.block()
    ledger.block()  # takes effect two heights after it passed
    assert ledger.run(BOB, Propose("bob proposes", ADD)).ok


def test_more_than_two_thirds_of_the_power_pass_it_and_it_takes_effect_two_heights_later() -> None:
    ledger = GovernedLedger()
    ledger.propose(ADD)
    receipts = ledger.vote(1, *VALIDATORS[:2])
    assert all(r.ok for r in receipts)
    assert ledger.proposal(1).status == "voting"  # 20 of 40: not yet
    [receipt] = ledger.vote(1, VALIDATORS[2])  # 30 of 40 > 2/3
    kinds = [e.kind for e in receipt.events]
    assert kinds == ["voted", "passed"]
    passed_at = ledger.height
    record = ledger.proposal(1)
    assert (record.status, record.effective_height) == ("passed", passed_at + 2)
    assert (record.tally.yes, record.tally.power_total) == (30, 40)
    assert not ledger.validators_at(passed_at + 1).is_validator(NEWCOMER.address)
    assert ledger.validators_at(passed_at + 2).is_validator(NEWCOMER.address)
    ledger.block()
    result = ledger.block()
    assert ledger.height == passed_at + 2
    assert [(e.kind, dict(e.attributes)["kind"]) for e in result.events] == [
        ("executed", "add_validator")
    ]
    assert ledger.proposal(1).status == "executed"
    [entry] = ask(ledger.state, "governance", "history").entries
    assert (entry.height, entry.proposal_id, entry.change) == (passed_at + 2, 1, ADD)


def test_exactly_two_thirds_is_not_enough() -> None:
    ledger = GovernedLedger(validators=VALIDATORS[:3], powers=[10, 10, 10])
    ledger.propose(ADD)
    ledger.vote(1, *VALIDATORS[:2])  # 20 of 30 is 2/3, not more
    assert ledger.proposal(1).status == "voting"
    ledger.vote(1, VALIDATORS[2])
    assert ledger.proposal(1).status == "passed"


def test_a_stated_activation_height_is_kept() -> None:
    ledger = GovernedLedger()
    ledger.propose(ADD, deadline_height=10, activation_height=20)
    ledger.vote(1, *VALIDATORS[:3])
    assert ledger.proposal(1).effective_height == 20
    assert not ledger.validators_at(ledger.height + 2).is_validator(NEWCOMER.address)
    ledger.blocks_until(18)
    assert not ledger.validators_at(19).is_validator(NEWCOMER.address)
    assert ledger.validators_at(20).is_validator(NEWCOMER.address)


def test_votes_are_refused_from_a_non_validator_twice_after_the_deadline_or_unknown_choices() -> (
    None
):
    ledger = GovernedLedger()
    ledger.propose(ADD, deadline_height=10)
    refused(ledger, ALICE, CastVote(1, "yes"), "governance.not_a_validator", "only validators vote")
    assert ledger.vote(1, VALIDATORS[1])[0].ok
    refused(ledger, VALIDATORS[1], CastVote(1, "no"), "governance.already_voted", "already")
    refused(ledger, VALIDATORS[2], CastVote(1, "maybe"), "governance.invalid_choice", "'maybe'")
    refused(
        ledger, VALIDATORS[2], CastVote(7, "yes"), "governance.unknown_proposal", "no proposal 7"
    )
    ledger.blocks_until(10)
    # A vote for height 11, past the deadline 10: the mempool refuses it as such...
    pool = Mempool(CHAIN_ID, ledger.state)
    vote = ledger.tx(VALIDATORS[2], CastVote(1, "yes"))
    with pytest.raises(VotingEnded, match="took votes up to height 10; this is height 11"):
        pool.add(vote)
    # ... and block 11 expires it before any transaction: then it is closed.
    ledger.block()
    assert ledger.proposal(1).status == "expired"
    ledger.nonces[VALIDATORS[2].address] -= 1
    refused(ledger, VALIDATORS[2], CastVote(1, "yes"), "governance.proposal_closed", "expired")


def test_a_vote_in_the_deadline_block_counts_one_after_is_refused() -> None:
    ledger = GovernedLedger()
    ledger.propose(ADD, deadline_height=4)
    ledger.blocks_until(3)
    ledger.vote(1, *VALIDATORS[:3])  # block 4 is the deadline: it passes
    assert ledger.proposal(1).status == "passed"


def test_the_author_withdraws_while_voting_nobody_else_and_not_once_closed() -> None:
    ledger = GovernedLedger()
    ledger.propose(ADD)
    refused(ledger, VALIDATORS[1], Withdraw(1), "governance.not_the_author", "only its author")
    receipt = ledger.run(VALIDATORS[0], Withdraw(1))
    assert receipt.ok and ledger.proposal(1).status == "withdrawn"
    refused(ledger, VALIDATORS[0], Withdraw(1), "governance.proposal_closed", "withdrawn")
    refused(ledger, VALIDATORS[1], CastVote(1, "yes"), "governance.proposal_closed", "withdrawn")


def test_it_is_rejected_as_soon_as_yes_cannot_reach_two_thirds() -> None:
    ledger = GovernedLedger()
    ledger.propose(ADD)
    ledger.vote(1, VALIDATORS[0], choice="no")
    assert ledger.proposal(1).status == "voting"  # 30 of 40 could still say yes
    [receipt] = ledger.vote(1, VALIDATORS[1], choice="abstain")
    assert [e.kind for e in receipt.events] == ["voted", "rejected"]
    assert ledger.proposal(1).status == "rejected"
    assert ask(ledger.state, "governance", "proposals", status="rejected").proposals[0].id == 1


def test_it_expires_at_the_first_block_after_its_deadline() -> None:
    ledger = GovernedLedger()
    ledger.propose(ADD, deadline_height=3)
    ledger.block()
    ledger.block()
    assert ledger.proposal(1).status == "voting"
    result = ledger.block()
    assert [e.kind for e in result.events] == ["expired"]
    assert ledger.proposal(1).status == "expired"


def test_heights_outside_the_accepted_windows_are_refused() -> None:
    ledger = GovernedLedger()
    refused(
        ledger,
        VALIDATORS[0],
        Propose("x", ADD, deadline_height=1),
        "governance.invalid_heights",
        "deadline height 1",
    )
    refused(
        ledger,
        VALIDATORS[0],
        Propose("x", ADD, deadline_height=10, activation_height=11),
        "governance.invalid_heights",
        "two heights after the deadline",
    )
    refused(
        ledger,
        VALIDATORS[0],
        Propose("x", ADD, deadline_height=10**9),
        "governance.invalid_heights",
        "voting_period_blocks_max",
    )
    refused(
        ledger, VALIDATORS[0], Propose("", ADD), "governance.invalid_proposal", "title is 0 bytes"
    )
    refused(ledger, VALIDATORS[0], Propose("t" * 201, ADD), "governance.invalid_proposal", "1..200")


def test_a_proposal_with_an_unknown_kind_does_not_decode() -> None:
    action = codec.encode(["governance.propose", "title", ["fire_everyone", b"x"], 0, 0])
    with pytest.raises(DecodeError, match="governance.propose"):
        REGISTRY.decode_action(action)
    with pytest.raises(UnknownAction, match="governance.propose"):
        REGISTRY.decode_action(codec.encode(["governance.propse", "t"]))


def test_out_of_range_and_unknown_parameters_are_refused_at_proposal_time() -> None:
    ledger = GovernedLedger()
    refused(
        ledger,
        VALIDATORS[0],
        Propose("x", SetParameter("consensus.block_txs_max", 10**6)),
        "governance.parameter_out_of_range",
        "accepted 1..10000",
    )
    refused(
        ledger,
        VALIDATORS[0],
        Propose("x", SetParameter("consensus.block_bytes_max", 100)),
        "governance.parameter_out_of_range",
        "accepted 8192..",
    )
    refused(
        ledger,
        VALIDATORS[0],
        Propose("x", SetParameter("consensus.nope", 1)),
        "governance.unknown_parameter",
        "consensus.block_txs_max",
    )


def test_open_proposals_are_bounded_per_proposer() -> None:
    from chainbook.apps.governance import limits

    ledger = GovernedLedger()
    for i in range(limits.open_proposals_per_proposer_max):
        assert ledger.propose(SetParameter("consensus.block_txs_max", 100 + i)).ok
    refused(
        ledger,
        VALIDATORS[0],
        Propose("x", SetParameter("consensus.block_txs_max", 7)),
        "governance.too_many_open_proposals",
        "limit 4",
    )
    assert ledger.propose(SetParameter("consensus.block_txs_max", 7), by=VALIDATORS[1]).ok


def test_a_change_that_no_longer_applies_when_it_passes_fails_with_the_reason() -> None:
    ledger = GovernedLedger(validators=[*VALIDATORS, VALIDATORS[0].from_label("v4")])
    fifth = ledger.genesis.validator_set.validators[0].address
    ledger.propose(RemoveValidator(address=fifth))
    ledger.propose(RemoveValidator(address=fifth), by=VALIDATORS[1])
    ledger.vote(1, *VALIDATORS[:4])
    [*_, receipt] = ledger.vote(2, *VALIDATORS[:4])
    assert ledger.proposal(1).status == "passed"
    record = ledger.proposal(2)
    assert record.status == "failed" and "not a validator" in record.reason
    assert receipt.ok  # the vote itself was fine


def test_register_institution_through_governance_and_the_query_contract() -> None:
    ledger = GovernedLedger()
    key = ALICE.public_key
    ledger.pass_proposal(RegisterInstitution("central-bank", "Central Bank", ["issuer"], [key]))
    answer = ask(ledger.state, "governance", "institution", address=ALICE.address, role="issuer")
    assert not answer.found  # not before its activation height
    ledger.block()
    ledger.block()
    answer = ask(ledger.state, "governance", "institution", address=ALICE.address, role="issuer")
    assert answer.found and answer.authorised
    assert answer.institution.id == "central-bank"
    with pytest.raises(InvalidInput, match="unknown role"):
        ask(ledger.state, "governance", "institution", address=ALICE.address, role="isuer")
