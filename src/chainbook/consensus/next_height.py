"""Proposals and votes for the next height, kept until the node gets there.

A node that is still deciding height h (or waiting timeout_commit) receives the first messages
of h + 1 from faster peers; dropping them would cost a round at every height. Rules kept:
- Only checked messages enter (consensus/checks.py, against the validator set of h + 1): a
  stranger or a forger cannot put anything here.
- Bounded per signer and in total: at most next_height_votes_per_signer_max votes of each
  validator (so at most next_height_votes_max in all: no signer can use up the room of
  another), and the proposals in a ProposalStore of next_height_proposal_bytes_max, which
  drops the highest rounds first (only round 0's proposer can sign a round-0 proposal, so late
  junk never crowds out the proposal the node needs first).
- Replayed in arrival order when the node enters h + 1.
- No bound per signer on proposal bytes: a kept proposal is signed by the proposer of its
  round, so each signer owns the rounds the schedule gives it, and the bytes bound evicts the
  highest rounds first: no signer can crowd out a lower round than its own. The worst a
  Byzantine proposer of round 0 can do is fill the store with its two round-0 proposals
  (16 MiB, the bound), which only delays an honest round-1 proposal until it is re-sent at
  h + 1 (the proposer re-sends every resend interval); a per-signer bound would buy that one
  re-send and cost a second accounting.
"""

from __future__ import annotations

from collections import Counter

from chainbook import limits
from chainbook.chain.commit import SignedVote
from chainbook.consensus.proposals import ProposalStore
from chainbook.types import Address, Height


class NextHeightMessages:
    __slots__ = ("_seen", "_votes", "_votes_by_signer", "height", "proposals")

    def __init__(self, height: Height) -> None:
        self.height = height
        self.proposals = ProposalStore(height, limits.next_height_proposal_bytes_max)
        self._votes: list[SignedVote] = []
        self._seen: set[SignedVote] = set()
        self._votes_by_signer: Counter[Address] = Counter()

    def has_vote(self, signed: SignedVote) -> bool:
        return signed in self._seen

    def is_signer_full(self, validator: Address) -> bool:
        return self._votes_by_signer[validator] >= limits.next_height_votes_per_signer_max

    def add_vote(self, signed: SignedVote) -> None:
        """Keep a checked vote; the caller has asked `has_vote` and `is_signer_full` first."""
        assert signed.vote.height == self.height and not self.is_signer_full(signed.validator)
        self._votes.append(signed)
        self._seen.add(signed)
        self._votes_by_signer[signed.validator] += 1
        assert len(self._votes) <= limits.next_height_votes_max

    def votes(self) -> list[SignedVote]:
        """The kept votes, in arrival order."""
        return list(self._votes)


__all__ = ["NextHeightMessages"]
