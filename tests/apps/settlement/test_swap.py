"""Payment versus payment: two legs, one transaction both parties sign, both or neither."""

from __future__ import annotations

from chainbook.apps.assets import Freeze
from chainbook.apps.settlement import Swap
from tests.apps.settlement.helpers import (
    BANK_CN,
    COINS,
    balance,
    balances,
    make_ledger,
    nonce,
    refused,
    run,
    supplies,
)
from tests.support import ALICE, BOB, CAROL, run_block, tx


def test_a_swap_moves_both_legs_at_the_agreed_amounts() -> None:
    state = make_ledger()
    before = supplies(state)
    receipt = run(state, [ALICE, BOB], Swap(BOB.address, "CNYT", 100_000, "HKDT", 110_000, "fx-1"))
    assert balance(state, "CNYT", ALICE) == COINS - 100_000
    assert balance(state, "CNYT", BOB) == COINS + 100_000
    assert balance(state, "HKDT", ALICE) == COINS + 110_000
    assert balance(state, "HKDT", BOB) == COINS - 110_000
    assert supplies(state) == before
    (event,) = receipt.events
    assert (event.module, event.kind) == ("settlement", "swapped")
    assert dict(event.attributes) == {
        "sender": ALICE.address.hex(), "counterparty": BOB.address.hex(),
        "give_token": "CNYT", "give_amount": "100000", "get_token": "HKDT",
        "get_amount": "110000",
    }


def test_the_sender_may_pay_in_the_native_coin() -> None:
    state = make_ledger()
    run(state, [ALICE, BOB], Swap(BOB.address, "", 5_000, "HKDT", 7))
    assert balance(state, "", ALICE) == COINS - 5_000 and balance(state, "", BOB) == COINS + 5_000
    assert balance(state, "HKDT", ALICE) == COINS + 7


def test_a_swap_the_counterparty_did_not_sign_is_refused() -> None:
    state = make_ledger()
    action = Swap(BOB.address, "CNYT", 1, "HKDT", 1)
    error = refused(state, ALICE, action, "settlement.not_cosigned")
    assert BOB.address.hex() in error and "signed by both" in error
    # Bob's key alone, without Bob's account among the transaction's accounts, grants nothing.
    stray = tx([ALICE, BOB], nonce(state, ALICE), action)
    (receipt,) = run_block(state, [stray]).receipts
    assert receipt.code == "settlement.not_cosigned"
    # A co-signer who is someone else than the counterparty does not do either.
    error = refused(state, [ALICE, CAROL], action, "settlement.not_cosigned")


def test_the_counterparty_cannot_pay_in_the_native_coin() -> None:
    state = make_ledger()
    error = refused(state, [ALICE, BOB], Swap(BOB.address, "CNYT", 1, "", 1),
                    "settlement.native_from_cosigner")
    assert "swap the roles" in error


def test_a_party_without_its_leg_is_named_and_nothing_moves() -> None:
    state = make_ledger()
    error = refused(state, [ALICE, BOB], Swap(BOB.address, "CNYT", COINS + 1, "HKDT", 1),
                    "settlement.insufficient_funds")
    assert f"sender {ALICE.address.hex()} holds {COINS}" in error and "needs" in error
    error = refused(state, [ALICE, BOB], Swap(BOB.address, "CNYT", 1, "HKDT", COINS + 1),
                    "settlement.insufficient_funds")
    assert f"counterparty {BOB.address.hex()}" in error


def test_a_refused_second_leg_keeps_the_first_from_moving() -> None:
    """The counterparty is frozen in its leg's token (the assets module refuses the second
    move, after the first one happened): the whole swap is refused, nothing moved."""
    state = make_ledger()
    run(state, BANK_CN, Freeze("CNYT", BOB.address))
    before = balances(state)
    error = refused(state, [ALICE, BOB], Swap(BOB.address, "HKDT", 10, "CNYT", 10),
                    "assets.account_frozen")
    assert BOB.address.hex() in error
    assert balances(state) == before


def test_bad_legs_and_parties_are_refused() -> None:
    state = make_ledger()
    cases = [
        (Swap(BOB.address, "CNYT", 0, "HKDT", 1), "settlement.invalid_amount", "give_amount"),
        (Swap(BOB.address, "CNYT", 1, "HKDT", 0), "settlement.invalid_amount", "get_amount"),
        (Swap(BOB.address, "CNYT", 1, "CNYT", 1), "settlement.same_token", "two tokens"),
        (Swap(BOB.address, "NOPE", 1, "HKDT", 1), "settlement.unknown_token", "'NOPE'"),
        (Swap(BOB.address, "CNYT", 1, "X" * 13, 1), "settlement.unknown_token", "13 characters"),
        (Swap(BOB.address, "CNYT", 1, "HKDT", 1, "m" * 257), "settlement.memo_too_long", "257"),
    ]
    for action, code, words in cases:
        assert words in refused(state, [ALICE, BOB], action, code)
    assert "sender itself" in refused(
        state, ALICE, Swap(ALICE.address, "CNYT", 1, "HKDT", 1), "settlement.invalid_party"
    )


def test_the_memo_limit_is_exact() -> None:
    state = make_ledger()
    run(state, [ALICE, BOB], Swap(BOB.address, "CNYT", 1, "HKDT", 1, "é" * 128))
    refused(state, [ALICE, BOB], Swap(BOB.address, "CNYT", 1, "HKDT", 1, "é" * 128 + "x"),
            "settlement.memo_too_long")


def test_a_swap_of_a_whole_balance_and_of_the_largest_amount() -> None:
    state = make_ledger()
    run(state, [ALICE, BOB], Swap(BOB.address, "CNYT", COINS, "HKDT", COINS))
    assert balance(state, "CNYT", ALICE) == 0 and balance(state, "HKDT", BOB) == 0
    # The largest amount the wire carries is checked like any other (nobody holds it).
    refused(state, [BOB, ALICE], Swap(ALICE.address, "CNYT", 2**64 - 1, "HKDT", 1),
            "settlement.insufficient_funds")
