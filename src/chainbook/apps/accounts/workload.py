"""The accounts module's simulated clients: key rotations, k-of-n policies and their removal.

Each simulated account may use a pool of three keys: its own (whose address it is) and two
derived from it. Once the workload sets a first policy for an account, every later transaction
of that account (of any module) is signed by the whole pool, in pool order: every policy drawn
here names only keys of the pool, so the pool always meets it, whatever policy a transaction
finds in effect, and the transaction that sets or clears one meets the new one too. The
simulation thus runs three-key transactions and policy lookups on every node, through crashes
and restarts, and the same pool can be checked against a policy from any prior state.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from chainbook.apps.accounts.actions import ClearPolicy, SetPolicy, Signer
from chainbook.apps.base import Rng
from chainbook.crypto import PrivateKey
from chainbook.types import Address

POOL_KEYS = 3
POLICY_SHARE = 0.3
"""Of this module's turns, the share that changes a policy (the others send nothing)."""


def pool_key(account: Address, index: int) -> PrivateKey:
    return PrivateKey.from_label(f"sim-accounts/{account.hex()}/{index}")


class AccountsWorkload:
    def __init__(self) -> None:
        self._pools: dict[Address, list[PrivateKey]] = {}
        """Accounts that ever set a policy -> their derived keys (their own key comes first)."""
        self._has_policy: dict[Address, bool] = {}
        """Whether the latest policy action emitted for the account set one (so a clear is
        valid at its nonce)."""
        self.failed = 0

    def genesis_section(self, accounts: Sequence[Address]) -> msgspec.Struct | None:
        return None

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        if rng.random() >= POLICY_SHARE:
            return None
        derived = self._pools.setdefault(
            sender, [pool_key(sender, i) for i in range(1, POOL_KEYS)]
        )
        if self._has_policy.get(sender) and rng.random() < 0.3:
            self._has_policy[sender] = False
            return ClearPolicy()
        self._has_policy[sender] = True
        one, two = derived[0].address, derived[1].address
        match rng.randint(0, 2):
            case 0:  # a key rotation: the address stays, another key speaks for it
                return SetPolicy([Signer(one, 1)], 1)
            case 1:  # 2 of 3
                return SetPolicy([Signer(sender, 1), Signer(one, 1), Signer(two, 1)], 2)
        # weighted: the second derived key alone, or the other two together
        return SetPolicy([Signer(sender, 1), Signer(one, 1), Signer(two, 2)], 2)

    def extra_signing_keys(self, sender: Address) -> Sequence[PrivateKey]:
        """The account's derived keys once it has used a policy (they sign after its own)."""
        return self._pools.get(sender, ())

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        if not ok and isinstance(action, SetPolicy | ClearPolicy):
            self.failed += 1  # a policy drawn here should never be refused: tests check it


__all__ = ["AccountsWorkload", "pool_key"]
