"""Account policies: which keys may speak for an account, the one rule that counts them, and the
hook through which the ledger reads them.

Rules kept:
- An account without a policy is spoken for by the one key whose address it is (the address is
  the first 20 bytes of SHA-256 of the key). An account with a policy is spoken for by any set
  of its signers whose weights add up to at least its threshold; its own original key then
  counts only if the policy lists it. So a policy is at once a multi-signature rule (k of n,
  weighted) and a key rotation: the address never changes, the keys behind it do.
- A signer is a key, named by its address: a policy never refers to another account's policy
  (no nesting), so counting is one pass over the transaction's keys.
- `is_policy_met(policy, key_addresses)` is the only counting rule; the ledger uses it to
  authorize a transaction (ledger/authorization.py) and the module that keeps the policies
  uses it to refuse a policy its own transaction could not meet (apps/accounts).
- At most one module of a registry keeps policies (`Module.account_policy`, checked by the
  registry; apps/accounts is that module). A registry without one keeps the default rule
  for every account.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from chainbook.apps.base import KVReader
from chainbook.types import Address


class PolicySigner(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False
):
    address: Address
    """The address of the signer's public key."""
    weight: int


class AccountPolicy(
    msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True, gc=False
):
    """Who may speak for an account: signers (sorted by address, distinct), and the weight
    their signatures must reach together."""

    signers: tuple[PolicySigner, ...]
    threshold: int


def compute_signed_weight(policy: AccountPolicy, key_addresses: Sequence[Address]) -> int:
    """The total weight of the policy's signers whose key signed."""
    return sum(signer.weight for signer in policy.signers if signer.address in key_addresses)


def is_policy_met(
    policy: AccountPolicy | None, account: Address, key_addresses: Sequence[Address]
) -> bool:
    """Whether keys with these addresses may speak for `account` under `policy` (None: the
    account has no policy, and its own key must be among them)."""
    if policy is None:
        return account in key_addresses
    return compute_signed_weight(policy, key_addresses) >= policy.threshold


PolicyFn = Callable[[KVReader, Address], AccountPolicy | None]
"""account_policy(view, address) -> the address's policy, or None for the default rule.
`view` is the providing module's own keys; the read is a guard (apps/base.py KVStore)."""


__all__ = [
    "AccountPolicy",
    "PolicyFn",
    "PolicySigner",
    "compute_signed_weight",
    "is_policy_met",
]
