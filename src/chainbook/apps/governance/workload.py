"""Governance's simulated clients: the simulated accounts may propose (genesis allows them).

They submit registry and parameter proposals (some deliberately out of range or conflicting,
which must be refused with a failed receipt), withdraw proposals, and vote although they are
not validators (refused: only validators vote). The validators' own proposals and votes,
including every validator-set change, are driven by the simulator, which holds the
validators' keys (sim/governance.py).

The genesis section registers the simulated institutions the simulator keeps for the genesis
(`register_at_genesis`, apps/base.py RegistryWorkload): simulated accounts that other modules'
workloads sign as. The random registry proposals here use their own ids and keys nobody holds,
so they never touch those institutions.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng, SimInstitution
from chainbook.apps.governance.actions import (
    CastVote,
    Change,
    Propose,
    RegisterInstitution,
    RevokeInstitution,
    SetParameter,
    UpdateInstitution,
    Withdraw,
)
from chainbook.apps.governance.genesis import GenesisInstitution, GovernanceGenesis
from chainbook.apps.institutions import ROLES
from chainbook.types import Address

INSTITUTION_IDS = ("bank-a", "bank-b", "court-1", "notary-1", "customs")
"""A small pool, so registrations, updates and revocations of one id collide."""
ROLE_NAMES = sorted(ROLES)


class GovernanceWorkload:
    def __init__(self) -> None:
        self.proposals_sent = 0
        self.outcomes = {"ok": 0, "refused": 0}
        self.institutions: list[GenesisInstitution] = []

    def register_at_genesis(self, institutions: Sequence[SimInstitution]) -> None:
        self.institutions = [
            GenesisInstitution(entry.id, entry.name, list(entry.roles), [entry.public_key.hex()])
            for entry in institutions
        ]

    def genesis_section(self, accounts: Sequence[Address]) -> GovernanceGenesis:
        return GovernanceGenesis(
            proposers=[a.hex() for a in accounts], institutions=self.institutions
        )

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        draw = rng.random()
        if draw < 0.5:
            self.proposals_sent += 1
            return Propose(title=f"registry change {self.proposals_sent}", change=self._change(rng))
        if draw < 0.7:
            limit = max(self.proposals_sent, 1)
            return CastVote(proposal_id=rng.randint(1, limit), choice=rng.choice(["yes", "no"]))
        if draw < 0.8:
            return Withdraw(proposal_id=rng.randint(1, max(self.proposals_sent, 1)))
        return None

    def _change(self, rng: Rng) -> Change:
        draw = rng.random()
        institution_id: str = rng.choice(INSTITUTION_IDS)
        roles = sorted({rng.choice(ROLE_NAMES) for _ in range(rng.randint(1, 2))})
        keys = [rng.randbytes(32) for _ in range(rng.randint(1, 2))]
        if draw < 0.35:
            return RegisterInstitution(institution_id, institution_id.upper(), roles, keys)
        if draw < 0.55:
            return UpdateInstitution(institution_id, institution_id.title(), roles, keys)
        if draw < 0.7:
            return RevokeInstitution(institution_id, "simulated revocation")
        # In range mostly; sometimes out of range (refused at proposal time).
        value = rng.randint(1, 6_000) if rng.random() < 0.8 else 10**9
        return SetParameter("consensus.block_txs_max", value)

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        self.outcomes["ok" if ok else "refused"] += 1


__all__ = ["GovernanceWorkload"]
