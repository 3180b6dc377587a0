"""The accounts module's bounds on what a client controls (unit last)."""

from chainbook import limits as chain_limits

policy_signers_max = 16
"""Signers of one policy. More than limits.tx_signatures_max may be listed (alternates), but the
threshold must be reachable with that many signatures."""
signer_weight_max = 1_000
"""Weight of one signer."""
tx_signatures_max = chain_limits.tx_signatures_max
"""Keys of one transaction (chainbook.limits): a threshold that needs more is refused."""

LIMITS = {
    "policy_signers_max": policy_signers_max,
    "signer_weight_max": signer_weight_max,
}

__all__ = ["LIMITS", "policy_signers_max", "signer_weight_max", "tx_signatures_max"]
