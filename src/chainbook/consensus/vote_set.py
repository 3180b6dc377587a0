"""Votes of one type for one (height, round), tallied by voting power.

A validator's first vote counts; a second, different vote for the same slot is equivocation,
reported as evidence -- and also counted for its own block hash (once per validator per set),
because the paper tallies each value separately: `2f+1 <PREVOTE, h, r, id(v)>` means 2f+1
distinct senders of that message. Counting only the first vote breaks liveness: an honest node
that saw a polka including the equivocator's vote for B locks on B, while peers that received
the equivocator's other vote first could never count that polka and never accept B's
re-proposal (found by the simulator, `chainbook simulate --seed 33`). Safety is unchanged: two
quorums for different values in one round still share f+1 validators, one of them honest.
At most one conflicting vote per validator is counted, which bounds memory; `power_any` still
counts each validator once. The first conflicting vote is reported once (CONFLICT, the evidence);
a copy of either counted vote is a DUPLICATE, and any further different vote is CONFLICT_AGAIN:
neither is counted nor reported again.
"""

from __future__ import annotations

import enum

from chainbook.chain.commit import SignedVote, VoteType
from chainbook.chain.validators import ValidatorSet
from chainbook.types import Address, Hash, Height, Power, Round


class AddResult(enum.Enum):
    ADDED = "added"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    """The validator's first vote for another value: counted, and evidence of equivocation."""
    CONFLICT_AGAIN = "conflict_again"
    """A further different vote of a validator already caught: neither counted nor reported."""


class VoteSet:
    __slots__ = (
        "_by_validator",
        "_conflicting",
        "_power_by_block",
        "height",
        "power_any",
        "round",
        "type",
        "validators",
    )

    def __init__(
        self, validators: ValidatorSet, type_: VoteType, height: Height, round_: Round
    ) -> None:
        self.validators = validators
        self.type = type_
        self.height = height
        self.round = round_
        self._by_validator: dict[Address, SignedVote] = {}
        self._conflicting: dict[Address, SignedVote] = {}
        """A validator's second, different vote (equivocation), counted for its own hash."""
        self._power_by_block: dict[Hash, Power] = {}
        self.power_any: Power = 0
        """Power of all validators that voted, for anything (the paper's `*`)."""

    def add(self, signed: SignedVote) -> tuple[AddResult, SignedVote | None]:
        """Count a vote whose signature and slot the caller has already checked."""
        assert signed.vote.type == self.type and signed.vote.height == self.height
        assert signed.vote.round == self.round
        existing = self._by_validator.get(signed.validator)
        if existing is not None:
            if existing.vote.block_hash == signed.vote.block_hash:
                return AddResult.DUPLICATE, existing
            conflicting = self._conflicting.get(signed.validator)
            if conflicting is None:
                self._conflicting[signed.validator] = signed
                self._add_power(signed)
                return AddResult.CONFLICT, existing
            if conflicting.vote.block_hash == signed.vote.block_hash:
                return AddResult.DUPLICATE, conflicting
            return AddResult.CONFLICT_AGAIN, existing
        self._by_validator[signed.validator] = signed
        self.power_any += self._add_power(signed)
        return AddResult.ADDED, None

    def has(self, signed: SignedVote) -> bool:
        """This very vote (same signature) is already counted: a re-sent copy, no check needed."""
        validator = signed.validator
        return self._by_validator.get(validator) == signed or (
            self._conflicting.get(validator) == signed
        )

    def _add_power(self, signed: SignedVote) -> Power:
        index = self.validators.index_of(signed.validator)
        assert index is not None, "only validators' votes reach a vote set"
        power = self.validators.validators[index].power
        block_hash = signed.vote.block_hash
        self._power_by_block[block_hash] = self._power_by_block.get(block_hash, 0) + power
        return power

    def power_for(self, block_hash: Hash) -> Power:
        return self._power_by_block.get(block_hash, 0)

    def has_quorum_for(self, block_hash: Hash) -> bool:
        return self.power_for(block_hash) >= self.validators.quorum_power

    def block_hashes(self) -> list[Hash]:
        """Every value voted for (NIL included), in the order first seen."""
        return list(self._power_by_block)

    def votes_for(self, block_hash: Hash) -> list[SignedVote]:
        """Every counted vote for `block_hash`, at most one per validator."""
        votes = [v for v in self._by_validator.values() if v.vote.block_hash == block_hash]
        votes += [v for v in self._conflicting.values() if v.vote.block_hash == block_hash]
        return votes

    def __len__(self) -> int:
        return len(self._by_validator)


__all__ = ["AddResult", "VoteSet"]
