"""Properties of the k-of-n policy against a brute-force model: the matching finds as many
entries met by distinct endorsers as the best assignment does, and never pairs an entry with
an endorser that cannot meet it or uses an endorser twice."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.apps.evidence import ENDORSING_ROLES, Endorser, PolicyEntry, compute_matching
from chainbook.apps.evidence.policy import is_entry_met_by

IDS = ["a", "b", "c", "d", "e"]
entries_st = st.lists(
    st.one_of(
        st.builds(PolicyEntry, st.just("role"), st.sampled_from(ENDORSING_ROLES)),
        st.builds(PolicyEntry, st.just("institution"), st.sampled_from(IDS)),
    ),
    min_size=1,
    max_size=5,
)
endorsers_st = st.lists(
    st.builds(
        Endorser,
        st.sampled_from(IDS),
        st.lists(st.sampled_from(ENDORSING_ROLES), min_size=1, max_size=2, unique=True),
    ),
    max_size=5,
    unique_by=lambda e: e.institution,
)


def best_by_brute_force(entries: list[PolicyEntry], endorsers: list[Endorser]) -> int:
    """The most entries distinct endorsers can meet: try every assignment."""
    best = 0
    slots = [None, *range(len(endorsers))]
    for choice in itertools.product(slots, repeat=len(entries)):
        used = [c for c in choice if c is not None]
        if len(used) != len(set(used)):
            continue
        if all(c is None or is_entry_met_by(entries[i], endorsers[c])
               for i, c in enumerate(choice)):
            best = max(best, len(used))
    return best


@settings(max_examples=300, deadline=None)
@given(entries_st, endorsers_st)
def test_the_matching_is_maximum_and_sound(
    entries: list[PolicyEntry], endorsers: list[Endorser]
) -> None:
    matching = compute_matching(entries, endorsers)
    used = [m for m in matching if m != -1]
    assert len(used) == len(set(used)), "an endorser meets one entry"
    for entry, m in zip(entries, matching, strict=True):
        if m != -1:
            assert is_entry_met_by(entry, endorsers[m])
    assert len(used) == best_by_brute_force(entries, endorsers)


@settings(max_examples=100, deadline=None)
@given(entries_st, endorsers_st)
def test_more_endorsements_never_meet_fewer_entries(
    entries: list[PolicyEntry], endorsers: list[Endorser]
) -> None:
    counts = [
        sum(1 for m in compute_matching(entries, endorsers[:n]) if m != -1)
        for n in range(len(endorsers) + 1)
    ]
    assert counts == sorted(counts), "a met policy stays met (met_height is final)"
