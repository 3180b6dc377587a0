"""The royalty module's simulated clients: payments for the uses of a catalogue the genesis
imports (holders: the simulated accounts; the native coin), licences paid once by reference,
split changes by the one holder whose share falls, and refusals that must change nothing: a
change that lowers another holder who did not sign, a stale version, a second payment of a
licence, a wrong amount, an unknown work, registrations and price changes by accounts that
are no rights managers.

The simulated accounts are addresses without an institution and sign alone, so successful
registrations, price changes and co-signed changes are covered by the ledger tests
(tests/apps/royalty), not here; the commit invariants still run on every block."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng
from chainbook.apps.royalty import limits
from chainbook.apps.royalty.actions import ChangeSplit, Pay, Price, Register, SetPrices, Share
from chainbook.apps.royalty.genesis import GenesisPrice, GenesisShare, GenesisWork, RoyaltyGenesis
from chainbook.apps.royalty.rules import compute_shares
from chainbook.types import Address

WORKS = ("sim-song-0", "sim-song-1", "sim-song-2")
PRICES = {"download": 100, "stream": 1, "licence": 10_000}
USES_MAX = 5
REFERENCES_REMEMBERED_MAX = 64


class RoyaltyWorkload:
    def __init__(self) -> None:
        self.splits: dict[str, list[Share]] = {}
        self.versions: dict[str, int] = {}
        self.references: list[tuple[str, str]] = []
        self.counter = 0

    def genesis_section(self, accounts: Sequence[Address]) -> RoyaltyGenesis:
        works = []
        for i, work in enumerate(WORKS):
            holders = [accounts[(i + j) % len(accounts)] for j in range(min(3, len(accounts)))]
            shares = [5_000, 3_000, 2_000][: len(holders)]
            shares[0] += 10_000 - sum(shares)
            split = [Share(h, s) for h, s in zip(holders, shares, strict=True)]
            self.splits[work], self.versions[work] = split, 0
            works.append(GenesisWork(
                work=work, title=f"simulated song {i}", metadata_hash="ab" * 32,
                institution="sim-label",
                prices=[GenesisPrice(use, price) for use, price in PRICES.items()],
                split=[GenesisShare(line.holder.hex(), line.share) for line in split],
            ))
        return RoyaltyGenesis(works=works)

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        work: str = rng.choice(WORKS)
        draw = rng.random()
        if draw < 0.45:
            use = rng.choice(["download", "stream"])
            uses = rng.randint(1, USES_MAX)
            return Pay(work, use, uses, PRICES[use] * uses)
        if draw < 0.55:
            self.counter += 1
            return Pay(work, "licence", 1, PRICES["licence"], f"{sender.hex()[:8]}-{self.counter}")
        if draw < 0.6 and self.references:
            licensed, reference = rng.choice(self.references)
            return Pay(licensed, "licence", 1, PRICES["licence"], reference)  # paid already
        if draw < 0.7:
            return self.give_away(rng, work, sender, accounts)
        if draw < 0.77:
            return self.take(work, sender)
        if draw < 0.82:
            return Pay(work, "download", 2, PRICES["download"])  # wrong amount: refused
        if draw < 0.87:
            return Pay("sim-no-such-song", "download", 1, PRICES["download"])  # refused
        if draw < 0.93:
            return Register(f"sim-new-{rng.randint(0, 99)}", "mine", b"\x01" * 32,
                            [Share(sender, 10_000)], [Price("download", 1)])  # refused
        return SetPrices(work, [Price("download", 1)])  # refused: no rights manager

    def give_away(
        self, rng: Rng, work: str, sender: Address, accounts: Sequence[Address]
    ) -> ChangeSplit:
        """The sender moves part of its own share to another account: only its own share
        falls, so its signature alone suffices (refused as stale if another change landed,
        or as lowering others if the sender holds nothing)."""
        shares = compute_shares(self.splits[work])
        mine = shares.get(sender, 0)
        to: Address = rng.choice(accounts)
        if to not in shares and len(shares) >= limits.holders_per_work_max:
            to = next(iter(shares))  # a full table: give to a holder already in it
        moved = max(1, mine // 4)
        if mine > moved and to != sender:
            shares[sender] = mine - moved
            shares[to] = shares.get(to, 0) + moved
        else:  # nothing to give: take from the first holder instead (refused)
            first = self.splits[work][0]
            shares[first.holder] -= 1
            shares[sender] = shares.get(sender, 0) + 1
        split = [Share(h, s) for h, s in shares.items() if s > 0]
        return ChangeSplit(work, self.versions[work], split)

    def take(self, work: str, sender: Address) -> ChangeSplit:
        """The sender takes one basis point from another holder, who did not sign: refused."""
        shares = compute_shares(self.splits[work])
        other = next((h for h in shares if h != sender), None)
        if other is not None:
            shares[other] -= 1
            shares[sender] = shares.get(sender, 0) + 1
        split = [Share(h, s) for h, s in shares.items() if s > 0]
        return ChangeSplit(work, self.versions[work], split)

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if not ok:
            return
        if isinstance(action, ChangeSplit):
            self.splits[action.work] = list(action.split)
            self.versions[action.work] = action.version + 1
        elif (isinstance(action, Pay) and action.reference
              and len(self.references) < REFERENCES_REMEMBERED_MAX):
            self.references.append((action.work, action.reference))


__all__ = ["RoyaltyWorkload"]
