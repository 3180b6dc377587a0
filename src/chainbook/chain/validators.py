"""The validator set: who votes, with what power, and the quorum arithmetic.

Invariants (checked at construction, an AssertionError if broken by our own code; a ValueError
for a bad genesis or governance input):
- validators are sorted by address, addresses are unique, every power is > 0;
- power_total <= limits.power_total_max, so the proposer schedule stays small.
A quorum is strictly more than two thirds of power_total; with n >= 3f+1 equal powers, any two
quorums intersect in at least one honest validator, which is what makes commits final.
"""

from __future__ import annotations

from functools import cached_property

import msgspec

from chainbook import codec, limits
from chainbook.crypto import PUBLIC_KEY_BYTES, address_from_public_key, sha256
from chainbook.types import Address, Hash, Power, PublicKey


class Validator(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    public_key: PublicKey
    power: Power
    name: str = ""

    @property
    def address(self) -> Address:
        return address_from_public_key(self.public_key)


class ValidatorSet:
    """An immutable, address-sorted list of validators with cached lookups."""

    __slots__ = ("__dict__", "_index_by_address", "power_total", "validators")

    def __init__(self, validators: list[Validator]) -> None:
        if not validators:
            raise ValueError("a validator set needs at least one validator")
        if len(validators) > limits.validators_max:
            raise ValueError(f"{len(validators)} validators, limit {limits.validators_max}")
        for v in validators:
            if len(v.public_key) != PUBLIC_KEY_BYTES:
                raise ValueError(f"validator {v.name!r}: public key must be 32 bytes")
            if v.power <= 0:
                raise ValueError(f"validator {v.name!r}: power must be > 0, got {v.power}")
        ordered = sorted(validators, key=lambda v: v.address)
        self.validators: tuple[Validator, ...] = tuple(ordered)
        self._index_by_address = {v.address: i for i, v in enumerate(ordered)}
        if len(self._index_by_address) != len(ordered):
            raise ValueError("duplicate validator public key")
        self.power_total: Power = sum(v.power for v in ordered)
        if self.power_total > limits.power_total_max:
            raise ValueError(f"total power {self.power_total}, limit {limits.power_total_max}")

    def __len__(self) -> int:
        return len(self.validators)

    @property
    def quorum_power(self) -> Power:
        """The smallest power that is strictly more than 2/3 of the total."""
        return self.power_total * 2 // 3 + 1

    @property
    def one_third_power(self) -> Power:
        """The smallest power that is strictly more than 1/3 (f+1): one honest member at least."""
        return self.power_total // 3 + 1

    def index_of(self, address: Address) -> int | None:
        return self._index_by_address.get(address)

    def get_by_index(self, index: int) -> Validator | None:
        if 0 <= index < len(self.validators):
            return self.validators[index]
        return None

    def is_validator(self, address: Address) -> bool:
        return address in self._index_by_address

    @cached_property
    def hash(self) -> Hash:
        return sha256(codec.encode(list(self.validators)))

    @cached_property
    def proposer_schedule(self) -> tuple[int, ...]:
        """One period of smooth weighted round robin: validator indexes, length power_total.

        Each validator appears `power` times per period, spread out rather than in a run
        (the nginx smooth weighted round-robin rule, the idea behind CometBFT's proposer
        priorities). Computed once per set; `get_proposer` indexes it by height + round.
        """
        current = [0] * len(self.validators)
        schedule = []
        for _ in range(self.power_total):
            for i, v in enumerate(self.validators):
                current[i] += v.power
            best = max(range(len(current)), key=lambda i: (current[i], -i))
            current[best] -= self.power_total
            schedule.append(best)
        return tuple(schedule)

    def get_proposer(self, height: int, round_: int) -> Validator:
        """The proposer of (height, round): the same answer on every node, weighted by power."""
        schedule = self.proposer_schedule
        return self.validators[schedule[(height + round_) % len(schedule)]]


__all__ = ["Validator", "ValidatorSet"]
