"""Votes of one type for one (height, round), tallied by voting power.

A validator's first vote counts; a second, different vote for the same slot is equivocation:
it is not counted (so it cannot tip a tally) and is reported as evidence.
"""

from __future__ import annotations

import enum

from chainbook.chain.commit import NIL, SignedVote, VoteType
from chainbook.chain.validators import ValidatorSet
from chainbook.types import Address, Hash, Height, Power, Round


class AddResult(enum.Enum):
    ADDED = "added"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


class VoteSet:
    __slots__ = (
        "_by_validator",
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
            return AddResult.CONFLICT, existing
        index = self.validators.index_of(signed.validator)
        assert index is not None, "only validators' votes reach a vote set"
        power = self.validators.validators[index].power
        self._by_validator[signed.validator] = signed
        block_hash = signed.vote.block_hash
        self._power_by_block[block_hash] = self._power_by_block.get(block_hash, 0) + power
        self.power_any += power
        return AddResult.ADDED, None

    def power_for(self, block_hash: Hash) -> Power:
        return self._power_by_block.get(block_hash, 0)

    def has_quorum_for(self, block_hash: Hash) -> bool:
        return self.power_for(block_hash) >= self.validators.quorum_power

    def has_quorum_any(self) -> bool:
        return self.power_any >= self.validators.quorum_power

    def quorum_block(self) -> Hash | None:
        """The block hash (not NIL) with > 2/3 of the power, if any."""
        for block_hash, power in self._power_by_block.items():
            if block_hash != NIL and power >= self.validators.quorum_power:
                return block_hash
        return None

    def votes_for(self, block_hash: Hash) -> list[SignedVote]:
        return [v for v in self._by_validator.values() if v.vote.block_hash == block_hash]

    def all_votes(self) -> list[SignedVote]:
        return list(self._by_validator.values())

    def __len__(self) -> int:
        return len(self._by_validator)


__all__ = ["AddResult", "VoteSet"]
