"""The invoice module's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.apps.invoice import Pay, Reimburse, Void
from chainbook.crypto import PrivateKey
from tests.apps.invoice.helpers import (
    COURT,
    EMPLOYER,
    SHOP,
    SHOP2,
    TOKEN,
    lines,
    make_ledger,
    offer,
    signed_pay,
)
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, signed


def cosigned(keys: list[PrivateKey], nonce: int, action: msgspec.Struct) -> bytes:
    return signed(keys, nonce, action, accounts=[k.address for k in keys])


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    first = offer("2025-0001", ALICE)
    tampered = signed_pay(offer("2025-0003", ALICE))
    tampered = Pay(msgspec.structs.replace(tampered.offer, lines=lines((1, 1, 0))),
                   tampered.signature)
    return [
        make_vector(
            "issued_and_paid",
            "Alice pays the Shenzhen shop's signed offer 2025-0001 (2 x 100 at 13 %, 1 x 50 at"
            " 6 %: 279 of the native coin); Bob pays offer 2025-0002 in CNYX, the shop's second"
            " key co-signing; Bob's payment of 2025-0001 fails (invoice.wrong_buyer), as does"
            " an offer to nobody of number 2025-0001 (invoice.already_paid), an offer changed"
            " after it was signed (invoice.bad_signature) and a court's offer"
            " (invoice.not_a_taxpayer).",
            make_ledger(),
            [
                signed(ALICE, 0, signed_pay(first)),
                cosigned([BOB, SHOP2], 0, Pay(offer("2025-0002", BOB, key=SHOP2, token=TOKEN))),
                signed(BOB, 1, signed_pay(first)),
                signed(BOB, 2, signed_pay(offer("2025-0001", None))),
                signed(ALICE, 1, tampered),
                signed(ALICE, 2, signed_pay(offer("1", ALICE, seller="court-1", key=COURT))),
            ],
        ),
        make_vector(
            "voided_and_reimbursed",
            "The shop voids 2025-0009, whose offer then fails (invoice.voided); Alice pays"
            " 2025-0001; her employer's claim without her co-signature fails"
            " (invoice.not_cosigned); with it, the employer reimburses it, paying her 279 back;"
            " a second claim by Bob with Alice co-signing fails naming the first"
            " (invoice.already_reimbursed).",
            make_ledger(),
            [
                signed(SHOP, 0, Void("2025-0009", "printed in error")),
                signed(ALICE, 0, signed_pay(offer("2025-0009", ALICE))),
                signed(ALICE, 1, signed_pay(offer("2025-0001", ALICE))),
                signed(EMPLOYER, 0, Reimburse("sz-shop/2025-0001")),
                cosigned([EMPLOYER, ALICE], 1, Reimburse("sz-shop/2025-0001", 279)),
                cosigned([BOB, ALICE], 0, Reimburse("sz-shop/2025-0001")),
            ],
        ),
    ]
