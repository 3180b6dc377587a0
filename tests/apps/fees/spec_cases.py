"""The fees module's spec vectors (tests/apps/spec.py gives the format).

A chain whose minimum is 1 per byte of signed transaction; ALICE holds 1,000, DAVE nothing.
"""

from __future__ import annotations

from typing import Any

from chainbook.apps.bank import Transfer
from chainbook.apps.fees import FeesGenesis
from chainbook.chain.tx import fit_fee
from chainbook.crypto import PrivateKey
from chainbook.ledger.state import LedgerState
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, DAVE, make_state, signed


def state(min_fee_per_byte: int = 1) -> LedgerState:
    return make_state(app_state={"fees": FeesGenesis(min_fee_per_byte=min_fee_per_byte)})


def paying(key: PrivateKey, nonce: int, amount: int, rate: int = 1, extra: int = 0) -> bytes:
    """A transfer to Bob paying the least fee at `rate` per byte, plus `extra`."""
    return fit_fee(
        lambda fee: signed(key, nonce, Transfer(BOB.address, amount), fee=fee + extra), rate
    )


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    return [
        make_vector(
            "fee_burnt",
            "Alice pays Bob 10 with the least fee (1 per byte) and then 1 more than it: both"
            " fees are burnt, the supply falls by them.",
            state(),
            [paying(ALICE, 0, 10), paying(ALICE, 1, 10, extra=1)],
        ),
        make_vector(
            "fee_kept_when_refused",
            "Alice's overdraft is refused, but its fee is burnt and her nonce advances.",
            state(),
            [paying(ALICE, 0, 5_000)],
        ),
        make_vector(
            "fee_too_low",
            "A fee one unit below the minimum: the block is invalid (admission refuses it).",
            state(),
            [paying(ALICE, 0, 10, extra=-1)],
        ),
        make_vector(
            "cannot_pay",
            "Dave holds nothing and names a fee: the block is invalid (admission refuses it).",
            state(),
            [paying(DAVE, 0, 1)],
        ),
        make_vector(
            "zero_minimum",
            "A chain whose minimum is 0 accepts a fee of 0 (nothing burnt) and burns a fee"
            " named anyway.",
            state(0),
            [
                signed(ALICE, 0, Transfer(BOB.address, 1)),
                signed(ALICE, 1, Transfer(BOB.address, 1), fee=3),
            ],
        ),
    ]
