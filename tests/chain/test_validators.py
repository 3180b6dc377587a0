"""Validator set: quorum arithmetic and the weighted proposer rotation."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainbook.chain.validators import Validator, ValidatorSet
from chainbook.crypto import PrivateKey


def make_set(powers: list[int]) -> ValidatorSet:
    return ValidatorSet(
        [
            Validator(PrivateKey.from_label(f"v{i}").public_key, p, f"v{i}")
            for i, p in enumerate(powers)
        ]
    )


@given(st.lists(st.integers(1, 50), min_size=1, max_size=12))
def test_each_validator_proposes_in_proportion_to_its_power(powers: list[int]) -> None:
    validators = make_set(powers)
    period = validators.power_total
    counts = Counter(validators.get_proposer(h, 0).address for h in range(period))
    for v in validators.validators:
        assert counts[v.address] == v.power


def test_rotation_is_smooth_like_nginx_weighted_round_robin() -> None:
    """Weights 5, 1, 1 give a a b a c a a (nginx's documented example), not a a a a a b c."""
    validators = make_set([5, 1, 1])
    name = {v.address: v.name for v in validators.validators}
    by_power = {v.power: v.name for v in validators.validators if v.power == 5}
    sequence = [name[validators.get_proposer(h, 0).address] for h in range(7)]
    a = by_power[5]
    assert [n == a for n in sequence] == [True, True, False, True, False, True, True]
    assert len(set(sequence)) == 3


def test_next_round_moves_to_the_next_proposer() -> None:
    validators = make_set([10, 10, 10, 10])
    proposers = [validators.get_proposer(7, r).address for r in range(4)]
    assert len(set(proposers)) == 4


@pytest.mark.parametrize(
    ("powers", "quorum", "one_third"),
    [
        ([1, 1, 1, 1], 3, 2),
        ([10, 10, 10, 10], 27, 14),
        ([1], 1, 1),
        ([1, 1, 1, 1, 1, 1, 1], 5, 3),
    ],
)
def test_quorum_is_strictly_more_than_two_thirds(
    powers: list[int], quorum: int, one_third: int
) -> None:
    validators = make_set(powers)
    assert validators.quorum_power == quorum
    assert validators.one_third_power == one_third
    assert 3 * validators.quorum_power > 2 * validators.power_total
    assert 3 * (validators.quorum_power - 1) <= 2 * validators.power_total


def test_bad_sets_are_refused() -> None:
    key = PrivateKey.from_label("a").public_key
    with pytest.raises(ValueError, match="at least one"):
        ValidatorSet([])
    with pytest.raises(ValueError, match="power must be > 0"):
        ValidatorSet([Validator(key, 0)])
    with pytest.raises(ValueError, match="duplicate"):
        ValidatorSet([Validator(key, 1), Validator(key, 2)])
    with pytest.raises(ValueError, match="32 bytes"):
        ValidatorSet([Validator(b"short", 1)])
