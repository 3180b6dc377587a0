"""The checkers fire on broken scenarios: a checker that cannot fail is worthless.

Unit cases feed `Checkers` forged evidence signed with the simulator's validator keys (a
mutated commit certificate, a double vote, a fork, a lost transaction); integration cases
run deliberately unsafe machine variants (tests/sim/unsafe.py) until a seed is caught.
"""

from __future__ import annotations

import msgspec
import pytest

from chainbook.chain.block import Block, encode_block
from chainbook.chain.commit import (
    Commit,
    CommitSig,
    Proposal,
    SignedProposal,
    Vote,
    VoteType,
    make_commit,
    sign_proposal,
    sign_vote,
)
from chainbook.consensus.machine import ConsensusRecord
from chainbook.sim import (
    Checkers,
    InvariantViolation,
    SimConfig,
    Simulation,
    SimulationFailure,
)
from chainbook.sim.simulator import CHAIN_ID, validator_key
from chainbook.storage.memory import MemoryBlockStore
from tests.sim.unsafe import AMNESIAC_CONFIG, find_failing_seed


@pytest.fixture(scope="module")
def finished() -> Simulation:
    """A clean run whose stores hold real blocks, commits and transactions."""
    simulation = Simulation(5, SimConfig(fault_kinds=frozenset()))
    simulation.run()
    return simulation


def _fresh_checkers(finished: Simulation) -> Checkers:
    return Checkers(CHAIN_ID, finished.genesis.validator_set)


def _stored(finished: Simulation, height: int) -> tuple[Block, Commit]:
    store = finished.nodes[0].store
    block, commit = store.load_block(height), store.load_commit(height)
    assert block is not None and commit is not None
    return block, commit


def _forged_commit(finished: Simulation, block: Block, round_: int) -> Commit:
    validators = finished.genesis.validator_set
    vote = Vote(type=VoteType.PRECOMMIT, height=block.height, round=round_, block_hash=block.hash)
    signed = [sign_vote(validator_key(i), CHAIN_ID, vote) for i in range(3)]
    return make_commit(validators, signed)


def _rule(excinfo: pytest.ExceptionInfo[InvariantViolation]) -> str:
    return excinfo.value.rule


def test_the_real_chain_passes_every_check(finished: Simulation) -> None:
    checkers = _checkers_with_chain(finished)
    for node in finished.nodes:
        checkers.check_store(node.name, node.store)


def test_validity_fires_on_a_mutated_commit_signature(finished: Simulation) -> None:
    block, commit = _stored(finished, 2)
    first = commit.signatures[0]
    broken = bytes([first.signature[0] ^ 1]) + first.signature[1:]
    mutated = msgspec.structs.replace(
        commit, signatures=[CommitSig(first.validator_index, broken), *commit.signatures[1:]]
    )
    with pytest.raises(InvariantViolation) as excinfo:
        _fresh_checkers(finished).on_commit("n1", block, mutated)
    assert _rule(excinfo) == "validity"


def test_validity_fires_on_a_commit_without_quorum(finished: Simulation) -> None:
    block, commit = _stored(finished, 2)
    short = msgspec.structs.replace(commit, signatures=commit.signatures[:2])
    with pytest.raises(InvariantViolation) as excinfo:
        _fresh_checkers(finished).on_commit("n1", block, short)
    assert _rule(excinfo) == "validity"


def test_agreement_fires_on_two_certified_blocks_at_one_height(finished: Simulation) -> None:
    block, commit = _stored(finished, 2)
    checkers = _fresh_checkers(finished)
    checkers.on_commit("n0", *_stored(finished, 1))
    checkers.on_commit("n0", block, commit)
    header = msgspec.structs.replace(block.header, time_ms=block.header.time_ms + 1)
    fork = msgspec.structs.replace(block, header=header)
    with pytest.raises(InvariantViolation) as excinfo:
        checkers.on_commit("n2", fork, _forged_commit(finished, fork, round_=3))
    assert _rule(excinfo) == "agreement"


def test_app_hash_fires_on_a_different_hash(finished: Simulation) -> None:
    checkers = _fresh_checkers(finished)
    checkers.on_app_hash("n0", 4, b"\x01" * 32)
    checkers.on_app_hash("n1", 4, b"\x01" * 32)
    with pytest.raises(InvariantViolation) as excinfo:
        checkers.on_app_hash("n2", 4, b"\x02" * 32)
    assert _rule(excinfo) == "app_hash"


def test_no_double_sign_fires_on_two_votes_for_one_slot(finished: Simulation) -> None:
    checkers = _fresh_checkers(finished)
    key = validator_key(1)
    for_block = Vote(type=VoteType.PREVOTE, height=3, round=1, block_hash=b"\xaa" * 32)
    for_nil = Vote(type=VoteType.PREVOTE, height=3, round=1, block_hash=b"")
    checkers.on_vote_signed("n1", sign_vote(key, CHAIN_ID, for_block))
    checkers.on_vote_signed("n1", sign_vote(key, CHAIN_ID, for_block))  # a resend is fine
    with pytest.raises(InvariantViolation) as excinfo:
        checkers.on_vote_signed("n1", sign_vote(key, CHAIN_ID, for_nil))
    assert _rule(excinfo) == "no_double_sign"


def test_no_false_evidence_and_no_false_ban_fire_on_an_honest_validator(
    finished: Simulation,
) -> None:
    checkers = _fresh_checkers(finished)
    byzantine = frozenset({validator_key(3).address})
    checkers.on_evidence("n0", validator_key(3).address, byzantine)
    checkers.on_disconnect("n0", "n3", True, "10 protocol faults")
    with pytest.raises(InvariantViolation) as excinfo:
        checkers.on_evidence("n0", validator_key(1).address, byzantine)
    assert _rule(excinfo) == "no_false_evidence"
    with pytest.raises(InvariantViolation) as excinfo:
        checkers.on_disconnect("n0", "n1", False, "malformed message")
    assert _rule(excinfo) == "no_false_ban"


def test_timeliness_fires_on_a_block_past_the_bound(finished: Simulation) -> None:
    checkers = _fresh_checkers(finished)
    block, _ = _stored(finished, 2)
    params = finished.config.params
    clock_ms = block.header.time_ms - params.time_drift_ms_max
    checkers.on_block_time("n0", block, clock_ms, params)  # exactly at the bound
    with pytest.raises(InvariantViolation) as excinfo:
        checkers.on_block_time("n0", block, clock_ms - 1, params)
    assert _rule(excinfo) == "timeliness"


def _record(
    signed_position: tuple[int, int, int], signed_proposal: SignedProposal | None = None
) -> ConsensusRecord:
    """A record of a node that has signed up to `signed_position` and locked nothing."""
    height, round_, _ = signed_position
    return ConsensusRecord(
        height=height,
        round=round_,
        locked_round=-1,
        locked_hash=b"",
        valid_round=-1,
        valid_block=None,
        valid_polka=[],
        signed_position=signed_position,
        signed_votes=[],
        signed_proposal=signed_proposal,
    )


def test_no_double_sign_fires_on_two_proposals_in_a_record(finished: Simulation) -> None:
    checkers = _fresh_checkers(finished)
    key = validator_key(2)
    proposals = [
        sign_proposal(key, CHAIN_ID, Proposal(height=2, round=0, pol_round=-1, block_hash=h))
        for h in (b"\x01" * 32, b"\x02" * 32)
    ]
    records = [_record((2, 0, 0), signed_proposal=proposal) for proposal in proposals]
    checkers.on_record_persisted("n2", records[0])
    with pytest.raises(InvariantViolation) as excinfo:
        checkers.on_record_persisted("n2", records[1])
    assert _rule(excinfo) == "no_double_sign"


def test_persist_first_fires_when_a_vote_leaves_before_its_record(finished: Simulation) -> None:
    checkers = _fresh_checkers(finished)
    record = _record((5, 0, 1))
    checkers.on_signed_message_sent("n0", (5, 0, 1), record)
    with pytest.raises(InvariantViolation) as excinfo:
        checkers.on_signed_message_sent("n0", (5, 0, 2), record)
    assert _rule(excinfo) == "persist_first"
    with pytest.raises(InvariantViolation):
        checkers.on_signed_message_sent("n0", (1, 0, 1), None)


def _copy_store(store: MemoryBlockStore) -> MemoryBlockStore:
    copy = MemoryBlockStore()
    for name, value in vars(store).items():
        setattr(copy, name, dict(value) if isinstance(value, dict) else value)
    return copy


def _report_sets(checkers: Checkers, finished: Simulation, heights: range) -> None:
    core = finished.nodes[0].core
    assert core is not None
    for height in heights:
        checkers.on_validator_set("n0", height, core.ledger.get_validators(height))


def _checkers_with_chain(finished: Simulation) -> Checkers:
    checkers = _fresh_checkers(finished)
    store = finished.nodes[0].store
    _report_sets(checkers, finished, range(1, store.latest_height() + 2))
    for height in range(1, store.latest_height() + 1):
        checkers.on_commit("n0", *_stored(finished, height))
    return checkers


def test_no_lost_tx_fires_when_a_store_forgets_a_transaction(finished: Simulation) -> None:
    checkers = _checkers_with_chain(finished)
    store = _copy_store(finished.nodes[1].store)
    checkers.check_store("n1", store)
    assert checkers.tx_heights, "the clean run committed transactions"
    del store.txs[next(iter(checkers.tx_heights))]
    with pytest.raises(InvariantViolation) as excinfo:
        checkers.check_store("n1", store)
    assert _rule(excinfo) == "no_lost_tx"


def test_store_matches_fires_when_a_store_holds_another_block(finished: Simulation) -> None:
    checkers = _checkers_with_chain(finished)
    store = _copy_store(finished.nodes[1].store)
    block, _ = _stored(finished, 2)
    header = msgspec.structs.replace(block.header, time_ms=block.header.time_ms + 1)
    other = msgspec.structs.replace(block, header=header)
    store.blocks[2] = (other.hash, encode_block(other), store.blocks[2][2])
    with pytest.raises(InvariantViolation) as excinfo:
        checkers.check_store("n1", store)
    assert _rule(excinfo) == "store_matches"


def test_a_node_that_forgets_its_record_is_caught_double_signing() -> None:
    _, failure = find_failing_seed(AMNESIAC_CONFIG, range(60))
    assert "no_double_sign" in failure.reason


def test_a_driver_that_confirms_a_save_it_did_not_make_is_caught_applying_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """store_before_apply: the core applies a block only on BlockSaved; a driver that feeds
    BlockSaved without having saved the record leaves the ledger ahead of the store."""
    from chainbook.sim.node import SimNode

    real_save = SimNode.save_block

    def lazy_save(self: SimNode, record: object) -> None:
        if record.height == 3 and self.index == 0:  # type: ignore[attr-defined]
            return  # "saved"
        real_save(self, record)  # type: ignore[arg-type]

    monkeypatch.setattr(SimNode, "save_block", lazy_save)
    with pytest.raises(SimulationFailure, match="store_before_apply"):
        Simulation(5, SimConfig(fault_kinds=frozenset())).run()
