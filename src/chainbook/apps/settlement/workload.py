"""The settlement module's simulated clients: swaps co-signed by two simulated accounts,
offers that are accepted, cancelled or left to expire and reclaimed, hashed time-locks claimed
with their preimage or refunded after their deadline, and refusals that must change nothing
(overdrafts, wrong preimages, a second accept, a reclaim too early).

The tokens are the native coin and the assets workload's genesis tokens SIMA and SIMB (the
simulator mixes every module's workload, and the assets one funds every simulated account).
The workload sees no height: expiry and deadline heights are drawn among the first heights of
a run, so some offers and locks expire within it and some are refused as already past.
Record ids are learned from the outcomes, which come in chain order; a missed outcome (a
transaction the client had given up on commits after all) shifts them, which only costs
refusals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import msgspec

from chainbook.apps.base import Rng
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
from chainbook.crypto import sha256
from chainbook.types import Address

TOKENS = ("", "SIMA", "SIMB")
TOKENS_ISSUED = ("SIMA", "SIMB")
AMOUNT_MAX = 1_000
OVERDRAFT = 10**15
"""More than any simulated account holds of any token: refused."""
DEADLINE_HEIGHT_MAX = 30
REMEMBERED_MAX = 64
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class KnownOffer:
    maker: Address
    taker: Address


@dataclass(frozen=True, slots=True)
class KnownLock:
    sender: Address
    recipient: Address
    preimage: bytes


class SettlementWorkload:
    def __init__(self) -> None:
        self.offers: dict[int, KnownOffer] = {}
        self.locks: dict[int, KnownLock] = {}
        self.offers_made = 0
        self.locks_made = 0
        self.secrets: dict[bytes, bytes] = {}
        """hash_lock -> preimage of the locks sent and not yet seen committed."""
        self.outcomes: Counter[str] = Counter()
        """"<action> ok" / "<action> refused" of the committed transactions (tests read it)."""

    def genesis_section(self, accounts: Sequence[Address]) -> None:
        return None

    def cosigners(self, sender: Address, action: msgspec.Struct) -> Sequence[Address]:
        """A swap is co-signed by its counterparty (apps/base.py CosigningWorkload)."""
        return [action.counterparty] if isinstance(action, Swap) else []

    def next_action(
        self, rng: Rng, sender: Address, accounts: Sequence[Address]
    ) -> msgspec.Struct | None:
        others = [a for a in accounts if a != sender]
        if not others:
            return None
        draw = rng.random()
        if draw < 0.2:
            give = rng.choice(TOKENS)
            get = rng.choice([t for t in TOKENS_ISSUED if t != give])
            return Swap(rng.choice(others), give, self._amount(rng), get, self._amount(rng))
        if draw < 0.32:
            give = rng.choice(TOKENS)
            want = rng.choice([t for t in TOKENS if t != give])
            taker = rng.choice(others) if rng.random() < 0.3 else b""
            return MakeOffer(give, self._amount(rng), want, rng.randint(1, AMOUNT_MAX),
                         rng.randint(2, DEADLINE_HEIGHT_MAX), taker)
        if draw < 0.5:
            return self._accept(rng, sender)
        if draw < 0.54:
            mine = [i for i, o in self.offers.items() if o.maker == sender]
            return Cancel(rng.choice(mine)) if mine else None
        if draw < 0.59:
            return Reclaim(rng.choice(list(self.offers))) if self.offers else None
        if draw < 0.72:
            preimage = rng.randbytes(32)
            hash_lock = sha256(preimage)
            if len(self.secrets) < REMEMBERED_MAX:
                self.secrets[hash_lock] = preimage
            return MakeLock(rng.choice(others), rng.choice(TOKENS), self._amount(rng), hash_lock,
                        rng.randint(2, DEADLINE_HEIGHT_MAX))
        if draw < 0.94:
            return self._claim(rng, sender)
        return Refund(rng.choice(list(self.locks))) if self.locks else None

    def _amount(self, rng: Rng) -> int:
        return OVERDRAFT if rng.random() < 0.03 else rng.randint(1, AMOUNT_MAX)

    def _accept(self, rng: Rng, sender: Address) -> msgspec.Struct | None:
        takeable = [
            i for i, o in self.offers.items()
            if o.maker != sender and o.taker in (b"", sender)
        ]
        if not takeable:
            return None
        return Accept(rng.choice(takeable))

    def _claim(self, rng: Rng, sender: Address) -> msgspec.Struct | None:
        mine = [i for i, lock in self.locks.items() if lock.recipient == sender]
        if not mine:
            return None
        lock_id = rng.choice(mine)
        preimage = self.locks[lock_id].preimage
        if rng.random() < 0.05:
            preimage = bytes(32)  # a wrong preimage: refused
        return Claim(lock_id, preimage)

    def on_outcome(self, sender: Address, action: msgspec.Struct, ok: bool) -> None:
        name = type(action).__name__.lower()
        self.outcomes[f"{name} {'ok' if ok else 'refused'}"] += 1
        preimage = None
        if isinstance(action, MakeLock):
            preimage = self.secrets.pop(action.hash_lock, None)
        if not ok:
            return
        match action:
            case MakeOffer():
                self.offers_made += 1
                self._remember(self.offers, self.offers_made, KnownOffer(sender, action.taker))
            case Accept() | Cancel() | Reclaim():
                self.offers.pop(action.offer_id, None)
            case MakeLock():
                self.locks_made += 1
                if preimage is not None:
                    known = KnownLock(sender, action.recipient, preimage)
                    self._remember(self.locks, self.locks_made, known)
            case Claim() | Refund():
                self.locks.pop(action.lock_id, None)

    @staticmethod
    def _remember(known: dict[int, T], record_id: int, value: T) -> None:
        if len(known) >= REMEMBERED_MAX:
            known.pop(next(iter(known)))
        known[record_id] = value


__all__ = ["SettlementWorkload"]
