"""The assets module's simulated clients: transfers of tokens the genesis imported (one
freezable), registrations and transfers of unique assets, and refusals that must change
nothing: mints, burns and freezes by accounts that are not issuers, a second registration of
an id, overdrafts, unknown tokens.

The simulated accounts are addresses without an institution (registering one takes public
keys the workload does not see), so successful mints and burns are covered by the ledger
tests (tests/apps/assets), not here; the commit invariants still run on every block."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.assets.actions import (
    Burn,
    CreateToken,
    Freeze,
    Mint,
    RegisterAsset,
    Transfer,
    TransferAsset,
)
from chainbook.apps.assets.genesis import AssetsGenesis, GenesisBalance, GenesisToken
from chainbook.apps.base import Rng
from chainbook.types import Address

TOKENS = ("SIMA", "SIMB")
ACCOUNT_TOKENS = 10**9
TRANSFER_AMOUNT_MAX = 1_000_000
REMEMBERED_MAX = 64
"""Assets a simulated owner remembers."""


class AssetsWorkload:
    def __init__(self) -> None:
        self.owned: dict[Address, list[str]] = {}
        self.registered: list[str] = []
        self.counter = 0

    def genesis_section(self, accounts: Sequence[Address]) -> AssetsGenesis:
        balances = [GenesisBalance(a.hex(), ACCOUNT_TOKENS) for a in accounts]
        return AssetsGenesis(
            tokens=[
                GenesisToken("SIMA", "simulated A", 2, "sim-bank", balances=balances),
                GenesisToken("SIMB", "simulated B", 0, "sim-bank", supply_max=10**15,
                             freezable=True, balances=balances),
            ]
        )

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        draw = rng.random()
        to: Address = rng.choice(accounts)
        mine = self.owned.get(sender, [])
        if draw < 0.45:
            amount = rng.randint(1, TRANSFER_AMOUNT_MAX)
            if rng.random() < 0.05:
                amount = ACCOUNT_TOKENS * 10  # an overdraft: refused
            return Transfer(rng.choice(TOKENS), to, amount)
        if draw < 0.6:
            self.counter += 1
            return RegisterAsset(f"sim:{sender.hex()[:8]}:{self.counter}", rng.randbytes(32), to)
        if draw < 0.7 and mine:
            return TransferAsset(rng.choice(mine), to)
        if draw < 0.75 and self.registered:
            return RegisterAsset(rng.choice(self.registered), rng.randbytes(32), sender)
        if draw < 0.8:
            return Mint(rng.choice(TOKENS), to, rng.randint(1, 100))  # not an issuer: refused
        if draw < 0.85:
            return Burn(rng.choice(TOKENS), rng.randint(1, 100))  # refused
        if draw < 0.9:
            return Freeze("SIMB", to)  # refused: not the issuer
        if draw < 0.95:
            return CreateToken(f"S{rng.randint(0, 99)}X", "not an issuer", 2)  # refused
        return Transfer("NOSUCH", to, 1)  # refused: unknown token

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if not ok:
            return
        if isinstance(action, RegisterAsset):
            if len(self.registered) < REMEMBERED_MAX:
                self.registered.append(action.asset_id)
            owned = self.owned.setdefault(action.owner, [])
            if len(owned) < REMEMBERED_MAX:
                owned.append(action.asset_id)
        elif isinstance(action, TransferAsset):
            self.owned[sender] = [a for a in self.owned.get(sender, []) if a != action.asset_id]
            owned = self.owned.setdefault(action.to, [])
            if len(owned) < REMEMBERED_MAX:
                owned.append(action.asset_id)


__all__ = ["AssetsWorkload"]
