"""The loans module's spec vectors (tests/apps/spec.py gives the format)."""

from __future__ import annotations

from typing import Any

from chainbook.apps.loans import (
    Accept,
    AssetCollateral,
    ClaimCollateral,
    DeclareDefault,
    Instalment,
    Offer,
    Repay,
    RepayInFull,
    TokenCollateral,
)
from chainbook.ledger.state import LedgerState
from tests.apps.loans.helpers import (
    BORROWER,
    FRIEND,
    LENDER,
    TITLE,
    advance,
    agreement,
    make_ledger,
)
from tests.apps.spec import MakeVector
from tests.support import run_block, signed, tx

BOTH_KEYS = [LENDER, BORROWER]
BOTH = [LENDER.address, BORROWER.address]


def both(nonce: int, action: Any) -> bytes:
    return signed(BOTH_KEYS, nonce, action, accounts=BOTH)


def lent_state(blocks: int) -> LedgerState:
    """Block 1: Alice lends Bob 100,000 (1 % per 10 blocks, due 20 blocks later, grace 5),
    his title pledged; then `blocks` empty blocks."""
    state = make_ledger()
    loan = agreement(collateral=AssetCollateral(TITLE))
    run_block(state, [tx(BOTH_KEYS, 0, loan, accounts=BOTH)])
    advance(state, blocks)
    return state


def build_vectors(make_vector: MakeVector) -> list[dict[str, Any]]:
    offer = Offer("O-1", BORROWER.address, "", 50_000, 200, 10, [Instalment(10, 50_000)], 5, 2,
                  TokenCollateral("", 1_000))  # fmt: skip
    return [
        make_vector(
            "agreement_both_sign",
            "Alice alone signs an agreement to lend Bob: refused (loans.not_signed). Then Alice"
            " and Bob both sign it (Alice sends): 100,000 of the native coin go to Bob and his"
            " registered title into module_account(\"loans\") in the same transaction.",
            make_ledger(),
            [
                signed(LENDER, 0, agreement(collateral=AssetCollateral(TITLE))),
                both(1, agreement(collateral=AssetCollateral(TITLE))),
            ],
        ),
        make_vector(
            "repayments_release_collateral",
            "Six blocks after the loan (600 of interest accrued by block 7): Carol pays 10,000"
            " for Bob (600 interest, 9,400 principal); Bob's overpayment is refused naming what"
            " is owed; Bob repays in full, and his title returns to him in that transaction.",
            lent_state(5),
            [
                signed(FRIEND, 0, Repay("L-1", 10_000)),
                signed(BORROWER, 0, Repay("L-1", 10**6)),
                signed(BORROWER, 1, RepayInFull("L-1", 10**6)),
            ],
        ),
        make_vector(
            "default_and_claim",
            "Due at 21 with 5 blocks of grace, nothing repaid: at height 27 Bob's claim of the"
            " collateral is refused (loans.not_lender), Alice's claim before default too"
            " (loans.not_defaulted); Alice declares the default and claims the title.",
            lent_state(25),
            [
                signed(BORROWER, 0, ClaimCollateral("L-1")),
                signed(LENDER, 1, ClaimCollateral("L-1")),
                signed(LENDER, 2, DeclareDefault("L-1")),
                signed(LENDER, 3, ClaimCollateral("L-1")),
            ],
        ),
        make_vector(
            "offer_accepted",
            "Alice offers Bob 50,000 (escrowed at once); Carol's acceptance is refused"
            " (loans.not_borrower); Bob accepts: the principal leaves the escrow to him and his"
            " 1,000 of collateral go in.",
            make_ledger(),
            [
                signed(LENDER, 0, offer),
                signed(FRIEND, 0, Accept("O-1")),
                signed(BORROWER, 0, Accept("O-1")),
            ],
        ),
    ]
