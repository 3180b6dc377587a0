"""Everything a peer can make the consensus machine hold is bounded: each bound at its edge.

The bounds (limits.py): proposals per round and their bytes per height, votes per signer and
height, votes per signer and proposal bytes for the next height. The per-round proposal
count and the next-height votes per signer are also pinned by interaction scripts
(equivocating_proposer.txt, next_height_bounds.txt); the byte bounds need blocks of a full
frame, which these tests build directly.
"""

from __future__ import annotations

import msgspec

from chainbook import limits
from chainbook.chain.block import Block
from chainbook.chain.commit import (
    Proposal,
    SignedProposal,
    Vote,
    VoteType,
    sign_proposal,
    sign_vote,
)
from chainbook.consensus.events import ProposalReceived, VoteReceived
from chainbook.consensus.proposals import AddProposalResult, ProposalStore, compute_block_bytes
from chainbook.types import Height, Round

from .interaction import CHAIN_ID, Interaction

FRAME = limits.frame_bytes_max


def interaction() -> Interaction:
    run = Interaction()
    run.run("validators v0=10 v1=10 v2=10 v3=10")
    run.run("start")
    return run


def sized_block(run: Interaction, label: str, height: Height, size: int) -> Block:
    """A block whose encoded size is exactly `size` bytes (its one transaction pads it)."""
    template = run.make_block(label, height, 0, run.key("v0").address)
    padding = size - compute_block_bytes(template)
    for _ in range(4):
        block = msgspec.structs.replace(template, txs=[b"\0" * padding])
        excess = compute_block_bytes(block) - size
        if excess == 0:
            return block
        padding -= excess
    raise AssertionError(f"cannot build a block of exactly {size} bytes")


def unsigned(block: Block, round_: Round) -> SignedProposal:
    """The store holds what the machine checked; it never looks at the signature."""
    proposal = Proposal(block.height, round_, -1, block.hash)
    return SignedProposal(proposal, b"\1" * 20, b"\0" * 64)


def test_the_totals_follow_from_the_bounds_per_signer() -> None:
    # No signer can use up the room of another: the totals hold every signer's share.
    assert limits.votes_per_height_max == (
        limits.validators_max * limits.votes_per_signer_per_height_max
    )
    assert limits.next_height_votes_max == (
        limits.validators_max * limits.next_height_votes_per_signer_max
    )
    # The round that matters always fits: every proposal of one round at a full frame.
    per_round_bytes = limits.proposals_per_round_max * FRAME
    assert limits.proposal_bytes_per_height_max >= per_round_bytes
    assert limits.next_height_proposal_bytes_max >= per_round_bytes


def test_proposal_bytes_per_height_at_the_edge_far_rounds_go_first() -> None:
    run = interaction()
    store = ProposalStore(1, limits.proposal_bytes_per_height_max)
    rounds_that_fill = limits.proposal_bytes_per_height_max // FRAME
    for r in range(1, rounds_that_fill + 1):
        block = sized_block(run, f"F{r}", 1, FRAME)
        assert store.add(unsigned(block, r), block, round_now=0) is AddProposalResult.ADDED
    assert store.bytes_held == limits.proposal_bytes_per_height_max
    # Full: one byte more does not fit for a round farther than every held one...
    one = sized_block(run, "ONE", 1, 1_000)
    far = rounds_that_fill + 1
    assert store.add(unsigned(one, far), one, round_now=0) is AddProposalResult.OVER_BYTES
    # ...but the current round's proposal pushes out the farthest round.
    current = sized_block(run, "CURRENT", 1, FRAME)
    assert store.add(unsigned(current, 0), current, round_now=0) is AddProposalResult.ADDED
    assert store.evicted == 1 and store.of_round(rounds_that_fill) == []
    assert store.bytes_held == limits.proposal_bytes_per_height_max
    # A second proposal of round 0 (equivocation) fits too; a third does not.
    second = sized_block(run, "SECOND", 1, 500)
    third = sized_block(run, "THIRD", 1, 500)
    assert store.add(unsigned(second, 0), second, round_now=0) is AddProposalResult.ADDED
    assert store.add(unsigned(third, 0), third, round_now=0) is AddProposalResult.ROUND_FULL
    assert store.bytes_held <= limits.proposal_bytes_per_height_max


def test_votes_per_signer_and_height_at_the_edge() -> None:
    run = interaction()
    machine = run.machine
    assert machine is not None
    bound = limits.votes_per_signer_per_height_max
    # v1 fills its share: prevote and precommit, and one conflicting vote of each, per round.
    votes = [
        Vote(type_, 1, r, run.block_hash(f"{label}{r}", 1))
        for r in range(bound // 4 + 1)
        for type_ in (VoteType.PREVOTE, VoteType.PRECOMMIT)
        for label in ("A", "B")
    ]
    for vote in votes[:bound]:
        machine.step(VoteReceived(sign_vote(run.key("v1"), CHAIN_ID, vote)), 0)
    assert machine.counters["vote_over_signer_limit"] == 0
    assert machine.counters["vote_equivocation"] == bound // 2
    machine.step(VoteReceived(sign_vote(run.key("v1"), CHAIN_ID, votes[bound])), 0)
    assert machine.counters["vote_over_signer_limit"] == 1
    # Another validator's vote still counts.
    last_round = votes[bound].round
    other = Vote(VoteType.PREVOTE, 1, last_round, votes[bound].block_hash)
    machine.step(VoteReceived(sign_vote(run.key("v2"), CHAIN_ID, other)), 0)
    assert machine.prevotes[last_round].power_for(other.block_hash) == 10


def test_late_round_junk_cannot_crowd_out_the_next_heights_round_0_proposal() -> None:
    run = interaction()
    machine = run.machine
    assert machine is not None
    validators = run.validators

    def propose(label: str, round_: Round, size: int) -> None:
        block = sized_block(run, label, 2, size)
        proposer = run.name_of(validators.get_proposer(2, round_).address)
        signed = sign_proposal(run.key(proposer), CHAIN_ID, Proposal(2, round_, -1, block.hash))
        machine.step(ProposalReceived(signed, block), 0)

    # Proposals for late rounds of height 2 fill the next-height buffer to its edge.
    fill = limits.next_height_proposal_bytes_max // FRAME
    for r in range(1, fill + 1):
        propose(f"JUNK{r}", r, FRAME)
    assert machine.counters["next_height_proposal_over_bytes"] == 0
    propose("LATER", fill + 1, 1_000)
    assert machine.counters["next_height_proposal_over_bytes"] == 1
    # The round-0 proposal of height 2 still gets in, pushing out the latest round.
    propose("X", 0, FRAME)
    assert machine.counters["next_height_proposal_over_bytes"] == 1
    run.run("commit A r=0 by=v1,v2,v3")
    output = run.run("timeout commit r=0")
    assert "broadcast prevote h2 r0 X" in output
    assert [h.signed.proposal.round for h in machine.proposals.held()] == list(range(fill))
