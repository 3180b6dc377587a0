"""Unique registered assets: a house title, a certificate, a work of art, each under an id.

Rules kept:
- An id is 1..64 characters of A-Z a-z 0-9 . _ : - (case-sensitive; e.g. "LR-HK-2024-000123",
  "cert:univ-x:2025:0042"). The first registration of an id wins; a second one, in a later
  block or later in the same block, is refused (assets.asset_exists) naming the existing
  record: its owner, its registrant, its height and transaction.
- Anyone may register: the record names who registered it (`registrant`) and, when that key
  belonged to an active "issuer" institution at the time, the institution's id, so a buyer
  can tell a land registry's title from a private claim. The owner named may be someone
  else (a registry registers a title to its owner).
- The record holds the SHA-256 of the asset's metadata document (the document stays off
  chain); it never changes: a new description is a new asset.
- Only the current owner transfers it (assets.not_owner names the owner); a transfer to the
  owner is refused (assets.invalid_party). Another module moves it through the export only
  from an account that signed the transaction (sender or co-signer) or from its own module
  account (exports.py), e.g. into escrow.
- History: entry 0 is the registration, then every transfer in commit order, each with the
  previous and new owner, the signer, the module that moved it (if any), height, block time
  and transaction; at most asset_history_entries_max entries (assets.history_full).
- Each owner's current assets are a list (owned/<owner>, owned_at/...): a transfer removes
  the asset from the old owner's list by moving the list's last asset into its slot, so both
  lists stay dense and every change is O(1) (the order of a list is therefore not the order
  of acquisition).
- Every refusal raises before any write.
"""

from __future__ import annotations

import re

import msgspec

from chainbook import codec
from chainbook.apps.assets import limits
from chainbook.apps.assets.actions import RegisterAsset, TransferAsset
from chainbook.apps.assets.errors import (
    AssetExists,
    HistoryFull,
    InvalidAssetId,
    InvalidParty,
    NotOwner,
    UnknownAsset,
)
from chainbook.apps.assets.fungible import ISSUER_ROLE
from chainbook.apps.assets.state import (
    MODULE_NAME,
    AssetEntry,
    AssetRecord,
    EntryKind,
    asset_key,
    entry_key,
    get_asset,
    get_text,
    get_uint,
    owned_at_key,
    owned_key,
)
from chainbook.apps.base import KVReader, KVStore, TxContext, TxView, encode_int
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest
from chainbook.ledger.receipts import Event
from chainbook.types import Address

ASSET_ID_PATTERN = re.compile(f"[A-Za-z0-9._:-]{{1,{limits.asset_id_chars_max}}}")


def describe_asset(asset_id: str, record: AssetRecord) -> str:
    if record.height == 0:
        when = f"imported by the genesis file (time_ms {record.time_ms})"
    else:
        when = f"at height {record.height} in transaction {record.tx_hash.hex()}"
    by = record.registrant.hex() if record.registrant else "the genesis file"
    of = f" of institution {record.institution!r}" if record.institution else ""
    return (
        f"asset {asset_id!r} is registered already: registered by {by}{of} {when}, metadata "
        f"{record.metadata_hash.hex()}, owned now by {record.owner.hex()}"
    )


def verify_asset_id(asset_id: str) -> None:
    if not ASSET_ID_PATTERN.fullmatch(asset_id):
        raise InvalidAssetId(
            f"asset id {asset_id!r} is not accepted: 1 to {limits.asset_id_chars_max} "
            "characters of A-Z a-z 0-9 . _ : -"
        )


def verify_not_registered(view: KVReader, asset_id: str) -> None:
    existing = get_asset(view, asset_id)
    if existing is not None:
        raise AssetExists(describe_asset(asset_id, existing))


def verify_owner(view: KVReader, asset_id: str, owner: Address) -> AssetRecord:
    record = get_asset(view, asset_id)
    if record is None:
        raise UnknownAsset(f"no asset {asset_id!r} is registered (assets.register_asset)")
    if record.owner != owner:
        raise NotOwner(
            f"asset {asset_id!r} is owned by {record.owner.hex()}, not by {owner.hex()}; only "
            "its owner transfers it"
        )
    return record


def process_list_add(view: KVStore, owner: Address, asset_id: str) -> int:
    """Append to the owner's list; returns the slot."""
    count = get_uint(view, owned_key(owner))
    view.set(owned_at_key(owner, count), codec.encode(asset_id))
    view.set(owned_key(owner), encode_int(count + 1))
    return count


def process_list_remove(view: KVStore, owner: Address, slot: int) -> None:
    """Remove slot `slot` of the owner's list, moving its last asset there."""
    count = get_uint(view, owned_key(owner))
    assert 0 <= slot < count, (slot, count)
    last = count - 1
    if slot != last:
        moved_id = get_text(view, owned_at_key(owner, last))
        moved = get_asset(view, moved_id)
        assert moved is not None and moved.slot == last and moved.owner == owner
        view.set(owned_at_key(owner, slot), codec.encode(moved_id))
        view.set(asset_key(moved_id), codec.encode(msgspec.structs.replace(moved, slot=slot)))
    view.delete(owned_at_key(owner, last))
    view.set(owned_key(owner), encode_int(last))


def process_record_asset(
    view: KVStore, asset_id: str, record: AssetRecord, entry: AssetEntry
) -> None:
    """A new record: its registration entry and its place in its owner's list."""
    slot = process_list_add(view, record.owner, asset_id)
    view.set(entry_key(asset_id, 0), codec.encode(entry))
    view.set(asset_key(asset_id), codec.encode(msgspec.structs.replace(record, slot=slot)))


def process_register_asset(view: TxView, ctx: TxContext, action: RegisterAsset) -> list[Event]:
    verify_asset_id(action.asset_id)
    verify_not_registered(view, action.asset_id)
    request = InstitutionRequest(address=ctx.sender, role=ISSUER_ROLE)
    answer: InstitutionAnswer = view.call("governance", "institution", ctx, request)
    institution = answer.institution.id if answer.authorised and answer.institution else ""
    record = AssetRecord(
        action.metadata_hash, action.owner, ctx.sender, institution, ctx.height, ctx.time_ms,
        ctx.tx_hash, entries=1, slot=0,
    )
    entry = AssetEntry(
        EntryKind.REGISTERED, b"", action.owner, ctx.sender, "", ctx.height, ctx.time_ms,
        ctx.tx_hash,
    )
    process_record_asset(view, action.asset_id, record, entry)
    attributes = [
        ("asset", action.asset_id),
        ("owner", action.owner.hex()),
        ("registrant", ctx.sender.hex()),
        ("metadata_hash", action.metadata_hash.hex()),
    ]
    return [Event(MODULE_NAME, "asset_registered", attributes)]


def process_move_asset(
    view: KVStore, ctx: TxContext, asset_id: str, owner: Address, to: Address, module: str
) -> int:
    """The checks and writes of every asset transfer (the action and the export); returns the
    number of the history entry it appended."""
    verify_asset_id(asset_id)
    record = verify_owner(view, asset_id, owner)
    if to == owner:
        raise InvalidParty(f"asset {asset_id!r} is owned by {to.hex()} already")
    if record.entries >= limits.asset_history_entries_max:
        raise HistoryFull(
            f"asset {asset_id!r} has {record.entries} history entries, the most an asset may "
            f"have ({limits.asset_history_entries_max})"
        )
    process_list_remove(view, owner, record.slot)
    slot = process_list_add(view, to, asset_id)
    number = record.entries
    entry = AssetEntry(
        EntryKind.TRANSFER, owner, to, ctx.sender, module, ctx.height, ctx.time_ms, ctx.tx_hash
    )
    view.set(entry_key(asset_id, number), codec.encode(entry))
    updated = msgspec.structs.replace(record, owner=to, slot=slot, entries=number + 1)
    view.set(asset_key(asset_id), codec.encode(updated))
    return number


def process_transfer_asset(view: TxView, ctx: TxContext, action: TransferAsset) -> list[Event]:
    number = process_move_asset(view, ctx, action.asset_id, ctx.sender, action.to, "")
    attributes = [
        ("asset", action.asset_id),
        ("from", ctx.sender.hex()),
        ("to", action.to.hex()),
        ("entry", str(number)),
    ]
    return [Event(MODULE_NAME, "asset_transferred", attributes)]


__all__ = [
    "ASSET_ID_PATTERN",
    "describe_asset",
    "process_list_add",
    "process_list_remove",
    "process_move_asset",
    "process_record_asset",
    "process_register_asset",
    "process_transfer_asset",
    "verify_asset_id",
    "verify_not_registered",
    "verify_owner",
]
