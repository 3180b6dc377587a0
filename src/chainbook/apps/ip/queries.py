"""ip queries: read-only, over the committed state (QueryContext.view is the module's keys).

    work(work)              the filing and the current owner, or found=false
    history(work, start)    the work's history from entry `start`, at most
                            history_page_entries_max entries a page; `next` is where the next
                            page starts (None at the end). Pages keep each answer provable
                            (?prove=true reads at most 1 + 32 state keys).
"""

from __future__ import annotations

import msgspec

from chainbook.apps.base import Query, QueryContext
from chainbook.apps.ip import limits
from chainbook.apps.ip.actions import HashBytes, UInt
from chainbook.apps.ip.process import ENTRY_KIND_NAMES, get_entry, get_work
from chainbook.types import Address, Hash, Height, TimeMs


class WorkRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    work: HashBytes


class WorkInfo(msgspec.Struct, frozen=True):
    work: Hash
    found: bool
    title: str = ""
    author: str = ""
    metadata: str = ""
    owner: Address = b""
    filer: Address = b""
    height: Height = 0
    """Of the filing; 0 for a registration the genesis file imported."""
    time_ms: TimeMs = 0
    tx_hash: Hash = b""
    entries: int = 0
    """History entries (entry 0 is the registration)."""
    licences: int = 0


class HistoryRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    work: HashBytes
    start: UInt = 0
    """The first entry to answer (0 is the registration)."""


class HistoryItem(msgspec.Struct, frozen=True):
    number: int
    kind: str
    """"registered", "licence" or "transfer"."""
    height: Height
    time_ms: TimeMs
    tx_hash: Hash
    by: Address
    """Who recorded it: the filer, or the owner who granted or transferred."""
    party: Address
    """The licensee or the new owner; empty for the registration."""
    scope: str = ""
    unit: str = ""
    start: int = 0
    end: int = 0
    """0: no end."""
    licence: int = 0
    """The licence number (licences only)."""


class HistoryPage(msgspec.Struct, frozen=True):
    work: Hash
    found: bool
    total: int
    entries: list[HistoryItem]
    next: int | None
    """The `start` of the next page; None when this page ends the history."""


def query_work(ctx: QueryContext, request: WorkRequest) -> WorkInfo:
    """A registered work: its filing (who, when, at which height) and its current owner."""
    record = get_work(ctx.view, request.work)
    if record is None:
        return WorkInfo(work=request.work, found=False)
    return WorkInfo(
        work=request.work,
        found=True,
        title=record.title,
        author=record.author,
        metadata=record.metadata,
        owner=record.owner,
        filer=record.filer,
        height=record.height,
        time_ms=record.time_ms,
        tx_hash=record.tx_hash,
        entries=record.entries,
        licences=record.licences,
    )


def query_history(ctx: QueryContext, request: HistoryRequest) -> HistoryPage:
    """A work's full history (registration, licences, transfers), a page at a time."""
    record = get_work(ctx.view, request.work)
    if record is None:
        return HistoryPage(work=request.work, found=False, total=0, entries=[], next=None)
    end = min(record.entries, request.start + limits.history_page_entries_max)
    items = []
    for number in range(request.start, end):
        entry = get_entry(ctx.view, request.work, number)
        assert entry is not None, f"ip history entry {number} missing below {record.entries}"
        items.append(
            HistoryItem(
                number=number,
                kind=ENTRY_KIND_NAMES[entry.kind],
                height=entry.height,
                time_ms=entry.time_ms,
                tx_hash=entry.tx_hash,
                by=entry.by,
                party=entry.party,
                scope=entry.scope,
                unit=entry.unit,
                start=entry.start,
                end=entry.end,
                licence=entry.licence,
            )
        )
    more = end < record.entries
    return HistoryPage(
        work=request.work,
        found=True,
        total=record.entries,
        entries=items,
        next=end if more else None,
    )


QUERIES = (
    Query("work", WorkRequest, WorkInfo, query_work),
    Query("history", HistoryRequest, HistoryPage, query_history),
)

__all__ = [
    "QUERIES",
    "HistoryItem",
    "HistoryPage",
    "HistoryRequest",
    "WorkInfo",
    "WorkRequest",
    "query_history",
    "query_work",
]
