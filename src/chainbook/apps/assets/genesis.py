"""The assets module's section of the genesis file (`app_state.assets`): tokens and registered
assets imported from earlier registers, so that moving a currency or a land register onto the
chain keeps its balances, its titles and their owners.

    {"tokens": [{"token": "CNYX", "name": "CNY deposit token", "decimals": 2,
                 "supply_max": 0, "freezable": true, "institution": "bank-a",
                 "balances": [{"address": "<40 hex>", "amount": 100000}, ...]}, ...],
     "assets": [{"asset_id": "LR-HK-000123", "metadata_hash": "<64 hex>",
                 "owner": "<40 hex>", "time_ms": 1700000000000}, ...]}

A token belongs to the institution named (its keys mint, burn and freeze once governance has
it registered as an issuer; the genesis may register it in app_state.governance); its supply
is the sum of its balances, counted as minted. Each asset becomes a registration at height 0
with the time stated here and no registrant. Default: none.
"""

from __future__ import annotations

import re

import msgspec

from chainbook.apps.assets import limits
from chainbook.apps.assets.fungible import RESERVED_SYMBOLS, SYMBOL_PATTERN
from chainbook.apps.assets.unique import ASSET_ID_PATTERN
from chainbook.errors import ConfigError

_HASH_HEX = re.compile(r"[0-9a-f]{64}")
_ADDRESS_HEX = re.compile(r"[0-9a-f]{40}")


class GenesisBalance(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    address: str
    """40 lowercase hex."""
    amount: int


class GenesisToken(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    token: str
    name: str
    decimals: int
    institution: str
    supply_max: int = 0
    freezable: bool = False
    balances: list[GenesisBalance] = []


class GenesisAsset(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    asset_id: str
    metadata_hash: str
    """64 lowercase hex."""
    owner: str
    """40 lowercase hex."""
    time_ms: int
    """When the earlier register recorded it (ms since the Unix epoch)."""


class AssetsGenesis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    tokens: list[GenesisToken] = []
    assets: list[GenesisAsset] = []


def verify_token_entry(at: str, entry: GenesisToken) -> None:
    if not SYMBOL_PATTERN.fullmatch(entry.token) or entry.token in RESERVED_SYMBOLS:
        raise ConfigError(f"{at}.token: {entry.token!r} is not an accepted symbol (A-Z, 0-9, "
                          f"2 to 12, first a letter; not {', '.join(sorted(RESERVED_SYMBOLS))})")
    if not 1 <= len(entry.name.encode()) <= limits.token_name_bytes_max:
        raise ConfigError(f"{at}.name: 1 to {limits.token_name_bytes_max} bytes of UTF-8")
    if not 0 <= entry.decimals <= limits.decimals_max:
        raise ConfigError(f"{at}.decimals: 0 to {limits.decimals_max}, got {entry.decimals}")
    if not entry.institution:
        raise ConfigError(f"{at}.institution: the issuing institution's id is required")
    if not 0 <= entry.supply_max <= limits.amount_max:
        raise ConfigError(f"{at}.supply_max: 0 to {limits.amount_max}, got {entry.supply_max}")
    seen: set[str] = set()
    for j, balance in enumerate(entry.balances):
        if not _ADDRESS_HEX.fullmatch(balance.address):
            raise ConfigError(f"{at}.balances[{j}].address: expected 40 lowercase hex, got "
                              f"{balance.address!r}")
        if balance.address in seen:
            raise ConfigError(f"{at}.balances[{j}].address: {balance.address} appears twice")
        seen.add(balance.address)
        if balance.amount <= 0:
            raise ConfigError(f"{at}.balances[{j}].amount must be > 0, got {balance.amount}")
    supply = sum(b.amount for b in entry.balances)
    cap = entry.supply_max or limits.amount_max
    if supply > cap:
        raise ConfigError(f"{at}: balances sum to {supply}, over the cap {cap}")


def verify_asset_entry(at: str, entry: GenesisAsset) -> None:
    if not ASSET_ID_PATTERN.fullmatch(entry.asset_id):
        raise ConfigError(f"{at}.asset_id: {entry.asset_id!r} is not accepted (1 to "
                          f"{limits.asset_id_chars_max} of A-Z a-z 0-9 . _ : -)")
    if not _HASH_HEX.fullmatch(entry.metadata_hash):
        raise ConfigError(f"{at}.metadata_hash: expected 64 lowercase hex, got "
                          f"{entry.metadata_hash!r}")
    if not _ADDRESS_HEX.fullmatch(entry.owner):
        raise ConfigError(f"{at}.owner: expected 40 lowercase hex, got {entry.owner!r}")
    if entry.time_ms < 0:
        raise ConfigError(f"{at}.time_ms must be >= 0, got {entry.time_ms}")


def verify_assets_genesis(section: AssetsGenesis) -> None:
    """Refuse a section that could not run; each reason names the entry, field and value."""
    where = "genesis app_state.assets"
    if len(section.tokens) > limits.genesis_tokens_max:
        raise ConfigError(f"{where}.tokens: {len(section.tokens)} entries, at most "
                          f"{limits.genesis_tokens_max}")
    balances = sum(len(t.balances) for t in section.tokens)
    if balances > limits.genesis_balances_max:
        raise ConfigError(f"{where}.tokens: {balances} balances in all, at most "
                          f"{limits.genesis_balances_max}")
    if len(section.assets) > limits.genesis_assets_max:
        raise ConfigError(f"{where}.assets: {len(section.assets)} entries, at most "
                          f"{limits.genesis_assets_max}")
    symbols: set[str] = set()
    for i, token in enumerate(section.tokens):
        verify_token_entry(f"{where}.tokens[{i}]", token)
        if token.token in symbols:
            raise ConfigError(f"{where}.tokens[{i}].token: {token.token} appears twice")
        symbols.add(token.token)
    ids: set[str] = set()
    for i, asset in enumerate(section.assets):
        verify_asset_entry(f"{where}.assets[{i}]", asset)
        if asset.asset_id in ids:
            raise ConfigError(f"{where}.assets[{i}].asset_id: {asset.asset_id} appears twice")
        ids.add(asset.asset_id)


__all__ = [
    "AssetsGenesis",
    "GenesisAsset",
    "GenesisBalance",
    "GenesisToken",
    "verify_assets_genesis",
]
