"""The accounts module's refusals: each names what was wrong, the value and what is accepted."""

from __future__ import annotations

from chainbook.apps.base import ModuleError


class InvalidPolicy(ModuleError):
    """The policy could not work: signer count, a weight, the threshold, a repeated signer, or
    a threshold that needs more keys than one transaction may carry."""

    code = "accounts.invalid_policy"


class NewPolicyNotMet(ModuleError):
    """The transaction changing a policy does not meet the new one: a mistyped key would
    otherwise lock the account for good, so the new signers prove they can sign first."""

    code = "accounts.new_policy_not_met"


class NoPolicy(ModuleError):
    code = "accounts.no_policy"


ERRORS: tuple[type[ModuleError], ...] = (InvalidPolicy, NewPolicyNotMet, NoPolicy)

__all__ = ["ERRORS", "InvalidPolicy", "NewPolicyNotMet", "NoPolicy"]
