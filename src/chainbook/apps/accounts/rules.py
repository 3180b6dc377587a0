"""The rules a policy must keep to be stored (apps/accounts/process.py gives them in prose)."""

from __future__ import annotations

from collections.abc import Sequence

from chainbook.apps.account_policy import AccountPolicy, PolicySigner
from chainbook.apps.accounts import limits
from chainbook.apps.accounts.errors import InvalidPolicy
from chainbook.types import Address


def make_policy(signers: Sequence[tuple[Address, int]], threshold: int) -> AccountPolicy:
    """The stored form: signers sorted by address (one encoding per policy)."""
    ordered = sorted(signers)
    return AccountPolicy(tuple(PolicySigner(a, w) for a, w in ordered), threshold)


def compute_reachable_weight(policy: AccountPolicy) -> int:
    """The most weight one transaction can carry: its tx_signatures_max heaviest signers."""
    weights = sorted((s.weight for s in policy.signers), reverse=True)
    return sum(weights[: limits.tx_signatures_max])


def verify_policy(policy: AccountPolicy) -> None:
    """Refuse a policy that could not work (apps/accounts/process.py); InvalidPolicy names why."""
    count = len(policy.signers)
    if not 1 <= count <= limits.policy_signers_max:
        raise InvalidPolicy(
            f"a policy has 1 to {limits.policy_signers_max} signers, got {count}"
        )
    addresses = [s.address for s in policy.signers]
    if len(set(addresses)) != count:
        raise InvalidPolicy("a signer appears twice in the policy; list each key once")
    for signer in policy.signers:
        if not 1 <= signer.weight <= limits.signer_weight_max:
            raise InvalidPolicy(
                f"signer {signer.address.hex()} has weight {signer.weight}, accepted 1 to "
                f"{limits.signer_weight_max}"
            )
    total = sum(s.weight for s in policy.signers)
    if not 1 <= policy.threshold <= total:
        raise InvalidPolicy(
            f"threshold {policy.threshold} must be 1 to the signers' total weight {total}"
        )
    reachable = compute_reachable_weight(policy)
    if policy.threshold > reachable:
        raise InvalidPolicy(
            f"threshold {policy.threshold} needs more than {limits.tx_signatures_max} "
            f"signatures (the most one transaction carries reach weight {reachable}); the "
            "account could never be used"
        )


__all__ = ["compute_reachable_weight", "make_policy", "verify_policy"]
