"""Offers: the maker escrows its leg until an expiry height; an accept moves both legs at
once; the maker cancels, anyone reclaims after expiry; an offer closes once."""

from __future__ import annotations

from chainbook.apps.assets import Freeze
from chainbook.apps.settlement import ESCROW, Accept, Cancel, MakeOffer, Reclaim
from chainbook.apps.settlement import limits as settlement_limits
from tests.apps.settlement.helpers import (
    BANK_CN,
    COINS,
    advance_to,
    balance,
    balances,
    escrowed,
    make_ledger,
    refused,
    run,
    supplies,
)
from tests.support import ALICE, BOB, CAROL, ask, run_block, tx


def offer_of(give: int = 50_000, want: int = 54_500, expiry: int = 20,
             taker: bytes = b"") -> MakeOffer:
    return MakeOffer("CNYT", give, "HKDT", want, expiry, taker, "quote 7")


def test_an_offer_escrows_its_leg_and_an_accept_moves_both() -> None:
    state = make_ledger()
    before = supplies(state)
    receipt = run(state, ALICE, offer_of())
    (event,) = receipt.events
    assert event.kind == "offered" and dict(event.attributes)["offer_id"] == "1"
    assert balance(state, "CNYT", ALICE) == COINS - 50_000
    assert balance(state, "CNYT", ESCROW) == 50_000 == escrowed(state, "CNYT")
    info = ask(state, "settlement", "offer", offer_id=1)
    assert (info.status, info.maker, info.expired, info.memo) == ("open", ALICE.address, False,
                                                                 "quote 7")
    receipt = run(state, BOB, Accept(1))
    assert balance(state, "CNYT", BOB) == COINS + 50_000
    assert balance(state, "HKDT", BOB) == COINS - 54_500
    assert balance(state, "HKDT", ALICE) == COINS + 54_500
    assert balance(state, "CNYT", ESCROW) == 0 == escrowed(state, "CNYT")
    assert supplies(state) == before
    info = ask(state, "settlement", "offer", offer_id=1)
    assert (info.status, info.taker, info.closed_by, info.closed_height) == (
        "accepted", BOB.address, BOB.address, state.height)
    assert dict(receipt.events[0].attributes)["taker"] == BOB.address.hex()


def test_an_offer_cannot_be_accepted_twice() -> None:
    state = make_ledger()
    run(state, ALICE, offer_of())
    run(state, BOB, Accept(1))
    before = balances(state)
    error = refused(state, CAROL, Accept(1), "settlement.not_open")
    assert "accepted at height" in error and BOB.address.hex() in error
    assert balances(state) == before
    refused(state, ALICE, Cancel(1), "settlement.not_open")
    advance_to(state, 25)
    refused(state, CAROL, Reclaim(1), "settlement.not_open")


def test_accepting_is_possible_up_to_the_expiry_height_and_not_after() -> None:
    state = make_ledger()
    run(state, ALICE, offer_of(expiry=5))  # height 1
    advance_to(state, 4)
    assert ask(state, "settlement", "offer", offer_id=1).expired is False
    run(state, BOB, Accept(1))  # height 5 == expiry: still accepted
    run(state, ALICE, offer_of(expiry=8))  # offer 2 at height 6
    advance_to(state, 8)
    assert ask(state, "settlement", "offer", offer_id=2).expired is True
    error = refused(state, BOB, Accept(2), "settlement.expired")  # height 9
    assert "expired at height 8" in error


def test_the_maker_cancels_and_only_the_maker() -> None:
    state = make_ledger()
    run(state, ALICE, offer_of())
    assert "only its maker" in refused(state, BOB, Cancel(1), "settlement.not_allowed")
    receipt = run(state, ALICE, Cancel(1))
    assert receipt.events[0].kind == "cancelled"
    assert balance(state, "CNYT", ALICE) == COINS and balance(state, "CNYT", ESCROW) == 0
    assert ask(state, "settlement", "offer", offer_id=1).status == "cancelled"
    refused(state, BOB, Accept(1), "settlement.not_open")


def test_anyone_reclaims_after_expiry_and_the_funds_go_back_to_the_maker() -> None:
    state = make_ledger()
    run(state, ALICE, offer_of(expiry=3))
    error = refused(state, CAROL, Reclaim(1), "settlement.not_expired")  # height 2
    assert "from height 4" in error
    advance_to(state, 3)
    receipt = run(state, CAROL, Reclaim(1))  # height 4
    assert dict(receipt.events[0].attributes)["by"] == CAROL.address.hex()
    assert balance(state, "CNYT", ALICE) == COINS and balance(state, "CNYT", CAROL) == COINS
    info = ask(state, "settlement", "offer", offer_id=1)
    assert (info.status, info.closed_by, info.expired) == ("reclaimed", CAROL.address, False)


def test_an_offer_for_one_taker_is_accepted_by_that_taker_only() -> None:
    state = make_ledger()
    run(state, ALICE, offer_of(taker=BOB.address))
    assert ask(state, "settlement", "offer", offer_id=1).restricted
    error = refused(state, CAROL, Accept(1), "settlement.not_allowed")
    assert f"for {BOB.address.hex()} only" in error
    run(state, BOB, Accept(1))


def test_the_maker_does_not_accept_its_own_offer() -> None:
    state = make_ledger()
    run(state, ALICE, offer_of())
    assert "cancels" in refused(state, ALICE, Accept(1), "settlement.invalid_party")


def test_a_taker_without_the_wanted_leg_or_frozen_changes_nothing() -> None:
    state = make_ledger()
    run(state, ALICE, MakeOffer("HKDT", 10, "CNYT", COINS + 1, 30))
    error = refused(state, BOB, Accept(1), "settlement.insufficient_funds")
    assert f"taker {BOB.address.hex()} holds {COINS}" in error
    run(state, ALICE, MakeOffer("HKDT", 10, "CNYT", 5, 30))
    run(state, BANK_CN, Freeze("CNYT", BOB.address))
    before = balances(state)
    refused(state, BOB, Accept(2), "assets.account_frozen")
    assert balances(state) == before
    assert ask(state, "settlement", "offer", offer_id=2).status == "open"


def test_offer_terms_are_checked() -> None:
    state = make_ledger()
    horizon = settlement_limits.expiry_blocks_max
    cases = [
        (lambda h: MakeOffer("CNYT", 0, "HKDT", 1, 10), "settlement.invalid_amount", "give_amount"),
        (lambda h: MakeOffer("CNYT", 1, "HKDT", 0, 10), "settlement.invalid_amount", "want_amount"),
        (lambda h: MakeOffer("CNYT", 1, "CNYT", 1, 10), "settlement.same_token", "two tokens"),
        (lambda h: MakeOffer("CNYT", 1, "NOPE", 1, 10), "settlement.unknown_token",
         "want_token 'NOPE'"),
        (lambda h: MakeOffer("CNYT", 1, "HKDT", 1, h), "settlement.invalid_height", "after the"),
        (lambda h: MakeOffer("CNYT", 1, "HKDT", 1, h + horizon + 1), "settlement.invalid_height",
         f"{horizon} blocks ahead"),
        (lambda h: MakeOffer("CNYT", COINS + 1, "HKDT", 1, 10), "settlement.insufficient_funds",
         "maker"),
        (lambda h: MakeOffer("CNYT", 1, "HKDT", 1, 10, b"\x01" * 19), "settlement.invalid_party",
         "19 bytes"),
        (lambda h: MakeOffer("CNYT", 1, "HKDT", 1, 10, ALICE.address), "settlement.invalid_party",
         "maker itself"),
    ]
    for build, code, words in cases:
        action = build(state.height + 1)
        assert words in refused(state, ALICE, action, code), (action, code)
    run(state, ALICE, MakeOffer("CNYT", 1, "HKDT", 1, state.height + 1 + horizon))
    assert "offers made so far are 1 to 1" in refused(state, BOB, Accept(2),
                                                      "settlement.unknown_offer")


def test_a_maker_has_at_most_the_limit_of_open_offers() -> None:
    state = make_ledger()
    limit = settlement_limits.open_offers_per_account_max
    offer = MakeOffer("CNYT", 1, "HKDT", 1, 50)
    run_block(state, [tx(ALICE, n, offer) for n in range(limit)])
    assert ask(state, "settlement", "offers_by_status", status="open").total == limit
    error = refused(state, ALICE, offer, "settlement.too_many_open")
    assert f"has {limit} open offers" in error
    run(state, ALICE, Cancel(1))
    run(state, ALICE, offer)
    assert escrowed(state, "CNYT") == limit
