"""Bank queries: read-only, over the committed state (QueryContext.view is the bank's keys)."""

from __future__ import annotations

import msgspec

from chainbook.apps.bank.actions import AddressBytes
from chainbook.apps.bank.process import (
    get_balance,
    get_burnt,
    get_minted,
    get_params,
    get_supply,
)
from chainbook.apps.base import Query, QueryContext
from chainbook.types import Address, Amount


class BalanceRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    address: AddressBytes


class Balance(msgspec.Struct, frozen=True):
    address: Address
    balance: Amount
    """In the coin's smallest unit; 0 for an account that never received coins."""
    exists: bool
    """Whether the account has ever been credited."""


class SupplyRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class SupplyInfo(msgspec.Struct, frozen=True):
    total: Amount
    max: Amount
    """0 when the supply is not capped (no block reward)."""
    minted: Amount
    burnt: Amount
    """Everything burnt so far (fees): total = initial allocation + minted - burnt."""
    symbol: str
    decimals: int


def query_balance(ctx: QueryContext, request: BalanceRequest) -> Balance:
    """The balance of an account."""
    balance = get_balance(ctx.view, request.address)
    return Balance(address=request.address, balance=balance or 0, exists=balance is not None)


def query_supply(ctx: QueryContext, request: SupplyRequest) -> SupplyInfo:
    """The coin's total supply, its cap, what block rewards minted and fees burnt so far."""
    params = get_params(ctx.view)
    return SupplyInfo(
        total=get_supply(ctx.view),
        max=params.supply_max,
        minted=get_minted(ctx.view),
        burnt=get_burnt(ctx.view),
        symbol=params.symbol,
        decimals=params.decimals,
    )


QUERIES = (
    Query("balance", BalanceRequest, Balance, query_balance),
    Query("supply", SupplyRequest, SupplyInfo, query_supply),
)

__all__ = [
    "QUERIES",
    "Balance",
    "BalanceRequest",
    "SupplyInfo",
    "SupplyRequest",
    "query_balance",
    "query_supply",
]
