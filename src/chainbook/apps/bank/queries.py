"""Bank queries: read-only, over the committed state (QueryContext.view is the bank's keys)."""

from __future__ import annotations

import msgspec

from chainbook.apps.bank.process import get_balance, get_minted, get_params, get_supply
from chainbook.apps.base import QueryContext, QueryFn
from chainbook.types import Address, Amount, Nonce


class AccountInfo(msgspec.Struct, frozen=True):
    address: str
    """40 hex characters."""
    balance: Amount
    nonce: Nonce
    """The nonce the account's next transaction must carry."""


class SupplyInfo(msgspec.Struct, frozen=True):
    total: Amount
    max: Amount
    """0 when the supply is not capped (no block reward)."""
    minted: Amount
    symbol: str
    decimals: int


def query_balance(ctx: QueryContext, address: Address) -> Amount:
    """The balance of `address` (0 for an account that does not exist)."""
    return get_balance(ctx.view, address) or 0


def query_account(ctx: QueryContext, address: Address) -> AccountInfo:
    return AccountInfo(
        address=address.hex(),
        balance=get_balance(ctx.view, address) or 0,
        nonce=ctx.get_nonce(address),
    )


def query_supply(ctx: QueryContext) -> SupplyInfo:
    params = get_params(ctx.view)
    return SupplyInfo(
        total=get_supply(ctx.view),
        max=params.supply_max,
        minted=get_minted(ctx.view),
        symbol=params.symbol,
        decimals=params.decimals,
    )


QUERIES: dict[str, QueryFn] = {
    "balance": query_balance,
    "account": query_account,
    "supply": query_supply,
}

__all__ = ["QUERIES", "AccountInfo", "SupplyInfo", "query_account", "query_balance", "query_supply"]
