"""The assets module's simulated clients: a registered issuer mints, burns, freezes and
creates tokens; every account transfers tokens the genesis imported and registers and moves
unique assets; and the refusals that must change nothing.

One simulated institution holds the issuer role (apps/base.py InstitutionWorkload; the
simulator registers it, sim/institutions.py) and is the issuing institution of the two tokens
the genesis imports (one freezable, with a cap). Its key mints to the accounts
(assets.mint), burns from its own balance (assets.burn), freezes and unfreezes accounts in the
freezable token (assets.freeze, assets.unfreeze; transfers of a frozen account are then
refused, assets.account_frozen) and creates tokens it then mints (assets.token_created).
Refused, as they must be: mints, burns, freezes and token creations by accounts that are no
issuer, or by the issuer once revoked or before it is registered (assets.not_an_issuer); a
mint past the cap (assets.cap_exceeded); a second registration of an asset id; overdrafts;
unknown tokens. The commit invariants (supply = minted - burnt = the sum of the balances,
no negative balance) run on every block.
"""

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
    Unfreeze,
)
from chainbook.apps.assets.genesis import AssetsGenesis, GenesisBalance, GenesisToken
from chainbook.apps.base import Rng, SimInstitution
from chainbook.types import Address

TOKENS = ("SIMA", "SIMB")
ACCOUNT_TOKENS = 10**9
SIMB_CAP = 10**15
TRANSFER_AMOUNT_MAX = 1_000_000
MINT_AMOUNT_MAX = 100_000
REMEMBERED_MAX = 64
"""Assets a simulated owner remembers (and tokens the issuer creates)."""
PARTIES = (("issuer",),)
DEFAULT_ISSUER = "sim-bank"
"""The genesis tokens' institution without a simulated issuer (no registry in the run)."""


class AssetsWorkload:
    def __init__(self) -> None:
        self.owned: dict[Address, list[str]] = {}
        self.registered: list[str] = []
        self.counter = 0
        self.issuer_id = DEFAULT_ISSUER
        self.issuer: Address | None = None
        self.created: list[str] = []
        """Tokens the issuer created during the run (ok)."""
        self.frozen: set[Address] = set()

    def institution_roles(self) -> Sequence[Sequence[str]]:
        return PARTIES

    def on_institutions(self, institutions: Sequence[SimInstitution]) -> None:
        for entry in institutions:
            if "issuer" in entry.roles:
                self.issuer_id, self.issuer = entry.id, entry.address
                return

    def genesis_section(self, accounts: Sequence[Address]) -> AssetsGenesis:
        balances = [GenesisBalance(a.hex(), ACCOUNT_TOKENS) for a in accounts]
        issuer = self.issuer_id
        return AssetsGenesis(
            tokens=[
                GenesisToken("SIMA", "simulated A", 2, issuer, balances=balances),
                GenesisToken("SIMB", "simulated B", 0, issuer, supply_max=SIMB_CAP,
                             freezable=True, balances=balances),
            ]
        )

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        if sender == self.issuer and rng.random() < 0.6:
            return self._issue(rng, sender, accounts)
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
            return Mint(rng.choice(TOKENS), to, rng.randint(1, 100))  # refused but by the issuer
        if draw < 0.85:
            return Burn(rng.choice(TOKENS), rng.randint(1, 100))  # the same
        if draw < 0.9:
            return Freeze("SIMB", to)  # the same
        if draw < 0.95:
            return CreateToken(f"S{rng.randint(0, 99)}X", "an issuer's?", 2)  # the same
        return Transfer("NOSUCH", to, 1)  # refused: unknown token

    def _issue(self, rng: Rng, sender: Address, accounts: Sequence[Address]) -> msgspec.Struct:
        """What the issuer does with its role."""
        draw = rng.random()
        to: Address = rng.choice(accounts)
        tokens = [*TOKENS, *self.created]
        if draw < 0.4:
            return Mint(rng.choice(tokens), to, rng.randint(1, MINT_AMOUNT_MAX))
        if draw < 0.6:
            return Burn(rng.choice(TOKENS), rng.randint(1, 1_000))
        if draw < 0.75:
            frozen = sorted(self.frozen)
            if frozen and rng.random() < 0.6:
                return Unfreeze("SIMB", rng.choice(frozen))
            others = [a for a in accounts if a != sender]
            return Freeze("SIMB", rng.choice(others) if others else to)
        if draw < 0.85 and len(self.created) < REMEMBERED_MAX:
            self.counter += 1
            return CreateToken(f"T{self.counter}{sender.hex()[:4].upper()}", "issued", 2,
                               rng.randint(0, 1) * 10**12, rng.random() < 0.5)
        if draw < 0.9:
            return Mint("SIMB", to, SIMB_CAP)  # past the cap: refused
        return Transfer(rng.choice(TOKENS), to, rng.randint(1, TRANSFER_AMOUNT_MAX))

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if not ok:
            return
        match action:
            case CreateToken(token=token):
                self.created.append(token)
            case Freeze(account=account):
                self.frozen.add(account)
            case Unfreeze(account=account):
                self.frozen.discard(account)
            case _:
                pass
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
