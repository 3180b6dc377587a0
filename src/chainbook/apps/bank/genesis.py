"""The bank's section of the genesis file (`app_state.bank`): the coin and its whole issuance.

    {"coin": {"symbol": "CBK", "decimals": 6},
     "issuance": {"block_reward": 0, "halving_interval_blocks": 0, "supply_max": 0},
     "accounts": [{"address": "<40 hex>", "amount": 1000000}, ...]}

The whole supply is fixed here: the initial allocation plus a block reward paid to each
block's proposer, halving every `halving_interval_blocks`, never pushing the supply past
`supply_max` (apps/bank/process.py).
"""

from __future__ import annotations

import msgspec

from chainbook.crypto import parse_address
from chainbook.errors import ConfigError
from chainbook.types import Address, Amount, Height

AMOUNT_STORED_MAX = 2**64 - 1
"""MessagePack's largest unsigned integer: the supply (hence every balance) stays below it."""


class Coin(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    symbol: str = "CBK"
    decimals: int = 6


class Issuance(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    block_reward: Amount = 0
    """Paid to the proposer of each block (minted), in the smallest unit."""
    halving_interval_blocks: Height = 0
    """Every this many blocks the reward halves; 0 means it never halves."""
    supply_max: Amount = 0
    """The hard cap on the total supply: initial allocation plus everything ever minted."""


class GenesisAccount(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    address: str
    """40 hex characters."""
    amount: Amount


class BankGenesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    coin: Coin = Coin()
    issuance: Issuance = Issuance()
    accounts: list[GenesisAccount] = []

    def allocations(self) -> list[tuple[Address, Amount]]:
        return [(parse_address(a.address), a.amount) for a in self.accounts]


def verify_bank_genesis(section: BankGenesis) -> None:
    """Refuse a bank section that could not run; each reason names the field and the value."""
    where = "genesis app_state.bank"
    try:
        allocations = section.allocations()
    except ValueError as exc:
        raise ConfigError(f"{where}.accounts: {exc}") from None
    if len({a for a, _ in allocations}) != len(allocations):
        raise ConfigError(f"{where}.accounts: an account appears twice")
    for i, (_, amount) in enumerate(allocations):
        if amount <= 0:
            raise ConfigError(f"{where}.accounts[{i}].amount must be > 0, got {amount}")
    initial = sum(amount for _, amount in allocations)
    issuance = section.issuance
    if issuance.block_reward < 0 or issuance.halving_interval_blocks < 0:
        raise ConfigError(f"{where}.issuance: values must be >= 0")
    if issuance.block_reward and not issuance.supply_max:
        raise ConfigError(
            f"{where}.issuance: a block_reward needs a supply_max (the supply must be capped)"
        )
    if issuance.supply_max and initial > issuance.supply_max:
        raise ConfigError(
            f"{where}: initial allocation {initial} exceeds issuance.supply_max "
            f"{issuance.supply_max}"
        )
    if max(issuance.supply_max, initial) > AMOUNT_STORED_MAX:
        raise ConfigError(
            f"{where}: the supply must stay below 2**64, got {max(issuance.supply_max, initial)}"
        )
    if not 0 <= section.coin.decimals <= 18:
        raise ConfigError(f"{where}.coin.decimals must be 0..18, got {section.coin.decimals}")


__all__ = [
    "AMOUNT_STORED_MAX",
    "BankGenesis",
    "Coin",
    "GenesisAccount",
    "Issuance",
    "verify_bank_genesis",
]
