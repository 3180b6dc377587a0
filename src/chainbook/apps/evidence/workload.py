"""The evidence module's simulated clients: parties submit case files, institutions endorse
them until their policies are met.

Three simulated institutions sign as endorsers the simulator registers (apps/base.py
InstitutionWorkload): a notary office, a forensic centre, and a court that is also a
certificate authority. Any account submits case files (evidence.submitted) whose policies name
endorsing roles and sometimes those institutions by id; an endorser endorses a case it has not
endorsed yet with the case's digest (evidence.endorsed, evidence.policy_met once enough have).
Refused, as they must be: an endorsement by an account that is no institution
(evidence.not_an_institution), by one revoked (evidence.institution_revoked) or not yet
registered, a second one by the same institution (evidence.already_endorsed), one naming
another digest (evidence.digest_mismatch); a policy that could never be met (k > n, an
institution nobody registered: evidence.invalid_policy); a case id submitted twice
(evidence.case_exists).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec

from chainbook.apps.base import Rng, SimInstitution
from chainbook.apps.evidence.actions import Document, Endorse, Submit
from chainbook.apps.evidence.digest import compute_case_digest
from chainbook.apps.evidence.state import ENDORSING_ROLES
from chainbook.types import Address, Hash

PARTIES = (("notary_office",), ("forensic_centre",), ("court", "certificate_authority"))
REMEMBERED_MAX = 64
"""Cases a workload remembers to endorse or submit again."""
UNREGISTERED = "notary-nowhere"


@dataclass(slots=True)
class SimCase:
    digest: Hash
    endorsers: set[str] = field(default_factory=set)


class EvidenceWorkload:
    def __init__(self) -> None:
        self.endorser_of: dict[Address, str] = {}
        """An endorsing institution's address -> its id."""
        self.cases: dict[str, SimCase] = {}
        self.sent = 0

    def institution_roles(self) -> Sequence[Sequence[str]]:
        return PARTIES

    def on_institutions(self, institutions: Sequence[SimInstitution]) -> None:
        self.endorser_of = {
            entry.address: entry.id
            for entry in institutions
            if set(entry.roles) & set(ENDORSING_ROLES)
        }

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        draw = rng.random()
        names = sorted(self.cases)
        mine = self.endorser_of.get(sender)
        open_to_me = [n for n in names if mine is not None and mine not in self.cases[n].endorsers]
        if draw < 0.45 and open_to_me:
            case = rng.choice(open_to_me)
            digest = self.cases[case].digest if draw < 0.42 else rng.randbytes(32)
            return Endorse(case, digest, "witnessed")
        if draw < 0.55 and names:
            case = rng.choice(names)  # already endorsed by it, or no institution's key: refused
            return Endorse(case, self.cases[case].digest, "again")
        if draw < 0.6 and names:
            case = rng.choice(names)  # a second submission of an id: refused
            return Submit(case, "again", [Document("x", rng.randbytes(32))], 1, ["court"])
        return self._submit(rng, sender, draw)

    def _submit(self, rng: Rng, sender: Address, draw: float) -> Submit:
        self.sent += 1
        documents = [Document(f"record-{i}", rng.randbytes(32)) for i in range(rng.randint(1, 4))]
        roles = [rng.choice(ENDORSING_ROLES) for _ in range(rng.randint(1, 3))]
        institutions: list[str] = []
        endorsers = sorted(self.endorser_of.values())
        if endorsers and rng.random() < 0.3:
            institutions.append(rng.choice(endorsers))
        if draw > 0.97:
            institutions.append(UNREGISTERED)  # nobody registered it: refused
        entries = len(roles) + len(institutions)
        required = rng.randint(1, entries + (1 if draw > 0.94 else 0))  # sometimes k > n
        return Submit(f"case-{sender.hex()[:8]}-{self.sent}", "a dispute", documents, required,
                      roles, institutions)

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if not ok:
            return
        match action:
            case Submit(case=case) if len(self.cases) < REMEMBERED_MAX:
                self.cases[case] = SimCase(compute_case_digest(action, sender))
            case Endorse(case=case) if case in self.cases and sender in self.endorser_of:
                self.cases[case].endorsers.add(self.endorser_of[sender])
            case _:
                pass


__all__ = ["EvidenceWorkload"]
