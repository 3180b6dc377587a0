"""Equivocation: the conflicting twin of every vote and proposal a Byzantine validator signs.

Used by sim/adversary.py for Strategy.EQUIVOCATE.

Rules kept:
- It signs with its own key, outside the machine's never-double-sign guard, a second message
  for every vote and proposal the machine signs, and sends the original to one half of the
  other nodes and the conflict to the other half (the halves are redrawn at every height):
      vote for block B      -> conflict: the same vote for nil
      vote for nil          -> conflict: a vote for the other proposal of that round if it
                               made one, else for a block nobody has (a random hash)
      proposal of block B   -> conflict: a proposal of a different block B' built for the
                               same height (another block time), pol_round -1
  One peer per height (the witness) receives both (sim/adversary.py sends it the pair): an
  equivocator cannot keep every node from seeing its two votes (gossip, a polka re-sent), and
  the witness builds the evidence.
- Twins are cached per original message, so its re-sends carry the same twin, and
  forgotten once the adversary is two heights past them.
"""

from __future__ import annotations

import random

from chainbook.chain.commit import NIL, Proposal, SignedVote, Vote, sign_proposal, sign_vote
from chainbook.consensus.machine import ConsensusLedger
from chainbook.consensus.messages import ConsensusMessage, ProposalMessage, VoteMessage
from chainbook.crypto import PrivateKey
from chainbook.types import Hash, Height, Round, TimeMs


class Equivocator:
    def __init__(self, key: PrivateKey, chain_id: str, rng: random.Random) -> None:
        self.key = key
        self.chain_id = chain_id
        self.rng = rng
        self._halves_height: Height = -1
        self._half_a: frozenset[int] = frozenset()
        self._witness: int | None = None
        self._second_proposals: dict[tuple[Height, Round], Hash] = {}
        self._twins: dict[bytes, tuple[Height, ConsensusMessage | None]] = {}
        """Original signature -> (its height, its twin), so a re-sent message gets the same
        twin; forgotten below the height the adversary is at (`forget_below`)."""
        self.votes_equivocated = 0
        self.proposals_equivocated = 0

    def half_a(self, height: Height, peers: list[int]) -> frozenset[int]:
        """The peers that get the machine's own message at this height (redrawn per height)."""
        if height != self._halves_height:
            shuffled = list(peers)
            self.rng.shuffle(shuffled)
            self._half_a = frozenset(shuffled[: len(shuffled) // 2])
            self._witness = shuffled[-1] if shuffled else None
            self._halves_height = height
        return self._half_a

    def witness(self, height: Height, peers: list[int]) -> int | None:
        """The peer that gets both messages at this height (drawn with the halves)."""
        self.half_a(height, peers)
        return self._witness

    def conflict(
        self, message: ConsensusMessage, app: ConsensusLedger, now_ms: TimeMs
    ) -> ConsensusMessage | None:
        """The conflicting twin of a message the machine signed, or None if it cannot make one."""
        signature = _signature_of(message)
        if signature not in self._twins:
            twin = self._make_conflict(message, app, now_ms)
            self._twins[signature] = (_height_of(message), twin)
        return self._twins[signature][1]

    def forget_below(self, height: Height) -> None:
        """Drop the twins of heights below `height`: nothing re-sends them (bounded memory)."""
        self._twins = {s: t for s, t in self._twins.items() if t[0] >= height}
        self._second_proposals = {
            k: h for k, h in self._second_proposals.items() if k[0] >= height
        }

    @property
    def cached_messages(self) -> int:
        return len(self._twins) + len(self._second_proposals)

    def _make_conflict(
        self, message: ConsensusMessage, app: ConsensusLedger, now_ms: TimeMs
    ) -> ConsensusMessage | None:
        match message:
            case VoteMessage(vote=signed):
                return self._conflicting_vote(signed)
            case ProposalMessage():
                return self._conflicting_proposal(message, app, now_ms)
        return None

    def _conflicting_vote(self, signed: SignedVote) -> VoteMessage | None:
        if signed.validator != self.key.address:
            return None
        vote = signed.vote
        other = self._conflicting_hash(vote.height, vote.round, vote.block_hash)
        twin = Vote(type=vote.type, height=vote.height, round=vote.round, block_hash=other)
        self.votes_equivocated += 1
        return VoteMessage(vote=sign_vote(self.key, self.chain_id, twin))

    def _conflicting_hash(self, height: Height, round_: Round, block_hash: Hash) -> Hash:
        if block_hash != NIL:
            return NIL
        second = self._second_proposals.get((height, round_))
        if second is not None:
            return second
        return self.rng.randbytes(32)

    def _conflicting_proposal(
        self, message: ProposalMessage, app: ConsensusLedger, now_ms: TimeMs
    ) -> ProposalMessage | None:
        proposal = message.proposal.proposal
        original = message.block
        block = app.build_block(
            original.height,
            max(now_ms, original.header.time_ms) + 1 + self.rng.randrange(50),
            self.key.address,
            original.last_commit,
        )
        if block.hash == original.hash:
            return None
        twin = Proposal(
            height=proposal.height, round=proposal.round, pol_round=-1, block_hash=block.hash
        )
        self._second_proposals[(proposal.height, proposal.round)] = block.hash
        self.proposals_equivocated += 1
        return ProposalMessage(proposal=sign_proposal(self.key, self.chain_id, twin), block=block)


def _height_of(message: ConsensusMessage) -> Height:
    match message:
        case VoteMessage(vote=signed):
            return signed.vote.height
        case ProposalMessage(proposal=signed):
            return signed.proposal.height
    raise AssertionError(f"unknown consensus message {type(message).__name__}")


def _signature_of(message: ConsensusMessage) -> bytes:
    match message:
        case VoteMessage(vote=signed):
            return signed.signature
        case ProposalMessage(proposal=signed):
            return signed.signature
    raise AssertionError(f"unknown consensus message {type(message).__name__}")


__all__ = ["Equivocator"]
