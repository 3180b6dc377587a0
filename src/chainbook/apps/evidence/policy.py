"""Is a case's policy met? "k of these n entries", each entry met by a distinct institution.

An entry is a role (met by an endorsement whose institution held that role when it endorsed)
or an institution id (met by that institution's endorsement). One institution meets at most
one entry, so "2 of [notary_office, forensic_centre]" needs two institutions even if one holds
both roles, and "2 of [notary_office, notary_office]" asks for two notaries. The policy is met
when a matching of entries to distinct endorsers has at least k pairs: the maximum bipartite
matching (augmenting paths, Kuhn's algorithm), at most 16 x 16 here, so a few hundred steps.
The result is deterministic: entries are tried in policy order, endorsers in endorsement order.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec


class PolicyEntry(msgspec.Struct, frozen=True):
    kind: str
    """"role" or "institution"."""
    name: str


class Endorser(msgspec.Struct, frozen=True):
    institution: str
    roles: list[str]


def get_policy_entries(roles: Sequence[str], institutions: Sequence[str]) -> list[PolicyEntry]:
    return [PolicyEntry("role", r) for r in roles] + [
        PolicyEntry("institution", i) for i in institutions
    ]


def is_entry_met_by(entry: PolicyEntry, endorser: Endorser) -> bool:
    if entry.kind == "role":
        return entry.name in endorser.roles
    return entry.name == endorser.institution


def compute_matching(entries: Sequence[PolicyEntry], endorsers: Sequence[Endorser]) -> list[int]:
    """For each entry, the index of the endorser meeting it in a maximum matching, or -1."""
    owner_of: list[int] = [-1] * len(endorsers)
    """owner_of[e] = the entry endorser e meets, or -1."""

    def augment(entry: int, seen: list[bool]) -> bool:
        for e, endorser in enumerate(endorsers):
            if seen[e] or not is_entry_met_by(entries[entry], endorser):
                continue
            seen[e] = True
            if owner_of[e] == -1 or augment(owner_of[e], seen):
                owner_of[e] = entry
                return True
        return False

    for entry in range(len(entries)):
        augment(entry, [False] * len(endorsers))
    matched = [-1] * len(entries)
    for e, entry in enumerate(owner_of):
        if entry != -1:
            matched[entry] = e
    return matched


def count_met(entries: Sequence[PolicyEntry], endorsers: Sequence[Endorser]) -> int:
    return sum(1 for e in compute_matching(entries, endorsers) if e != -1)


__all__ = [
    "Endorser",
    "PolicyEntry",
    "compute_matching",
    "count_met",
    "get_policy_entries",
    "is_entry_met_by",
]
