"""The ip module's simulated clients: works registered, licensed and transferred, and now and
then a work filed a second time (refused: the first filing wins)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng
from chainbook.apps.ip.actions import GrantLicence, Register, Transfer
from chainbook.types import Address, Hash

REMEMBERED_MAX = 64
"""Works a simulated owner remembers."""


class IpWorkload:
    def __init__(self) -> None:
        self.owned: dict[Address, list[Hash]] = {}
        self.registered: list[Hash] = []

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        draw = rng.random()
        mine = self.owned.get(sender, [])
        if draw < 0.1 and self.registered:
            return Register(work=rng.choice(self.registered), title="copy", author="someone")
        if draw < 0.4 and mine:
            work = rng.choice(mine)
            licensee: Address = rng.choice(accounts)
            return GrantLicence(work, licensee, "print, worldwide", "height", 0, rng.randint(0, 50))
        if draw < 0.5 and mine:
            return Transfer(work=rng.choice(mine), to=rng.choice(accounts))
        return Register(work=rng.randbytes(32), title="a work", author="an author")

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if not ok:
            return
        if isinstance(action, Register) and len(self.registered) < REMEMBERED_MAX:
            self.registered.append(action.work)
            self.owned.setdefault(sender, []).append(action.work)
        elif isinstance(action, Transfer):
            self.owned[sender] = [w for w in self.owned.get(sender, []) if w != action.work]
            self.owned.setdefault(action.to, []).append(action.work)


__all__ = ["IpWorkload"]
