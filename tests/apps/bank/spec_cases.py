"""The bank's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

from typing import Any

import msgspec

from chainbook.apps.bank import MultiTransfer, Output, Transfer
from chainbook.crypto import PrivateKey
from chainbook.ledger.state import LedgerState
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, CAROL, DAVE, make_state, signed


def pay(key: PrivateKey, nonce: int, action: msgspec.Struct) -> bytes:
    return signed(key, nonce, action)


def state(block_reward: int = 0, supply_max: int = 0, halving: int = 0) -> LedgerState:
    """ALICE 1,000 and BOB 500 at genesis, with this issuance."""
    return make_state(
        block_reward=block_reward, supply_max=supply_max, halving_interval_blocks=halving
    )


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    return [
        make_vector(
            "transfer_ok",
            "Alice pays Bob 300 with a memo; Carol is created by a first credit.",
            state(),
            [
                pay(ALICE, 0, Transfer(BOB.address, 300, "invoice 7")),
                pay(ALICE, 1, Transfer(CAROL.address, 1)),
            ],
        ),
        make_vector(
            "overdraft",
            "Alice sends more than she holds: failed receipt, writes discarded, nonce advances;"
            " an unknown account's send fails too.",
            state(),
            [
                pay(ALICE, 0, Transfer(BOB.address, 1_001)),
                pay(ALICE, 1, Transfer(BOB.address, 0)),
                pay(DAVE, 0, Transfer(BOB.address, 1)),
            ],
        ),
        make_vector(
            "multi_transfer",
            "One multi-transfer paying three outputs (a recipient twice), then one refused"
            " as all-or-nothing.",
            state(),
            [
                pay(
                    ALICE,
                    0,
                    MultiTransfer(
                        [Output(BOB.address, 10), Output(CAROL.address, 20), Output(BOB.address, 5)]
                    ),
                ),
                pay(
                    BOB,
                    0,
                    MultiTransfer([Output(ALICE.address, 400), Output(CAROL.address, 200)]),
                ),
            ],
        ),
        make_vector(
            "wrong_nonce",
            "Alice's second transaction skips nonce 1: the whole block is invalid.",
            state(),
            [pay(ALICE, 0, Transfer(BOB.address, 1)), pay(ALICE, 2, Transfer(BOB.address, 1))],
        ),
        make_vector(
            "mint_at_cap",
            "Reward 10 but only 7 left below supply_max: the block mints exactly 7.",
            state(block_reward=10, supply_max=1_507),
            [],
        ),
        make_vector(
            "mint_halving",
            "Block 1 with reward 64 halving every block mints 64 to the proposer, plus a transfer.",
            state(block_reward=64, supply_max=10**9, halving=1),
            [pay(BOB, 0, Transfer(ALICE.address, 500))],
        ),
    ]
