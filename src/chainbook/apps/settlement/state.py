"""The settlement module's state: its records, their keys and the pure accessors.

State (keys relative to the module prefix b"settlement/"; values canonical MessagePack):

    offers                            uint          offers made so far: ids are 1..offers
    offer/<id u64 BE>                 OfferRecord
    locks                             uint          locks made so far: ids are 1..locks
    lock/<id u64 BE>                  LockRecord
    escrow/<token>                    uint          what the module account holds for the open
                                                    offers and locks in that token; absent at 0
    open_offers/<address 20>          uint          the maker's open offers; absent at 0
    open_locks/<address 20>           uint          the sender's open locks; absent at 0
    made/<address 20>                 uint          offers the account ever made
    made_at/<address 20><n u32 BE>    uint          the id of its n-th offer
    party/<address 20>                uint          locks naming the account (sender or recipient)
    party_at/<address 20><n u32 BE>   uint          the id of its n-th lock
    status/<status>                   uint          offers in that status now
    status_at/<status>/<n u32 BE>     uint          the id of the n-th of them: the open list is
                                                    kept dense (a closing offer's place takes
                                                    the last one: OfferRecord.slot), the closed
                                                    lists only grow, in closing order

Token ids ("" or [A-Z][A-Z0-9]{1,11}) and status names hold no "/", so every key above has one
reading. A module's view has no range reads: lists are counters with numbered entries, which
is how queries page through them.
"""

from __future__ import annotations

import enum
import struct

import msgspec

from chainbook import codec
from chainbook.apps.base import KVReader, decode_int, module_account
from chainbook.types import Address, Amount, Hash, Height

MODULE_NAME = "settlement"
ESCROW: Address = module_account(MODULE_NAME)
"""The module's own account: it holds every open offer's and lock's amount."""

OFFERS_KEY = b"offers"
OFFER_PREFIX = b"offer/"
LOCKS_KEY = b"locks"
LOCK_PREFIX = b"lock/"
ESCROW_PREFIX = b"escrow/"
OPEN_OFFERS_PREFIX = b"open_offers/"
OPEN_LOCKS_PREFIX = b"open_locks/"
MADE_PREFIX = b"made/"
MADE_AT_PREFIX = b"made_at/"
PARTY_PREFIX = b"party/"
PARTY_AT_PREFIX = b"party_at/"
STATUS_PREFIX = b"status/"
STATUS_AT_PREFIX = b"status_at/"


class OfferStatus(enum.IntEnum):
    OPEN = 0
    ACCEPTED = 1
    CANCELLED = 2
    RECLAIMED = 3


class LockStatus(enum.IntEnum):
    OPEN = 0
    CLAIMED = 1
    REFUNDED = 2


OFFER_STATUS_NAMES = {
    OfferStatus.OPEN: "open",
    OfferStatus.ACCEPTED: "accepted",
    OfferStatus.CANCELLED: "cancelled",
    OfferStatus.RECLAIMED: "reclaimed",
}
LOCK_STATUS_NAMES = {
    LockStatus.OPEN: "open",
    LockStatus.CLAIMED: "claimed",
    LockStatus.REFUNDED: "refunded",
}


class OfferRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    maker: Address
    taker: Address
    """Empty: anyone may accept. Once accepted: who did."""
    give_token: str
    give_amount: Amount
    """Held in escrow while the offer is open."""
    want_token: str
    want_amount: Amount
    expiry_height: Height
    memo: str
    status: OfferStatus
    height: Height
    tx_hash: Hash
    closed_height: Height
    """0 while open."""
    closed_tx: Hash
    closed_by: Address
    """Who accepted, cancelled or reclaimed it; empty while open."""
    restricted: bool
    """Made for one taker only (`taker` was named at creation)."""
    slot: int
    """Its place in its status list: status_at/<status>/<slot> holds its id."""


class LockRecord(msgspec.Struct, array_like=True, frozen=True, forbid_unknown_fields=True):
    sender: Address
    recipient: Address
    token: str
    amount: Amount
    """Held in escrow while the lock is open."""
    hash_lock: Hash
    deadline_height: Height
    memo: str
    status: LockStatus
    height: Height
    tx_hash: Hash
    closed_height: Height
    closed_tx: Hash
    closed_by: Address
    preimage: bytes
    """Empty until claimed; then public, so that a lock on another ledger under the same
    hash can be claimed with it."""


# --- keys -----------------------------------------------------------------------------------


def _id(number: int) -> bytes:
    return struct.pack(">Q", number)


def _index(n: int) -> bytes:
    return struct.pack(">I", n)


def offer_key(offer_id: int) -> bytes:
    return OFFER_PREFIX + _id(offer_id)


def lock_key(lock_id: int) -> bytes:
    return LOCK_PREFIX + _id(lock_id)


def escrow_key(token: str) -> bytes:
    return ESCROW_PREFIX + token.encode()


def open_offers_key(address: Address) -> bytes:
    return OPEN_OFFERS_PREFIX + address


def open_locks_key(address: Address) -> bytes:
    return OPEN_LOCKS_PREFIX + address


def made_key(address: Address) -> bytes:
    return MADE_PREFIX + address


def made_at_key(address: Address, n: int) -> bytes:
    return MADE_AT_PREFIX + address + _index(n)


def party_key(address: Address) -> bytes:
    return PARTY_PREFIX + address


def party_at_key(address: Address, n: int) -> bytes:
    return PARTY_AT_PREFIX + address + _index(n)


def status_key(status: OfferStatus) -> bytes:
    return STATUS_PREFIX + OFFER_STATUS_NAMES[status].encode()


def status_at_key(status: OfferStatus, n: int) -> bytes:
    return STATUS_AT_PREFIX + OFFER_STATUS_NAMES[status].encode() + b"/" + _index(n)


def parse_id(key: bytes, prefix: bytes) -> int:
    """The record id of an offer/ or lock/ key."""
    number: int = struct.unpack(">Q", key[len(prefix):])[0]
    return number


# --- accessors ------------------------------------------------------------------------------


def get_uint(view: KVReader, key: bytes) -> int:
    raw = view.get(key)
    return 0 if raw is None else decode_int(raw)


def get_offer(view: KVReader, offer_id: int) -> OfferRecord | None:
    raw = view.get(offer_key(offer_id))
    return None if raw is None else codec.decode(raw, OfferRecord)


def get_lock(view: KVReader, lock_id: int) -> LockRecord | None:
    raw = view.get(lock_key(lock_id))
    return None if raw is None else codec.decode(raw, LockRecord)


def get_listed_id(view: KVReader, key: bytes) -> int:
    raw = view.get(key)
    assert raw is not None, f"settlement list entry missing: {key!r}"
    return decode_int(raw)


def compute_escrowed(record: OfferRecord | LockRecord) -> tuple[str, Amount]:
    """(token, amount) the record holds in escrow: its amount while open, else nothing."""
    if isinstance(record, OfferRecord):
        held = record.give_amount if record.status is OfferStatus.OPEN else 0
        return record.give_token, held
    return record.token, record.amount if record.status is LockStatus.OPEN else 0


__all__ = [
    "ESCROW",
    "ESCROW_PREFIX",
    "LOCKS_KEY",
    "LOCK_PREFIX",
    "LOCK_STATUS_NAMES",
    "MODULE_NAME",
    "OFFERS_KEY",
    "OFFER_PREFIX",
    "OFFER_STATUS_NAMES",
    "OPEN_LOCKS_PREFIX",
    "OPEN_OFFERS_PREFIX",
    "LockRecord",
    "LockStatus",
    "OfferRecord",
    "OfferStatus",
    "compute_escrowed",
    "escrow_key",
    "get_listed_id",
    "get_lock",
    "get_offer",
    "get_uint",
    "lock_key",
    "made_at_key",
    "made_key",
    "offer_key",
    "open_locks_key",
    "open_offers_key",
    "parse_id",
    "party_at_key",
    "party_key",
    "status_at_key",
    "status_key",
]
