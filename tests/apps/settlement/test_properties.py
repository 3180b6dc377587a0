"""Properties of settlement (hypothesis), against a model written from the rules alone:

- under any blocks of swaps (co-signed or not), offers, accepts, cancels, reclaims, locks,
  claims and refunds by three accounts in three tokens, with time passing between blocks,
  every outcome (success or the refusal's code) is the model's;
- every balance of every account and of the module's account is the model's after every
  block: a successful action moved exactly its legs, a refused one nothing;
- the escrow the module reports per token equals its account's balance and the sum of the
  model's open offers and locks; the supply of every token never changes;
- each offer and lock ends in the model's status, closed at most once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chainbook.apps.settlement import (
    ESCROW,
    Accept,
    Cancel,
    Claim,
    MakeLock,
    MakeOffer,
    Reclaim,
    Refund,
    Swap,
)
from chainbook.crypto import PrivateKey
from chainbook.ledger.state import LedgerState
from tests.apps.settlement.helpers import (
    COINS,
    TOKENS,
    balances,
    escrowed,
    make_ledger,
    supplies,
)
from tests.support import ALICE, BOB, CAROL, DAVE, ask, run_block, tx

PARTIES = [ALICE, BOB, CAROL]
BY_ADDRESS = {k.address: k for k in PARTIES}
SECRETS = [hashlib.sha256(b"secret-%d" % i).digest() for i in range(2)]
HASHES = [hashlib.sha256(s).digest() for s in SECRETS]
PREIMAGES = [*SECRETS, SECRETS[0][:31]]
AMOUNTS = st.sampled_from([1, 7, 250, 3_000, 90_000, 200_000, 450_000, 0, COINS + 1])
"""Mostly amounts the parties hold (a few legs drain them), then 0 and one nobody holds."""
OFFSETS = st.sampled_from([1, 2, 3, 5, 8, 0, -1])
"""An expiry or deadline height relative to the block's height (0 and below: refused)."""
IDS = st.integers(-1, 3)
"""A recent record of the model (0 the newest), or -1: an id nobody made."""


@dataclass
class Record:
    owner: bytes
    """The offer's maker or the lock's sender."""
    other: bytes
    """The offer's taker (empty: anyone) or the lock's recipient."""
    token: str
    amount: int
    want_token: str
    want_amount: int
    until: int
    hash_lock: bytes = b""
    status: str = "open"


@dataclass
class Model:
    balances: dict[tuple[str, bytes], int]
    offers: dict[int, Record] = field(default_factory=dict)
    locks: dict[int, Record] = field(default_factory=dict)

    def move(self, token: str, source: bytes, to: bytes, amount: int) -> None:
        self.balances[(token, source)] -= amount
        self.balances[(token, to)] += amount

    def funds(self, token: str, who: bytes, amount: int) -> bool:
        return self.balances[(token, who)] >= amount

    def escrow(self, token: str) -> int:
        return sum(r.amount for r in [*self.offers.values(), *self.locks.values()]
                   if r.status == "open" and r.token == token)

    def apply(self, kind: str, key: PrivateKey, p: dict[str, Any], height: int) -> str:
        """The code the action gets at `height` ("" for success); applied if it succeeds."""
        return RULES[kind](self, key.address, p, height)


def _swap(m: Model, sender: bytes, p: dict[str, Any], h: int) -> str:
    other = p["pair"][1].address
    if p["give_amount"] < 1 or p["get_amount"] < 1:
        return "settlement.invalid_amount"
    if p["give_token"] == p["get_token"]:
        return "settlement.same_token"
    if other == sender:
        return "settlement.invalid_party"
    if not p["cosigned"]:
        return "settlement.not_cosigned"
    if p["get_token"] == "":
        return "settlement.native_from_cosigner"
    if not m.funds(p["give_token"], sender, p["give_amount"]) or not m.funds(
        p["get_token"], other, p["get_amount"]
    ):
        return "settlement.insufficient_funds"
    m.move(p["give_token"], sender, other, p["give_amount"])
    m.move(p["get_token"], other, sender, p["get_amount"])
    return ""


def _offer(m: Model, sender: bytes, p: dict[str, Any], h: int) -> str:
    taker = p["taker"].address if p["taker"] is not None else b""
    if p["give_amount"] < 1 or p["want_amount"] < 1:
        return "settlement.invalid_amount"
    if p["give_token"] == p["want_token"]:
        return "settlement.same_token"
    if taker == sender:
        return "settlement.invalid_party"
    if p["offset"] < 1:
        return "settlement.invalid_height"
    if not m.funds(p["give_token"], sender, p["give_amount"]):
        return "settlement.insufficient_funds"
    m.move(p["give_token"], sender, ESCROW, p["give_amount"])
    m.offers[len(m.offers) + 1] = Record(sender, taker, p["give_token"], p["give_amount"],
                                         p["want_token"], p["want_amount"], h + p["offset"])
    return ""


def _open(records: dict[int, Record], number: int, unknown: str) -> Record | str:
    record = records.get(number)
    if record is None:
        return unknown
    return record if record.status == "open" else "settlement.not_open"


def _accept(m: Model, sender: bytes, p: dict[str, Any], h: int) -> str:
    offer = _open(m.offers, p["id"], "settlement.unknown_offer")
    if isinstance(offer, str):
        return offer
    if h > offer.until:
        return "settlement.expired"
    if sender == offer.owner:
        return "settlement.invalid_party"
    if offer.other and offer.other != sender:
        return "settlement.not_allowed"
    if not m.funds(offer.want_token, sender, offer.want_amount):
        return "settlement.insufficient_funds"
    m.move(offer.want_token, sender, offer.owner, offer.want_amount)
    m.move(offer.token, ESCROW, sender, offer.amount)
    offer.status = "accepted"
    return ""


def _cancel(m: Model, sender: bytes, p: dict[str, Any], h: int) -> str:
    offer = _open(m.offers, p["id"], "settlement.unknown_offer")
    if isinstance(offer, str):
        return offer
    if sender != offer.owner:
        return "settlement.not_allowed"
    m.move(offer.token, ESCROW, offer.owner, offer.amount)
    offer.status = "cancelled"
    return ""


def _reclaim(m: Model, sender: bytes, p: dict[str, Any], h: int) -> str:
    offer = _open(m.offers, p["id"], "settlement.unknown_offer")
    if isinstance(offer, str):
        return offer
    if h <= offer.until:
        return "settlement.not_expired"
    m.move(offer.token, ESCROW, offer.owner, offer.amount)
    offer.status = "reclaimed"
    return ""


def _lock(m: Model, sender: bytes, p: dict[str, Any], h: int) -> str:
    recipient = p["pair"][1].address
    if p["amount"] < 1:
        return "settlement.invalid_amount"
    if recipient == sender:
        return "settlement.invalid_party"
    if p["offset"] < 1:
        return "settlement.invalid_height"
    if not m.funds(p["token"], sender, p["amount"]):
        return "settlement.insufficient_funds"
    m.move(p["token"], sender, ESCROW, p["amount"])
    m.locks[len(m.locks) + 1] = Record(sender, recipient, p["token"], p["amount"], "", 0,
                                       h + p["offset"], HASHES[p["hash"]])
    return ""


def _claim(m: Model, sender: bytes, p: dict[str, Any], h: int) -> str:
    lock = _open(m.locks, p["id"], "settlement.unknown_lock")
    if isinstance(lock, str):
        return lock
    if sender != lock.other:
        return "settlement.not_allowed"
    if h > lock.until:
        return "settlement.expired"
    preimage = PREIMAGES[p["preimage"]]
    if len(preimage) != 32 or hashlib.sha256(preimage).digest() != lock.hash_lock:
        return "settlement.invalid_preimage"
    m.move(lock.token, ESCROW, lock.other, lock.amount)
    lock.status = "claimed"
    return ""


def _refund(m: Model, sender: bytes, p: dict[str, Any], h: int) -> str:
    lock = _open(m.locks, p["id"], "settlement.unknown_lock")
    if isinstance(lock, str):
        return lock
    if h <= lock.until:
        return "settlement.not_expired"
    m.move(lock.token, ESCROW, lock.owner, lock.amount)
    lock.status = "refunded"
    return ""


RULES: dict[str, Callable[[Model, bytes, dict[str, Any], int], str]] = {
    "swap": _swap, "offer": _offer, "accept": _accept, "cancel": _cancel,
    "reclaim": _reclaim, "lock": _lock, "claim": _claim, "refund": _refund,
}

TOKEN = st.sampled_from(TOKENS)
PARTY = st.sampled_from(PARTIES)
ROLE = PARTY | st.sampled_from(["owner", "other"])
"""Who acts on a record: a party, or the record's owner (maker, sender) or other side (a
party that may take the offer, the lock's recipient), resolved from the model."""
PAIR = st.permutations(PARTIES).map(lambda keys: keys[:2]) | st.tuples(PARTY, PARTY)
"""Two parties: mostly distinct, sometimes drawn independently (and maybe the same)."""
SWAP = st.fixed_dictionaries({
    "kind": st.just("swap"), "pair": PAIR, "give_token": TOKEN, "give_amount": AMOUNTS,
    "get_token": st.sampled_from(["CNYT", "HKDT", "CNYT", "HKDT", ""]),
    "get_amount": AMOUNTS, "cosigned": st.sampled_from([True, True, True, False]),
})
OFFER = st.fixed_dictionaries({
    "kind": st.just("offer"), "key": PARTY, "give_token": TOKEN, "give_amount": AMOUNTS,
    "want_token": TOKEN, "want_amount": AMOUNTS, "offset": OFFSETS,
    "taker": st.none() | st.none() | PARTY,
})
ON_OFFER = st.fixed_dictionaries({
    "kind": st.sampled_from(["accept", "accept", "cancel", "reclaim"]),
    "key": ROLE, "id": IDS,
})
LOCK = st.fixed_dictionaries({
    "kind": st.just("lock"), "pair": PAIR, "token": TOKEN, "amount": AMOUNTS,
    "offset": OFFSETS, "hash": st.integers(0, 1),
})
ON_LOCK = st.fixed_dictionaries({
    "kind": st.just("claim"), "key": ROLE, "id": IDS,
    "preimage": st.sampled_from(["right", "right", "wrong", 0, 2]),
}) | st.fixed_dictionaries({"kind": st.just("refund"), "key": ROLE, "id": IDS})
ACTION = st.one_of(SWAP, SWAP, OFFER, OFFER, ON_OFFER, ON_OFFER, LOCK, LOCK, ON_LOCK, ON_LOCK)
BLOCK = st.tuples(st.sampled_from([0, 0, 1, 3]), st.lists(ACTION, min_size=1, max_size=6))
"""Empty blocks to pass first, then one block of actions."""


def build(p: dict[str, Any], height: int) -> Any:
    match p["kind"]:
        case "swap":
            return Swap(p["pair"][1].address, p["give_token"], p["give_amount"],
                        p["get_token"], p["get_amount"])
        case "offer":
            taker = p["taker"].address if p["taker"] is not None else b""
            return MakeOffer(p["give_token"], p["give_amount"], p["want_token"],
                             p["want_amount"], height + p["offset"], taker)
        case "accept":
            return Accept(p["id"])
        case "cancel":
            return Cancel(p["id"])
        case "reclaim":
            return Reclaim(p["id"])
        case "lock":
            return MakeLock(p["pair"][1].address, p["token"], p["amount"],
                            HASHES[p["hash"]], max(0, height + p["offset"]))
        case "claim":
            return Claim(p["id"], PREIMAGES[p["preimage"]])
    return Refund(p["id"])


def resolve_id(model: Model, p: dict[str, Any]) -> int:
    records = model.locks if p["kind"] in ("claim", "refund") else model.offers
    if p["id"] < 0 or not records:
        return len(records) + 1
    return len(records) - p["id"] % len(records)


def resolve_key(model: Model, p: dict[str, Any]) -> PrivateKey:
    role: PrivateKey | str = p["key"]
    if isinstance(role, PrivateKey):
        return role
    records = model.locks if p["kind"] in ("claim", "refund") else model.offers
    record = records.get(p["id"])
    if record is None:
        return ALICE
    if role == "owner":
        return BY_ADDRESS[record.owner]
    sides = [k for k in PARTIES if k.address != record.owner
             and record.other in (b"", k.address)]
    return sides[0] if sides else ALICE


def assert_matches(state: LedgerState, model: Model, supply: dict[str, int]) -> None:
    actual = balances(state)
    expected = {k: v for k, v in model.balances.items() if k in actual}
    assert actual == expected
    for token in TOKENS:
        assert escrowed(state, token) == model.escrow(token) == actual[(token, ESCROW)]
    assert supplies(state) == supply
    for number, record in model.offers.items():
        assert ask(state, "settlement", "offer", offer_id=number).status == record.status
    for number, record in model.locks.items():
        assert ask(state, "settlement", "lock", lock_id=number).status == record.status
    open_offers = ask(state, "settlement", "offers_by_status", status="open")
    assert open_offers.total == sum(r.status == "open" for r in model.offers.values())


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(BLOCK, min_size=1, max_size=8))
def test_settlement_follows_the_model(blocks: list[tuple[int, list[dict[str, Any]]]]) -> None:
    state = make_ledger()
    model = Model(balances(state))
    supply = supplies(state)
    nonces = {k.address: 0 for k in [*PARTIES, DAVE]}
    for gap, actions in blocks:
        for _ in range(gap):
            run_block(state, [])
        height = state.height + 1
        txs, expected = [], []
        for p in actions:
            if "id" in p:
                p = {**p, "id": resolve_id(model, p)}
            key = p["pair"][0] if "pair" in p else resolve_key(model, p)
            if p.get("preimage") in ("right", "wrong"):  # the model lock's secret, or the other
                lock = model.locks.get(p["id"])
                right = HASHES.index(lock.hash_lock) if lock is not None else 0
                p = {**p, "preimage": right if p["preimage"] == "right" else 1 - right}
            keys, accounts = [key], None
            if p["kind"] == "swap" and p["cosigned"] and p["pair"][1] != key:
                keys = [key, p["pair"][1]]
                accounts = [key.address, p["pair"][1].address]
            txs.append(tx(keys, nonces[key.address], build(p, height), accounts=accounts))
            nonces[key.address] += 1
            expected.append(model.apply(p["kind"], key, p, height))
        receipts = run_block(state, txs).receipts
        assert [r.code for r in receipts] == expected, [(r.code, r.error) for r in receipts]
        assert_matches(state, model, supply)
