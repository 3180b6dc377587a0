"""The settlement module's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

import hashlib
from typing import Any

from chainbook.apps.settlement import (
    Accept,
    Cancel,
    Claim,
    MakeLock,
    MakeOffer,
    Reclaim,
    Refund,
    Swap,
)
from tests.apps.settlement.helpers import advance_to, make_ledger, run
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, CAROL, signed

SECRET = hashlib.sha256(b"settlement spec secret").digest()
HASH = hashlib.sha256(SECRET).digest()


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    expired = make_ledger()
    run(expired, ALICE, MakeOffer("CNYT", 300, "HKDT", 330, 2))
    run(expired, ALICE, MakeLock(BOB.address, "", 40, HASH, 3))
    advance_to(expired, 4)
    return [
        make_vector(
            "swap",
            "Alice pays Bob 1,000.00 CNYT for 1,100.00 HKDT in one transaction both sign; the"
            " same swap signed by Alice alone fails (settlement.not_cosigned); one where Bob"
            " would pay in the native coin fails (settlement.native_from_cosigner); one Bob"
            " cannot fund fails naming him; Alice pays Bob 500 native coin for 3 HKDT.",
            make_ledger(),
            [
                signed([ALICE, BOB], 0, Swap(BOB.address, "CNYT", 100_000, "HKDT", 110_000,
                                             "fx-2031"), accounts=[ALICE.address, BOB.address]),
                signed(ALICE, 1, Swap(BOB.address, "CNYT", 1, "HKDT", 1)),
                signed([ALICE, BOB], 2, Swap(BOB.address, "CNYT", 1, "", 1),
                       accounts=[ALICE.address, BOB.address]),
                signed([ALICE, BOB], 3, Swap(BOB.address, "CNYT", 1, "HKDT", 10**9),
                       accounts=[ALICE.address, BOB.address]),
                signed([ALICE, BOB], 4, Swap(BOB.address, "", 500, "HKDT", 3),
                       accounts=[ALICE.address, BOB.address]),
            ],
        ),
        make_vector(
            "offer_accept",
            "Alice offers 500.00 CNYT for 545.00 HKDT until height 20 and a second offer for"
            " Carol only; Bob accepts the first (both legs move, the escrow empties); Carol's"
            " accept of it fails (settlement.not_open); Bob's accept of Carol's offer fails"
            " (settlement.not_allowed); Bob's cancel of it fails; Alice cancels it.",
            make_ledger(),
            [
                signed(ALICE, 0, MakeOffer("CNYT", 50_000, "HKDT", 54_500, 20, b"", "q-1")),
                signed(ALICE, 1, MakeOffer("HKDT", 700, "", 9_000, 20, CAROL.address)),
                signed(BOB, 0, Accept(1)),
                signed(CAROL, 0, Accept(1)),
                signed(BOB, 1, Accept(2)),
                signed(BOB, 2, Cancel(2)),
                signed(ALICE, 2, Cancel(2)),
            ],
        ),
        make_vector(
            "htlc_claim",
            "Alice locks 70.00 CNYT for Bob under SHA-256(secret) until height 10; Carol's claim"
            " fails (settlement.not_allowed), Bob's with a wrong preimage fails"
            " (settlement.invalid_preimage), a refund before the deadline fails"
            " (settlement.not_expired); Bob claims with the secret, which the event publishes.",
            make_ledger(),
            [
                signed(ALICE, 0, MakeLock(BOB.address, "CNYT", 7_000, HASH, 10, "inv-42")),
                signed(CAROL, 0, Claim(1, SECRET)),
                signed(BOB, 0, Claim(1, bytes(32))),
                signed(CAROL, 1, Refund(1)),
                signed(BOB, 1, Claim(1, SECRET)),
            ],
        ),
        make_vector(
            "expiry",
            "At height 5, past Alice's offer (expiry 2) and lock (deadline 3): Bob's accept and"
            " claim fail (settlement.expired); Carol reclaims the offer and refunds the lock,"
            " both back to Alice; a second refund fails (settlement.not_open).",
            expired,
            [
                signed(BOB, 0, Accept(1)),
                signed(BOB, 1, Claim(1, SECRET)),
                signed(CAROL, 0, Reclaim(1)),
                signed(CAROL, 1, Refund(1)),
                signed(CAROL, 2, Refund(1)),
            ],
        ),
    ]
