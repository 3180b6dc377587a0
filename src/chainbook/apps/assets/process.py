"""The assets module's entry points: the action dispatch, the genesis hook and the invariants
asserted at every commit (the rules are fungible.py's and unique.py's)."""

from __future__ import annotations

from collections import defaultdict

import msgspec

from chainbook import codec
from chainbook.apps.assets import limits
from chainbook.apps.assets.actions import (
    Burn,
    CreateToken,
    Freeze,
    Mint,
    RegisterAsset,
    Transfer,
    TransferAsset,
    Unfreeze,
)
from chainbook.apps.assets.fungible import (
    process_add_token,
    process_burn,
    process_create_token,
    process_credit,
    process_freeze,
    process_mint,
    process_transfer,
)
from chainbook.apps.assets.genesis import AssetsGenesis
from chainbook.apps.assets.state import (
    ASSET_PREFIX,
    BALANCE_PREFIX,
    TOKEN_PREFIX,
    AssetEntry,
    AssetRecord,
    EntryKind,
    TokenRecord,
    entry_key,
    get_asset,
    get_balance,
    get_token,
    parse_balance_key,
)
from chainbook.apps.assets.unique import (
    process_record_asset,
    process_register_asset,
    process_transfer_asset,
)
from chainbook.apps.base import KVReader, KVStore, TxContext, TxView
from chainbook.ledger.receipts import Event


def process(view: TxView, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The assets module's entry point: dispatch on the action type."""
    match action:
        case Transfer():
            return process_transfer(view, ctx, action)
        case Mint():
            return process_mint(view, ctx, action)
        case Burn():
            return process_burn(view, ctx, action)
        case CreateToken():
            return process_create_token(view, ctx, action)
        case Freeze() | Unfreeze():
            return process_freeze(view, ctx, action)
        case RegisterAsset():
            return process_register_asset(view, ctx, action)
        case TransferAsset():
            return process_transfer_asset(view, ctx, action)
    raise AssertionError(f"assets received a foreign action {type(action).__name__}")


def process_genesis(view: KVStore, section: AssetsGenesis) -> None:
    """The genesis hook: imported tokens with their balances, and imported assets (checked by
    verify_assets_genesis)."""
    for imported in section.tokens:
        supply = sum(b.amount for b in imported.balances)
        record = TokenRecord(
            name=imported.name,
            decimals=imported.decimals,
            supply_max=imported.supply_max,
            freezable=imported.freezable,
            institution=imported.institution,
            creator=b"",
            supply=supply,
            minted=supply,
            burned=0,
            holders=0,
            height=0,
            tx_hash=b"",
        )
        for balance in imported.balances:
            address = bytes.fromhex(balance.address)
            record = process_credit(view, imported.token, record, address, balance.amount)
        process_add_token(view, imported.token, record)
    for asset in section.assets:
        owner = bytes.fromhex(asset.owner)
        asset_record = AssetRecord(
            bytes.fromhex(asset.metadata_hash), owner, b"", "", 0, asset.time_ms, b"",
            entries=1, slot=0,
        )
        entry = AssetEntry(EntryKind.REGISTERED, b"", owner, b"", "", 0, asset.time_ms, b"")
        process_record_asset(view, asset.asset_id, asset_record, entry)


# --- invariants (asserted at every commit) --------------------------------------------------


def assert_invariants(before: KVReader, after: KVReader, changed_keys: list[bytes]) -> None:
    """For every token a block touched: supply changes only by mint and burn (supply ==
    minted - burned, and the sum of its balance changes == its supply change), no balance is
    negative or deleted, the cap holds; a registered asset is never deleted and its owner is
    the owner of its last history entry."""
    balance_deltas: dict[str, int] = defaultdict(int)
    tokens: set[str] = set()
    for key in changed_keys:
        if key.startswith(BALANCE_PREFIX):
            token, address = parse_balance_key(key)
            new = get_balance(after, token, address)
            assert new is not None, f"balance deleted: {key!r}"
            assert 0 <= new <= limits.amount_max, f"balance {new} out of range at {key!r}"
            balance_deltas[token] += new - (get_balance(before, token, address) or 0)
            tokens.add(token)
        elif key.startswith(TOKEN_PREFIX):
            tokens.add(key[len(TOKEN_PREFIX):].decode())
        elif key.startswith(ASSET_PREFIX):
            asset_id = key[len(ASSET_PREFIX):].decode()
            asset = get_asset(after, asset_id)
            assert asset is not None, f"asset record deleted: {asset_id!r}"
            raw = after.get(entry_key(asset_id, asset.entries - 1))
            assert raw is not None, f"asset {asset_id!r} lacks history entry {asset.entries - 1}"
            assert codec.decode(raw, AssetEntry).owner == asset.owner, asset_id
    for token in tokens:
        record = get_token(after, token)
        assert record is not None, f"token record deleted or missing: {token!r}"
        previous = get_token(before, token)
        supply_before = 0 if previous is None else previous.supply
        minted_before = 0 if previous is None else previous.minted
        burned_before = 0 if previous is None else previous.burned
        assert record.supply == record.minted - record.burned, (token, record)
        assert record.minted >= minted_before and record.burned >= burned_before, token
        assert record.supply - supply_before == (record.minted - minted_before) - (
            record.burned - burned_before
        ), token
        assert balance_deltas.get(token, 0) == record.supply - supply_before, (
            token, balance_deltas.get(token, 0), supply_before, record.supply,
        )
        assert 0 <= record.supply <= (record.supply_max or limits.amount_max), (token, record)
        if previous is not None:
            assert (previous.supply_max, previous.decimals, previous.freezable,
                    previous.institution) == (record.supply_max, record.decimals,
                                              record.freezable, record.institution), token
            assert record.holders >= previous.holders, token


__all__ = ["assert_invariants", "process", "process_genesis"]
