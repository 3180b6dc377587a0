"""The settlement module's entry points: the action dispatch and the invariants asserted at
every commit (the rules are swap.py's, offers.py's and htlc.py's)."""

from __future__ import annotations

from collections import defaultdict

import msgspec

from chainbook.apps.base import KVReader, TxContext, TxView
from chainbook.apps.settlement.actions import (
    Accept,
    Cancel,
    Claim,
    MakeLock,
    MakeOffer,
    Reclaim,
    Refund,
    Swap,
)
from chainbook.apps.settlement.htlc import process_claim, process_lock, process_refund
from chainbook.apps.settlement.offers import (
    process_accept,
    process_cancel,
    process_offer,
    process_reclaim,
)
from chainbook.apps.settlement.state import (
    ESCROW_PREFIX,
    LOCK_PREFIX,
    OFFER_PREFIX,
    OPEN_LOCKS_PREFIX,
    OPEN_OFFERS_PREFIX,
    LockRecord,
    LockStatus,
    OfferRecord,
    OfferStatus,
    compute_escrowed,
    get_lock,
    get_offer,
    get_uint,
    parse_id,
)
from chainbook.apps.settlement.swap import process_swap
from chainbook.ledger.receipts import Event


def process(view: TxView, ctx: TxContext, action: msgspec.Struct) -> list[Event]:
    """The settlement module's entry point: dispatch on the action type."""
    match action:
        case Swap():
            return process_swap(view, ctx, action)
        case MakeOffer():
            return process_offer(view, ctx, action)
        case Accept():
            return process_accept(view, ctx, action)
        case Cancel():
            return process_cancel(view, ctx, action)
        case Reclaim():
            return process_reclaim(view, ctx, action)
        case MakeLock():
            return process_lock(view, ctx, action)
        case Claim():
            return process_claim(view, ctx, action)
        case Refund():
            return process_refund(view, ctx, action)
    raise AssertionError(f"settlement received a foreign action {type(action).__name__}")


# --- invariants (asserted at every commit) --------------------------------------------------

_OFFER_TERMS = ("maker", "give_token", "give_amount", "want_token", "want_amount",
                "expiry_height", "memo", "height", "tx_hash", "restricted")
_LOCK_TERMS = ("sender", "recipient", "token", "amount", "hash_lock", "deadline_height", "memo",
               "height", "tx_hash")


def _assert_transition(
    before: OfferRecord | LockRecord | None, after: OfferRecord | LockRecord, what: str
) -> None:
    """A record is never deleted; its terms never change; it closes once and then stays (a
    record new in the block may be closed already: made and accepted in the same block)."""
    if isinstance(after, LockRecord):
        assert (after.status is LockStatus.CLAIMED) == bool(after.preimage), what
    if before is None:
        return
    terms = _OFFER_TERMS if isinstance(after, OfferRecord) else _LOCK_TERMS
    for name in terms:
        assert getattr(before, name) == getattr(after, name), f"{what}: {name} changed"
    if before.status != 0:
        assert before == after, f"{what} changed after it closed"
    match before, after:
        case OfferRecord(), OfferRecord(status=OfferStatus.OPEN):
            assert before.taker == after.taker, f"{what}: taker changed while open"


def assert_invariants(before: KVReader, after: KVReader, changed_keys: list[bytes]) -> None:
    """Over the records a block touched: none deleted, terms unchanged, each closed at most
    once; the change of every escrow/<token> equals the change of the open records' amounts
    in that token, and the change of every open count equals the change of that account's open
    records (so escrow/<token> is the sum of the open records' amounts, and open_offers/
    open_locks the number of open ones); no counter is stored at 0."""
    escrow_deltas: dict[str, int] = defaultdict(int)
    open_offer_deltas: dict[bytes, int] = defaultdict(int)
    open_lock_deltas: dict[bytes, int] = defaultdict(int)
    stored: dict[bytes, int] = {}
    for key in changed_keys:
        if key.startswith(OFFER_PREFIX) or key.startswith(LOCK_PREFIX):
            is_offer = key.startswith(OFFER_PREFIX)
            number = parse_id(key, OFFER_PREFIX if is_offer else LOCK_PREFIX)
            old = get_offer(before, number) if is_offer else get_lock(before, number)
            new = get_offer(after, number) if is_offer else get_lock(after, number)
            what = f"{'offer' if is_offer else 'lock'} {number}"
            assert new is not None, f"{what} deleted"
            _assert_transition(old, new, what)
            for record, sign in ((old, -1), (new, 1)):
                if record is None:
                    continue
                token, held = compute_escrowed(record)
                escrow_deltas[token] += sign * held
                if isinstance(record, OfferRecord):
                    open_offer_deltas[record.maker] += sign * (record.status is OfferStatus.OPEN)
                else:
                    open_lock_deltas[record.sender] += sign * (record.status is LockStatus.OPEN)
        elif key.startswith((ESCROW_PREFIX, OPEN_OFFERS_PREFIX, OPEN_LOCKS_PREFIX)):
            stored[key] = get_uint(after, key) - get_uint(before, key)
            raw = after.get(key)
            assert raw is None or get_uint(after, key) > 0, f"{key!r} stored at 0"
    expected = {ESCROW_PREFIX + token.encode(): d for token, d in escrow_deltas.items()}
    expected.update({OPEN_OFFERS_PREFIX + a: d for a, d in open_offer_deltas.items()})
    expected.update({OPEN_LOCKS_PREFIX + a: d for a, d in open_lock_deltas.items()})
    for key in set(expected) | set(stored):
        assert expected.get(key, 0) == stored.get(key, 0), (
            f"{key!r} changed by {stored.get(key, 0)}, its records by {expected.get(key, 0)}"
        )


__all__ = ["assert_invariants", "process"]
