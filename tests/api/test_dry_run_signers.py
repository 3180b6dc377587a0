"""The dry run of multi-signer accounts and fees: an unsigned transaction is taken as signed
by the sender's policy; a signed one is authorized and pays its fee as in a block."""

from __future__ import annotations

import pytest

from chainbook.api.dry_run import build_unsigned_tx, dry_run_tx
from chainbook.apps.accounts import SetPolicy, Signer
from chainbook.apps.bank import Transfer
from chainbook.apps.fees import FeesGenesis, FeeTooLow
from chainbook.chain.tx import decode_tx, fit_fee
from chainbook.errors import Unauthorized
from chainbook.ledger.state import LedgerState
from tests.support import ALICE, BOB, CAROL, CHAIN_ID, GENESIS_TIME_MS, make_state, run_block
from tests.support import signed as sign

TWO_OF_TWO = SetPolicy([Signer(BOB.address, 1), Signer(CAROL.address, 1)], 2)


def two_of_two(rate: int = 0) -> LedgerState:
    """ALICE's account spoken for by BOB's and CAROL's keys together (a rotation to two)."""
    state = make_state(app_state={"fees": FeesGenesis(min_fee_per_byte=rate)})
    raw = fit_fee(lambda fee: sign([ALICE, BOB, CAROL], 0, TWO_OF_TWO, fee=fee), rate)
    assert run_block(state, [decode_tx(raw)]).receipts[0].ok
    return state


def test_an_unsigned_transaction_is_taken_as_signed_by_the_policy() -> None:
    state = two_of_two()
    unsigned = build_unsigned_tx(
        state.registry,
        CHAIN_ID,
        ALICE.address,
        1,
        {"type": "bank.transfer", "to": BOB.address.hex(), "amount": 5, "memo": ""},
    )
    receipt = dry_run_tx(state, CHAIN_ID, unsigned, GENESIS_TIME_MS)
    assert receipt.ok, receipt.error


def test_a_signed_transaction_the_policy_does_not_meet_is_refused() -> None:
    state = two_of_two()
    alone = decode_tx(sign(BOB, 1, Transfer(CAROL.address, 5), accounts=[ALICE.address]))
    with pytest.raises(Unauthorized, match="sender"):
        dry_run_tx(state, CHAIN_ID, alone, GENESIS_TIME_MS)
    both = decode_tx(sign([BOB, CAROL], 1, Transfer(CAROL.address, 5), accounts=[ALICE.address]))
    assert dry_run_tx(state, CHAIN_ID, both, GENESIS_TIME_MS).ok


def test_a_signed_transaction_below_the_minimum_fee_is_refused() -> None:
    state = two_of_two(rate=1)
    free = decode_tx(sign([BOB, CAROL], 1, Transfer(CAROL.address, 5), accounts=[ALICE.address]))
    with pytest.raises(FeeTooLow):
        dry_run_tx(state, CHAIN_ID, free, GENESIS_TIME_MS)
    paid = fit_fee(
        lambda fee: sign(
            [BOB, CAROL], 1, Transfer(CAROL.address, 5), fee=fee, accounts=[ALICE.address]
        ),
        1,
    )
    assert dry_run_tx(state, CHAIN_ID, decode_tx(paid), GENESIS_TIME_MS).ok
