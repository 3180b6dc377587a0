"""assets queries: read-only, over the committed state (QueryContext.view is the module's keys).

    token(token)                    a token's record (token "": the native coin, found only)
    tokens(start)                   every token in creation order, a page at a time
    balance(token, address)         one balance and whether the account is frozen in it
    balances(address, start)        every token an account ever held, with its balances, paged
    holders(token, start)           every account that ever held a token, with balances, paged
    asset(asset_id)                 a registered asset: metadata hash, owner, registrant
    asset_history(asset_id, start)  its ownership history from entry `start`, paged
    assets_of(owner, start)         the assets an account owns now, paged

A page holds at most page_items_max (20) items and says where the next one starts (`next`,
None at the end), so every answer is provable (?prove=true reads at most 61 state keys).
"""

from __future__ import annotations

import msgspec

from chainbook.apps.assets import limits
from chainbook.apps.assets.actions import AddressBytes, UInt
from chainbook.apps.assets.exports import compute_token_info
from chainbook.apps.assets.state import (
    ENTRY_KIND_NAMES,
    TOKENS_KEY,
    get_address,
    get_asset,
    get_balance,
    get_entry,
    get_text,
    get_token,
    get_uint,
    held_at_key,
    held_key,
    holder_at_key,
    is_frozen,
    owned_at_key,
    owned_key,
    token_at_key,
)
from chainbook.apps.base import Query, QueryContext
from chainbook.apps.tokens import NATIVE_TOKEN, TokenInfo
from chainbook.types import Address, Amount, Hash, Height, TimeMs

TokenId = str


class TokenRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    token: TokenId


class PageRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    start: UInt = 0


class TokenPage(msgspec.Struct, frozen=True):
    total: int
    tokens: list[str]
    next: int | None


class BalanceRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    token: TokenId
    address: AddressBytes


class TokenBalance(msgspec.Struct, frozen=True):
    token: str
    address: Address
    balance: Amount
    frozen: bool
    exists: bool
    """The account ever held the token."""


class BalancesRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    address: AddressBytes
    start: UInt = 0


class Holding(msgspec.Struct, frozen=True):
    token: str
    balance: Amount
    frozen: bool


class BalancesPage(msgspec.Struct, frozen=True):
    address: Address
    total: int
    """Tokens the account ever held (native coin not included: bank.balance)."""
    balances: list[Holding]
    next: int | None


class HoldersRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    token: TokenId
    start: UInt = 0


class Holder(msgspec.Struct, frozen=True):
    address: Address
    balance: Amount
    frozen: bool


class HoldersPage(msgspec.Struct, frozen=True):
    token: str
    found: bool
    total: int
    holders: list[Holder]
    next: int | None


class AssetRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    asset_id: str


class AssetInfo(msgspec.Struct, frozen=True):
    asset_id: str
    found: bool
    metadata_hash: Hash = b""
    owner: Address = b""
    registrant: Address = b""
    """Empty for an asset the genesis imported."""
    institution: str = ""
    """The registrant's institution when it was an active issuer then."""
    height: Height = 0
    time_ms: TimeMs = 0
    tx_hash: Hash = b""
    entries: int = 0


class AssetHistoryRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    asset_id: str
    start: UInt = 0


class AssetHistoryItem(msgspec.Struct, frozen=True):
    number: int
    kind: str
    """"registered" or "transfer"."""
    previous_owner: Address
    owner: Address
    by: Address
    module: str
    """The module that moved it (escrow, collateral); empty for its owner's own transfer."""
    height: Height
    time_ms: TimeMs
    tx_hash: Hash


class AssetHistoryPage(msgspec.Struct, frozen=True):
    asset_id: str
    found: bool
    total: int
    entries: list[AssetHistoryItem]
    next: int | None


class AssetsOfRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    owner: AddressBytes
    start: UInt = 0


class AssetsPage(msgspec.Struct, frozen=True):
    owner: Address
    total: int
    asset_ids: list[str]
    next: int | None


def compute_page(start: int, total: int) -> tuple[range, int | None]:
    end = min(total, start + limits.page_items_max)
    return range(start, end), (end if end < total else None)


def query_token(ctx: QueryContext, request: TokenRequest) -> TokenInfo:
    """A token: its issuer, decimals, cap, supply, whether it is freezable."""
    if request.token == NATIVE_TOKEN:
        return TokenInfo(token=NATIVE_TOKEN, found=True, native=True)
    return compute_token_info(ctx.view, request.token)


def query_tokens(ctx: QueryContext, request: PageRequest) -> TokenPage:
    """Every token, in creation order, a page at a time."""
    total = get_uint(ctx.view, TOKENS_KEY)
    numbers, next_start = compute_page(request.start, total)
    symbols = [get_text(ctx.view, token_at_key(n)) for n in numbers]
    return TokenPage(total=total, tokens=symbols, next=next_start)


def query_balance(ctx: QueryContext, request: BalanceRequest) -> TokenBalance:
    """The balance of an account in a token, and whether it is frozen in it."""
    balance = get_balance(ctx.view, request.token, request.address)
    return TokenBalance(
        token=request.token,
        address=request.address,
        balance=balance or 0,
        frozen=is_frozen(ctx.view, request.token, request.address),
        exists=balance is not None,
    )


def query_balances(ctx: QueryContext, request: BalancesRequest) -> BalancesPage:
    """Every token an account ever held, with its balance, a page at a time."""
    total = get_uint(ctx.view, held_key(request.address))
    numbers, next_start = compute_page(request.start, total)
    items = []
    for n in numbers:
        token = get_text(ctx.view, held_at_key(request.address, n))
        balance = get_balance(ctx.view, token, request.address)
        assert balance is not None, (token, request.address)
        items.append(Holding(token, balance, is_frozen(ctx.view, token, request.address)))
    return BalancesPage(request.address, total, items, next_start)


def query_holders(ctx: QueryContext, request: HoldersRequest) -> HoldersPage:
    """Every account that ever held a token, with its balance, a page at a time."""
    record = get_token(ctx.view, request.token)
    if record is None:
        return HoldersPage(request.token, False, 0, [], None)
    numbers, next_start = compute_page(request.start, record.holders)
    items = []
    for n in numbers:
        address = get_address(ctx.view, holder_at_key(request.token, n))
        balance = get_balance(ctx.view, request.token, address)
        assert balance is not None, (request.token, address)
        items.append(Holder(address, balance, is_frozen(ctx.view, request.token, address)))
    return HoldersPage(request.token, True, record.holders, items, next_start)


def query_asset(ctx: QueryContext, request: AssetRequest) -> AssetInfo:
    """A registered asset: its metadata hash, its owner, who registered it and when."""
    record = get_asset(ctx.view, request.asset_id)
    if record is None:
        return AssetInfo(request.asset_id, False)
    return AssetInfo(
        asset_id=request.asset_id,
        found=True,
        metadata_hash=record.metadata_hash,
        owner=record.owner,
        registrant=record.registrant,
        institution=record.institution,
        height=record.height,
        time_ms=record.time_ms,
        tx_hash=record.tx_hash,
        entries=record.entries,
    )


def query_asset_history(ctx: QueryContext, request: AssetHistoryRequest) -> AssetHistoryPage:
    """An asset's full ownership history (registration, transfers), a page at a time."""
    record = get_asset(ctx.view, request.asset_id)
    if record is None:
        return AssetHistoryPage(request.asset_id, False, 0, [], None)
    numbers, next_start = compute_page(request.start, record.entries)
    items = []
    for n in numbers:
        entry = get_entry(ctx.view, request.asset_id, n)
        assert entry is not None, f"asset history entry {n} missing below {record.entries}"
        items.append(
            AssetHistoryItem(
                n, ENTRY_KIND_NAMES[entry.kind], entry.previous_owner, entry.owner, entry.by,
                entry.module, entry.height, entry.time_ms, entry.tx_hash,
            )
        )
    return AssetHistoryPage(request.asset_id, True, record.entries, items, next_start)


def query_assets_of(ctx: QueryContext, request: AssetsOfRequest) -> AssetsPage:
    """The registered assets an account owns now, a page at a time."""
    total = get_uint(ctx.view, owned_key(request.owner))
    numbers, next_start = compute_page(request.start, total)
    ids = [get_text(ctx.view, owned_at_key(request.owner, n)) for n in numbers]
    return AssetsPage(request.owner, total, ids, next_start)


QUERIES = (
    Query("token", TokenRequest, TokenInfo, query_token),
    Query("tokens", PageRequest, TokenPage, query_tokens),
    Query("balance", BalanceRequest, TokenBalance, query_balance),
    Query("balances", BalancesRequest, BalancesPage, query_balances),
    Query("holders", HoldersRequest, HoldersPage, query_holders),
    Query("asset", AssetRequest, AssetInfo, query_asset),
    Query("asset_history", AssetHistoryRequest, AssetHistoryPage, query_asset_history),
    Query("assets_of", AssetsOfRequest, AssetsPage, query_assets_of),
)

__all__ = [
    "QUERIES",
    "AssetHistoryItem",
    "AssetHistoryPage",
    "AssetHistoryRequest",
    "AssetInfo",
    "AssetRequest",
    "AssetsOfRequest",
    "AssetsPage",
    "BalanceRequest",
    "BalancesPage",
    "BalancesRequest",
    "Holder",
    "HoldersPage",
    "HoldersRequest",
    "Holding",
    "PageRequest",
    "TokenBalance",
    "TokenPage",
    "TokenRequest",
]
