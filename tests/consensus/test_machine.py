"""The consensus rules, one scenario each, on a synchronous in-memory cluster."""

import pytest

from chainbook import codec
from chainbook.chain.commit import NIL, SignedVote, Vote, VoteType, make_commit, sign_vote
from chainbook.consensus.effects import Broadcast, PersistState
from chainbook.consensus.events import CommitReceived, Resend, VoteReceived
from chainbook.consensus.machine import ConsensusMachine, ConsensusRecord, StateDivergence
from chainbook.consensus.messages import VoteMessage

from .harness import CHAIN_ID, PARAMS, Cluster, FakeApp


def all_reach(cluster: Cluster, height: int):  # type: ignore[no-untyped-def]
    return lambda: all(
        h >= height for h, n in zip(cluster.heights(), cluster.nodes, strict=True) if n.up
    )


def test_four_validators_commit_the_same_blocks() -> None:
    cluster = Cluster(4)
    cluster.start()
    cluster.run_until(all_reach(cluster, 5))
    chains = [[b.hash for b in n.app.committed[:5]] for n in cluster.nodes]
    assert all(chain == chains[0] for chain in chains)
    # Every commit was decided in round 0: nobody timed out on a healthy network.
    assert all(
        b.last_commit is None or b.last_commit.round == 0
        for b in cluster.nodes[0].app.committed[:5]
    )


def test_one_crashed_validator_does_not_stop_the_others() -> None:
    cluster = Cluster(4)
    cluster.nodes[1].up = False
    cluster.start()
    cluster.run_until(all_reach(cluster, 6))
    assert cluster.heights()[1] == 0


def test_two_crashed_of_four_halts_without_forking() -> None:
    cluster = Cluster(4)
    cluster.nodes[1].up = False
    cluster.nodes[2].up = False
    cluster.start()
    with pytest.raises(AssertionError, match="predicate"):
        cluster.run_until(all_reach(cluster, 1), limit_ms=5_000)
    assert cluster.heights() == [0, 0, 0, 0]


def test_absent_proposer_leads_to_round_one() -> None:
    cluster = Cluster(4)
    proposer = cluster.index_of(cluster.validators.get_proposer(1, 0).address)
    cluster.nodes[proposer].up = False
    cluster.start()
    cluster.run_until(all_reach(cluster, 1))
    witness = cluster.nodes[(proposer + 1) % 4]
    block = witness.app.committed[0]
    # Decided in a later round, on the block of that round's proposer.
    assert block.header.proposer != cluster.keys[proposer].address
    assert witness.machine.decided_commit is not None and witness.machine.decided_commit.round == 1
    assert block.header.proposer == cluster.validators.get_proposer(1, 1).address


def test_invalid_proposal_gets_nil_prevotes_and_a_new_round() -> None:
    cluster = Cluster(4)
    for node in cluster.nodes:
        original = node.app.build_block

        def build(height, now_ms, proposer, last_commit, _orig=original, _app=node.app):  # type: ignore[no-untyped-def]
            block = _orig(height, now_ms, proposer, last_commit)
            if height == 1 and proposer == cluster.validators.get_proposer(1, 0).address:
                for other in cluster.nodes:
                    other.app.invalid.add(block.hash)
            return block

        node.app.build_block = build  # type: ignore[method-assign]
    cluster.start()
    cluster.run_until(all_reach(cluster, 1))
    committed = cluster.nodes[0].app.committed[0]
    assert committed.hash not in cluster.nodes[0].app.invalid
    assert committed.header.proposer == cluster.validators.get_proposer(1, 1).address


def test_equivocating_vote_is_reported_and_counted_once_per_value() -> None:
    cluster = Cluster(4)
    byzantine = cluster.keys[3]
    first = sign_vote(byzantine, CHAIN_ID, Vote(VoteType.PREVOTE, 1, 0, b"\x01" * 32))
    second = sign_vote(byzantine, CHAIN_ID, Vote(VoteType.PREVOTE, 1, 0, b"\x02" * 32))
    cluster.deliver(0, VoteReceived(first))
    cluster.deliver(0, VoteReceived(second))
    third = sign_vote(byzantine, CHAIN_ID, Vote(VoteType.PREVOTE, 1, 0, b"\x03" * 32))
    cluster.deliver(0, VoteReceived(third))
    assert len(cluster.nodes[0].evidence) == 1
    prevotes = cluster.nodes[0].machine.prevotes[0]
    # Each value is tallied as the paper does (distinct senders of that message), but one
    # validator adds at most one conflicting vote and counts once towards "any".
    assert prevotes.power_for(b"\x01" * 32) == 10
    assert prevotes.power_for(b"\x02" * 32) == 10
    assert prevotes.power_for(b"\x03" * 32) == 0
    assert prevotes.power_any == 10


def test_votes_with_bad_signatures_or_from_strangers_are_dropped() -> None:
    cluster = Cluster(4)
    vote = Vote(VoteType.PREVOTE, 1, 0, NIL)
    good = sign_vote(cluster.keys[1], CHAIN_ID, vote)
    forged = SignedVote(vote=vote, validator=good.validator, signature=b"\0" * 64)
    stranger = sign_vote(make_stranger(), CHAIN_ID, vote)
    cluster.deliver(0, VoteReceived(forged))
    cluster.deliver(0, VoteReceived(stranger))
    machine = cluster.nodes[0].machine
    assert machine.counters["vote_bad_signature"] == 1
    assert machine.counters["vote_not_validator"] == 1
    assert 0 not in machine.prevotes


def make_stranger():  # type: ignore[no-untyped-def]
    from chainbook.crypto import PrivateKey

    return PrivateKey.from_label("stranger")


def test_own_vote_is_persisted_before_it_is_sent() -> None:
    cluster = Cluster(4)
    machine = cluster.nodes[0].machine
    effects = machine.start(0)
    effects += machine.step(Resend(), 0)
    from chainbook.consensus.events import TimeoutElapsed, TimeoutKind

    effects += machine.step(TimeoutElapsed(TimeoutKind.PROPOSE, 1, 0), 1000)
    kinds = [type(e).__name__ for e in effects]
    first_vote = next(
        i
        for i, e in enumerate(effects)
        if isinstance(e, Broadcast) and isinstance(e.message, VoteMessage)
    )
    assert "PersistState" in kinds[:first_vote]


def test_restarted_validator_never_signs_a_conflicting_vote() -> None:
    cluster = Cluster(4)
    node = cluster.nodes[0]
    node.machine.start(0)
    from chainbook.consensus.events import TimeoutElapsed, TimeoutKind

    effects = node.machine.step(TimeoutElapsed(TimeoutKind.PROPOSE, 1, 0), 1000)
    record = [e.record for e in effects if isinstance(e, PersistState)][-1]
    decoded = codec.decode(record, ConsensusRecord)
    assert decoded.signed_votes[-1].vote.block_hash == NIL
    # Restart from the record: a proposal arrives for round 0; prevoting it would conflict.
    restarted = ConsensusMachine(
        chain_id=CHAIN_ID,
        app=FakeApp(cluster.validators),
        params=PARAMS,
        key=node.key,
        height=1,
        last_commit=None,
        record=record,
    )
    restarted.start(2000)
    block = restarted.app.build_block(1, 0, cluster.validators.get_proposer(1, 0).address, None)
    proposer_key = cluster.keys[cluster.index_of(block.header.proposer)]
    from chainbook.chain.commit import Proposal, sign_proposal
    from chainbook.consensus.events import ProposalReceived

    signed = sign_proposal(proposer_key, CHAIN_ID, Proposal(1, 0, -1, block.hash))
    effects = restarted.step(ProposalReceived(signed, block), 2001)
    sent = [
        e.message.vote
        for e in effects
        if isinstance(e, Broadcast) and isinstance(e.message, VoteMessage)
    ]
    # The record says: prevoted nil at (1, 0). Prevoting the block now would be a second,
    # different vote for the same slot: the machine must refuse to sign it and send nothing.
    assert restarted.counters["sign_refused"] == 1
    assert not any(v.vote.round == 0 and v.vote.type == VoteType.PREVOTE
                   and v.vote.block_hash == block.hash for v in sent)


def test_locked_validator_does_not_prevote_another_block_without_polka() -> None:
    cluster = Cluster(4)
    node = cluster.nodes[0]
    machine = node.machine
    machine.start(0)
    block_a = node.app.build_block(1, 0, cluster.validators.get_proposer(1, 0).address, None)
    node.app.tag = b"b"
    block_b = node.app.build_block(1, 5, cluster.validators.get_proposer(1, 1).address, None)
    assert block_a.hash != block_b.hash
    from chainbook.chain.commit import Proposal, sign_proposal
    from chainbook.consensus.events import ProposalReceived, TimeoutElapsed, TimeoutKind

    def key_of(address: bytes):  # type: ignore[no-untyped-def]
        return cluster.keys[cluster.index_of(address)]

    p0 = sign_proposal(key_of(block_a.header.proposer), CHAIN_ID, Proposal(1, 0, -1, block_a.hash))
    machine.step(ProposalReceived(p0, block_a), 1)
    for k in cluster.keys[1:3]:
        machine.step(
            VoteReceived(sign_vote(k, CHAIN_ID, Vote(VoteType.PREVOTE, 1, 0, block_a.hash))), 2
        )
    assert machine.locked_round == 0 and machine.locked_hash == block_a.hash
    # Round 1: nobody precommitted, timeouts move us on; a different block is proposed fresh.
    for k in cluster.keys[1:3]:
        machine.step(VoteReceived(sign_vote(k, CHAIN_ID, Vote(VoteType.PRECOMMIT, 1, 0, NIL))), 3)
    machine.step(TimeoutElapsed(TimeoutKind.PRECOMMIT, 1, 0), 100)
    assert machine.round == 1
    r1_proposer = cluster.validators.get_proposer(1, 1).address
    block_b = node.app.build_block(1, 5, r1_proposer, None)
    p1 = sign_proposal(key_of(r1_proposer), CHAIN_ID, Proposal(1, 1, -1, block_b.hash))
    effects = machine.step(ProposalReceived(p1, block_b), 101)
    prevotes = [
        e.message.vote.vote
        for e in effects
        if isinstance(e, Broadcast)
        and isinstance(e.message, VoteMessage)
        and e.message.vote.vote.type == VoteType.PREVOTE
    ]
    assert machine.proposer(1) != node.key.address, "the scenario needs another proposer"
    assert prevotes and prevotes[0].block_hash == NIL


def test_commit_from_sync_decides_and_a_forged_commit_does_not() -> None:
    cluster = Cluster(4)
    node = cluster.nodes[0]
    node.machine.start(0)
    block = node.app.build_block(1, 0, cluster.validators.get_proposer(1, 0).address, None)
    precommits = [
        sign_vote(k, CHAIN_ID, Vote(VoteType.PRECOMMIT, 1, 0, block.hash)) for k in cluster.keys[:2]
    ]
    weak = make_commit(cluster.validators, precommits)
    node.machine.step(CommitReceived(block, weak), 1)
    assert node.machine.decided is None and node.machine.counters["commit_invalid"] == 1
    precommits.append(
        sign_vote(cluster.keys[2], CHAIN_ID, Vote(VoteType.PRECOMMIT, 1, 0, block.hash))
    )
    strong = make_commit(cluster.validators, precommits)
    node.machine.step(CommitReceived(block, strong), 2)
    assert node.machine.decided == block


def test_decided_block_that_fails_local_validation_halts_the_node() -> None:
    cluster = Cluster(4)
    node = cluster.nodes[0]
    node.machine.start(0)
    block = node.app.build_block(1, 0, cluster.validators.get_proposer(1, 0).address, None)
    node.app.invalid.add(block.hash)
    commit = make_commit(
        cluster.validators,
        [
            sign_vote(k, CHAIN_ID, Vote(VoteType.PRECOMMIT, 1, 0, block.hash))
            for k in cluster.keys[:3]
        ],
    )
    with pytest.raises(StateDivergence, match="fails local validation"):
        node.machine.step(CommitReceived(block, commit), 1)
