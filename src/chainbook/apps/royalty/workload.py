"""The royalty module's simulated clients: payments for the uses of a catalogue the genesis
imports (holders: the simulated accounts; the native coin), licences paid once by reference,
split changes by the one holder whose share falls, and refusals that must change nothing: a
change that lowers another holder who did not sign, a stale version, a second payment of a
licence, a wrong amount, an unknown work, registrations and price changes by accounts that
are no rights managers.

One simulated account signs as a rights manager the simulator registers (apps/base.py
InstitutionWorkload; sim/institutions.py may register it late or revoke it during a run): the
genesis catalogue is its institution's, and it registers new works (royalty.registered), paid
for like the others, and changes the prices of its works (royalty.prices_set); the others'
registrations and price changes, and its own while it is not an active rights manager, are
refused (royalty.not_a_rights_manager). The clients pay the prices they learnt from the
outcomes, so a payment sent before a price change lands after it is refused
(royalty.amount_mismatch), as a real client's would be. Changes a holder other than the
signer must co-sign are covered by the ledger tests (tests/apps/royalty); the commit
invariants run on every block."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.base import Rng, SimInstitution
from chainbook.apps.royalty import limits
from chainbook.apps.royalty.actions import ChangeSplit, Pay, Price, Register, SetPrices, Share
from chainbook.apps.royalty.genesis import GenesisPrice, GenesisShare, GenesisWork, RoyaltyGenesis
from chainbook.apps.royalty.rules import compute_shares
from chainbook.types import Address

WORKS = ("sim-song-0", "sim-song-1", "sim-song-2")
PRICES = {"download": 100, "stream": 1, "licence": 10_000}
USES_MAX = 5
REFERENCES_REMEMBERED_MAX = 64
WORKS_MAX = 32
"""Works a run's catalogue holds (the genesis ones and those the rights manager registers)."""
PARTIES = (("rights_manager",),)
DEFAULT_LABEL = "sim-label"
"""The genesis catalogue's institution without a simulated rights manager (no registry)."""
MANAGING_SHARE = 0.4
"""Of the rights manager's turns, the share it spends registering works and setting prices."""


class RoyaltyWorkload:
    def __init__(self) -> None:
        self.splits: dict[str, list[Share]] = {}
        self.versions: dict[str, int] = {}
        self.references: list[tuple[str, str]] = []
        self.counter = 0
        self.works: list[str] = list(WORKS)
        self.prices: dict[str, dict[str, int]] = {work: dict(PRICES) for work in WORKS}
        """Each work's prices as committed (the clients pay these)."""
        self.label = DEFAULT_LABEL
        self.manager: Address | None = None

    def institution_roles(self) -> Sequence[Sequence[str]]:
        return PARTIES

    def on_institutions(self, institutions: Sequence[SimInstitution]) -> None:
        for entry in institutions:
            if "rights_manager" in entry.roles:
                self.label, self.manager = entry.id, entry.address
                return

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
                institution=self.label,
                prices=[GenesisPrice(use, price) for use, price in PRICES.items()],
                split=[GenesisShare(line.holder.hex(), line.share) for line in split],
            ))
        return RoyaltyGenesis(works=works)

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        if sender == self.manager and rng.random() < MANAGING_SHARE:
            return self._manage(rng, sender, accounts)
        work: str = rng.choice(self.works)
        prices = self.prices[work]
        draw = rng.random()
        if draw < 0.45:
            use = rng.choice(["download", "stream"])
            uses = rng.randint(1, USES_MAX)
            return Pay(work, use, uses, prices[use] * uses)
        if draw < 0.55:
            self.counter += 1
            return Pay(work, "licence", 1, prices["licence"], f"{sender.hex()[:8]}-{self.counter}")
        if draw < 0.6 and self.references:
            licensed, reference = rng.choice(self.references)
            price = self.prices[licensed]["licence"]
            return Pay(licensed, "licence", 1, price, reference)  # paid already
        if draw < 0.7:
            return self.give_away(rng, work, sender, accounts)
        if draw < 0.77:
            return self.take(work, sender)
        if draw < 0.82:
            return Pay(work, "download", 2, prices["download"])  # wrong amount: refused
        if draw < 0.87:
            return Pay("sim-no-such-song", "download", 1, PRICES["download"])  # refused
        if sender == self.manager:
            return self._manage(rng, sender, accounts)
        if draw < 0.93:
            return Register(f"sim-new-{rng.randint(0, 99)}", "mine", b"\x01" * 32,
                            [Share(sender, 10_000)], [Price("download", 1)])  # refused
        return SetPrices(work, [Price("download", 1)])  # refused: no rights manager

    def _manage(self, rng: Rng, sender: Address, accounts: Sequence[Address]) -> msgspec.Struct:
        """The rights manager registers a work of its own catalogue, or changes one's prices."""
        if rng.random() < 0.5 and len(self.works) < WORKS_MAX:
            self.counter += 1
            others = [a for a in accounts if a != sender]
            holders = [sender, *others[:2]]
            shares = [6_000, 2_500, 1_500][: len(holders)]
            shares[0] += 10_000 - sum(shares)
            prices = [Price(use, price * rng.randint(1, 3)) for use, price in PRICES.items()]
            return Register(f"sim-work-{sender.hex()[:6]}-{self.counter}", "a new song",
                            rng.randbytes(32), [Share(h, n) for h, n in zip(holders, shares,
                                                                            strict=True)],
                            prices)
        work: str = rng.choice(self.works)
        changed = {use: max(1, price + rng.randint(-price // 2, price)) for use, price
                   in self.prices[work].items()}
        return SetPrices(work, [Price(use, price) for use, price in changed.items()])

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
        match action:
            case Register(work=work, split=split, prices=prices) if work not in self.prices:
                self.works.append(work)
                self.splits[work], self.versions[work] = list(split), 0
                self.prices[work] = {line.use: line.price for line in prices}
            case SetPrices(work=work, prices=prices) if work in self.prices:
                self.prices[work] = {line.use: line.price for line in prices}
            case ChangeSplit(work=work, version=version, split=split):
                self.splits[work] = list(split)
                self.versions[work] = version + 1
            case Pay(work=work, reference=reference) if (
                reference and len(self.references) < REFERENCES_REMEMBERED_MAX
            ):
                self.references.append((work, reference))
            case _:
                pass


__all__ = ["RoyaltyWorkload"]
