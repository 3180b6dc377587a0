"""The evidence module's simulated clients: case files submitted (role policies, now and then
one that could never be met, refused), and endorsements by the simulated accounts, which are no
institution's keys (refused, evidence.not_an_institution: the simulator's institutions are
registered by governance under keys no simulated client holds)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng
from chainbook.apps.evidence.actions import Document, Endorse, Submit
from chainbook.apps.evidence.state import ENDORSING_ROLES
from chainbook.types import Address

REMEMBERED_MAX = 64
"""Case ids a workload remembers to endorse or submit again."""


class EvidenceWorkload:
    def __init__(self) -> None:
        self.cases: list[str] = []
        self.sent = 0

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        draw = rng.random()
        if draw < 0.3 and self.cases:
            return Endorse(rng.choice(self.cases), rng.randbytes(32), "witnessed")
        if draw < 0.4 and self.cases:
            case = rng.choice(self.cases)  # a second submission of an id: refused
            return Submit(case, "again", [Document("x", rng.randbytes(32))], 1, ["court"])
        self.sent += 1
        documents = [Document(f"record-{i}", rng.randbytes(32)) for i in range(rng.randint(1, 4))]
        roles = [rng.choice(ENDORSING_ROLES) for _ in range(rng.randint(1, 3))]
        required = rng.randint(1, len(roles) + (1 if draw > 0.9 else 0))  # sometimes k > n
        return Submit(f"case-{sender.hex()[:8]}-{self.sent}", "a dispute", documents, required,
                      roles)

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if ok and isinstance(action, Submit) and len(self.cases) < REMEMBERED_MAX:
            self.cases.append(action.case)


__all__ = ["EvidenceWorkload"]
