"""Validator-set changes: add, remove, power, key rotation; the safety rules checked at proposal
time; the set of every height derived from the ledger state (never a config)."""

from __future__ import annotations

import pytest

from chainbook import limits
from chainbook.apps.governance import (
    AddValidator,
    Propose,
    RemoveValidator,
    RotateValidatorKey,
    SetValidatorPower,
)
from chainbook.apps.governance.errors import UnsafeValidatorSet
from chainbook.apps.governance.valset import verify_can_progress
from chainbook.chain.validators import Validator
from chainbook.crypto import PrivateKey
from chainbook.ledger.governed import GovernedChain
from chainbook.ledger.state import NONCE_PREFIX
from tests.apps.governance.chain import POWER, VALIDATORS, GovernedLedger
from tests.support import ask, make_genesis


def refusal(ledger: GovernedLedger, change: object) -> str:
    before = {k: v for k, v in ledger.state.kv.items() if not k.startswith(NONCE_PREFIX)}
    receipt = ledger.run(VALIDATORS[0], Propose("unsafe", change))  # type: ignore[arg-type]
    assert not receipt.ok
    assert {k: v for k, v in ledger.state.kv.items() if not k.startswith(NONCE_PREFIX)} == before
    return receipt.error


def address(i: int) -> bytes:
    return VALIDATORS[i].address


def test_removing_down_to_three_equal_validators_is_refused() -> None:
    ledger = GovernedLedger()
    error = refusal(ledger, RemoveValidator(address(3)))
    assert "would hold 10 of 30 power, a third or more" in error


def test_the_safety_rules_refuse_an_empty_set_overflow_and_a_lopsided_set() -> None:
    ledger = GovernedLedger(validators=VALIDATORS[:1], powers=[10])
    assert "leave no validator" in refusal(ledger, RemoveValidator(address(0)))
    ledger = GovernedLedger()
    assert "total power 10001" in refusal(
        ledger, SetValidatorPower(address(1), limits.power_total_max - 30 + 1)
    )
    assert "would hold 20 of 50" in refusal(ledger, SetValidatorPower(address(1), 20))
    assert "power must be 1.." in refusal(ledger, SetValidatorPower(address(1), 0))
    newcomer = PrivateKey.from_label("heavy")
    assert "would hold 30 of 70" in refusal(ledger, AddValidator(newcomer.public_key, 30, "x"))


def test_changes_that_do_not_fit_the_set_are_refused_naming_the_validator() -> None:
    ledger = GovernedLedger()
    stranger = PrivateKey.from_label("stranger").address
    assert f"{stranger.hex()} is not a validator" in refusal(ledger, RemoveValidator(stranger))
    assert "is a validator already" in refusal(
        ledger, AddValidator(VALIDATORS[1].public_key, 10, "twice")
    )
    assert "new key's address" in refusal(
        ledger, RotateValidatorKey(address(0), VALIDATORS[1].public_key)
    )
    assert "is not a validator" in refusal(ledger, SetValidatorPower(stranger, 5))


def test_a_one_validator_chain_may_grow_though_two_is_not_safe_yet() -> None:
    """The rule refuses sets where one validator holds a third, unless the change makes the
    largest share smaller: 1 -> 2 -> 3 -> 4 validators is allowed step by step."""
    ledger = GovernedLedger(validators=VALIDATORS[:1], powers=[10])
    for i in (1, 2, 3):
        ledger.pass_proposal(AddValidator(VALIDATORS[i].public_key, 10, f"v{i}"), VALIDATORS[:i])
        ledger.block()
        ledger.block()
    assert len(ledger.validators_at(ledger.height)) == 4
    assert "a third or more" in refusal(ledger, RemoveValidator(address(3)))


def test_verify_can_progress_is_the_largest_share_rule() -> None:
    four = [Validator(k.public_key, 1, "") for k in VALIDATORS]
    verify_can_progress(four, four + [Validator(PrivateKey.from_label("e").public_key, 1, "")])
    with pytest.raises(UnsafeValidatorSet):
        verify_can_progress(four, four[:3])
    verify_can_progress(four[:1], four[:2])  # 100% -> 50%: growing
    verify_can_progress(four[:2], four[:3])  # 50% -> 33%
    with pytest.raises(UnsafeValidatorSet):
        verify_can_progress(four[:3], four[:2])  # 33% -> 50%: worse
    with pytest.raises(UnsafeValidatorSet):
        verify_can_progress(four, [])


def test_a_power_change_and_a_removal_take_effect_at_their_height_and_the_proposer_follows() -> (
    None
):
    keys = [*VALIDATORS, PrivateKey.from_label("v4"), PrivateKey.from_label("v5")]
    ledger = GovernedLedger(validators=keys)
    ledger.pass_proposal(SetValidatorPower(address(0), 15), keys[:5])
    at = ledger.proposal(1).effective_height
    before, after = ledger.validators_at(at - 1), ledger.validators_at(at)
    assert (before.power_total, after.power_total) == (60, 65)
    # The proposer schedule of a height follows its set: validator 0 proposes 15 in 65.
    schedule = [after.get_proposer(at, r).address for r in range(after.power_total)]
    assert schedule.count(address(0)) == 15
    ledger.blocks_until(at)
    ledger.pass_proposal(RemoveValidator(keys[5].address), keys[:5])
    removed_at = ledger.proposal(2).effective_height
    assert ledger.validators_at(removed_at - 1).is_validator(keys[5].address)
    assert not ledger.validators_at(removed_at).is_validator(keys[5].address)


def test_a_rotated_key_signs_up_to_h_and_the_new_one_from_h_plus_one() -> None:
    ledger = GovernedLedger()
    new_key = PrivateKey.from_label("rotated")
    ledger.propose(
        RotateValidatorKey(address(2), new_key.public_key), deadline_height=8, activation_height=12
    )
    ledger.vote(1, *VALIDATORS[:3])
    ledger.blocks_until(10)
    old_set, new_set = ledger.validators_at(11), ledger.validators_at(12)
    assert old_set.is_validator(address(2)) and not old_set.is_validator(new_key.address)
    assert new_set.is_validator(new_key.address) and not new_set.is_validator(address(2))
    moved = new_set.validators[new_set.index_of(new_key.address)]  # type: ignore[index]
    assert (moved.power, moved.name) == (POWER, "v2")
    ledger.blocks_until(12)
    # The old key no longer votes; the new one does.
    ledger.propose(AddValidator(PrivateKey.from_label("x").public_key, 10, "x"))
    old, new = ledger.vote(2, VALIDATORS[2]) + ledger.vote(2, new_key)
    assert not old.ok and "not a validator" in old.error
    assert new.ok


def test_the_node_ledger_reads_the_set_from_the_state() -> None:
    """Two states of one genesis: the set follows the state it reads, whatever the genesis
    (the node's config) says."""
    ledger = GovernedLedger(validators=[*VALIDATORS, PrivateKey.from_label("v4")])
    ledger.pass_proposal(RemoveValidator(PrivateKey.from_label("v4").address), VALIDATORS[:4])
    at = ledger.proposal(1).effective_height
    ledger.blocks_until(at)
    chain = GovernedChain(ledger.genesis)
    assert len(chain.get_validators(ledger.state, at)) == 4
    assert len(ledger.genesis.validator_set) == 5
    view = ask(ledger.state, "governance", "validators", height=at)
    assert (view.from_height, view.power_total, view.validators_hash) == (
        at,
        40,
        chain.get_validators(ledger.state, at).hash,
    )
    [genesis_set, changed] = ask(ledger.state, "governance", "validator_sets").sets
    assert (genesis_set.from_height, changed.from_height) == (1, at)
    # The chain of changes a light client follows: header at-1 announces the new set.
    [(height, validators)] = chain.get_validator_changes(ledger.state, at + 5)
    assert (height, validators.hash) == (at - 1, changed.validators_hash)
    assert chain.get_validator_changes(ledger.state, at - 1) == []


def test_sets_of_heights_beyond_the_next_two_are_not_asked() -> None:
    genesis = make_genesis(validators=VALIDATORS)
    ledger = GovernedLedger()
    chain = GovernedChain(genesis)
    chain.get_validators(ledger.state, 2)
    with pytest.raises(AssertionError):
        chain.get_validators(ledger.state, 3)


def test_a_change_that_changes_nothing_is_no_hop_of_the_change_chain() -> None:
    ledger = GovernedLedger()
    ledger.pass_proposal(SetValidatorPower(address(1), POWER))  # the same power
    at = ledger.proposal(1).effective_height
    ledger.blocks_until(at + 1)
    assert ledger.validators_at(at).hash == ledger.validators_at(at - 1).hash
    assert ledger.governed.get_validator_changes(ledger.state, at + 1) == []
