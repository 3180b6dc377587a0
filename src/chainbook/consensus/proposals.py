"""The proposals held for one height, bounded per round and in bytes.

Rules kept:
- Only proposals the caller has checked are added: signed by the proposer of their round, with
  a valid pol_round and the block they name. So the bound per round (proposals_per_round_max)
  is also the bound per signer and round; an honest proposer fills one slot, an equivocating one
  at most all of them, and every one it signed stays decidable (the paper's line 49).
- The encoded blocks held never exceed `bytes_max`. When a new proposal does not fit, held
  proposals whose round is farther from the current round than the new one's are dropped,
  farthest (then highest) first; if that is not enough, the new one is refused. The current
  round therefore always fits (bytes_max holds proposals_per_round_max blocks of a full frame):
  proposals for far rounds, which anyone who is a proposer there can send, never crowd it out.
- Arrival order is kept within a round: the paper's rules fire on the first proposal that
  satisfies them.
"""

from __future__ import annotations

import enum

import msgspec

from chainbook import codec, limits
from chainbook.chain.block import Block
from chainbook.chain.commit import SignedProposal
from chainbook.types import Hash, Height, Round


class AddProposalResult(enum.Enum):
    ADDED = "added"
    DUPLICATE = "duplicate"
    ROUND_FULL = "round_full"
    """The round already holds proposals_per_round_max other proposals."""
    OVER_BYTES = "over_bytes"
    """It does not fit, and no held proposal is farther from the current round."""


class HeldProposal(msgspec.Struct, frozen=True):
    signed: SignedProposal
    block: Block
    block_bytes: int


def compute_block_bytes(block: Block) -> int:
    """What holding the block costs, as its encoded size (its transactions dominate)."""
    return len(codec.encode(block))


class ProposalStore:
    __slots__ = ("_by_round", "bytes_held", "bytes_max", "evicted", "height")

    def __init__(self, height: Height, bytes_max: int) -> None:
        assert bytes_max >= limits.proposals_per_round_max * limits.frame_bytes_max
        self.height = height
        self.bytes_max = bytes_max
        self._by_round: dict[Round, list[HeldProposal]] = {}
        self.bytes_held = 0
        """Sum of block_bytes of the held proposals; <= bytes_max."""
        self.evicted = 0
        """Proposals dropped to make room for one closer to the current round (a metric)."""

    def has(self, signed: SignedProposal) -> bool:
        """This very proposal (same signature) is held: a re-sent copy."""
        return any(held.signed == signed for held in self._by_round.get(signed.proposal.round, ()))

    def of_round(self, round_: Round) -> list[HeldProposal]:
        """The proposals of `round_`, in the order they arrived."""
        return list(self._by_round.get(round_, ()))

    def get_block(self, block_hash: Hash) -> Block | None:
        for held_round in self._by_round.values():
            for held in held_round:
                if held.block.hash == block_hash:
                    return held.block
        return None

    def held(self) -> list[HeldProposal]:
        """Every held proposal, by round, in arrival order within a round."""
        return [held for r in sorted(self._by_round) for held in self._by_round[r]]

    def add(
        self,
        signed: SignedProposal,
        block: Block,
        round_now: Round,
        block_bytes: int | None = None,
    ) -> AddProposalResult:
        """Hold a checked proposal; `round_now` is the round the holder is in."""
        round_ = signed.proposal.round
        assert signed.proposal.height == self.height == block.height
        assert signed.proposal.block_hash == block.hash
        held_round = self._by_round.get(round_, [])
        if any(held.signed == signed for held in held_round):
            return AddProposalResult.DUPLICATE
        if len(held_round) >= limits.proposals_per_round_max:
            return AddProposalResult.ROUND_FULL
        if block_bytes is None:
            block_bytes = compute_block_bytes(block)
        if not self._make_room(block_bytes, round_, round_now):
            return AddProposalResult.OVER_BYTES
        self._by_round.setdefault(round_, []).append(HeldProposal(signed, block, block_bytes))
        self.bytes_held += block_bytes
        assert self.bytes_held <= self.bytes_max
        return AddProposalResult.ADDED

    def _make_room(self, block_bytes: int, round_: Round, round_now: Round) -> bool:
        if self.bytes_held + block_bytes <= self.bytes_max:
            return True
        distance = abs(round_ - round_now)
        farther = sorted(
            (r for r in self._by_round if abs(r - round_now) > distance),
            key=lambda r: (abs(r - round_now), r),
            reverse=True,
        )
        freeable = sum(held.block_bytes for r in farther for held in self._by_round[r])
        if self.bytes_held - freeable + block_bytes > self.bytes_max:
            return False
        for r in farther:
            held_round = self._by_round[r]
            while held_round and self.bytes_held + block_bytes > self.bytes_max:
                self.bytes_held -= held_round.pop().block_bytes
                self.evicted += 1
            if not held_round:
                del self._by_round[r]
            if self.bytes_held + block_bytes <= self.bytes_max:
                return True
        raise AssertionError("freeable bytes were counted but not freed")


__all__ = ["AddProposalResult", "HeldProposal", "ProposalStore", "compute_block_bytes"]
