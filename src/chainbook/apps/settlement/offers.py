"""Offers for parties that are not online together: the maker escrows the first leg, a taker
accepts before the expiry height and both legs move at once.

Rules kept:
- An offer escrows `give_amount` of `give_token` from its maker into the module's account
  (ESCROW) and asks `want_amount` of `want_token` (another token) in return. It is open until
  accepted, cancelled or reclaimed, and it is whole: no partial fill.
- `expiry_height` is the last height at which it may be accepted: after the current height,
  within expiry_blocks_max. `taker` empty: anyone may accept; else only that account.
- Accept (heights up to expiry_height, by the taker, never the maker): the taker pays the
  maker `want`, the escrow pays the taker `give`, in one transaction: both or neither.
- Cancel (any time while open, the maker only) and reclaim (after expiry_height, anyone:
  the escrow only ever goes back to the maker, so letting anyone trigger it harms nobody and
  lets a service sweep) return the escrow to the maker.
- An offer closes once: accepting, cancelling or reclaiming a closed offer is refused
  (settlement.not_open, naming how and when it closed), so it cannot be accepted twice.
- A maker has at most open_offers_per_account_max open offers.
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps import tokens
from chainbook.apps.base import KVStore, TxContext, TxView, encode_int
from chainbook.apps.settlement import limits
from chainbook.apps.settlement.actions import Accept, Cancel, MakeOffer, Reclaim
from chainbook.apps.settlement.errors import (
    Expired,
    InvalidParty,
    NotAllowed,
    NotExpired,
    NotOpen,
    SameToken,
    UnknownOffer,
)
from chainbook.apps.settlement.legs import (
    process_add,
    process_escrow_in,
    process_escrow_out,
    verify_amount,
    verify_deadline,
    verify_funds,
    verify_memo,
    verify_open_count,
    verify_token,
)
from chainbook.apps.settlement.state import (
    MODULE_NAME,
    OFFER_STATUS_NAMES,
    OFFERS_KEY,
    OfferRecord,
    OfferStatus,
    get_listed_id,
    get_offer,
    get_uint,
    made_at_key,
    made_key,
    offer_key,
    open_offers_key,
    status_at_key,
    status_key,
)
from chainbook.crypto import ADDRESS_BYTES
from chainbook.ledger.receipts import Event
from chainbook.types import Address


def describe_closed(record: OfferRecord) -> str:
    return (
        f"{OFFER_STATUS_NAMES[record.status]} at height {record.closed_height} by "
        f"{record.closed_by.hex()} in transaction {record.closed_tx.hex()}"
    )


def verify_open_offer(view: KVStore, offer_id: int) -> OfferRecord:
    record = get_offer(view, offer_id)
    if record is None:
        made = get_uint(view, OFFERS_KEY)
        raise UnknownOffer(f"no offer {offer_id}: offers made so far are 1 to {made}")
    if record.status is not OfferStatus.OPEN:
        raise NotOpen(f"offer {offer_id} is closed: {describe_closed(record)}")
    return record


def verify_offer_terms(view: TxView, ctx: TxContext, action: MakeOffer) -> None:
    verify_memo(action.memo)
    verify_amount(action.give_amount, "give_amount")
    verify_amount(action.want_amount, "want_amount")
    if action.give_token == action.want_token:
        raise SameToken(
            f"both legs are in token {action.give_token!r}; an offer exchanges two tokens"
        )
    if len(action.taker) not in (0, ADDRESS_BYTES):
        raise InvalidParty(
            f"taker is {len(action.taker)} bytes; accepted: empty (anyone) or a 20-byte address"
        )
    if action.taker == ctx.sender:
        raise InvalidParty(f"the taker {action.taker.hex()} is the maker itself")
    verify_deadline(ctx, action.expiry_height, "expiry_height")
    verify_token(view, ctx, action.give_token, "give_token")
    verify_token(view, ctx, action.want_token, "want_token")


# --- the offer lists ------------------------------------------------------------------------


def process_list_append(view: KVStore, status: OfferStatus, offer_id: int) -> int:
    """Append to a status list; returns the slot."""
    slot = get_uint(view, status_key(status))
    view.set(status_at_key(status, slot), encode_int(offer_id))
    view.set(status_key(status), encode_int(slot + 1))
    return slot


def process_open_list_remove(view: KVStore, record: OfferRecord) -> None:
    """Take an offer out of the dense open list: the last one moves into its place."""
    last = get_uint(view, status_key(OfferStatus.OPEN)) - 1
    assert 0 <= record.slot <= last, (record.slot, last)
    if record.slot != last:
        moved_id = get_listed_id(view, status_at_key(OfferStatus.OPEN, last))
        moved = get_offer(view, moved_id)
        assert moved is not None and moved.slot == last, (moved_id, last)
        view.set(status_at_key(OfferStatus.OPEN, record.slot), encode_int(moved_id))
        moved = msgspec.structs.replace(moved, slot=record.slot)
        view.set(offer_key(moved_id), codec.encode(moved))
    view.delete(status_at_key(OfferStatus.OPEN, last))
    view.set(status_key(OfferStatus.OPEN), encode_int(last))


def process_close(
    view: KVStore, ctx: TxContext, offer_id: int, record: OfferRecord, status: OfferStatus,
    by: Address,
) -> OfferRecord:
    process_open_list_remove(view, record)
    slot = process_list_append(view, status, offer_id)
    taker = ctx.sender if status is OfferStatus.ACCEPTED else record.taker
    closed = msgspec.structs.replace(
        record, status=status, taker=taker, closed_height=ctx.height, closed_tx=ctx.tx_hash,
        closed_by=by, slot=slot,
    )
    view.set(offer_key(offer_id), codec.encode(closed))
    process_add(view, open_offers_key(record.maker), -1)
    return closed


# --- actions --------------------------------------------------------------------------------


def process_offer(view: TxView, ctx: TxContext, action: MakeOffer) -> list[Event]:
    verify_offer_terms(view, ctx, action)
    verify_open_count(
        view, open_offers_key(ctx.sender), limits.open_offers_per_account_max, "offers",
        ctx.sender,
    )
    verify_funds(view, ctx, ctx.sender, "maker", action.give_token, action.give_amount)
    process_escrow_in(view, ctx, ctx.sender, action.give_token, action.give_amount)
    offer_id = get_uint(view, OFFERS_KEY) + 1
    slot = process_list_append(view, OfferStatus.OPEN, offer_id)
    record = OfferRecord(
        maker=ctx.sender, taker=action.taker, give_token=action.give_token,
        give_amount=action.give_amount, want_token=action.want_token,
        want_amount=action.want_amount, expiry_height=action.expiry_height, memo=action.memo,
        status=OfferStatus.OPEN, height=ctx.height, tx_hash=ctx.tx_hash, closed_height=0,
        closed_tx=b"", closed_by=b"", restricted=bool(action.taker), slot=slot,
    )
    view.set(OFFERS_KEY, encode_int(offer_id))
    view.set(offer_key(offer_id), codec.encode(record))
    made = get_uint(view, made_key(ctx.sender))
    view.set(made_at_key(ctx.sender, made), encode_int(offer_id))
    view.set(made_key(ctx.sender), encode_int(made + 1))
    process_add(view, open_offers_key(ctx.sender), 1)
    attributes = [
        ("offer_id", str(offer_id)),
        ("maker", ctx.sender.hex()),
        *([("taker", action.taker.hex())] if action.taker else []),
        ("give_token", action.give_token),
        ("give_amount", str(action.give_amount)),
        ("want_token", action.want_token),
        ("want_amount", str(action.want_amount)),
        ("expiry_height", str(action.expiry_height)),
    ]
    return [Event(MODULE_NAME, "offered", attributes)]


def process_accept(view: TxView, ctx: TxContext, action: Accept) -> list[Event]:
    record = verify_open_offer(view, action.offer_id)
    if ctx.height > record.expiry_height:
        raise Expired(
            f"offer {action.offer_id} expired at height {record.expiry_height} (now "
            f"{ctx.height}); its maker or anyone may reclaim it"
        )
    if ctx.sender == record.maker:
        raise InvalidParty(
            f"{ctx.sender.hex()} made offer {action.offer_id}; a maker cancels, not accepts"
        )
    if record.restricted and ctx.sender != record.taker:
        raise NotAllowed(
            f"offer {action.offer_id} is for {record.taker.hex()} only, not {ctx.sender.hex()}"
        )
    verify_funds(view, ctx, ctx.sender, "taker", record.want_token, record.want_amount)
    tokens.transfer(view, ctx, ctx.sender, record.maker, record.want_token, record.want_amount)
    process_escrow_out(view, ctx, ctx.sender, record.give_token, record.give_amount)
    process_close(view, ctx, action.offer_id, record, OfferStatus.ACCEPTED, ctx.sender)
    attributes = [
        ("offer_id", str(action.offer_id)),
        ("maker", record.maker.hex()),
        ("taker", ctx.sender.hex()),
        ("give_token", record.give_token),
        ("give_amount", str(record.give_amount)),
        ("want_token", record.want_token),
        ("want_amount", str(record.want_amount)),
    ]
    return [Event(MODULE_NAME, "accepted", attributes)]


def process_cancel(view: TxView, ctx: TxContext, action: Cancel) -> list[Event]:
    record = verify_open_offer(view, action.offer_id)
    if ctx.sender != record.maker:
        raise NotAllowed(
            f"offer {action.offer_id} was made by {record.maker.hex()}; only its maker cancels "
            f"it, not {ctx.sender.hex()}"
        )
    process_escrow_out(view, ctx, record.maker, record.give_token, record.give_amount)
    process_close(view, ctx, action.offer_id, record, OfferStatus.CANCELLED, ctx.sender)
    attributes = [("offer_id", str(action.offer_id)), ("maker", record.maker.hex())]
    return [Event(MODULE_NAME, "cancelled", attributes)]


def process_reclaim(view: TxView, ctx: TxContext, action: Reclaim) -> list[Event]:
    record = verify_open_offer(view, action.offer_id)
    if ctx.height <= record.expiry_height:
        raise NotExpired(
            f"offer {action.offer_id} may be accepted until height {record.expiry_height} (now "
            f"{ctx.height}); it can be reclaimed from height {record.expiry_height + 1}, or "
            "cancelled by its maker now"
        )
    process_escrow_out(view, ctx, record.maker, record.give_token, record.give_amount)
    process_close(view, ctx, action.offer_id, record, OfferStatus.RECLAIMED, ctx.sender)
    attributes = [
        ("offer_id", str(action.offer_id)),
        ("maker", record.maker.hex()),
        ("by", ctx.sender.hex()),
    ]
    return [Event(MODULE_NAME, "reclaimed", attributes)]


__all__ = [
    "describe_closed",
    "process_accept",
    "process_cancel",
    "process_offer",
    "process_reclaim",
    "verify_offer_terms",
    "verify_open_offer",
]
