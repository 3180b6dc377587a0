"""settlement queries: read-only, over the committed state (QueryContext.view is the module's
keys), each provable (?prove=true).

    offer(offer_id)                 an offer: its legs, maker, taker, expiry and status
    lock(lock_id)                   a lock: its leg, parties, hash, deadline, status, preimage
    offers_by_maker(maker, start)   every offer an account made, in order, a page at a time
    offers_by_status(status, start) the offers open now, or those accepted, cancelled or
                                    reclaimed (in closing order), a page at a time
    locks_by_party(party, start)    every lock an account sent or receives, a page at a time
    escrow(token)                   what the module's account holds for open offers and locks

`expired` says whether the next block may still accept an open offer (claim an open lock):
the answer is of the state after height h, the next block is h + 1, so an open offer with
expiry_height <= h is expired (reclaimable), a lock with deadline_height <= h refundable.
A page holds at most page_items_max (20) items and says where the next one starts (`next`,
None at the end): 1 + 2 * 20 = 41 state keys at most, inside a proof.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from chainbook.apps.base import Query, QueryContext
from chainbook.apps.settlement import limits
from chainbook.apps.settlement.actions import AddressBytes, RecordId, UInt
from chainbook.apps.settlement.state import (
    ESCROW,
    LOCK_STATUS_NAMES,
    OFFER_STATUS_NAMES,
    LockRecord,
    LockStatus,
    OfferRecord,
    OfferStatus,
    escrow_key,
    get_listed_id,
    get_lock,
    get_offer,
    get_uint,
    made_at_key,
    made_key,
    party_at_key,
    party_key,
    status_at_key,
    status_key,
)
from chainbook.types import Address, Amount, Hash, Height

OfferStatusName = Literal["open", "accepted", "cancelled", "reclaimed"]
_STATUS_BY_NAME = {name: status for status, name in OFFER_STATUS_NAMES.items()}


class OfferRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    offer_id: RecordId


class OfferInfo(msgspec.Struct, frozen=True):
    offer_id: int
    found: bool
    status: str = ""
    """"open", "accepted", "cancelled" or "reclaimed" (empty when not found)."""
    expired: bool = False
    """Open, and the next block may no longer accept it (it may be reclaimed)."""
    maker: Address = b""
    taker: Address = b""
    """Whoever accepted it; before, the only account that may (empty: anyone)."""
    restricted: bool = False
    give_token: str = ""
    give_amount: Amount = 0
    want_token: str = ""
    want_amount: Amount = 0
    expiry_height: Height = 0
    memo: str = ""
    height: Height = 0
    tx_hash: Hash = b""
    closed_height: Height = 0
    closed_tx: Hash = b""
    closed_by: Address = b""


class LockRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    lock_id: RecordId


class LockInfo(msgspec.Struct, frozen=True):
    lock_id: int
    found: bool
    status: str = ""
    """"open", "claimed" or "refunded" (empty when not found)."""
    expired: bool = False
    """Open, and the next block may no longer claim it (it may be refunded)."""
    sender: Address = b""
    recipient: Address = b""
    token: str = ""
    amount: Amount = 0
    hash_lock: Hash = b""
    deadline_height: Height = 0
    memo: str = ""
    preimage: bytes = b""
    """The secret the recipient showed (empty until claimed)."""
    height: Height = 0
    tx_hash: Hash = b""
    closed_height: Height = 0
    closed_tx: Hash = b""
    closed_by: Address = b""


class MakerRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    maker: AddressBytes
    start: UInt = 0


class StatusRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    status: OfferStatusName
    start: UInt = 0


class OffersPage(msgspec.Struct, frozen=True):
    total: int
    offers: list[OfferInfo]
    next: int | None


class PartyRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    party: AddressBytes
    start: UInt = 0


class LocksPage(msgspec.Struct, frozen=True):
    total: int
    locks: list[LockInfo]
    next: int | None


class EscrowRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(max_length=limits.token_chars_max)] = ""
    """A token id; "" the native coin."""


class EscrowInfo(msgspec.Struct, frozen=True):
    token: str
    amount: Amount
    """The sum of the open offers' and locks' amounts in that token."""
    account: Address
    """The module's account, which holds it (its balance in the token is at least `amount`)."""


def describe_offer(offer_id: int, record: OfferRecord, height: Height) -> OfferInfo:
    is_open = record.status is OfferStatus.OPEN
    return OfferInfo(
        offer_id=offer_id, found=True, status=OFFER_STATUS_NAMES[record.status],
        expired=is_open and height >= record.expiry_height, maker=record.maker,
        taker=record.taker, restricted=record.restricted, give_token=record.give_token,
        give_amount=record.give_amount, want_token=record.want_token,
        want_amount=record.want_amount, expiry_height=record.expiry_height, memo=record.memo,
        height=record.height, tx_hash=record.tx_hash, closed_height=record.closed_height,
        closed_tx=record.closed_tx, closed_by=record.closed_by,
    )


def describe_lock(lock_id: int, record: LockRecord, height: Height) -> LockInfo:
    is_open = record.status is LockStatus.OPEN
    return LockInfo(
        lock_id=lock_id, found=True, status=LOCK_STATUS_NAMES[record.status],
        expired=is_open and height >= record.deadline_height, sender=record.sender,
        recipient=record.recipient, token=record.token, amount=record.amount,
        hash_lock=record.hash_lock, deadline_height=record.deadline_height, memo=record.memo,
        preimage=record.preimage, height=record.height, tx_hash=record.tx_hash,
        closed_height=record.closed_height, closed_tx=record.closed_tx,
        closed_by=record.closed_by,
    )


def compute_page(start: int, total: int) -> tuple[range, int | None]:
    end = min(total, start + limits.page_items_max)
    return range(start, end), (end if end < total else None)


def _offers_page(ctx: QueryContext, ids: list[int], total: int, next_start: int | None
                 ) -> OffersPage:
    items = []
    for offer_id in ids:
        record = get_offer(ctx.view, offer_id)
        assert record is not None, f"listed offer {offer_id} missing"
        items.append(describe_offer(offer_id, record, ctx.height))
    return OffersPage(total, items, next_start)


def query_offer(ctx: QueryContext, request: OfferRequest) -> OfferInfo:
    """An offer: its two legs, maker, taker, expiry height and status."""
    record = get_offer(ctx.view, request.offer_id)
    if record is None:
        return OfferInfo(request.offer_id, False)
    return describe_offer(request.offer_id, record, ctx.height)


def query_lock(ctx: QueryContext, request: LockRequest) -> LockInfo:
    """A hashed time-lock: its leg, sender, recipient, hash, deadline, status and preimage."""
    record = get_lock(ctx.view, request.lock_id)
    if record is None:
        return LockInfo(request.lock_id, False)
    return describe_lock(request.lock_id, record, ctx.height)


def query_offers_by_maker(ctx: QueryContext, request: MakerRequest) -> OffersPage:
    """Every offer an account made, oldest first, with its status, a page at a time."""
    total = get_uint(ctx.view, made_key(request.maker))
    numbers, next_start = compute_page(request.start, total)
    ids = [get_listed_id(ctx.view, made_at_key(request.maker, n)) for n in numbers]
    return _offers_page(ctx, ids, total, next_start)


def query_offers_by_status(ctx: QueryContext, request: StatusRequest) -> OffersPage:
    """The offers in one status (open now, accepted, cancelled, reclaimed), a page at a time.

    Open ones come in no set order (a closing offer's place takes the last one); closed ones
    in closing order."""
    status = _STATUS_BY_NAME[request.status]
    total = get_uint(ctx.view, status_key(status))
    numbers, next_start = compute_page(request.start, total)
    ids = [get_listed_id(ctx.view, status_at_key(status, n)) for n in numbers]
    return _offers_page(ctx, ids, total, next_start)


def query_locks_by_party(ctx: QueryContext, request: PartyRequest) -> LocksPage:
    """Every lock an account sent or is the recipient of, oldest first, a page at a time."""
    total = get_uint(ctx.view, party_key(request.party))
    numbers, next_start = compute_page(request.start, total)
    items = []
    for n in numbers:
        lock_id = get_listed_id(ctx.view, party_at_key(request.party, n))
        record = get_lock(ctx.view, lock_id)
        assert record is not None, f"listed lock {lock_id} missing"
        items.append(describe_lock(lock_id, record, ctx.height))
    return LocksPage(total, items, next_start)


def query_escrow(ctx: QueryContext, request: EscrowRequest) -> EscrowInfo:
    """What the module's account holds in escrow in a token ("" the native coin)."""
    return EscrowInfo(request.token, get_uint(ctx.view, escrow_key(request.token)), ESCROW)


QUERIES = (
    Query("offer", OfferRequest, OfferInfo, query_offer),
    Query("lock", LockRequest, LockInfo, query_lock),
    Query("offers_by_maker", MakerRequest, OffersPage, query_offers_by_maker),
    Query("offers_by_status", StatusRequest, OffersPage, query_offers_by_status),
    Query("locks_by_party", PartyRequest, LocksPage, query_locks_by_party),
    Query("escrow", EscrowRequest, EscrowInfo, query_escrow, is_lookup=False),
)

__all__ = [
    "QUERIES",
    "EscrowInfo",
    "EscrowRequest",
    "LockInfo",
    "LockRequest",
    "LocksPage",
    "MakerRequest",
    "OfferInfo",
    "OfferRequest",
    "OffersPage",
    "PartyRequest",
    "StatusRequest",
    "describe_lock",
    "describe_offer",
]
