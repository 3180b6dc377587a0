"""ip state transitions: a register of works where the first filing wins.

State (keys relative to the module prefix b"ip/"; values canonical MessagePack):

    work/<work 32 bytes>                   WorkRecord     the filing and the current owner
    entry/<work 32 bytes><number u32 BE>   HistoryEntry   entry `number` of the work's history

Rules kept:
- A work is named by its SHA-256; the work itself never goes on chain. The first filing of a
  hash wins: it records the title, the author as filed (a name: the author need not hold a
  key, a publisher may file for her) and makes the filer the owner. A later filing of the
  same hash, in a later block or later in the same block, is refused (ip.already_registered)
  naming the earlier one: its owner at filing, its author, height, block time and
  transaction. Block order decides within a block, as it decides every outcome; the order
  in which nodes *received* the filings does not count (no node could prove it).
- Only the current owner records a licence or a transfer (ip.not_owner names the owner). A
  licence names its licensee, a scope (1..scope_bytes_max bytes) and a period [start, end)
  in block heights ("height") or block time in ms ("time_ms"); end 0 means no end, else end
  > start. A licence granted by an earlier owner stays in the history after a transfer: the
  ledger records what each owner granted, it does not decide what a court would.
- A licence to the owner itself or a transfer to the owner records nothing and is refused
  (ip.invalid_party).
- History: entry 0 is the registration, then every licence and transfer in the order they
  were committed, each with its height, block time, transaction and who recorded it. At most
  history_entries_max entries per work (ip.history_full); the `history` query pages through
  them (apps/ip/queries.py).
- Every refusal raises before any write. Registrations imported by the genesis file (an
  earlier register moved onto the chain, which keeps its earlier filings first) are height 0
  with the time the genesis file states and no transaction.
- Events: `ip.licence_granted` with the licence's number (the one thing the transaction does
  not state); a registration or a transfer states everything itself and emits none.
"""

from __future__ import annotations

import enum
import struct

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, KVStore, TxContext
from chainbook.apps.ip import limits
from chainbook.apps.ip.actions import GrantLicence, Register, Transfer
from chainbook.apps.ip.errors import (
    AlreadyRegistered,
    HistoryFull,
    InvalidParty,
    InvalidPeriod,
    InvalidText,
    NotOwner,
    UnknownWork,
)
from chainbook.apps.ip.genesis import IpGenesis
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Hash, Height, TimeMs

MODULE_NAME = "ip"
WORK_PREFIX = b"work/"
ENTRY_PREFIX = b"entry/"
PERIOD_UNITS = ("height", "time_ms")


class EntryKind(enum.IntEnum):
    REGISTERED = 0
    LICENCE = 1
    TRANSFER = 2


ENTRY_KIND_NAMES = {
    EntryKind.REGISTERED: "registered",
    EntryKind.LICENCE: "licence",
    EntryKind.TRANSFER: "transfer",
}


class WorkRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    title: str
    author: str
    metadata: str
    owner: Address
    """The current owner: the filer, until a transfer."""
    filer: Address
    height: Height
    """Of the filing; 0 for a registration imported by the genesis file."""
    time_ms: TimeMs
    tx_hash: Hash
    """Of the filing; empty for an imported registration."""
    entries: int
    """History entries so far (>= 1: entry 0 is the registration)."""
    licences: int
    """Licences granted so far (licence numbers are 1, 2, ...)."""


class HistoryEntry(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    kind: EntryKind
    height: Height
    time_ms: TimeMs
    tx_hash: Hash
    by: Address
    """Who recorded it: the filer, or the owner who granted or transferred."""
    party: Address = b""
    """The licensee, or the new owner; empty for the registration."""
    scope: str = ""
    unit: str = ""
    start: int = 0
    end: int = 0
    licence: int = 0
    """The licence number (licences only)."""


# --- pure accessors -------------------------------------------------------------------------


def work_key(work: Hash) -> bytes:
    return WORK_PREFIX + work


def entry_key(work: Hash, number: int) -> bytes:
    return ENTRY_PREFIX + work + struct.pack(">I", number)


def get_work(view: KVReader, work: Hash) -> WorkRecord | None:
    raw = view.get(WORK_PREFIX + work)
    return None if raw is None else codec.decode(raw, WorkRecord)


def get_entry(view: KVReader, work: Hash, number: int) -> HistoryEntry | None:
    raw = view.get(entry_key(work, number))
    return None if raw is None else codec.decode(raw, HistoryEntry)


def compute_utf8_bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def describe_filing(work: Hash, record: WorkRecord) -> str:
    if record.height == 0:
        when = f"imported by the genesis file (filed at time_ms {record.time_ms})"
    else:
        when = (
            f"at height {record.height} (block time_ms {record.time_ms}) in transaction "
            f"{record.tx_hash.hex()}"
        )
    return (
        f"work {work.hex()} was registered first by {record.filer.hex()} "
        f"(author {record.author!r}) {when}"
    )


# --- checks ---------------------------------------------------------------------------------


def verify_text(name: str, text: str, limit: int, required: bool) -> None:
    size = compute_utf8_bytes(text)
    low = 1 if required else 0
    if not low <= size <= limit:
        raise InvalidText(f"{name} is {size} bytes of UTF-8; accepted {low} to {limit}")


def verify_not_registered(view: KVReader, work: Hash) -> None:
    earlier = get_work(view, work)
    if earlier is not None:
        raise AlreadyRegistered(
            f"{describe_filing(work, earlier)}; the first filing wins, its owner is now "
            f"{earlier.owner.hex()}"
        )


def verify_owned_by(view: KVReader, work: Hash, sender: Address) -> WorkRecord:
    record = get_work(view, work)
    if record is None:
        raise UnknownWork(f"no work {work.hex()} is registered; register it first (ip.register)")
    if record.owner != sender:
        raise NotOwner(
            f"work {work.hex()} is owned by {record.owner.hex()}, not by {sender.hex()}; only "
            "its owner records licences and transfers"
        )
    return record


def verify_history_room(work: Hash, record: WorkRecord) -> None:
    if record.entries >= limits.history_entries_max:
        raise HistoryFull(
            f"work {work.hex()} has {record.entries} history entries, the most a work may have"
        )


def verify_period(unit: str, start: int, end: int) -> None:
    if unit not in PERIOD_UNITS:
        raise InvalidPeriod(f"unit is {unit!r}; accepted: {', '.join(PERIOD_UNITS)}")
    if end != 0 and end <= start:
        raise InvalidPeriod(
            f"a licence period is [start, end): end {end} must be after start {start}, or 0 "
            "for no end"
        )


def verify_other_party(record: WorkRecord, party: Address, what: str) -> None:
    if party == record.owner:
        raise InvalidParty(f"{what} {party.hex()} is the owner already: it would record nothing")


# --- state changes --------------------------------------------------------------------------


def process_append_entry(
    view: KVStore, work: Hash, record: WorkRecord, entry: HistoryEntry, **changes: object
) -> int:
    """Append `entry` to the work's history and write the record with one more entry (and
    `changes`); returns the entry's number."""
    number = record.entries
    view.set(entry_key(work, number), codec.encode(entry))
    updated = msgspec.structs.replace(record, entries=number + 1, **changes)
    view.set(work_key(work), codec.encode(updated))
    return number


def process_register(view: KVStore, ctx: TxContext, action: Register) -> list[Event]:
    verify_text("title", action.title, limits.title_bytes_max, required=True)
    verify_text("author", action.author, limits.author_bytes_max, required=True)
    verify_text("metadata", action.metadata, limits.metadata_bytes_max, required=False)
    verify_not_registered(view, action.work)
    record = WorkRecord(
        action.title,
        action.author,
        action.metadata,
        ctx.sender,
        ctx.sender,
        ctx.height,
        ctx.time_ms,
        ctx.tx_hash,
        entries=0,
        licences=0,
    )
    entry = HistoryEntry(EntryKind.REGISTERED, ctx.height, ctx.time_ms, ctx.tx_hash, ctx.sender)
    process_append_entry(view, action.work, record, entry)
    return []


def process_grant_licence(view: KVStore, ctx: TxContext, action: GrantLicence) -> list[Event]:
    verify_text("scope", action.scope, limits.scope_bytes_max, required=True)
    verify_period(action.unit, action.start, action.end)
    record = verify_owned_by(view, action.work, ctx.sender)
    verify_other_party(record, action.licensee, "licensee")
    verify_history_room(action.work, record)
    number = record.licences + 1
    entry = HistoryEntry(
        EntryKind.LICENCE,
        ctx.height,
        ctx.time_ms,
        ctx.tx_hash,
        ctx.sender,
        action.licensee,
        action.scope,
        action.unit,
        action.start,
        action.end,
        number,
    )
    index = process_append_entry(view, action.work, record, entry, licences=number)
    attributes = [("licence", str(number)), ("entry", str(index))]
    return [Event(MODULE_NAME, "licence_granted", attributes)]


def process_transfer(view: KVStore, ctx: TxContext, action: Transfer) -> list[Event]:
    record = verify_owned_by(view, action.work, ctx.sender)
    verify_other_party(record, action.to, "new owner")
    verify_history_room(action.work, record)
    entry = HistoryEntry(
        EntryKind.TRANSFER, ctx.height, ctx.time_ms, ctx.tx_hash, ctx.sender, action.to
    )
    process_append_entry(view, action.work, record, entry, owner=action.to)
    return []


def process(view: KVStore, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The ip module's entry point: dispatch on the action type."""
    match action:
        case Register():
            return process_register(view, ctx, action)
        case GrantLicence():
            return process_grant_licence(view, ctx, action)
        case Transfer():
            return process_transfer(view, ctx, action)
    raise AssertionError(f"ip received a foreign action {type(action).__name__}")


def process_genesis(view: KVStore, section: IpGenesis) -> None:
    """The genesis hook: the imported registrations (checked by verify_ip_genesis)."""
    for imported in section.works:
        work = bytes.fromhex(imported.work)
        owner = bytes.fromhex(imported.owner)
        record = WorkRecord(
            imported.title,
            imported.author,
            imported.metadata,
            owner,
            owner,
            0,
            imported.time_ms,
            b"",
            entries=0,
            licences=0,
        )
        entry = HistoryEntry(EntryKind.REGISTERED, 0, imported.time_ms, b"", owner)
        process_append_entry(view, work, record, entry)


__all__ = [
    "ENTRY_KIND_NAMES",
    "ENTRY_PREFIX",
    "MODULE_NAME",
    "PERIOD_UNITS",
    "WORK_PREFIX",
    "EntryKind",
    "HistoryEntry",
    "WorkRecord",
    "describe_filing",
    "entry_key",
    "get_entry",
    "get_work",
    "process",
    "process_append_entry",
    "process_genesis",
    "process_grant_licence",
    "process_register",
    "process_transfer",
    "verify_not_registered",
    "verify_owned_by",
    "verify_period",
    "verify_text",
    "work_key",
]
