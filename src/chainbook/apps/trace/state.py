"""The trace module's state: its records, their keys and the pure accessors.

State (keys relative to the module prefix b"trace/"; values canonical MessagePack):

    product/<product id>               ProductRecord   a product type and its required steps
    item/<item id>                     ItemRecord      an item or lot: holder, quantity, steps
                                                       passed, gaps found, its lineage
    entry/<item id> 0x00 <u32 BE>      HistoryEntry    entry n of the item's history

An item id holds no 0x00, so the entry keys of two items never interleave. The item record
carries everything the verdict needs (steps passed, gaps with their details, the hand-off
waiting), so a verdict reads two keys whatever the length of the chain
(apps/trace/verdict.py).
"""

from __future__ import annotations

import enum
import struct

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader
from chainbook.apps.trace.actions import Step
from chainbook.types import Address, Hash, Height, TimeMs

PRODUCT_PREFIX = b"product/"
ITEM_PREFIX = b"item/"
ENTRY_PREFIX = b"entry/"
RECORDER_ROLES = ("customs", "logistics_operator")
"""Registered institutions in these roles may record events on items they do not hold."""


class EntryKind(enum.IntEnum):
    CREATED = 0
    HANDED_OVER = 1
    ACCEPTED = 2
    CANCELLED = 3
    RECORDED = 4
    SPLIT_FROM = 5
    """This lot was split off `related[0]`."""
    SPLIT_INTO = 6
    """Parts of this lot became the lots `related`."""
    MERGED_FROM = 7
    """This lot was made of the lots `related`."""
    MERGED_INTO = 8
    """This lot went into the lot `related[0]`."""


ENTRY_KIND_NAMES = {kind: kind.name.lower() for kind in EntryKind}


class GapKind(enum.IntEnum):
    UNREGISTERED_HOLDER = 0
    """A hand-off was accepted by an account that is no active registered institution."""
    QUANTITY_MISMATCH = 1
    """The receiver counted another quantity than the giver handed over."""


GAP_KIND_NAMES = {GapKind.UNREGISTERED_HOLDER: "unregistered_holder",
                  GapKind.QUANTITY_MISMATCH: "quantity_mismatch"}


class Gap(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    kind: GapKind
    item: str
    """The item or lot it happened to (an ancestor's id for an inherited gap)."""
    height: Height
    detail: str


class ProductRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    name: str
    steps: list[Step]
    manufacturer: str
    """The id of the institution that registered it: only it creates items of this type."""
    height: Height
    tx_hash: Hash


class ItemRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    product: str
    quantity: int
    """Units held now (0: the lot was wholly split or merged into another)."""
    metadata: str
    manufacturer: str
    holder: Address
    holder_institution: str
    """The holder's institution id when it took custody; "" if it was none."""
    pending_to: Address
    """The receiver of the hand-off waiting for acceptance; empty when none."""
    pending_height: Height
    steps_done: list[str]
    """The product type's steps this item (or the lots it came from) passed, in step order."""
    parents: list[str]
    """The lot it was split from, or the lots merged into it; empty for a created item."""
    consumed_into: list[str]
    """The lots it went into when it was consumed (quantity 0); empty while it holds units."""
    handoffs: int
    """Hand-offs accepted (this item's own)."""
    gaps: list[Gap]
    """Its own gaps and those of the lots it came from, at most gaps_kept_max."""
    gaps_total: int
    """Every gap, also those past gaps_kept_max (>= len(gaps))."""
    created_height: Height
    created_time_ms: TimeMs
    tx_hash: Hash
    entries: int


class HistoryEntry(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    kind: EntryKind
    by: Address
    height: Height
    time_ms: TimeMs
    tx_hash: Hash
    party: Address = b""
    """The receiver of a hand-off; empty otherwise."""
    quantity: int = 0
    step: str = ""
    note: str = ""
    related: list[str] = []
    """Lots split off, merged from or into (see EntryKind)."""


def product_key(product: str) -> bytes:
    return PRODUCT_PREFIX + product.encode()


def item_key(item: str) -> bytes:
    return ITEM_PREFIX + item.encode()


def entry_key(item: str, number: int) -> bytes:
    return ENTRY_PREFIX + item.encode() + b"\x00" + struct.pack(">I", number)


def get_product(view: KVReader, product: str) -> ProductRecord | None:
    raw = view.get(product_key(product))
    return None if raw is None else codec.decode(raw, ProductRecord)


def get_item(view: KVReader, item: str) -> ItemRecord | None:
    raw = view.get(item_key(item))
    return None if raw is None else codec.decode(raw, ItemRecord)


def get_entry(view: KVReader, item: str, number: int) -> HistoryEntry | None:
    raw = view.get(entry_key(item, number))
    return None if raw is None else codec.decode(raw, HistoryEntry)


__all__ = [
    "ENTRY_KIND_NAMES",
    "ENTRY_PREFIX",
    "GAP_KIND_NAMES",
    "ITEM_PREFIX",
    "PRODUCT_PREFIX",
    "RECORDER_ROLES",
    "EntryKind",
    "Gap",
    "GapKind",
    "HistoryEntry",
    "ItemRecord",
    "ProductRecord",
    "entry_key",
    "get_entry",
    "get_item",
    "get_product",
    "item_key",
    "product_key",
]
