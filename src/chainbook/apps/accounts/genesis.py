"""The accounts section of the genesis file (`app_state.accounts`): policies set from the start.

    {"policies": [{"address": "<40 hex>",
                   "signers": [{"address": "<40 hex>", "weight": 1}, ...],
                   "threshold": 2}, ...]}

Typical use: a consortium's treasury that no single member controls. Each policy keeps the
same rules as one set by a transaction (apps/accounts/rules.py), except that nobody signs it:
the genesis is what every member agreed on.
"""

from __future__ import annotations

import msgspec

from chainbook.apps.account_policy import AccountPolicy
from chainbook.apps.accounts.rules import make_policy, verify_policy
from chainbook.apps.base import ModuleError
from chainbook.crypto import parse_address
from chainbook.errors import ConfigError
from chainbook.types import Address


class GenesisSigner(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    address: str
    """40 hex characters: the address of a signing key."""
    weight: int = 1


class GenesisPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    address: str
    """40 hex characters: the account the policy is for."""
    signers: list[GenesisSigner]
    threshold: int


class AccountsGenesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    policies: list[GenesisPolicy] = []

    def policies_by_address(self) -> list[tuple[Address, AccountPolicy]]:
        return [
            (
                parse_address(p.address),
                make_policy([(parse_address(s.address), s.weight) for s in p.signers], p.threshold),
            )
            for p in self.policies
        ]


def verify_accounts_genesis(section: AccountsGenesis) -> None:
    """Refuse a section that could not run; each reason names the policy and the rule."""
    where = "genesis app_state.accounts.policies"
    try:
        policies = section.policies_by_address()
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if len({address for address, _ in policies}) != len(policies):
        raise ConfigError(f"{where}: an account appears twice")
    for index, (_, policy) in enumerate(policies):
        try:
            verify_policy(policy)
        except ModuleError as exc:
            raise ConfigError(f"{where}[{index}]: {exc}") from None


__all__ = ["AccountsGenesis", "GenesisPolicy", "GenesisSigner", "verify_accounts_genesis"]
