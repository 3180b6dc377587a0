"""The vote module's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

from typing import Any

from chainbook.apps.vote import Cast, Commit, Create, Reveal, compute_commitment
from chainbook.ledger.state import LedgerState
from tests.apps.spec import MakeVector
from tests.support import ALICE, BOB, CAROL, DAVE, make_state, run_block, signed, tx

SALT = bytes(range(16))
VOTERS = [ALICE.address, BOB.address, CAROL.address]


def public(close_height: int) -> Create:
    return Create("budget", "Adopt the budget?", ["yes", "no"], VOTERS, 1, close_height)


def voted_state() -> LedgerState:
    """Block 1: a public ballot closing at 3; Alice and Bob vote yes, Carol no."""
    state = make_state()
    run_block(
        state,
        [
            tx(ALICE, 0, public(3)),
            tx(ALICE, 1, Cast("budget", 0)),
            tx(BOB, 0, Cast("budget", 0)),
            tx(CAROL, 0, Cast("budget", 1)),
        ],
    )
    run_block(state, [])
    return state


def committed_state() -> LedgerState:
    """Block 1: a secret ballot closing at 2 with a reveal window of 5; all three commit."""
    state = make_state()
    create = Create(
        "board", "Elect the chair", ["ann", "ben"], VOTERS, 1, 2, "equal", False, True, 5
    )
    txs = [tx(ALICE, 0, create)]
    for key, option in ((ALICE, 0), (BOB, 1), (CAROL, 1)):
        commitment = compute_commitment("board", key.address, option, SALT)
        txs.append(tx(key, 1 if key is ALICE else 0, Commit("board", commitment)))
    run_block(state, txs)
    return state


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    return [
        make_vector(
            "public_ballot",
            "Alice creates a public ballot (equal weights, no revote); Alice and Bob vote; Bob's"
            " second vote is refused (vote.already_voted), Dave is not eligible.",
            make_state(),
            [
                signed(ALICE, 0, public(10)),
                signed(ALICE, 1, Cast("budget", 0)),
                signed(BOB, 0, Cast("budget", 1)),
                signed(BOB, 1, Cast("budget", 0)),
                signed(DAVE, 0, Cast("budget", 0)),
            ],
        ),
        make_vector(
            "close_and_result",
            "Block 3 is the ballot's close height: the begin-block hook emits vote.result"
            " (weights 2,1, leading 0) and Carol's late vote is refused (vote.not_voting).",
            voted_state(),
            [signed(CAROL, 1, Cast("budget", 0))],
        ),
        make_vector(
            "secret_reveal",
            "After the close of a secret ballot: Alice and Bob reveal; Carol's reveal of another"
            " option than committed is refused (vote.commitment_mismatch); Dave has nothing to"
            " reveal.",
            committed_state(),
            [
                signed(ALICE, 2, Reveal("board", 0, SALT)),
                signed(BOB, 1, Reveal("board", 1, SALT)),
                signed(CAROL, 1, Reveal("board", 0, SALT)),
                signed(DAVE, 0, Reveal("board", 0, SALT)),
            ],
        ),
    ]
