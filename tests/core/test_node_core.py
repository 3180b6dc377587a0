"""The node core through its inputs and outputs only: no runtime, no sockets, no patching.

Each test builds cores with core/boot.py over an in-memory book, feeds inputs and reads the
outputs, as a driver does.
"""

from __future__ import annotations

import msgspec
import pytest

from chainbook import limits
from chainbook.apps.bank import Transfer
from chainbook.chain.block import Block
from chainbook.chain.commit import Proposal, VoteType, sign_proposal
from chainbook.chain.genesis import ConsensusParams, Genesis
from chainbook.chain.tx import verify_tx
from chainbook.consensus.events import TimeoutKind
from chainbook.consensus.messages import ProposalMessage, VoteMessage
from chainbook.core.boot import boot_core
from chainbook.core.inputs import (
    BlockSaved,
    FrameReceived,
    PeerConnected,
    Tick,
    TimerFired,
    TxsSubmitted,
    TxsVerified,
)
from chainbook.core.node import CoreSettings, NodeCore
from chainbook.core.outputs import (
    BlockCommitted,
    Broadcast,
    Disconnect,
    Output,
    SaveBlock,
    SaveConsensusRecord,
    Send,
    SetTimer,
    TxsAdmitted,
    VerifyTxs,
)
from chainbook.core.wire import SyncResponse, TxsMessage, decode_message, encode_message
from chainbook.crypto import PrivateKey
from chainbook.errors import InvalidNonce
from chainbook.storage import MemoryBlockStore
from tests.support import ALICE, BOB, GENESIS_TIME_MS, make_genesis, signed, validator_keys

NOW_MS = GENESIS_TIME_MS + 1_000
PEER = b"p" * 32
OTHER_PEER = b"q" * 32


def boot(genesis: Genesis, key: PrivateKey) -> tuple[NodeCore, list[Output]]:
    booted = boot_core(
        genesis=genesis, key=key, store=MemoryBlockStore(), record=None, settings=CoreSettings()
    )
    return booted.core, booted.core.start(NOW_MS)


def transfers(count: int) -> list[bytes]:
    return [signed(ALICE, n, Transfer(to=BOB.address, amount=1)) for n in range(count)]


def of_type(outputs: list[Output], kind: type) -> list[object]:
    return [o for o in outputs if isinstance(o, kind)]


def broadcast_messages(outputs: list[Output]) -> list[object]:
    return [decode_message(o.payload) for o in outputs if isinstance(o, Broadcast)]


# --- the commit sequence: store before apply ------------------------------------------------


def test_a_decided_block_is_applied_only_once_the_driver_confirms_it_is_saved() -> None:
    key = validator_keys(1)[0]
    # No empty-block wait (core/empty_blocks.py): the next height follows the save at once.
    no_wait = ConsensusParams(empty_block_interval_ms=0)
    core, outputs = boot(make_genesis(validators=[key], consensus=no_wait), key)
    # Alone, the validator proposes, votes and decides height 1 inside start().
    saves = of_type(outputs, SaveBlock)
    assert [s.record.height for s in saves] == [1]  # type: ignore[attr-defined]
    assert core.height == 0, "applied before the store confirmed the save"
    assert of_type(outputs, BlockCommitted) == []
    # The consensus record is saved before the block is saved (signed votes first).
    kinds = [type(o) for o in outputs]
    assert kinds.index(SaveConsensusRecord) < kinds.index(SaveBlock)
    # The commit timeout elapses before the save is confirmed: the next height must wait.
    commit_timer = [t for t in of_type(outputs, SetTimer) if t.kind == TimeoutKind.COMMIT]  # type: ignore[attr-defined]
    assert len(commit_timer) == 1
    early = core.handle(TimerFired(TimeoutKind.COMMIT, 1, 0), NOW_MS + 200)
    assert early == [] and core.machine.height == 1 and core.height == 0
    # Saved: the block is applied, reported, and the next height starts at once.
    after = core.handle(BlockSaved(1), NOW_MS + 201)
    assert core.height == 1
    committed = of_type(after, BlockCommitted)
    assert [c.record.height for c in committed] == [1]  # type: ignore[attr-defined]
    assert core.machine.height == 2
    assert [s.record.height for s in of_type(after, SaveBlock)] == [2]  # type: ignore[attr-defined]


def test_block_saved_for_a_block_that_is_not_waiting_is_a_driver_bug() -> None:
    key = validator_keys(1)[0]
    core, _ = boot(make_genesis(validators=[key]), key)
    with pytest.raises(AssertionError, match="BlockSaved"):
        core.handle(BlockSaved(2), NOW_MS)


# --- admission -------------------------------------------------------------------------------


def test_submitted_transactions_are_answered_and_gossiped_once_at_the_next_tick() -> None:
    keys = validator_keys(4)
    core, _ = boot(make_genesis(validators=keys), keys[0])
    txs = transfers(2)
    checked = [verify_tx(core.chain_id, tx) for tx in txs]
    answer = core.handle(TxsSubmitted(7, txs, list(checked)), NOW_MS)
    (admitted,) = of_type(answer, TxsAdmitted)
    assert admitted.request_id == 7  # type: ignore[attr-defined]
    assert [r.hash for r in admitted.results] == [c.hash for c in checked]  # type: ignore[attr-defined]
    assert of_type(answer, Broadcast) == [], "gossip waits for the flush"
    # The same transaction again: a duplicate is a no-op, and a gap in nonces is refused.
    again = core.handle(
        TxsSubmitted(
            8, [txs[0], transfers(4)[3]], [checked[0], verify_tx(core.chain_id, transfers(4)[3])]
        ),
        NOW_MS,
    )
    (second,) = of_type(again, TxsAdmitted)
    assert second.results[0].hash == checked[0].hash  # type: ignore[attr-defined]
    assert isinstance(second.results[1], InvalidNonce)  # type: ignore[attr-defined]
    flushed = core.handle(Tick(), NOW_MS + CoreSettings().gossip_flush_ms)
    gossip = [m for m in broadcast_messages(flushed) if isinstance(m, TxsMessage)]
    assert [m.txs for m in gossip] == [txs]
    later = core.handle(Tick(), NOW_MS + 3 * CoreSettings().gossip_flush_ms)
    assert not [m for m in broadcast_messages(later) if isinstance(m, TxsMessage)]


def test_gossip_queue_is_bounded_per_peer_so_one_peer_cannot_lock_out_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "admission_queue_txs_per_peer_max", 3)
    keys = validator_keys(4)
    core, _ = boot(make_genesis(validators=keys), keys[0])
    txs = transfers(12)
    first = core.handle(FrameReceived(PEER, encode_message(TxsMessage(txs=txs[:1]))), NOW_MS)
    assert len(of_type(first, VerifyTxs)) == 1  # one batch in the checks; the rest queue
    core.handle(FrameReceived(PEER, encode_message(TxsMessage(txs=txs[1:6]))), NOW_MS)
    assert core.admission.queued == 3
    assert core.admission.counters["admission_queue_full"] == 2
    core.handle(FrameReceived(OTHER_PEER, encode_message(TxsMessage(txs=txs[6:9]))), NOW_MS)
    assert core.admission.queued == 6, "the other peer's gossip was crowded out"


def test_a_proposal_carrying_txs_of_the_batch_being_checked_waits_for_that_batch() -> None:
    keys = validator_keys(4)
    genesis = make_genesis(validators=keys)
    proposer_key = next(
        k for k in keys if k.address == genesis.validator_set.get_proposer(1, 0).address
    )
    receiver_key = next(k for k in keys if k is not proposer_key)
    proposer, _ = boot(genesis, proposer_key)
    receiver, _ = boot(genesis, receiver_key)
    txs = transfers(3)
    for tx in txs:
        proposer.mempool.add(tx)
    block = proposer.ledger.build_block(1, NOW_MS, proposer_key.address, None)
    assert len(block.txs) == 3
    proposal = sign_proposal(proposer_key, genesis.chain_id, Proposal(1, 0, -1, block.hash))
    frame = encode_message(ProposalMessage(proposal=proposal, block=block))

    checks = receiver.handle(FrameReceived(PEER, encode_message(TxsMessage(txs=txs[:2]))), NOW_MS)
    (verify,) = of_type(checks, VerifyTxs)
    held = receiver.handle(FrameReceived(PEER, frame), NOW_MS)
    assert not [m for m in broadcast_messages(held) if isinstance(m, VoteMessage)], (
        "prevoted while some of the block's transactions were still being checked"
    )
    results = [verify_tx(genesis.chain_id, tx) for tx in verify.txs]  # type: ignore[attr-defined]
    released = receiver.handle(TxsVerified(verify.batch_id, list(results)), NOW_MS + 5)  # type: ignore[attr-defined]
    votes = [m for m in broadcast_messages(released) if isinstance(m, VoteMessage)]
    assert [(v.vote.vote.type, v.vote.vote.block_hash) for v in votes] == [
        (VoteType.PREVOTE, block.hash)
    ]
    # Only the transaction that was in no batch had its signature checked in the block.
    assert receiver.ledger.txs_checked_in_blocks == 1


def test_proposals_held_for_the_batch_are_bounded_and_the_rest_go_to_consensus() -> None:
    """Held proposals are not checked yet: a peer flooding forged ones while a batch is in
    checks gets at most proposals_held_for_gossip_max held; past it each goes to consensus at
    once, which refuses the forged ones and still prevotes the real one."""
    keys = validator_keys(4)
    genesis = make_genesis(validators=keys)
    proposer_key = next(
        k for k in keys if k.address == genesis.validator_set.get_proposer(1, 0).address
    )
    receiver_key = next(k for k in keys if k is not proposer_key)
    proposer, _ = boot(genesis, proposer_key)
    receiver, _ = boot(genesis, receiver_key)
    txs = transfers(2)
    for tx in txs:
        proposer.mempool.add(tx)
    block = proposer.ledger.build_block(1, NOW_MS, proposer_key.address, None)
    proposal = sign_proposal(proposer_key, genesis.chain_id, Proposal(1, 0, -1, block.hash))
    receiver.handle(FrameReceived(PEER, encode_message(TxsMessage(txs=txs))), NOW_MS)
    assert receiver.admission.checking is not None

    flood = limits.proposals_held_for_gossip_max + 5
    for n in range(flood):
        forged = msgspec.structs.replace(proposal, signature=bytes([n]) * 64)
        frame = encode_message(ProposalMessage(proposal=forged, block=block))
        receiver.handle(FrameReceived(OTHER_PEER, frame), NOW_MS)
    assert receiver.counters["proposal_held_for_gossip"] == limits.proposals_held_for_gossip_max
    assert receiver.machine.counters["proposal_bad_signature"] == 5

    real = encode_message(ProposalMessage(proposal=proposal, block=block))
    outputs = receiver.handle(FrameReceived(PEER, real), NOW_MS)
    votes = [m for m in broadcast_messages(outputs) if isinstance(m, VoteMessage)]
    assert [(v.vote.vote.type, v.vote.vote.block_hash) for v in votes] == [
        (VoteType.PREVOTE, block.hash)
    ]


def test_a_proposal_with_no_tx_of_the_batch_goes_straight_to_consensus() -> None:
    keys = validator_keys(4)
    genesis = make_genesis(validators=keys)
    proposer_key = next(
        k for k in keys if k.address == genesis.validator_set.get_proposer(1, 0).address
    )
    receiver_key = next(k for k in keys if k is not proposer_key)
    receiver, _ = boot(genesis, receiver_key)
    block: Block = boot(genesis, proposer_key)[0].ledger.build_block(
        1, NOW_MS, proposer_key.address, None
    )
    proposal = sign_proposal(proposer_key, genesis.chain_id, Proposal(1, 0, -1, block.hash))
    receiver.handle(FrameReceived(PEER, encode_message(TxsMessage(txs=transfers(1)))), NOW_MS)
    outputs = receiver.handle(
        FrameReceived(PEER, encode_message(ProposalMessage(proposal=proposal, block=block))),
        NOW_MS,
    )
    assert [m for m in broadcast_messages(outputs) if isinstance(m, VoteMessage)]


# --- wire and sync ---------------------------------------------------------------------------


def test_a_malformed_frame_disconnects_its_peer() -> None:
    keys = validator_keys(4)
    core, _ = boot(make_genesis(validators=keys), keys[0])
    outputs = core.handle(FrameReceived(PEER, b"\x93junk"), NOW_MS)
    (disconnect,) = of_type(outputs, Disconnect)
    assert disconnect.peer_id == PEER and "malformed" in disconnect.reason  # type: ignore[attr-defined]
    assert core.counters["peer_message_malformed"] == 1


def test_an_unsolicited_sync_response_is_ignored_without_any_work() -> None:
    keys = validator_keys(4)
    core, _ = boot(make_genesis(validators=keys), keys[0])
    core.handle(PeerConnected(PEER), NOW_MS)
    junk = encode_message(SyncResponse(blocks=[(b"x" * 100, b"y" * 100)]))
    outputs = core.handle(FrameReceived(PEER, junk), NOW_MS)
    assert outputs == []
    assert core.sync.counters["response_unsolicited"] == 1


def test_a_peer_that_announces_a_higher_height_is_asked_for_blocks() -> None:
    keys = validator_keys(4)
    core, _ = boot(make_genesis(validators=keys), keys[0])
    hello = core.handle(PeerConnected(PEER), NOW_MS)
    assert [type(o) for o in hello] == [Send]  # our status
    from chainbook.core.wire import StatusMessage, SyncRequest

    outputs = core.handle(FrameReceived(PEER, encode_message(StatusMessage(height=9))), NOW_MS)
    sends = [decode_message(o.payload) for o in outputs if isinstance(o, Send)]  # type: ignore[attr-defined]
    assert sends == [SyncRequest(from_height=1, count=limits.sync_blocks_per_response_max)]
    # One request outstanding: a second announcement asks nobody until the retry is due.
    again = core.handle(FrameReceived(PEER, encode_message(StatusMessage(height=10))), NOW_MS + 1)
    assert not [o for o in again if isinstance(o, Send)]
