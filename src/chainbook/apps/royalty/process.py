"""royalty state transitions: works registered by rights managers, payments split to every
holder in the transaction that pays, split changes co-signed by the holders who lose.

Rules kept:
- Who registers: a key of an institution that governance registers, active, in the role
  "rights_manager" (a label, a publisher, a collecting society; apps/institutions.py). Not
  any account: a work id is first come first served and a payer relies on the split and the
  prices it names, so a registration must come from someone accountable; an artist registers
  through a rights manager, as with a distributor or a society today. The work belongs to
  the institution: any of its current keys sets the prices, none once it is revoked (the
  work stays payable by its last prices).
- A work (apps/royalty/rules.py for the shapes): an id, a title, the SHA-256 of its metadata
  document, a split table, a price table per use kind, and the token every payment is in
  (fixed at registration; "" the native coin, or a token issued in the assets module, which
  must exist then). Funds move only through chainbook.apps.tokens, from the payer (the
  transaction's sender) straight to each holder: the module never holds anyone's money.
- A payment names the use kind, the number of uses (1..uses_max) and the amount it agrees
  to pay, which must equal price x uses; the amount is split to every holder of the current
  split in the same transaction by rules.compute_allocation (parts summing to the amount,
  each within one unit of the exact share), each non-zero part a transfer. A failed transfer
  (funds, a frozen account) refuses the whole payment. A non-empty reference (a licence
  number) is unique per work: a second payment with it is refused, naming the first.
- Every payment is logged twice, with running totals, for statements of any period: in the
  work's payments, and in each holder's payments in that token (a part of 0 included).
- Changing the split (`change_split`) names the version it replaces, and needs, among the
  transaction's signers (TxContext.signers: its sender and co-signers, docs/PROTOCOL.md), every
  holder whose share falls, a holder left out falling to 0. A holder whose share rises or
  stays, or who joins, need not sign: the change takes nothing from it. The rights manager
  need not sign either (unless it is a holder whose share falls): the holders own the split,
  the institution the commercial terms (the prices), and neither can change the other's.
- Lists are append-only: a holder ever in a work's split stays listed among its payees (with
  what it received) and the work among the holder's works.
- Every refusal raises before any write, except a transfer refused by the token's module,
  which refuses the action (the ledger discards every write of every module).
- Events: `registered` (work, institution, registrant, token, every holder), `paid` (work,
  payment number, payer, token) with one `received` per holder (work, holder, amount),
  `split_changed` (work, version, every holder, every holder who had to sign),
  `prices_set` (work, institution, by); the ids people search by, for the WebSocket stream.
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps import tokens
from chainbook.apps.base import KVStore, TxContext, TxView, decode_int, encode_int
from chainbook.apps.institutions import InstitutionAnswer, InstitutionRequest
from chainbook.apps.royalty import limits
from chainbook.apps.royalty.actions import ChangeSplit, Pay, Price, Register, SetPrices, Share
from chainbook.apps.royalty.errors import (
    AmountMismatch,
    InvalidUses,
    LimitReached,
    NoChange,
    NotARightsManager,
    ReferenceUsed,
    SignatureMissing,
    StaleSplit,
    UnknownToken,
    UnknownUse,
    UnknownWork,
    WorkExists,
)
from chainbook.apps.royalty.genesis import RoyaltyGenesis
from chainbook.apps.royalty.rules import (
    compute_allocation,
    compute_falling,
    compute_shares,
    is_work_id,
    verify_prices,
    verify_reference,
    verify_split,
    verify_title,
    verify_token_id,
    verify_work_id,
)
from chainbook.apps.royalty.state import (
    MODULE_NAME,
    PaymentEntry,
    ReceivedEntry,
    ReceivedTotals,
    SplitRecord,
    WorkRecord,
    catalogue_at_key,
    catalogue_key,
    get_payee,
    get_received_totals,
    get_uint,
    get_work,
    payee_at_key,
    payee_key,
    payment_key,
    received_at_key,
    received_key,
    reference_key,
    split_key,
    token_of_at_key,
    tokens_of_key,
    work_key,
    work_of_at_key,
    works_of_key,
)
from chainbook.ledger.receipts import Event
from chainbook.types import Address, Amount

RIGHTS_MANAGER_ROLE = "rights_manager"


# --- descriptions ---------------------------------------------------------------------------


def describe_work(work: str, record: WorkRecord) -> str:
    when = "imported by the genesis file" if record.height == 0 else (
        f"registered at height {record.height} in transaction {record.tx_hash.hex()}"
    )
    return f"work {work!r} of institution {record.institution!r}, {when}"


def describe_institution_refusal(answer: InstitutionAnswer) -> str:
    institution = answer.institution
    if institution is None:
        return "no registered institution has this key"
    if institution.status != "active":
        return f"its institution {institution.id!r} is {institution.status}"
    return (
        f"its institution {institution.id!r} holds roles {', '.join(institution.roles)}, "
        "not rights_manager"
    )


# --- checks ---------------------------------------------------------------------------------


def verify_rights_manager(view: TxView, ctx: TxContext) -> InstitutionAnswer:
    """The sender is a key of an active institution in the role "rights_manager"."""
    request = InstitutionRequest(address=ctx.sender, role=RIGHTS_MANAGER_ROLE)
    answer: InstitutionAnswer = view.call("governance", "institution", ctx, request)
    if not answer.authorised or answer.institution is None:
        raise NotARightsManager(
            f"{ctx.sender.hex()} may not register works: {describe_institution_refusal(answer)};"
            " an institution is registered as a rights manager by a governance proposal "
            "(register_institution, role rights_manager)"
        )
    return answer


def verify_work_institution(view: TxView, ctx: TxContext, work: str, record: WorkRecord) -> None:
    """The sender is an active key of the work's own institution."""
    request = InstitutionRequest(address=ctx.sender, role=RIGHTS_MANAGER_ROLE)
    answer: InstitutionAnswer = view.call("governance", "institution", ctx, request)
    institution = answer.institution
    if not answer.authorised or institution is None or institution.id != record.institution:
        held_by = "no institution" if institution is None else f"institution {institution.id!r}"
        if institution is not None and not answer.authorised:
            held_by += f" ({institution.status}, roles {', '.join(institution.roles)})"
        raise NotARightsManager(
            f"only the rights manager of work {work!r}, institution {record.institution!r} (an "
            f"active key of it), sets its prices; {ctx.sender.hex()} is a key of {held_by}"
        )


def verify_work(view: KVStore, work: str) -> WorkRecord:
    record = get_work(view, work) if is_work_id(work) else None
    if record is None:
        raise UnknownWork(
            f"no work {work!r} is registered; a rights manager registers it first "
            "(royalty.register)"
        )
    return record


def verify_new_work(view: KVStore, work: str) -> None:
    existing = get_work(view, work)
    if existing is not None:
        raise WorkExists(
            f"{describe_work(work, existing)} exists; work ids are unique per chain, first "
            "come first served"
        )


def verify_token(view: TxView, ctx: TxContext, token: str) -> None:
    verify_token_id(token)
    if not tokens.token_info(view, ctx, token).found:
        raise UnknownToken(
            f"no token {token!r} exists; an issuer creates it in the assets module first "
            '(or use "" for the native coin)'
        )


def verify_price(record: WorkRecord, use: str) -> Amount:
    for line in record.prices:
        if line.use == use:
            return line.price
    known = ", ".join(line.use for line in record.prices)
    raise UnknownUse(f"the work has no price for use {use!r}; its uses: {known}")


def verify_uses(uses: int) -> None:
    if not 1 <= uses <= limits.uses_max:
        raise InvalidUses(f"uses must be 1 to {limits.uses_max}, got {uses}")


def verify_amount(action: Pay, price: Amount) -> None:
    expected = price * action.uses
    if expected > limits.amount_max:
        raise AmountMismatch(
            f"{action.uses} uses at {price} is {expected}, over the largest payment "
            f"{limits.amount_max}; pay in smaller batches"
        )
    if action.amount != expected:
        raise AmountMismatch(
            f"the payment states amount {action.amount}, but {action.uses} {action.use} at "
            f"price {price} is {expected}; sign it again with amount {expected}"
        )


def verify_reference_unused(view: KVStore, work: str, reference: str) -> None:
    raw = view.get(reference_key(work, reference))
    if raw is not None:
        raise ReferenceUsed(
            f"reference {reference!r} of work {work!r} was paid already, by payment "
            f"{decode_int(raw)} (query royalty.reference); a reference is paid once"
        )


def verify_log_room(view: KVStore, record: WorkRecord) -> None:
    if record.payments >= limits.log_entries_max:
        raise LimitReached(
            f"the work has {record.payments} payments, the most one work records "
            f"({limits.log_entries_max}); register a new edition"
        )
    for line in record.split:
        totals = get_received_totals(view, line.holder, record.token)
        if totals is not None and totals.entries >= limits.log_entries_max:
            raise LimitReached(
                f"holder {line.holder.hex()} has {totals.entries} payments in token "
                f"{record.token!r}, the most one holder records ({limits.log_entries_max})"
            )


def verify_holders_room(view: KVStore, work: str, split: list[Share]) -> None:
    """Every holder new to the work can take one more work in its list."""
    for line in split:
        if get_payee(view, work, line.holder) is not None:
            continue
        held = get_uint(view, works_of_key(line.holder))
        if held >= limits.holder_works_max:
            raise LimitReached(
                f"holder {line.holder.hex()} is listed in {held} works, the most one account "
                f"is ({limits.holder_works_max})"
            )


def verify_split_change(ctx: TxContext, record: WorkRecord, action: ChangeSplit) -> list[Address]:
    """The change replaces the current split, changes it, and every holder it lowers signed;
    returns those holders."""
    if action.version != record.version:
        raise StaleSplit(
            f"the change replaces split version {action.version}, but work {action.work!r} is at "
            f"version {record.version}; read its split again and sign a change of that"
        )
    if compute_shares(action.split) == compute_shares(record.split):
        raise NoChange(f"the new split gives every holder of work {action.work!r} its share now")
    falling = compute_falling(record.split, action.split)
    missing = [(holder, now, after) for holder, now, after in falling if holder not in ctx.signers]
    if missing:
        named = "; ".join(f"{h.hex()} (share {now} -> {after})" for h, now, after in missing)
        raise SignatureMissing(
            f"the change lowers the share of holders who did not sign it: {named}; each holder "
            "whose share falls must co-sign the transaction (docs/PROTOCOL.md, several signers)"
        )
    if record.version + 1 >= limits.split_versions_max:
        raise LimitReached(
            f"work {action.work!r} has had {record.version + 1} split tables, the most one work "
            f"has ({limits.split_versions_max})"
        )
    return [holder for holder, _, _ in falling]


# --- state changes --------------------------------------------------------------------------


def process_append(view: KVStore, count_key: bytes, entry_key: bytes, value: bytes) -> None:
    """Append to a counted list (its counter read with `get`: it decides a key)."""
    view.set(entry_key, value)
    view.set(count_key, encode_int(get_uint(view, count_key) + 1))


def process_add_payees(view: KVStore, work: str, record: WorkRecord) -> WorkRecord:
    """List every holder of the record's split new to the work (payee at 0, the work in its
    works); returns the record with its new payee count (the caller writes it)."""
    payees = record.payees
    for line in record.split:
        key = payee_key(work, line.holder)
        if view.get(key) is not None:
            continue
        view.set(key, encode_int(0))
        view.set(payee_at_key(work, payees), codec.encode(line.holder))
        payees += 1
        held = get_uint(view, works_of_key(line.holder))
        process_append(view, works_of_key(line.holder), work_of_at_key(line.holder, held),
                       codec.encode(work))
    return msgspec.structs.replace(record, payees=payees)


def process_add_work(view: KVStore, work: str, record: WorkRecord, split: SplitRecord) -> None:
    record = process_add_payees(view, work, record)
    view.set(work_key(work), codec.encode(record))
    view.set(split_key(work, 0), codec.encode(split))
    count = get_uint(view, catalogue_key(record.institution))
    process_append(view, catalogue_key(record.institution),
                   catalogue_at_key(record.institution, count), codec.encode(work))


def process_register(view: TxView, ctx: TxContext, action: Register) -> list[Event]:
    verify_work_id(action.work)
    verify_title(action.title)
    verify_split(action.split)
    verify_prices(action.prices)
    verify_new_work(view, action.work)
    answer = verify_rights_manager(view, ctx)
    assert answer.institution is not None
    institution = answer.institution.id
    verify_token(view, ctx, action.token)
    registered = get_uint(view, catalogue_key(institution))
    if registered >= limits.catalogue_works_max:
        raise LimitReached(
            f"institution {institution!r} registered {registered} works, the most one "
            f"rights manager does ({limits.catalogue_works_max})"
        )
    verify_holders_room(view, action.work, action.split)
    record = WorkRecord(
        title=action.title,
        metadata_hash=action.metadata_hash,
        token=action.token,
        prices=list(action.prices),
        split=list(action.split),
        version=0,
        institution=institution,
        registrant=ctx.sender,
        height=ctx.height,
        time_ms=ctx.time_ms,
        tx_hash=ctx.tx_hash,
        payments=0,
        uses=0,
        paid=0,
        payees=0,
        updated_height=ctx.height,
    )
    split = SplitRecord(list(action.split), ctx.height, ctx.time_ms, ctx.tx_hash, ctx.sender, [])
    process_add_work(view, action.work, record, split)
    attributes = [
        ("work", action.work),
        ("institution", institution),
        ("registrant", ctx.sender.hex()),
        ("token", action.token),
        *(("holder", line.holder.hex()) for line in action.split),
    ]
    return [Event(MODULE_NAME, "registered", attributes)]


def process_receive(
    view: KVStore, holder: Address, token: str, entry: ReceivedEntry
) -> ReceivedEntry:
    """Log a holder's part in its payments in `token` (with the running totals); the first
    payment in a token lists the token among the holder's. Returns the entry written."""
    key = received_key(holder, token)
    totals = get_received_totals(view, holder, token)
    if totals is None:
        totals = ReceivedTotals(0, 0, 0)
        count = get_uint(view, tokens_of_key(holder))
        process_append(view, tokens_of_key(holder), token_of_at_key(holder, count),
                       codec.encode(token))
    entry = msgspec.structs.replace(
        entry, uses_total=totals.uses + entry.uses, amount_total=totals.amount + entry.amount
    )
    view.set(received_at_key(holder, token, totals.entries), codec.encode(entry))
    view.set(key, codec.encode(ReceivedTotals(totals.entries + 1, entry.uses_total,
                                              entry.amount_total)))
    return entry


def process_pay(view: TxView, ctx: TxContext, action: Pay) -> list[Event]:
    verify_reference(action.reference)
    record = verify_work(view, action.work)
    price = verify_price(record, action.use)
    verify_uses(action.uses)
    verify_amount(action, price)
    if action.reference:
        verify_reference_unused(view, action.work, action.reference)
    verify_log_room(view, record)
    number = record.payments
    parts = compute_allocation(action.amount, record.split)
    events = [Event(MODULE_NAME, "paid", [
        ("work", action.work),
        ("payment", str(number)),
        ("payer", ctx.sender.hex()),
        ("token", record.token),
    ])]
    for line, part in zip(record.split, parts, strict=True):
        if part:
            tokens.transfer(view, ctx, ctx.sender, line.holder, record.token, part)
        key = payee_key(action.work, line.holder)
        # Update read: the total flows only into its own new value (the holder is a payee).
        raw = view.get_to_update(key)
        assert raw is not None, f"holder {line.holder.hex()} of {action.work!r} is no payee"
        view.set(key, encode_int(decode_int(raw) + part))
        received = ReceivedEntry(action.work, number, action.uses, part, ctx.height, 0, 0)
        process_receive(view, line.holder, record.token, received)
        events.append(Event(MODULE_NAME, "received", [
            ("work", action.work),
            ("holder", line.holder.hex()),
            ("amount", str(part)),
        ]))
    entry = PaymentEntry(
        payer=ctx.sender,
        use=action.use,
        uses=action.uses,
        amount=action.amount,
        reference=action.reference,
        version=record.version,
        height=ctx.height,
        time_ms=ctx.time_ms,
        tx_hash=ctx.tx_hash,
        uses_total=record.uses + action.uses,
        amount_total=record.paid + action.amount,
    )
    view.set(payment_key(action.work, number), codec.encode(entry))
    if action.reference:
        view.set(reference_key(action.work, action.reference), encode_int(number))
    record = msgspec.structs.replace(
        record, payments=number + 1, uses=entry.uses_total, paid=entry.amount_total
    )
    view.set(work_key(action.work), codec.encode(record))
    return events


def process_change_split(view: TxView, ctx: TxContext, action: ChangeSplit) -> list[Event]:
    verify_split(action.split)
    record = verify_work(view, action.work)
    signed_by = verify_split_change(ctx, record, action)
    verify_holders_room(view, action.work, action.split)
    version = record.version + 1
    split = SplitRecord(list(action.split), ctx.height, ctx.time_ms, ctx.tx_hash, ctx.sender,
                        signed_by)
    view.set(split_key(action.work, version), codec.encode(split))
    record = msgspec.structs.replace(
        record, split=list(action.split), version=version, updated_height=ctx.height
    )
    record = process_add_payees(view, action.work, record)
    view.set(work_key(action.work), codec.encode(record))
    attributes = [
        ("work", action.work),
        ("version", str(version)),
        *(("holder", line.holder.hex()) for line in action.split),
        *(("signed_by", holder.hex()) for holder in signed_by),
    ]
    return [Event(MODULE_NAME, "split_changed", attributes)]


def process_set_prices(view: TxView, ctx: TxContext, action: SetPrices) -> list[Event]:
    verify_prices(action.prices)
    record = verify_work(view, action.work)
    verify_work_institution(view, ctx, action.work, record)
    prices: list[Price] = list(action.prices)
    if prices == record.prices:
        raise NoChange(f"work {action.work!r} has these prices already")
    record = msgspec.structs.replace(record, prices=prices, updated_height=ctx.height)
    view.set(work_key(action.work), codec.encode(record))
    attributes = [
        ("work", action.work),
        ("institution", record.institution),
        ("by", ctx.sender.hex()),
    ]
    return [Event(MODULE_NAME, "prices_set", attributes)]


def process(view: TxView, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The royalty module's entry point: dispatch on the action type."""
    match action:
        case Pay():
            return process_pay(view, ctx, action)
        case Register():
            return process_register(view, ctx, action)
        case ChangeSplit():
            return process_change_split(view, ctx, action)
        case SetPrices():
            return process_set_prices(view, ctx, action)
    raise AssertionError(f"royalty received a foreign action {type(action).__name__}")


def process_genesis(view: KVStore, section: RoyaltyGenesis) -> None:
    """The genesis hook: the imported catalogue (checked by verify_royalty_genesis), each work
    at height 0 with no registrant."""
    for entry in section.works:
        split = [Share(bytes.fromhex(line.holder), line.share) for line in entry.split]
        record = WorkRecord(
            title=entry.title,
            metadata_hash=bytes.fromhex(entry.metadata_hash),
            token=entry.token,
            prices=[Price(line.use, line.price) for line in entry.prices],
            split=split,
            version=0,
            institution=entry.institution,
            registrant=b"",
            height=0,
            time_ms=entry.time_ms,
            tx_hash=b"",
            payments=0,
            uses=0,
            paid=0,
            payees=0,
            updated_height=0,
        )
        process_add_work(view, entry.work, record, SplitRecord(split, 0, entry.time_ms, b"", b"",
                                                                []))


__all__ = [
    "RIGHTS_MANAGER_ROLE",
    "describe_work",
    "process",
    "process_change_split",
    "process_genesis",
    "process_pay",
    "process_register",
    "process_set_prices",
    "verify_rights_manager",
    "verify_split_change",
]
