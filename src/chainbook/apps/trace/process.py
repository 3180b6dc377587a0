"""trace state transitions: goods from a registered manufacturer to the last holder.

State layout: apps/trace/state.py; the verdict: apps/trace/verdict.py.

Rules kept:
- A product type (`trace.register_product`) is registered by an active institution holding
  the manufacturer role, with an id (A-Z a-z 0-9 . _ -, never reused), a name and 0..16
  distinct steps (a-z 0-9 _), each recorded by the holder (role "") or only by an
  institution holding the role it names. Only its manufacturer (the same institution, any of
  its keys, still an active manufacturer) creates items of it (`trace.create`, a new id,
  quantity 1..quantity_max: 1 is a single item, more a lot); the creator holds it.
- Custody moves in two transactions: the holder's `trace.hand_over(item, to)` and the
  receiver's `trace.accept(item, quantity)`, with the quantity it counted. One hand-off waits
  at a time (trace.handoff_pending); the holder may withdraw it (`trace.cancel`). Acceptance
  makes the receiver the holder and records, as gaps of the item, a receiver that is no active
  registered institution (any role) at that height, and a counted quantity other than the
  one handed over (the lot then holds what was counted). Neither is refused: the chain
  records what the parties sign, the verdict says what is missing.
- Events (`trace.record(item, step, note)`, shipped, customs_cleared, sold...) are recorded by
  the holder or an active institution holding logistics_operator or customs; a step of the
  product type whose role is set only by an institution holding that role. The first record
  of a required step marks it passed; later ones are history only.
- Lots: the holder splits a lot (`trace.split`, 1..parts_max new lots, each 1 unit at least,
  their sum at most the lot's quantity, which they leave) and merges 2..merge_inputs_max
  distinct lots of one product type it holds into a new lot (`trace.merge`, the sum of
  theirs). Both add up by construction (refused otherwise: trace.invalid_split); no lot with
  a hand-off waiting splits, merges or moves. A lot left with 0 units is consumed and takes
  no further action (trace.consumed). A new lot inherits the steps passed (a merge: those
  every input passed) and every gap of the lots it came from.
- History: every action appends an entry to each item it touches (at most
  entries_per_item_max, trace.history_full), paged by the `history` query.
- Every refusal raises before any write. Reads that decide are `get`.
- Events: trace.product_registered, trace.created, trace.handed_over, trace.accepted,
  trace.cancelled, trace.recorded, trace.split, trace.merged (each with the item or product
  id and the accounts involved), and trace.gap (item, kind) when an acceptance records one.
- No genesis section: the custody this module proves is signed on this chain by registered
  institutions' keys; goods from an earlier register enter as new items of their manufacturer.
"""

from __future__ import annotations

import re

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, KVStore, TxContext, TxView
from chainbook.apps.institutions import InstitutionRequest, InstitutionView, is_known_role
from chainbook.apps.trace import limits
from chainbook.apps.trace.actions import (
    Accept,
    Cancel,
    Create,
    HandOver,
    Merge,
    Record,
    RegisterProduct,
    Split,
)
from chainbook.apps.trace.errors import (
    Consumed,
    HandoffPending,
    HistoryFull,
    InvalidField,
    InvalidSplit,
    ItemExists,
    NoHandoff,
    NotAllowed,
    NotAManufacturer,
    NotHolder,
    ProductExists,
    UnknownItem,
    UnknownProduct,
)
from chainbook.apps.trace.state import (
    RECORDER_ROLES,
    EntryKind,
    Gap,
    GapKind,
    HistoryEntry,
    ItemRecord,
    ProductRecord,
    entry_key,
    get_item,
    get_product,
    item_key,
    product_key,
)
from chainbook.ledger.receipts import Event
from chainbook.types import Address

MODULE_NAME = "trace"
_ID = re.compile(r"^[A-Za-z0-9._-]+$")
_STEP = re.compile(r"^[a-z0-9_]+$")


def compute_utf8_bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def get_institution(view: TxView, ctx: TxContext, address: Address) -> InstitutionView | None:
    """The active institution holding the key `address`, or None."""
    answer = view.call("governance", "institution", ctx, InstitutionRequest(address=address))
    record: InstitutionView | None = answer.institution
    return record if record is not None and record.status == "active" else None


# --- checks ---------------------------------------------------------------------------------


def verify_id(what: str, value: str) -> None:
    if not 1 <= len(value) <= limits.id_chars_max or not _ID.match(value):
        raise InvalidField(
            f"{what} id {value!r}: accepted 1 to {limits.id_chars_max} characters of A-Z, a-z, "
            "0-9, '.', '_', '-'"
        )


def verify_text(name: str, text: str, limit: int, required: bool) -> None:
    size = compute_utf8_bytes(text)
    low = 1 if required else 0
    if not low <= size <= limit:
        raise InvalidField(f"{name} is {size} bytes of UTF-8; accepted {low} to {limit}")


def verify_step_name(where: str, step: str) -> None:
    if not 1 <= len(step) <= limits.step_chars_max or not _STEP.match(step):
        raise InvalidField(
            f"{where} {step!r}: accepted 1 to {limits.step_chars_max} characters of a-z, 0-9, '_'"
        )


def verify_quantity(where: str, quantity: int) -> None:
    if not 1 <= quantity <= limits.quantity_max:
        raise InvalidField(f"{where} is {quantity}; accepted 1 to {limits.quantity_max}")


def verify_manufacturer(view: TxView, ctx: TxContext) -> InstitutionView:
    institution = get_institution(view, ctx, ctx.sender)
    if institution is None or "manufacturer" not in institution.roles:
        who = "no active institution" if institution is None else repr(institution.id)
        raise NotAManufacturer(
            f"{ctx.sender.hex()} is {who}; product types and items are registered by an active "
            "institution with the manufacturer role"
        )
    return institution


def verify_item_known(view: KVReader, item: str) -> ItemRecord:
    record = get_item(view, item)
    if record is None:
        raise UnknownItem(f"no item {item!r} was created (trace.create)")
    return record


def verify_live(item: str, record: ItemRecord) -> None:
    if record.quantity == 0:
        raise Consumed(
            f"lot {item!r} was consumed into {', '.join(record.consumed_into)}; it takes no "
            "further action"
        )


def verify_holder(item: str, record: ItemRecord, sender: Address) -> None:
    verify_live(item, record)
    if record.holder != sender:
        raise NotHolder(f"item {item!r} is held by {record.holder.hex()}, not {sender.hex()}")
    if record.pending_to:
        raise HandoffPending(
            f"item {item!r} is handed over to {record.pending_to.hex()} (height "
            f"{record.pending_height}), waiting for acceptance; cancel it first (trace.cancel)"
        )


def verify_new_item(view: KVReader, item: str) -> None:
    verify_id("item", item)
    if get_item(view, item) is not None:
        raise ItemExists(f"item {item!r} exists already; item ids are never reused")


def verify_history_room(item: str, record: ItemRecord) -> None:
    if record.entries >= limits.entries_per_item_max:
        raise HistoryFull(
            f"item {item!r} has {record.entries} history entries, the most an item may have"
        )


def verify_recorder(
    view: TxView, ctx: TxContext, item: str, record: ItemRecord, role: str
) -> None:
    """The holder or a registered logistics operator / customs office; `role` if the step
    names one."""
    if role:
        institution = get_institution(view, ctx, ctx.sender)
        if institution is None or role not in institution.roles:
            held = "none" if institution is None else f"{institution.id!r} ({institution.roles})"
            raise NotAllowed(
                f"step of item {item!r} is recorded by an active institution holding {role!r}; "
                f"{ctx.sender.hex()} is {held}"
            )
        return
    if record.holder == ctx.sender:
        return
    institution = get_institution(view, ctx, ctx.sender)
    if institution is None or not set(institution.roles) & set(RECORDER_ROLES):
        raise NotAllowed(
            f"{ctx.sender.hex()} neither holds item {item!r} nor is an active institution with "
            f"role {' or '.join(RECORDER_ROLES)}"
        )


# --- state changes --------------------------------------------------------------------------


def process_put_item(view: KVStore, item: str, record: ItemRecord) -> None:
    view.set(item_key(item), codec.encode(record))


def process_append(
    view: KVStore, ctx: TxContext, item: str, record: ItemRecord, kind: EntryKind, **fields: object
) -> ItemRecord:
    """Append an entry to the item's history; the record with one more entry (not written)."""
    entry = HistoryEntry(kind, ctx.sender, ctx.height, ctx.time_ms, ctx.tx_hash, **fields)  # type: ignore[arg-type]
    view.set(entry_key(item, record.entries), codec.encode(entry))
    return msgspec.structs.replace(record, entries=record.entries + 1)


def process_register_product(view: TxView, ctx: TxContext, action: RegisterProduct) -> list[Event]:
    verify_id("product", action.product)
    verify_text("name", action.name, limits.name_bytes_max, required=True)
    if len(action.steps) > limits.steps_max:
        raise InvalidField(f"{len(action.steps)} steps; accepted 0 to {limits.steps_max}")
    for i, step in enumerate(action.steps):
        verify_step_name(f"steps[{i}].name", step.name)
        if step.role and not is_known_role(step.role):
            raise InvalidField(f"steps[{i}].role {step.role!r} is no registry role")
    names = [s.name for s in action.steps]
    if len(set(names)) != len(names):
        raise InvalidField(f"steps must differ; {names!r} repeats one")
    if get_product(view, action.product) is not None:
        raise ProductExists(f"product type {action.product!r} exists already")
    manufacturer = verify_manufacturer(view, ctx)
    record = ProductRecord(action.name, list(action.steps), manufacturer.id, ctx.height,
                           ctx.tx_hash)
    view.set(product_key(action.product), codec.encode(record))
    attributes = [("product", action.product), ("manufacturer", manufacturer.id)]
    return [Event(MODULE_NAME, "product_registered", attributes)]


def process_create(view: TxView, ctx: TxContext, action: Create) -> list[Event]:
    verify_new_item(view, action.item)
    verify_quantity("quantity", action.quantity)
    verify_text("metadata", action.metadata, limits.metadata_bytes_max, required=False)
    product = get_product(view, action.product)
    if product is None:
        raise UnknownProduct(f"no product type {action.product!r} (trace.register_product)")
    manufacturer = verify_manufacturer(view, ctx)
    if manufacturer.id != product.manufacturer:
        raise NotAManufacturer(
            f"product type {action.product!r} is {product.manufacturer!r}'s; "
            f"{manufacturer.id!r} creates no items of it"
        )
    record = ItemRecord(
        product=action.product,
        quantity=action.quantity,
        metadata=action.metadata,
        manufacturer=manufacturer.id,
        holder=ctx.sender,
        holder_institution=manufacturer.id,
        pending_to=b"",
        pending_height=0,
        steps_done=[],
        parents=[],
        consumed_into=[],
        handoffs=0,
        gaps=[],
        gaps_total=0,
        created_height=ctx.height,
        created_time_ms=ctx.time_ms,
        tx_hash=ctx.tx_hash,
        entries=0,
    )
    record = process_append(view, ctx, action.item, record, EntryKind.CREATED,
                            quantity=action.quantity)
    process_put_item(view, action.item, record)
    attributes = [("item", action.item), ("product", action.product),
                  ("holder", ctx.sender.hex())]
    return [Event(MODULE_NAME, "created", attributes)]


def process_hand_over(view: TxView, ctx: TxContext, action: HandOver) -> list[Event]:
    record = verify_item_known(view, action.item)
    verify_holder(action.item, record, ctx.sender)
    if action.to == ctx.sender:
        raise InvalidField(f"item {action.item!r} is handed over to its holder: nothing moves")
    verify_history_room(action.item, record)
    record = process_append(view, ctx, action.item, record, EntryKind.HANDED_OVER,
                            party=action.to, quantity=record.quantity)
    record = msgspec.structs.replace(record, pending_to=action.to, pending_height=ctx.height)
    process_put_item(view, action.item, record)
    attributes = [("item", action.item), ("from", ctx.sender.hex()), ("to", action.to.hex())]
    return [Event(MODULE_NAME, "handed_over", attributes)]


def process_accept(view: TxView, ctx: TxContext, action: Accept) -> list[Event]:
    record = verify_item_known(view, action.item)
    if record.pending_to != ctx.sender:
        raise NoHandoff(
            f"item {action.item!r} is not handed over to {ctx.sender.hex()}"
            + (f" (it waits for {record.pending_to.hex()})" if record.pending_to else "")
        )
    verify_quantity("quantity counted", action.quantity)
    verify_history_room(action.item, record)
    institution = get_institution(view, ctx, ctx.sender)
    found: list[Gap] = []
    if institution is None:
        found.append(Gap(GapKind.UNREGISTERED_HOLDER, action.item, ctx.height,
                         f"{ctx.sender.hex()} took custody and is no registered institution"))
    if action.quantity != record.quantity:
        found.append(Gap(GapKind.QUANTITY_MISMATCH, action.item, ctx.height,
                         f"{record.quantity} handed over by {record.holder.hex()}, "
                         f"{action.quantity} counted by {ctx.sender.hex()}"))
    record = process_append(view, ctx, action.item, record, EntryKind.ACCEPTED,
                            quantity=action.quantity)
    record = msgspec.structs.replace(
        record,
        holder=ctx.sender,
        holder_institution="" if institution is None else institution.id,
        pending_to=b"",
        pending_height=0,
        quantity=action.quantity,
        handoffs=record.handoffs + 1,
        gaps=(record.gaps + found)[: limits.gaps_kept_max],
        gaps_total=record.gaps_total + len(found),
    )
    process_put_item(view, action.item, record)
    events = [Event(MODULE_NAME, "accepted", [("item", action.item), ("holder", ctx.sender.hex()),
                                              ("quantity", str(action.quantity))])]
    events += [Event(MODULE_NAME, "gap", [("item", action.item), ("kind", g.kind.name.lower())])
               for g in found]
    return events


def process_cancel(view: TxView, ctx: TxContext, action: Cancel) -> list[Event]:
    record = verify_item_known(view, action.item)
    if record.holder != ctx.sender or not record.pending_to:
        raise NoHandoff(f"{ctx.sender.hex()} has no hand-off of item {action.item!r} to cancel")
    verify_history_room(action.item, record)
    record = process_append(view, ctx, action.item, record, EntryKind.CANCELLED,
                            party=record.pending_to)
    record = msgspec.structs.replace(record, pending_to=b"", pending_height=0)
    process_put_item(view, action.item, record)
    return [Event(MODULE_NAME, "cancelled", [("item", action.item)])]


def process_record(view: TxView, ctx: TxContext, action: Record) -> list[Event]:
    verify_step_name("step", action.step)
    verify_text("note", action.note, limits.note_bytes_max, required=False)
    record = verify_item_known(view, action.item)
    verify_live(action.item, record)
    verify_history_room(action.item, record)
    product = get_product(view, record.product)
    assert product is not None, f"item {action.item!r} of an unknown product type"
    required = {s.name: s.role for s in product.steps}
    verify_recorder(view, ctx, action.item, record, required.get(action.step, ""))
    record = process_append(view, ctx, action.item, record, EntryKind.RECORDED,
                            step=action.step, note=action.note)
    if action.step in required and action.step not in record.steps_done:
        done = set(record.steps_done) | {action.step}
        ordered = [s.name for s in product.steps if s.name in done]
        record = msgspec.structs.replace(record, steps_done=ordered)
    process_put_item(view, action.item, record)
    attributes = [("item", action.item), ("step", action.step), ("by", ctx.sender.hex())]
    return [Event(MODULE_NAME, "recorded", attributes)]


def child_of(parent: ItemRecord, parents: list[str], quantity: int, ctx: TxContext,
             steps_done: list[str], gaps: list[Gap], gaps_total: int) -> ItemRecord:
    return msgspec.structs.replace(
        parent,
        quantity=quantity,
        pending_to=b"",
        pending_height=0,
        steps_done=steps_done,
        parents=parents,
        consumed_into=[],
        handoffs=0,
        gaps=gaps[: limits.gaps_kept_max],
        gaps_total=gaps_total,
        created_height=ctx.height,
        created_time_ms=ctx.time_ms,
        tx_hash=ctx.tx_hash,
        entries=0,
    )


def process_split(view: TxView, ctx: TxContext, action: Split) -> list[Event]:
    record = verify_item_known(view, action.item)
    verify_holder(action.item, record, ctx.sender)
    if not 1 <= len(action.parts) <= limits.parts_max:
        raise InvalidSplit(f"{len(action.parts)} parts; accepted 1 to {limits.parts_max}")
    names = [p.item for p in action.parts]
    if len(set(names)) != len(names):
        raise InvalidSplit(f"part ids must differ; {names!r} repeats one")
    for i, part in enumerate(action.parts):
        verify_new_item(view, part.item)
        verify_quantity(f"parts[{i}].quantity", part.quantity)
    total = sum(p.quantity for p in action.parts)
    if total > record.quantity:
        raise InvalidSplit(
            f"the parts hold {total} units, lot {action.item!r} holds {record.quantity}: a "
            "split takes at most what the lot holds"
        )
    verify_history_room(action.item, record)
    left = record.quantity - total
    for part in action.parts:
        child = child_of(record, [action.item], part.quantity, ctx, record.steps_done,
                         record.gaps, record.gaps_total)
        child = process_append(view, ctx, part.item, child, EntryKind.SPLIT_FROM,
                               quantity=part.quantity, related=[action.item])
        process_put_item(view, part.item, child)
    record = process_append(view, ctx, action.item, record, EntryKind.SPLIT_INTO,
                            quantity=total, related=names)
    record = msgspec.structs.replace(
        record, quantity=left, consumed_into=names if left == 0 else []
    )
    process_put_item(view, action.item, record)
    attributes = [("item", action.item), ("parts", ",".join(names)), ("left", str(left))]
    return [Event(MODULE_NAME, "split", attributes)]


def process_merge(view: TxView, ctx: TxContext, action: Merge) -> list[Event]:
    if not 2 <= len(action.items) <= limits.merge_inputs_max:
        raise InvalidSplit(
            f"a merge takes 2 to {limits.merge_inputs_max} lots; {len(action.items)} given"
        )
    if len(set(action.items)) != len(action.items):
        raise InvalidSplit(f"lots to merge must differ; {action.items!r} repeats one")
    inputs = []
    for item in action.items:
        record = verify_item_known(view, item)
        verify_holder(item, record, ctx.sender)
        verify_history_room(item, record)
        inputs.append(record)
    products = {r.product for r in inputs}
    if len(products) != 1:
        raise InvalidSplit(f"lots of one product type merge; these are of {sorted(products)}")
    verify_new_item(view, action.into)
    total = sum(r.quantity for r in inputs)
    if total > limits.quantity_max:
        raise InvalidSplit(f"the merged lot would hold {total} units, at most "
                           f"{limits.quantity_max}")
    first = inputs[0]
    steps = [s for s in first.steps_done if all(s in r.steps_done for r in inputs)]
    gaps: list[Gap] = []
    overflow = 0
    for r in inputs:
        overflow += r.gaps_total - len(r.gaps)
        gaps += [g for g in r.gaps if g not in gaps]
    merged = child_of(first, list(action.items), total, ctx, steps, gaps,
                      len(gaps) + overflow)
    merged = process_append(view, ctx, action.into, merged, EntryKind.MERGED_FROM,
                            quantity=total, related=list(action.items))
    process_put_item(view, action.into, merged)
    for item, record in zip(action.items, inputs, strict=True):
        record = process_append(view, ctx, item, record, EntryKind.MERGED_INTO,
                                quantity=record.quantity, related=[action.into])
        process_put_item(view, item, msgspec.structs.replace(
            record, quantity=0, consumed_into=[action.into]))
    attributes = [("item", action.into), ("from", ",".join(action.items)),
                  ("quantity", str(total))]
    return [Event(MODULE_NAME, "merged", attributes)]


def process(view: TxView, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The trace module's entry point: dispatch on the action type."""
    match action:
        case RegisterProduct():
            return process_register_product(view, ctx, action)
        case Create():
            return process_create(view, ctx, action)
        case HandOver():
            return process_hand_over(view, ctx, action)
        case Accept():
            return process_accept(view, ctx, action)
        case Cancel():
            return process_cancel(view, ctx, action)
        case Record():
            return process_record(view, ctx, action)
        case Split():
            return process_split(view, ctx, action)
        case Merge():
            return process_merge(view, ctx, action)
    raise AssertionError(f"trace received a foreign action {type(action).__name__}")


__all__ = ["MODULE_NAME", "process"]
