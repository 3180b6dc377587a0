"""Hashed time-locked transfers: a payment tied to a secret, so that it can be tied to an event
on another ledger (the same hash locks both sides of a cross-ledger exchange).

Rules kept:
- A lock escrows `amount` of `token` from its sender into the module's account for
  `recipient` (not the sender), under `hash_lock` = SHA-256(preimage) and `deadline_height`
  (after the current height, within expiry_blocks_max). A sender has at most
  open_locks_per_account_max open locks.
- Claim: at heights up to and including deadline_height, the recipient (only it: the claim is
  its act, and the funds are its) shows a preimage of exactly preimage_bytes (32) bytes whose
  SHA-256 is hash_lock; the amount goes to the recipient and the preimage is recorded, public
  (query `lock`, event `settlement.claimed`), for the other ledger.
- Refund: at heights after deadline_height, anyone (the amount only ever goes back to the
  sender) returns the amount to the sender.
- Never both: claim needs height <= deadline_height, refund height > deadline_height, and
  each needs the lock open; either closes it for good (settlement.not_open afterwards).
"""

from __future__ import annotations

import msgspec

from chainbook import codec
from chainbook.apps.base import KVStore, TxContext, TxView, encode_int
from chainbook.apps.settlement import limits
from chainbook.apps.settlement.actions import Claim, MakeLock, Refund
from chainbook.apps.settlement.errors import (
    Expired,
    InvalidParty,
    InvalidPreimage,
    NotAllowed,
    NotExpired,
    NotOpen,
    UnknownLock,
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
    LOCK_STATUS_NAMES,
    LOCKS_KEY,
    MODULE_NAME,
    LockRecord,
    LockStatus,
    get_lock,
    get_uint,
    lock_key,
    open_locks_key,
    party_at_key,
    party_key,
)
from chainbook.crypto import sha256
from chainbook.ledger.receipts import Event
from chainbook.types import Address


def verify_open_lock(view: KVStore, lock_id: int) -> LockRecord:
    record = get_lock(view, lock_id)
    if record is None:
        made = get_uint(view, LOCKS_KEY)
        raise UnknownLock(f"no lock {lock_id}: locks made so far are 1 to {made}")
    if record.status is not LockStatus.OPEN:
        raise NotOpen(
            f"lock {lock_id} is closed: {LOCK_STATUS_NAMES[record.status]} at height "
            f"{record.closed_height} by {record.closed_by.hex()} in transaction "
            f"{record.closed_tx.hex()}"
        )
    return record


def verify_preimage(record: LockRecord, lock_id: int, preimage: bytes) -> None:
    if len(preimage) != limits.preimage_bytes:
        raise InvalidPreimage(
            f"the preimage is {len(preimage)} bytes; a preimage is exactly "
            f"{limits.preimage_bytes} bytes"
        )
    if sha256(preimage) != record.hash_lock:
        raise InvalidPreimage(
            f"SHA-256 of the preimage is {sha256(preimage).hex()}, lock {lock_id} needs "
            f"{record.hash_lock.hex()}"
        )


def process_add_party(view: KVStore, party: Address, lock_id: int) -> None:
    count = get_uint(view, party_key(party))
    view.set(party_at_key(party, count), encode_int(lock_id))
    view.set(party_key(party), encode_int(count + 1))


def process_close(
    view: KVStore, ctx: TxContext, lock_id: int, record: LockRecord, status: LockStatus,
    preimage: bytes = b"",
) -> None:
    closed = msgspec.structs.replace(
        record, status=status, closed_height=ctx.height, closed_tx=ctx.tx_hash,
        closed_by=ctx.sender, preimage=preimage,
    )
    view.set(lock_key(lock_id), codec.encode(closed))
    process_add(view, open_locks_key(record.sender), -1)


def process_lock(view: TxView, ctx: TxContext, action: MakeLock) -> list[Event]:
    verify_memo(action.memo)
    verify_amount(action.amount, "amount")
    if action.recipient == ctx.sender:
        raise InvalidParty(f"the recipient {action.recipient.hex()} is the sender itself")
    verify_deadline(ctx, action.deadline_height, "deadline_height")
    verify_token(view, ctx, action.token, "token")
    verify_open_count(
        view, open_locks_key(ctx.sender), limits.open_locks_per_account_max, "locks", ctx.sender
    )
    verify_funds(view, ctx, ctx.sender, "sender", action.token, action.amount)
    process_escrow_in(view, ctx, ctx.sender, action.token, action.amount)
    lock_id = get_uint(view, LOCKS_KEY) + 1
    record = LockRecord(
        sender=ctx.sender, recipient=action.recipient, token=action.token, amount=action.amount,
        hash_lock=action.hash_lock, deadline_height=action.deadline_height, memo=action.memo,
        status=LockStatus.OPEN, height=ctx.height, tx_hash=ctx.tx_hash, closed_height=0,
        closed_tx=b"", closed_by=b"", preimage=b"",
    )
    view.set(LOCKS_KEY, encode_int(lock_id))
    view.set(lock_key(lock_id), codec.encode(record))
    process_add_party(view, ctx.sender, lock_id)
    process_add_party(view, action.recipient, lock_id)
    process_add(view, open_locks_key(ctx.sender), 1)
    attributes = [
        ("lock_id", str(lock_id)),
        ("sender", ctx.sender.hex()),
        ("recipient", action.recipient.hex()),
        ("token", action.token),
        ("amount", str(action.amount)),
        ("hash_lock", action.hash_lock.hex()),
        ("deadline_height", str(action.deadline_height)),
    ]
    return [Event(MODULE_NAME, "locked", attributes)]


def process_claim(view: TxView, ctx: TxContext, action: Claim) -> list[Event]:
    record = verify_open_lock(view, action.lock_id)
    if ctx.sender != record.recipient:
        raise NotAllowed(
            f"lock {action.lock_id} is for {record.recipient.hex()}; only its recipient claims "
            f"it, not {ctx.sender.hex()}"
        )
    if ctx.height > record.deadline_height:
        raise Expired(
            f"lock {action.lock_id} could be claimed until height {record.deadline_height} "
            f"(now {ctx.height}); it is now refundable to its sender"
        )
    verify_preimage(record, action.lock_id, action.preimage)
    process_escrow_out(view, ctx, record.recipient, record.token, record.amount)
    process_close(view, ctx, action.lock_id, record, LockStatus.CLAIMED, action.preimage)
    attributes = [
        ("lock_id", str(action.lock_id)),
        ("sender", record.sender.hex()),
        ("recipient", record.recipient.hex()),
        ("token", record.token),
        ("amount", str(record.amount)),
        ("hash_lock", record.hash_lock.hex()),
        ("preimage", action.preimage.hex()),
    ]
    return [Event(MODULE_NAME, "claimed", attributes)]


def process_refund(view: TxView, ctx: TxContext, action: Refund) -> list[Event]:
    record = verify_open_lock(view, action.lock_id)
    if ctx.height <= record.deadline_height:
        raise NotExpired(
            f"lock {action.lock_id} may be claimed until height {record.deadline_height} (now "
            f"{ctx.height}); it can be refunded from height {record.deadline_height + 1}"
        )
    process_escrow_out(view, ctx, record.sender, record.token, record.amount)
    process_close(view, ctx, action.lock_id, record, LockStatus.REFUNDED)
    attributes = [
        ("lock_id", str(action.lock_id)),
        ("sender", record.sender.hex()),
        ("recipient", record.recipient.hex()),
        ("by", ctx.sender.hex()),
    ]
    return [Event(MODULE_NAME, "refunded", attributes)]


__all__ = [
    "process_claim",
    "process_lock",
    "process_refund",
    "verify_open_lock",
    "verify_preimage",
]
