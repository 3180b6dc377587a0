"""The empty-block rule (core/empty_blocks.py): an idle chain waits up to
consensus.empty_block_interval_ms for the next height; a waiting transaction, a block that
carried transactions, catching up or a validator's next-height message end the wait."""

from __future__ import annotations

import msgspec
import pytest

from chainbook.apps.bank import Transfer
from chainbook.chain.block import decode_block
from chainbook.chain.commit import NIL, SignedVote, Vote, VoteType, sign_vote
from chainbook.chain.genesis import ConsensusParams, Genesis
from chainbook.chain.tx import verify_tx
from chainbook.consensus.events import TimeoutKind
from chainbook.consensus.messages import VoteMessage
from chainbook.core.boot import boot_core
from chainbook.core.empty_blocks import get_empty_block_wait_ms
from chainbook.core.inputs import BlockSaved, FrameReceived, PeerConnected, TimerFired, TxsSubmitted
from chainbook.core.node import CoreSettings, NodeCore
from chainbook.core.outputs import Output, SaveBlock, SetTimer
from chainbook.core.wire import encode_message
from chainbook.crypto import PrivateKey
from chainbook.ledger.genesis import verify_genesis
from chainbook.sim.config import SIM_CONSENSUS_PARAMS, SimConfig
from chainbook.sim.simulator import Simulation
from chainbook.storage import MemoryBlockStore
from tests.support import ALICE, BOB, CHAIN_ID, GENESIS_TIME_MS, make_genesis, signed

INTERVAL_MS = 5_000
NOW_MS = GENESIS_TIME_MS + 1_000
PEER = b"p" * 32
WAIT = dict(
    interval_ms=INTERVAL_MS,
    now_ms=1_000,
    block_time_ms=1_000,
    block_txs=0,
    txs_waiting=0,
    catching_up=False,
    next_height_seen=False,
)


# --- the rule ---------------------------------------------------------------------------------


def test_an_idle_chain_waits_the_interval_from_the_block_time() -> None:
    assert get_empty_block_wait_ms(**WAIT) == INTERVAL_MS
    assert get_empty_block_wait_ms(**{**WAIT, "now_ms": 3_000}) == INTERVAL_MS - 2_000
    assert get_empty_block_wait_ms(**{**WAIT, "now_ms": 1_000 + INTERVAL_MS}) == 0
    assert get_empty_block_wait_ms(**{**WAIT, "now_ms": 99_999}) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"interval_ms": 0},
        {"txs_waiting": 1},
        {"block_txs": 1},
        {"catching_up": True},
        {"next_height_seen": True},
    ],
)
def test_each_reason_to_go_on_ends_the_wait(change: dict[str, object]) -> None:
    assert get_empty_block_wait_ms(**{**WAIT, **change}) == 0  # type: ignore[arg-type]


def test_the_genesis_bounds_the_interval() -> None:
    from chainbook.chain.genesis import EMPTY_BLOCK_INTERVAL_MS_MAX
    from chainbook.errors import ConfigError

    verify_genesis(genesis(EMPTY_BLOCK_INTERVAL_MS_MAX))
    for bad in (-1, EMPTY_BLOCK_INTERVAL_MS_MAX + 1):
        with pytest.raises(ConfigError, match="empty_block_interval_ms"):
            verify_genesis(genesis(bad))


# --- in the node core ---------------------------------------------------------------------------


def genesis(interval_ms: int, validators: list[PrivateKey] | None = None, **kw: object) -> Genesis:
    params = ConsensusParams(empty_block_interval_ms=interval_ms)
    if validators is None:
        validators = [PrivateKey.from_label("empty-blocks-validator")]
    from chainbook.ledger.genesis import make_genesis as make_checked

    base = make_genesis(validators=validators, **kw)  # type: ignore[arg-type]
    return make_checked(
        chain_id=base.chain_id,
        genesis_time_ms=base.genesis_time_ms,
        validators=base.validators,
        consensus=params,
        app_state=base.app_state,
    )


def boot(gen: Genesis, key: PrivateKey) -> tuple[NodeCore, list[Output]]:
    booted = boot_core(
        genesis=gen, key=key, store=MemoryBlockStore(), record=None, settings=CoreSettings()
    )
    return booted.core, booted.core.start(NOW_MS)


def saved_blocks(outputs: list[Output]) -> list[SaveBlock]:
    return [o for o in outputs if isinstance(o, SaveBlock)]


def commit_timers(outputs: list[Output]) -> list[SetTimer]:
    return [o for o in outputs if isinstance(o, SetTimer) and o.kind == TimeoutKind.COMMIT]


def decide_and_save_first_block(core: NodeCore, outputs: list[Output]) -> int:
    """Alone, the validator decided block 1 in start(); the driver saves it and the commit
    timeout elapses. Returns the time then."""
    (save,) = saved_blocks(outputs)
    assert save.record.height == 1 and save.record.block.txs == []
    assert core.handle(BlockSaved(1), NOW_MS + 1) is not None
    return NOW_MS + 200


def test_an_idle_validator_holds_the_next_height_until_the_interval_has_passed() -> None:
    key = PrivateKey.from_label("empty-blocks-validator")
    core, outputs = boot(genesis(INTERVAL_MS), key)
    now = decide_and_save_first_block(core, outputs)
    held = core.handle(TimerFired(TimeoutKind.COMMIT, 1, 0), now)
    assert core.machine.height == 1 and saved_blocks(held) == [], "no empty block yet"
    block_time = core.ledger.last_header.time_ms  # type: ignore[union-attr]
    (timer,) = commit_timers(held)
    assert timer.duration_ms == block_time + INTERVAL_MS - now
    assert core.counters["empty_block_wait"] == 1
    # Inputs meanwhile re-check the wait but do not end it.
    assert saved_blocks(core.handle(PeerConnected(PEER), now + 1_000)) == []
    # A timer that fires early (a clock step back) re-arms itself.
    early = core.handle(TimerFired(TimeoutKind.COMMIT, 1, 0), now + 2_000)
    assert saved_blocks(early) == [] and len(commit_timers(early)) == 1
    # At the interval: the next height, and its block is empty.
    due = core.handle(TimerFired(TimeoutKind.COMMIT, 1, 0), block_time + INTERVAL_MS)
    assert core.machine.height == 2
    (save,) = saved_blocks(due)
    assert save.record.block.txs == []
    assert save.record.block.header.time_ms >= block_time + INTERVAL_MS


def test_a_transaction_ends_the_wait_and_the_block_after_it_follows_at_once() -> None:
    key = PrivateKey.from_label("empty-blocks-validator")
    core, outputs = boot(genesis(INTERVAL_MS, [key], balances={ALICE.address: 100}), key)
    now = decide_and_save_first_block(core, outputs)
    core.handle(TimerFired(TimeoutKind.COMMIT, 1, 0), now)
    assert core.machine.height == 1
    tx = signed(ALICE, 0, Transfer(to=BOB.address, amount=1))
    after = core.handle(TxsSubmitted(1, [tx], [verify_tx(CHAIN_ID, tx)]), now + 50)
    (save,) = saved_blocks(after)
    assert save.record.height == 2 and save.record.block.txs == [tx], "a block as soon as it waits"
    core.handle(BlockSaved(2), now + 60)
    # Block 2 carried a transaction: block 3 is not held (the proof block), even though idle.
    third = core.handle(TimerFired(TimeoutKind.COMMIT, 2, 0), now + 200)
    (save3,) = saved_blocks(third)
    assert save3.record.height == 3 and save3.record.block.txs == []
    core.handle(BlockSaved(3), now + 210)
    fourth = core.handle(TimerFired(TimeoutKind.COMMIT, 3, 0), now + 400)
    assert saved_blocks(fourth) == [] and core.machine.height == 3, "idle again: held"


def test_interval_zero_makes_a_block_every_timeout_commit() -> None:
    key = PrivateKey.from_label("empty-blocks-validator")
    core, outputs = boot(genesis(0), key)
    now = decide_and_save_first_block(core, outputs)
    outputs = core.handle(TimerFired(TimeoutKind.COMMIT, 1, 0), now)
    assert [s.record.height for s in saved_blocks(outputs)] == [2]


def two_validators() -> tuple[Genesis, PrivateKey, PrivateKey]:
    """Ours with power 3 (a quorum alone, and the proposer of height 1), the peer's power 1."""
    first, second = PrivateKey.from_label("ours"), PrivateKey.from_label("theirs")
    for ours, theirs in ((first, second), (second, first)):
        gen = genesis(INTERVAL_MS, [ours, theirs], powers=[3, 1])
        if gen.validator_set.get_proposer(1, 0).address == ours.address:
            return gen, ours, theirs
    raise AssertionError("one of the two orders makes ours the proposer")


def next_height_vote(key: PrivateKey, height: int) -> FrameReceived:
    vote = sign_vote(
        key, CHAIN_ID, Vote(type=VoteType.PREVOTE, height=height, round=0, block_hash=NIL)
    )
    return FrameReceived(PEER, encode_message(VoteMessage(vote=vote)))


def test_a_validators_next_height_vote_ends_the_wait_and_a_forged_one_does_not() -> None:
    gen, ours, theirs = two_validators()
    core, outputs = boot(gen, ours)
    now = decide_and_save_first_block(core, outputs)
    core.handle(TimerFired(TimeoutKind.COMMIT, 1, 0), now)
    assert core.machine.height == 1
    outsider = PrivateKey.from_label("not a validator")
    assert saved_blocks(core.handle(next_height_vote(outsider, 2), now + 10)) == []
    forged = next_height_vote(theirs, 2)
    message = VoteMessage(vote=SignedVote(
        vote=Vote(type=VoteType.PREVOTE, height=2, round=0, block_hash=NIL),
        validator=theirs.address,
        signature=b"\x00" * 64,
    ))
    core.handle(FrameReceived(PEER, encode_message(message)), now + 20)
    assert core.machine.height == 1, "neither an outsider's nor a forged vote ends the wait"
    core.handle(forged, now + 30)
    assert core.machine.height == 2, "the other validator entered height 2: follow it"


def test_a_node_catching_up_does_not_wait() -> None:
    gen, ours, _ = two_validators()
    core, outputs = boot(gen, ours)
    now = decide_and_save_first_block(core, outputs)
    core.handle(PeerConnected(PEER), now)
    from chainbook.core.wire import StatusMessage

    core.handle(FrameReceived(PEER, encode_message(StatusMessage(height=9))), now + 1)
    core.handle(TimerFired(TimeoutKind.COMMIT, 1, 0), now + 2)
    assert core.machine.height == 2, "a peer is far ahead: no wait"


# --- in the simulator: many nodes, faults, and the same rule --------------------------------


def test_an_idle_simulated_network_makes_empty_blocks_at_the_interval() -> None:
    interval_ms = 1_000
    params = msgspec.structs.replace(SIM_CONSENSUS_PARAMS, empty_block_interval_ms=interval_ms)
    quiet = 10**9  # the simulated clients send nothing: an idle network once the workloads'
    # set-up transactions (the first blocks) are in
    config = SimConfig(
        params=params, fault_kinds=frozenset(), tx_interval_ms_min=quiet, tx_interval_ms_max=quiet
    )
    simulation = Simulation(3, config)
    result = simulation.run()
    assert result.height_min >= config.target_height_min
    for node in simulation.nodes:
        if node.store.latest_height() == 0:
            continue  # a node the run never started (one governance would vote in)
        headers = [
            decode_block(node.store.load_block_bytes(h)).header  # type: ignore[arg-type]
            for h in range(1, node.store.latest_height() + 1)
        ]
        # After an empty block (nothing committed, nothing waiting) the next waits the interval.
        gaps = [
            b.time_ms - a.time_ms
            for a, b in zip(headers, headers[1:], strict=False)
            if a.tx_count == 0 and b.tx_count == 0 and a.height > 1
        ]
        assert len(gaps) >= 3 and min(gaps) >= interval_ms, (node.name, gaps)


@pytest.mark.parametrize("seed", range(6))
def test_the_rule_keeps_safety_and_liveness_under_the_simulators_faults(seed: int) -> None:
    params = msgspec.structs.replace(SIM_CONSENSUS_PARAMS, empty_block_interval_ms=300)
    Simulation(seed, SimConfig(params=params)).run()  # raises SimulationFailure on a violation
