"""trace queries: read-only, over the committed state (QueryContext.view is the module's keys).

    product(product)        a product type: its manufacturer and required steps
    item(item)              an item or lot: holder, quantity, hand-off waiting, lineage
    verdict(item)           complete, or the gaps found with a score (apps/trace/verdict.py);
                            two state keys, whatever the chain's length
    history(item, start)    the item's history from entry `start`, history_page_entries_max a
                            page (`next`: where the next page starts, None at the end)

`chainbook trace show ITEM` (cli/trace.py) prints the verdict with the whole chain: the
item's history and the histories of the lots it came from.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from chainbook.apps.base import Query, QueryContext
from chainbook.apps.trace import limits
from chainbook.apps.trace.actions import Step, UInt
from chainbook.apps.trace.state import (
    ENTRY_KIND_NAMES,
    Gap,
    get_entry,
    get_item,
    get_product,
)
from chainbook.apps.trace.verdict import Verdict, compute_verdict, unknown_verdict
from chainbook.types import Address, Hash, Height, TimeMs

Id = Annotated[str, msgspec.Meta(max_length=limits.id_chars_max)]


class ProductRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    product: Id


class ProductInfo(msgspec.Struct, frozen=True):
    product: str
    found: bool
    name: str = ""
    steps: list[Step] = []
    manufacturer: str = ""
    height: Height = 0
    tx_hash: Hash = b""


class ItemRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    item: Id


class ItemInfo(msgspec.Struct, frozen=True):
    item: str
    found: bool
    product: str = ""
    quantity: int = 0
    metadata: str = ""
    manufacturer: str = ""
    holder: Address = b""
    holder_institution: str = ""
    """The holder's institution id when it took custody; "" if none."""
    pending_to: Address = b""
    pending_height: Height = 0
    steps_done: list[str] = []
    parents: list[str] = []
    consumed_into: list[str] = []
    handoffs: int = 0
    gaps: list[Gap] = []
    gaps_total: int = 0
    created_height: Height = 0
    created_time_ms: TimeMs = 0
    tx_hash: Hash = b""
    entries: int = 0


class HistoryRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    item: Id
    start: UInt = 0


class HistoryItem(msgspec.Struct, frozen=True):
    number: int
    kind: str
    by: Address
    height: Height
    time_ms: TimeMs
    tx_hash: Hash
    party: Address
    quantity: int
    step: str
    note: str
    related: list[str]


class HistoryPage(msgspec.Struct, frozen=True):
    item: str
    found: bool
    total: int
    entries: list[HistoryItem]
    next: int | None


def query_product(ctx: QueryContext, request: ProductRequest) -> ProductInfo:
    """A product type: its manufacturer and the steps its items must pass."""
    record = get_product(ctx.view, request.product)
    if record is None:
        return ProductInfo(product=request.product, found=False)
    return ProductInfo(request.product, True, record.name, record.steps, record.manufacturer,
                       record.height, record.tx_hash)


def query_item(ctx: QueryContext, request: ItemRequest) -> ItemInfo:
    """An item or lot: its holder, quantity, waiting hand-off, steps passed and lineage."""
    record = get_item(ctx.view, request.item)
    if record is None:
        return ItemInfo(item=request.item, found=False)
    fields = msgspec.structs.asdict(record)
    return ItemInfo(item=request.item, found=True, **fields)


def query_verdict(ctx: QueryContext, request: ItemRequest) -> Verdict:
    """Complete, or the gaps of the item's chain with a score (0 complete; +1 a missing link)."""
    record = get_item(ctx.view, request.item)
    if record is None:
        return unknown_verdict(request.item)
    product = get_product(ctx.view, record.product)
    assert product is not None, f"item {request.item!r} of an unknown product type"
    return compute_verdict(request.item, record, product)


def query_history(ctx: QueryContext, request: HistoryRequest) -> HistoryPage:
    """An item's history (creation, hand-offs, events, splits, merges), a page at a time."""
    record = get_item(ctx.view, request.item)
    if record is None:
        return HistoryPage(item=request.item, found=False, total=0, entries=[], next=None)
    end = min(record.entries, request.start + limits.history_page_entries_max)
    items = []
    for number in range(request.start, end):
        entry = get_entry(ctx.view, request.item, number)
        assert entry is not None, f"trace entry {number} of {request.item!r} missing"
        items.append(HistoryItem(number, ENTRY_KIND_NAMES[entry.kind], entry.by, entry.height,
                                 entry.time_ms, entry.tx_hash, entry.party, entry.quantity,
                                 entry.step, entry.note, entry.related))
    return HistoryPage(request.item, True, record.entries, items,
                       end if end < record.entries else None)


QUERIES = (
    Query("product", ProductRequest, ProductInfo, query_product),
    Query("item", ItemRequest, ItemInfo, query_item),
    Query("verdict", ItemRequest, Verdict, query_verdict),
    Query("history", HistoryRequest, HistoryPage, query_history),
)

__all__ = [
    "QUERIES",
    "HistoryItem",
    "HistoryPage",
    "HistoryRequest",
    "ItemInfo",
    "ItemRequest",
    "ProductInfo",
    "ProductRequest",
    "query_history",
    "query_item",
    "query_product",
    "query_verdict",
]
