"""Accounts queries: read-only, over the committed state (QueryContext.view: its keys)."""

from __future__ import annotations

import msgspec

from chainbook.apps.accounts.actions import AddressBytes
from chainbook.apps.accounts.process import get_policy
from chainbook.apps.base import Query, QueryContext
from chainbook.types import Address


class PolicyRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    address: AddressBytes


class SignerView(msgspec.Struct, frozen=True):
    address: Address
    weight: int


class PolicyView(msgspec.Struct, frozen=True):
    address: Address
    custom: bool
    """Whether the account set a policy; false: its own key speaks for it (shown as one signer
    of weight 1, threshold 1)."""
    signers: list[SignerView]
    threshold: int


def query_policy(ctx: QueryContext, request: PolicyRequest) -> PolicyView:
    """The keys that speak for an account, their weights and the threshold."""
    policy = get_policy(ctx.view, request.address)
    if policy is None:
        return PolicyView(request.address, False, [SignerView(request.address, 1)], 1)
    signers = [SignerView(s.address, s.weight) for s in policy.signers]
    return PolicyView(request.address, True, signers, policy.threshold)


QUERIES = (Query("policy", PolicyRequest, PolicyView, query_policy),)

__all__ = ["QUERIES", "PolicyRequest", "PolicyView", "SignerView", "query_policy"]
