"""The identity module's simulated clients: credentials issued and revoked.

The simulated accounts are not registered authorities (the governance workload registers
random keys, whose seeds nobody holds), so their issues are refused with
identity.not_authorised and their revocations with identity.unknown_credential or
identity.not_issuer: the simulator exercises the refusal paths (the governance export read
inside an action, on every node, under faults); the success paths are the unit and property
tests' (tests/apps/identity/).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng
from chainbook.apps.identity.actions import Issue, Revoke
from chainbook.apps.identity.state import CREDENTIAL_TYPES
from chainbook.types import Address, Hash

TYPES = sorted(CREDENTIAL_TYPES)
REMEMBERED_MAX = 64


class IdentityWorkload:
    def __init__(self) -> None:
        self.sent: list[Hash] = []

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        if self.sent and rng.random() < 0.3:
            return Revoke(rng.choice(self.sent), "simulated revocation")
        commitment = rng.randbytes(32)
        if len(self.sent) < REMEMBERED_MAX:
            self.sent.append(commitment)
        subject: Address = rng.choice(accounts)
        return Issue(commitment, rng.choice(TYPES), subject, 0)

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        return None


__all__ = ["IdentityWorkload"]
