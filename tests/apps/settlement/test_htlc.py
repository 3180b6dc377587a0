"""Hashed time-locked transfers: the recipient claims with the SHA-256 preimage up to the
deadline height, the sender is refunded after it, never both."""

from __future__ import annotations

import hashlib

from chainbook.apps.settlement import ESCROW, Claim, MakeLock, Refund
from chainbook.apps.settlement import limits as settlement_limits
from tests.apps.settlement.helpers import (
    COINS,
    advance_to,
    balance,
    escrowed,
    make_ledger,
    refused,
    run,
    supplies,
)
from tests.support import ALICE, BOB, CAROL, ask, run_block, tx

SECRET = bytes(range(32))
HASH = hashlib.sha256(SECRET).digest()


def test_the_recipient_claims_with_the_preimage_which_becomes_public() -> None:
    state = make_ledger()
    before = supplies(state)
    receipt = run(state, ALICE, MakeLock(BOB.address, "CNYT", 70_000, HASH, 10, "invoice 42"))
    assert dict(receipt.events[0].attributes) == {
        "lock_id": "1", "sender": ALICE.address.hex(), "recipient": BOB.address.hex(),
        "token": "CNYT", "amount": "70000", "hash_lock": HASH.hex(), "deadline_height": "10",
    }
    assert balance(state, "CNYT", ESCROW) == 70_000 == escrowed(state, "CNYT")
    assert ask(state, "settlement", "lock", lock_id=1).preimage == b""
    receipt = run(state, BOB, Claim(1, SECRET))
    assert dict(receipt.events[0].attributes)["preimage"] == SECRET.hex()
    assert balance(state, "CNYT", BOB) == COINS + 70_000
    assert balance(state, "CNYT", ALICE) == COINS - 70_000
    assert balance(state, "CNYT", ESCROW) == 0 == escrowed(state, "CNYT")
    info = ask(state, "settlement", "lock", lock_id=1)
    assert (info.status, info.preimage, info.closed_by) == ("claimed", SECRET, BOB.address)
    assert supplies(state) == before


def test_a_claim_is_possible_at_the_deadline_height_and_a_refund_only_after() -> None:
    state = make_ledger()
    run(state, ALICE, MakeLock(BOB.address, "", 500, HASH, 4))  # height 1
    advance_to(state, 2)
    error = refused(state, CAROL, Refund(1), "settlement.not_expired")  # height 3
    assert "refunded from height 5" in error
    run(state, BOB, Claim(1, SECRET))  # height 4 == deadline
    assert balance(state, "", BOB) == COINS + 500
    run(state, ALICE, MakeLock(BOB.address, "", 500, HASH, 6))  # lock 2 at height 5
    advance_to(state, 6)
    assert ask(state, "settlement", "lock", lock_id=2).expired is True
    assert "claimed until height 6" in refused(state, BOB, Claim(2, SECRET), "settlement.expired")
    receipt = run(state, CAROL, Refund(2))  # anyone, at height 8
    assert dict(receipt.events[0].attributes)["by"] == CAROL.address.hex()
    assert balance(state, "", ALICE) == COINS - 500
    assert ask(state, "settlement", "lock", lock_id=2).status == "refunded"


def test_at_the_deadline_height_a_refund_is_still_refused() -> None:
    state = make_ledger()
    run(state, ALICE, MakeLock(BOB.address, "", 500, HASH, 3))  # height 1
    advance_to(state, 2)
    assert "refunded from height 4" in refused(state, CAROL, Refund(1),  # height 3
                                               "settlement.not_expired")
    run(state, CAROL, Refund(1))  # height 4


def test_never_both_a_claim_and_a_refund() -> None:
    state = make_ledger()
    run(state, ALICE, MakeLock(BOB.address, "HKDT", 9, HASH, 3))
    run(state, BOB, Claim(1, SECRET))
    advance_to(state, 5)
    assert "claimed at height 2" in refused(state, CAROL, Refund(1), "settlement.not_open")
    refused(state, BOB, Claim(1, SECRET), "settlement.not_open")
    run(state, ALICE, MakeLock(BOB.address, "HKDT", 9, HASH, 10))  # height 9
    advance_to(state, 10)
    run(state, ALICE, Refund(2))
    refused(state, BOB, Claim(2, SECRET), "settlement.not_open")
    refused(state, ALICE, Refund(2), "settlement.not_open")
    assert balance(state, "HKDT", BOB) == COINS + 9 and balance(state, "HKDT", ALICE) == COINS - 9


def test_a_wrong_preimage_or_a_wrong_size_or_claimant_is_refused() -> None:
    state = make_ledger()
    run(state, ALICE, MakeLock(BOB.address, "CNYT", 1, HASH, 20))
    error = refused(state, BOB, Claim(1, bytes(32)), "settlement.invalid_preimage")
    assert HASH.hex() in error
    size = settlement_limits.preimage_bytes
    assert f"is {size + 1} bytes" in refused(state, BOB, Claim(1, SECRET + b"x"),
                                             "settlement.invalid_preimage")
    assert f"is {size - 1} bytes" in refused(state, BOB, Claim(1, SECRET[:-1]),
                                             "settlement.invalid_preimage")
    assert "only its recipient" in refused(state, CAROL, Claim(1, SECRET),
                                           "settlement.not_allowed")
    refused(state, BOB, Claim(2, SECRET), "settlement.unknown_lock")
    run(state, BOB, Claim(1, SECRET))


def test_lock_terms_are_checked() -> None:
    state = make_ledger()
    horizon = settlement_limits.expiry_blocks_max
    cases = [
        (lambda h: MakeLock(BOB.address, "CNYT", 0, HASH, 10), "settlement.invalid_amount"),
        (lambda h: MakeLock(ALICE.address, "CNYT", 1, HASH, 10), "settlement.invalid_party"),
        (lambda h: MakeLock(BOB.address, "NOPE", 1, HASH, 10), "settlement.unknown_token"),
        (lambda h: MakeLock(BOB.address, "CNYT", 1, HASH, h), "settlement.invalid_height"),
        (lambda h: MakeLock(BOB.address, "CNYT", 1, HASH, h + horizon + 1),
         "settlement.invalid_height"),
        (lambda h: MakeLock(BOB.address, "CNYT", COINS + 1, HASH, 10),
         "settlement.insufficient_funds"),
        (lambda h: MakeLock(BOB.address, "CNYT", 1, HASH, 10, "m" * 257),
         "settlement.memo_too_long"),
    ]
    for build, code in cases:
        refused(state, ALICE, build(state.height + 1), code)
    run(state, ALICE, MakeLock(BOB.address, "CNYT", 1, HASH, state.height + 1 + horizon))


def test_a_sender_has_at_most_the_limit_of_open_locks() -> None:
    state = make_ledger()
    limit = settlement_limits.open_locks_per_account_max
    lock = MakeLock(BOB.address, "", 1, HASH, 50)
    run_block(state, [tx(ALICE, n, lock) for n in range(limit)])
    assert f"has {limit} open locks" in refused(state, ALICE, lock, "settlement.too_many_open")
    run(state, BOB, Claim(7, SECRET))
    run(state, ALICE, lock)
    assert escrowed(state, "") == limit
    # The recipient's list holds every lock naming it, the claimed one too.
    page = ask(state, "settlement", "locks_by_party", party=BOB.address)
    assert page.total == limit + 1 and len(page.locks) == settlement_limits.page_items_max
