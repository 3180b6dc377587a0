"""The bank's simulated clients: transfers between the simulated accounts, funded at genesis."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.bank.actions import Transfer
from chainbook.apps.bank.genesis import BankGenesis, GenesisAccount
from chainbook.apps.base import Rng
from chainbook.types import Address

ACCOUNT_FUNDS = 10**12
TRANSFER_AMOUNT_MAX = 1_000


class BankWorkload:
    def genesis_section(self, accounts: Sequence[Address]) -> BankGenesis:
        return BankGenesis(
            accounts=[GenesisAccount(address=a.hex(), amount=ACCOUNT_FUNDS) for a in accounts]
        )

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        recipient: Address = rng.choice(accounts)
        return Transfer(to=recipient, amount=rng.randint(1, TRANSFER_AMOUNT_MAX), memo="")

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        pass


__all__ = ["ACCOUNT_FUNDS", "BankWorkload"]
