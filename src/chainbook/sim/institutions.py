"""The simulated chain's institutions: which simulated account signs as which institution, and
which registry changes the validators make during a run.

Rules kept:
- The module workloads that act as institutions (apps/base.py InstitutionWorkload) ask for
  institutions as lists of roles. Each list goes to one simulated account: the one with the
  fewest roles so far (then the lowest index) among those the same module has not used yet,
  so one module's parties are distinct accounts while there are enough of them; the roles of
  every module that chose an account merge into that account's one institution (a key belongs
  to one institution in the registry). The last simulated account is never an institution
  (when there are two or more): the outsider, whose every institution action is refused.
- No randomness: the roster is a function of the registry (its order) and the account count,
  the same in every seed.
- An institution holds at most governance's institution_roles_max roles; a roster past it is
  a ValueError naming the account and the roles (the modules asked too much of too few
  accounts: run more accounts, or ask fewer roles per party).
- The plan of a seed is drawn after the fault plan and only when the roster is not empty, so a
  registry without institution workloads draws exactly what it drew before: sometimes one
  institution is left out of the genesis and registered by a governance proposal once the
  agreed height reaches a drawn one, and sometimes another is revoked the same way. The
  validators propose and vote (sim/governance.py); the workloads keep acting as their roster
  says, so the chain refuses the revoked one's institution actions and the late one's before
  its registration, which the outcome counts show (sim/workload.py).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chainbook.apps.base import InstitutionWorkload, ModuleWorkload, SimInstitution
from chainbook.apps.governance.limits import institution_roles_max
from chainbook.crypto import PrivateKey
from chainbook.types import Height

LATE_SHARE = 0.3
"""Of the seeds with institutions, the share that registers one of them by a proposal."""
REVOKE_SHARE = 0.5
"""Of the seeds with institutions, the share that revokes one (never the late one)."""
REGISTER_HEIGHTS = (1, 2)
"""The agreed height after which the late registration is proposed: drawn in this range. A
change takes effect about five heights after it is proposed (included, voted on, passed,
two heights to activation), and a run commits 8 to 15 heights."""
REVOKE_HEIGHTS = (1, 4)


def institution_id(account_index: int) -> str:
    return f"sim-institution-{account_index}"


def build_roster(
    workloads: Mapping[str, ModuleWorkload], keys: Sequence[PrivateKey]
) -> list[SimInstitution]:
    """The institutions the module workloads asked for, on the accounts of `keys` (module
    docstring), in account order."""
    usable = len(keys) - 1 if len(keys) >= 2 else len(keys)
    roles: list[set[str]] = [set() for _ in range(usable)]
    chosen: list[bool] = [False] * usable
    for workload in workloads.values():
        if not isinstance(workload, InstitutionWorkload) or usable == 0:
            continue
        used: set[int] = set()
        for party in workload.institution_roles():
            free = [i for i in range(usable) if i not in used] or list(range(usable))
            index = min(free, key=lambda i: (len(roles[i]), i))
            used.add(index)
            roles[index] |= set(party)
            chosen[index] = True
    roster = []
    for index in range(usable):
        if not chosen[index]:
            continue
        if len(roles[index]) > institution_roles_max:
            raise ValueError(
                f"simulated account {index} would hold {len(roles[index])} institution roles "
                f"{sorted(roles[index])}, at most {institution_roles_max}: simulate more "
                "accounts or have the workloads ask fewer roles per institution"
            )
        key = keys[index]
        roster.append(
            SimInstitution(
                id=institution_id(index),
                name=f"Simulated institution {index}",
                roles=tuple(sorted(roles[index])),
                public_key=key.public_key,
                address=key.address,
            )
        )
    return roster


@dataclass(frozen=True, slots=True)
class InstitutionPlan:
    """What one seed does with the registry (module docstring)."""

    at_genesis: tuple[SimInstitution, ...]
    late: SimInstitution | None = None
    """Left out of the genesis; registered by a proposal after `register_after`."""
    register_after: Height = 0
    revoked: SimInstitution | None = None
    """Revoked by a proposal after `revoke_after`."""
    revoke_after: Height = 0

    @property
    def kinds(self) -> list[str]:
        """What the seed's summary names: "institution:late", "institution:revoked"."""
        return [
            f"institution:{name}"
            for name, entry in (("late", self.late), ("revoked", self.revoked))
            if entry is not None
        ]


def draw_institution_plan(
    rng: random.Random, roster: Sequence[SimInstitution]
) -> InstitutionPlan:
    if not roster:
        return InstitutionPlan(at_genesis=())
    late = rng.choice(roster) if rng.random() < LATE_SHARE else None
    others = [entry for entry in roster if entry is not late]
    revoked = rng.choice(others) if others and rng.random() < REVOKE_SHARE else None
    return InstitutionPlan(
        at_genesis=tuple(entry for entry in roster if entry is not late),
        late=late,
        register_after=rng.randint(*REGISTER_HEIGHTS),
        revoked=revoked,
        revoke_after=rng.randint(*REVOKE_HEIGHTS),
    )


__all__ = [
    "LATE_SHARE",
    "REVOKE_SHARE",
    "InstitutionPlan",
    "build_roster",
    "draw_institution_plan",
    "institution_id",
]
