"""A late validator joins by state sync in the simulator, under the seed's faults.

The last genesis validator stays down until `state_sync_start_ms`, then starts with an empty
book: it fetches a snapshot its peers cut (every `snapshot_interval_blocks`), proven from
genesis across the validator-set changes governance made meanwhile, restores it, block-syncs
to the head and votes. The checkers (sim/checkers.py): the state it restored has the agreed
app hash of its height and every later one agrees (app_hash), it never signs at or below its
snapshot's height (signed_above_snapshot), its store holds the agreed headers and blocks
from its base (store_matches); the run is not done before it joined and reached the target.
"""

from __future__ import annotations

import random

import pytest

from chainbook.chain.commit import Proposal, Vote, VoteType, sign_proposal, sign_vote
from chainbook.sim import Checkers, InvariantViolation, SimConfig, Simulation
from chainbook.sim.config import FaultKind, draw_fault_plan
from chainbook.sim.results import SeedResult
from chainbook.sim.simulator import CHAIN_ID, validator_key

STATE_SYNC_CONFIG = SimConfig(
    snapshot_interval_blocks=3, state_sync_start_ms=1_800, state_sync_restart_after_ms=100
)
SEEDS_MIN = 3
SEEDS_MAX = 10
"""Seeds from 0 are run until one proved its snapshot across a validator-set change (at least
SEEDS_MIN, at most SEEDS_MAX): which seeds do depends on the governance and workload drivers,
which other parts of the simulator change."""

Run = tuple[Simulation, SeedResult]


@pytest.fixture(scope="module")
def runs() -> dict[int, Run]:
    finished: dict[int, Run] = {}
    for seed in range(SEEDS_MAX):
        simulation = Simulation(seed, STATE_SYNC_CONFIG)
        result = simulation.run()
        finished[seed] = (simulation, result)
        crossed = any(r.counters.get("state_sync_validator_changes") for _, r in finished.values())
        if crossed and len(finished) >= SEEDS_MIN:
            break
    return finished


def test_the_late_node_joins_by_state_sync_catches_up_and_votes(runs: dict[int, Run]) -> None:
    for seed, (simulation, result) in runs.items():
        late = simulation.late_node
        assert late is not None and late.snapshot_height is not None, seed
        assert result.counters["state_sync_restored"] == 1, (seed, result.counters)
        assert simulation.checkers.snapshot_heights == {late.name: late.snapshot_height}
        assert late.store.load_book_base() == late.snapshot_height > 1
        assert late.store.load_block(1) is None, "it never held the history"
        target = simulation.target_height
        assert target is not None and late.height >= target, (seed, late.height, target)
        assert result.counters.get("state_synced_node_signed", 0) > 0, f"seed {seed}: no vote"
    crossed = [s for s, (_, r) in runs.items() if r.counters.get("state_sync_validator_changes")]
    restarted = [s for s, (_, r) in runs.items() if r.counters.get("state_synced_node_restarted")]
    assert crossed, f"no seed below {SEEDS_MAX} proved its snapshot across a validator change"
    assert restarted, "no seed restarted the state-synced node from its own book"


def test_a_state_sync_seed_replays_exactly(runs: dict[int, Run]) -> None:
    again = Simulation(0, STATE_SYNC_CONFIG).run()
    _, first = runs[0]
    assert (again.trace_digest, again.chain_digest) == (first.trace_digest, first.chain_digest)


def test_the_run_waits_for_a_late_node_that_joins_just_before_heal() -> None:
    """Its state sync ends after heal, when the others are at the target already: the run
    is done only once it has joined and caught up."""
    config = STATE_SYNC_CONFIG.replace(
        state_sync_start_ms=2_400, heights_after_heal=1, target_height_min=1,
        fault_kinds=frozenset(),
    )
    simulation = Simulation(3, config)
    simulation.run()
    late = simulation.late_node
    assert late is not None and late.snapshot_height is not None
    assert simulation.target_height is not None and late.height >= simulation.target_height


def test_a_late_node_needs_snapshots_to_join_from() -> None:
    with pytest.raises(ValueError, match="snapshot_interval_blocks"):
        Simulation(1, SimConfig(state_sync_start_ms=1_000))


def test_the_fault_plan_counts_the_late_node_and_never_makes_it_byzantine() -> None:
    for validators in (4, 7):
        config = STATE_SYNC_CONFIG.replace(validators=validators)
        late = validators - 1
        for seed in range(300):
            plan = draw_fault_plan(random.Random(seed), config)
            assert late not in plan.byzantine and plan.skewed_beyond != late
            assert len(plan.faulty_fixed) <= config.faults_max - 1
            assert not plan.safety_only
    forced = STATE_SYNC_CONFIG.replace(fault_kinds=frozenset({FaultKind.BYZANTINE}))
    assert draw_fault_plan(random.Random(0), forced).byzantine == frozenset()  # f - 1 = 0


# --- the checkers bite --------------------------------------------------------------------


def _synced_checkers(height: int = 5) -> Checkers:
    checkers = Checkers(CHAIN_ID, Simulation(0, SimConfig()).genesis.validator_set)
    checkers.on_app_hash("n0", height, b"\x01" * 32)
    checkers.on_state_synced("n3", height, b"\x01" * 32)
    return checkers


def test_app_hash_fires_on_a_restored_state_other_than_the_agreed_one() -> None:
    checkers = Checkers(CHAIN_ID, Simulation(0, SimConfig()).genesis.validator_set)
    with pytest.raises(InvariantViolation, match="app_hash: .* no honest node has committed"):
        checkers.on_state_synced("n3", 5, b"\x01" * 32)
    checkers.on_app_hash("n0", 5, b"\x01" * 32)
    with pytest.raises(InvariantViolation, match="app_hash: n3 restored a snapshot of height 5"):
        checkers.on_state_synced("n3", 5, b"\x02" * 32)


def test_signed_above_snapshot_fires_on_a_vote_or_proposal_at_or_below_the_snapshot() -> None:
    checkers = _synced_checkers(height=5)
    key = validator_key(3)
    for height in (5, 4):
        vote = sign_vote(key, CHAIN_ID, Vote(VoteType.PREVOTE, height, 0, b"\x03" * 32))
        with pytest.raises(InvariantViolation, match="signed_above_snapshot"):
            checkers.on_vote_signed("n3", vote)
    proposal = sign_proposal(key, CHAIN_ID, Proposal(5, 0, -1, b"\x03" * 32))
    with pytest.raises(InvariantViolation, match="signed_above_snapshot: .* proposal"):
        checkers.on_proposal_signed("n3", proposal)
    # Above it, and for other nodes, signing is only checked as usual.
    checkers.on_vote_signed("n3", sign_vote(key, CHAIN_ID, Vote(VoteType.PREVOTE, 6, 0, b"")))
    other = sign_vote(validator_key(0), CHAIN_ID, Vote(VoteType.PREVOTE, 5, 0, b""))
    checkers.on_vote_signed("n0", other)


def test_store_matches_fires_on_a_state_synced_store_with_another_base_header(
    runs: dict[int, Run],
) -> None:
    simulation, _ = runs[0]
    late = simulation.late_node
    assert late is not None and late.snapshot_height is not None
    checkers = simulation.checkers
    checkers.check_store(late.name, late.store)
    saved = checkers.committed[late.snapshot_height]
    checkers.committed[late.snapshot_height] = (b"\x09" * 32, saved[1])
    try:
        with pytest.raises(InvariantViolation, match=f"store_matches: .* {late.snapshot_height}"):
            checkers.check_store(late.name, late.store)
    finally:
        checkers.committed[late.snapshot_height] = saved
