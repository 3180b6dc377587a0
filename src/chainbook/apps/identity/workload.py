"""The identity module's simulated clients: authorities issue credentials and revoke some.

Three simulated authorities sign as institutions the simulator registers (apps/base.py
InstitutionWorkload): a civil registry that is also a university, a land registry that is also
a licensing body, and a credential authority. An authority mostly issues a kind its roles allow
(identity.issued) and revokes some of its own credentials (identity.revoked). Refused, as they
must be: an issue by an account that is no authority, of a kind the issuer's roles do not
allow, or by an authority the registry has not registered yet or has revoked
(identity.not_authorised); a revocation of another authority's credential (identity.not_issuer),
of one revoked already (identity.already_revoked) or never issued (identity.unknown_credential);
a commitment issued twice (identity.already_issued); a validity height far ahead
(identity.invalid_validity).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng, SimInstitution
from chainbook.apps.identity.actions import Issue, Revoke
from chainbook.apps.identity.state import CREDENTIAL_TYPES
from chainbook.types import Address, Hash

TYPES = sorted(CREDENTIAL_TYPES)
PARTIES = (("civil_registry", "university"), ("land_registry", "licensing_body"),
           ("credential_authority",))
"""The authorities this workload signs as (one institution each)."""
OUTSIDER_SHARE = 0.3
"""Of the turns of an account that is no authority, the share that sends anything (all
refused: it has nothing else to do here, and a refusal frees its turn at once)."""
REMEMBERED_MAX = 64
"""Commitments remembered per list (a run is short; older ones are simply not reused)."""


def _remember(items: list[Hash], item: Hash) -> None:
    if len(items) < REMEMBERED_MAX:
        items.append(item)


class IdentityWorkload:
    def __init__(self) -> None:
        self.kinds_of: dict[Address, list[str]] = {}
        """An authority's address -> the credential kinds its roles allow."""
        self.issued: dict[Address, list[Hash]] = {}
        """Credentials issued (ok) and not revoked, by the address that issued them."""
        self.everyone_issued: list[Hash] = []
        self.revoked: list[Hash] = []
        self.sent: list[Hash] = []

    def institution_roles(self) -> Sequence[Sequence[str]]:
        return PARTIES

    def on_institutions(self, institutions: Sequence[SimInstitution]) -> None:
        for entry in institutions:
            kinds = [kind for kind, role in CREDENTIAL_TYPES.items() if role in entry.roles]
            if kinds:
                self.kinds_of[entry.address] = kinds

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        if sender not in self.kinds_of and rng.random() >= OUTSIDER_SHARE:
            return None
        draw = rng.random()
        mine = self.issued.get(sender, [])
        if draw < 0.2 and mine:
            return Revoke(rng.choice(mine), "simulated revocation")
        if 0.2 <= draw < 0.23 and self.everyone_issued:
            return Revoke(rng.choice(self.everyone_issued), "not mine, maybe")
        if 0.23 <= draw < 0.24 and self.revoked:
            return Revoke(rng.choice(self.revoked), "again")
        if 0.24 <= draw < 0.25:
            return Revoke(rng.randbytes(32), "never issued")
        if 0.25 <= draw < 0.27 and self.sent:
            return Issue(rng.choice(self.sent), rng.choice(TYPES), sender, 0)
        kinds = self.kinds_of.get(sender)
        kind: str = rng.choice(kinds) if kinds and draw < 0.9 else rng.choice(TYPES)
        subject: bytes = rng.choice(accounts) if rng.random() < 0.7 else rng.randbytes(32)
        valid_until = 10**9 if draw > 0.98 else 0
        commitment = rng.randbytes(32)
        _remember(self.sent, commitment)
        return Issue(commitment, kind, subject, valid_until)

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if not ok:
            return
        match action:
            case Issue(commitment=commitment):
                _remember(self.issued.setdefault(sender, []), commitment)
                _remember(self.everyone_issued, commitment)
            case Revoke(commitment=commitment):
                mine = self.issued.get(sender, [])
                if commitment in mine:
                    mine.remove(commitment)
                if commitment in self.everyone_issued:
                    self.everyone_issued.remove(commitment)
                _remember(self.revoked, commitment)


__all__ = ["IdentityWorkload"]
