"""The evidence path of a node: the machine's EvidenceFound becomes a verified piece in the pool,
is gossiped (EvidenceMessage), re-sent, refused when forged, and proposed in a block; the wire
bounds a peer's evidence before anything looks at it; the signing key follows the set."""

from __future__ import annotations

import pytest

from chainbook import limits
from chainbook.chain.commit import Vote, VoteType, sign_vote
from chainbook.chain.evidence import DuplicateVoteEvidence
from chainbook.consensus.messages import VoteMessage
from chainbook.core.boot import boot_core
from chainbook.core.evidence import EvidencePool
from chainbook.core.inputs import FrameReceived, Tick
from chainbook.core.node import CoreSettings, NodeCore, select_signing_key
from chainbook.core.outputs import Broadcast, LogEvent, Output
from chainbook.core.wire import EvidenceMessage, decode_message, encode_message
from chainbook.crypto import PrivateKey
from chainbook.errors import PeerMisbehaved
from chainbook.storage import MemoryBlockStore
from tests.apps.governance.chain import equivocate
from tests.support import CHAIN_ID, GENESIS_TIME_MS, make_genesis, validator_keys

KEYS = validator_keys(4)
NOW_MS = GENESIS_TIME_MS + 1_000
PEER = b"p" * 32


def boot(key: PrivateKey = KEYS[0], consensus_keys: tuple[PrivateKey, ...] = ()) -> NodeCore:
    booted = boot_core(
        genesis=make_genesis(validators=KEYS),
        key=key,
        store=MemoryBlockStore(),
        record=None,
        settings=CoreSettings(),
        consensus_keys=consensus_keys,
    )
    booted.core.start(NOW_MS)
    return booted.core


def evidence_broadcasts(outputs: list[Output]) -> list[EvidenceMessage]:
    messages = [decode_message(o.payload) for o in outputs if isinstance(o, Broadcast)]
    return [m for m in messages if isinstance(m, EvidenceMessage)]


def vote_frame(key: PrivateKey, block_hash: bytes) -> FrameReceived:
    vote = Vote(type=VoteType.PREVOTE, height=1, round=0, block_hash=block_hash)
    return FrameReceived(PEER, encode_message(VoteMessage(vote=sign_vote(key, CHAIN_ID, vote))))


def test_two_votes_of_one_validator_for_one_slot_become_gossiped_evidence() -> None:
    core = boot()
    core.handle(vote_frame(KEYS[3], b"\x01" * 32), NOW_MS)
    outputs = core.handle(vote_frame(KEYS[3], b"\x02" * 32), NOW_MS)
    assert [o.event for o in outputs if isinstance(o, LogEvent)] == ["equivocation_evidence"]
    [message] = evidence_broadcasts(outputs)
    [piece] = message.evidence
    assert piece.validator == KEYS[3].address and len(core.evidence) == 1
    # Re-sent with the node's votes until a block commits it.
    resent = core.handle(Tick(), NOW_MS + CoreSettings().resend_interval_ms)
    assert [m.evidence for m in evidence_broadcasts(resent)] == [[piece]]
    # This node proposes the next block with it once height 1 is decided (the ledger test
    # tests/apps/governance/test_evidence.py goes on from there).
    assert core.ledger.evidence.candidates() == [piece]


def test_a_peers_evidence_is_verified_kept_once_and_gossiped_once() -> None:
    core = boot()
    piece = equivocate(KEYS[2], height=1)
    frame = FrameReceived(PEER, encode_message(EvidenceMessage([piece])))
    first = core.handle(frame, NOW_MS)
    assert evidence_broadcasts(first) == [EvidenceMessage([piece])]
    again = core.handle(frame, NOW_MS)
    assert evidence_broadcasts(again) == [] and core.evidence.counters["evidence_duplicate"] == 1


def test_forged_evidence_from_a_peer_is_refused_counted_and_not_gossiped() -> None:
    core = boot()
    piece = equivocate(KEYS[2], height=1)
    bad = bytes([piece.vote_a.signature[0] ^ 1]) + piece.vote_a.signature[1:]
    import msgspec

    forged = msgspec.structs.replace(
        piece, vote_a=msgspec.structs.replace(piece.vote_a, signature=bad)
    )
    stranger = equivocate(PrivateKey.from_label("stranger"), height=1)
    future = equivocate(KEYS[2], height=50)
    for evidence in (forged, stranger, future):
        outputs = core.handle(
            FrameReceived(PEER, encode_message(EvidenceMessage([evidence]))), NOW_MS
        )
        assert evidence_broadcasts(outputs) == []
    assert core.evidence.counters["evidence_refused"] == 3 and len(core.evidence) == 0


@pytest.mark.parametrize("count", [0, limits.evidence_per_message_max + 1])
def test_an_evidence_message_outside_its_bounds_is_a_misbehaving_peer(count: int) -> None:
    pieces = [equivocate(KEYS[1], height=1, round_=r) for r in range(count)]
    with pytest.raises(PeerMisbehaved, match="evidence message with"):
        decode_message(encode_message(EvidenceMessage(pieces)))
    core = boot()
    outputs = core.handle(FrameReceived(PEER, encode_message(EvidenceMessage(pieces))), NOW_MS)
    assert any(type(o).__name__ == "Disconnect" for o in outputs)


def test_the_edge_of_the_message_bound_is_accepted() -> None:
    pieces = [
        equivocate(KEYS[1], height=1, round_=r) for r in range(limits.evidence_per_message_max)
    ]
    assert decode_message(encode_message(EvidenceMessage(pieces))) == EvidenceMessage(pieces)


def test_the_pool_is_bounded_and_forgets_what_the_ledger_no_longer_accepts() -> None:
    pool = EvidencePool(pieces_max=2)
    pieces = [equivocate(KEYS[1], height=1, round_=r) for r in range(3)]

    def accept(_: DuplicateVoteEvidence) -> None:
        return None

    assert pool.add(pieces[0], accept) and pool.add(pieces[1], accept)
    assert not pool.add(pieces[2], accept) and pool.counters["evidence_pool_full"] == 1
    pool.prune(lambda piece: piece is pieces[1])
    assert pool.candidates() == [pieces[1]]


def test_the_signing_key_is_the_one_in_the_set_of_the_height() -> None:
    outsider = PrivateKey.from_label("outsider")
    core = boot(key=outsider, consensus_keys=(KEYS[2],))
    assert core.machine.key == KEYS[2] and core.is_validator  # the ring's key in the set
    assert select_signing_key(core.ledger, 1, (outsider,)) == outsider
    full_node = boot(key=outsider)
    assert full_node.machine.key == outsider and not full_node.is_validator


def test_evidence_a_block_committed_leaves_the_pool() -> None:
    from tests.apps.governance.chain import LoneValidator

    lone = KEYS[0]
    store = MemoryBlockStore()
    core = boot_core(
        genesis=make_genesis(validators=[lone]),
        key=lone,
        store=store,
        record=None,
        settings=CoreSettings(),
    ).core
    driver = LoneValidator(core, store, NOW_MS)
    driver.run(heights=2)
    piece = equivocate(lone, height=1)
    driver.handle(FrameReceived(PEER, encode_message(EvidenceMessage([piece]))))
    assert len(core.evidence) == 1
    records = driver.run(heights=3)
    assert any(r.block.evidence == [piece] for r in records)
    assert len(core.evidence) == 0, "the committed piece left the pool"
