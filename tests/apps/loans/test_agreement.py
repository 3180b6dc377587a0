"""A loan starts only with both parties' consent and its disbursement: a transaction both
sign (either may send it) or an offer the borrower accepts; the principal reaches the borrower
and the collateral the escrow in that very transaction; every bad start is refused, naming
the rule, and changes nothing."""

from __future__ import annotations

import pytest

from chainbook.apps.loans import (
    Accept,
    AssetCollateral,
    Instalment,
    Offer,
    TokenCollateral,
    WithdrawOffer,
)
from chainbook.ledger.state import LedgerState
from tests.apps.loans.helpers import (
    BORROWER,
    ESCROW,
    FRIEND,
    LENDER,
    TITLE,
    TOKEN,
    advance,
    agreement,
    asset_owner,
    events,
    loan,
    make_ledger,
    refused,
    run,
    token_balance,
)
from tests.support import ask, supply_of


def supplies(state: LedgerState) -> tuple[int, int]:
    return supply_of(state), int(ask(state, "assets", "token", token=TOKEN).supply)


def test_an_agreement_both_sign_disburses_and_escrows_in_the_same_transaction() -> None:
    state = make_ledger()
    before = supplies(state)
    receipt = run(state, [LENDER, BORROWER], agreement(collateral=AssetCollateral(TITLE)))
    assert events(receipt) == [("created", {
        "loan_id": "L-1", "lender": LENDER.address.hex(), "borrower": BORROWER.address.hex(),
        "token": "", "principal": "100000", "due_height": str(receipt.height + 20),
        "collateral_asset": TITLE,
    })]  # fmt: skip
    assert token_balance(state, LENDER, "") == 900_000
    assert token_balance(state, BORROWER, "") == 110_000
    assert asset_owner(state) == ESCROW
    info = loan(state)
    assert (info.lender, info.borrower, info.height) == (
        LENDER.address, BORROWER.address, receipt.height,
    )  # fmt: skip
    assert info.collateral == AssetCollateral(TITLE) and info.collateral_state == "escrowed"
    assert info.now.status == "active" and info.now.outstanding == 100_000
    assert [(s.due_height, s.principal, s.met) for s in info.schedule] == [
        (receipt.height + 20, 100_000, False),
    ]
    assert info.tx_hash == receipt.tx_hash and info.offer_tx_hash == b""
    assert supplies(state) == before, "lending changes no supply"
    for who, role in ((LENDER, "lender"), (BORROWER, "borrower")):
        page = ask(state, "loans", "loans_of", address=who.address, role=role)
        assert [x.loan_id for x in page.loans] == ["L-1"] and page.counts.active == 1
    credit = ask(state, "loans", "credit", address=BORROWER.address)
    assert credit.as_borrower.total == 1 and credit.as_lender.total == 0


def test_the_borrower_may_send_it_when_a_co_signing_lender_pays_in_a_token() -> None:
    """A co-signer's token moves (the assets module's caller rule): here the lender's."""
    state = make_ledger()
    terms = agreement(token=TOKEN, principal=20_000, collateral=TokenCollateral("", 5_000))
    run(state, [BORROWER, LENDER], terms)
    assert token_balance(state, BORROWER) == 70_000 and token_balance(state, LENDER) == 480_000
    assert token_balance(state, ESCROW, "") == 5_000
    assert token_balance(state, BORROWER, "") == 5_000


def test_a_loan_signed_by_one_party_is_refused() -> None:
    state = make_ledger()
    error = refused(state, LENDER, agreement(), "loans.not_signed")
    assert BORROWER.address.hex() in error and "loans.offer" in error
    error = refused(state, BORROWER, agreement(token=TOKEN), "loans.not_signed")
    assert "lender " + LENDER.address.hex() in error
    # A third party's signature is no borrower's.
    refused(state, [LENDER, FRIEND], agreement(), "loans.not_signed")
    assert ask(state, "loans", "credit", address=BORROWER.address).as_borrower.total == 0


def test_native_coin_from_a_co_signer_is_refused_naming_the_way_out() -> None:
    state = make_ledger()
    error = refused(state, [BORROWER, LENDER], agreement(), "loans.payer_not_sender")
    assert "the lender" in error and "loans.offer" in error
    collateral = TokenCollateral("", 10)
    refused(state, [LENDER, BORROWER], agreement(collateral=collateral), "loans.payer_not_sender")


def test_a_principal_or_collateral_its_party_does_not_hold_is_refused() -> None:
    state = make_ledger()
    error = refused(state, [LENDER, BORROWER], agreement(principal=1_000_001),
                    "loans.insufficient_funds")
    assert "holds 1000000 of the native coin; 1000001 needed" in error
    big = TokenCollateral(TOKEN, 50_001)
    refused(state, [LENDER, BORROWER], agreement(collateral=big), "loans.insufficient_funds")
    # Carol borrowing does not own Bob's title; an unregistered id is nobody's.
    refused(state, [LENDER, FRIEND], agreement(borrower=FRIEND, collateral=AssetCollateral(TITLE)),
            "loans.invalid_collateral")
    refused(state, [LENDER, BORROWER], agreement(collateral=AssetCollateral("no-such")),
            "loans.invalid_collateral")
    refused(state, [LENDER, BORROWER], agreement(token="USDX"), "loans.unknown_token")
    refused(state, [LENDER, BORROWER], agreement(collateral=TokenCollateral("USDX", 1)),
            "loans.unknown_token")


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"loan_id": ""}, "loans.invalid_id", "1 to 64 characters"),
        ({"loan_id": "a/b"}, "loans.invalid_id", "A-Z a-z 0-9"),
        ({"principal": 0}, "loans.invalid_terms", "principal is 0"),
        ({"rate_bps": -1}, "loans.invalid_terms", "rate_bps is -1"),
        ({"period_blocks": 0}, "loans.invalid_terms", "period_blocks is 0"),
        ({"grace_blocks": -1}, "loans.invalid_terms", "grace_blocks"),
        ({"instalments": [Instalment(5, 60_000), Instalment(5, 40_000)]},
         "loans.invalid_schedule", "due_blocks is 5; accepted more than 5"),
        ({"instalments": [Instalment(0, 100_000)]}, "loans.invalid_schedule", "more than 0"),
        ({"instalments": [Instalment(5, 60_000)]}, "loans.invalid_schedule",
         "add up to 60000; they must add up to the principal, 100000"),
        ({"instalments": [Instalment(5, 100_000), Instalment(9, 0)]},
         "loans.invalid_schedule", "at least 1"),
        ({"collateral": TokenCollateral("", 0)}, "loans.invalid_collateral", "amount is 0"),
        ({"collateral": AssetCollateral("")}, "loans.invalid_collateral", "asset_id is empty"),
        ({"borrower": LENDER}, "loans.invalid_party", "a loan needs two parties"),
    ],
)
def test_bad_terms_are_refused_naming_the_value(change: dict, code: str, words: str) -> None:
    state = make_ledger()
    keys = [LENDER] if change.get("borrower") is LENDER else [LENDER, BORROWER]
    error = refused(state, keys, agreement(**change), code)
    assert words in error, error


def test_an_empty_schedule_is_refused() -> None:
    state = make_ledger()
    terms = agreement()
    from msgspec.structs import replace

    refused(state, [LENDER, BORROWER], replace(terms, instalments=[]), "loans.invalid_schedule")


def test_an_id_is_never_reused() -> None:
    state = make_ledger()
    run(state, [LENDER, BORROWER], agreement(principal=10))
    error = refused(state, [LENDER, BORROWER], agreement(principal=10), "loans.loan_exists")
    assert "disbursed at height" in error
    offer = Offer("O-1", BORROWER.address, "", 10, 0, 1, [Instalment(5, 10)], 10)
    run(state, LENDER, offer)
    refused(state, [LENDER, BORROWER], agreement("O-1", principal=10), "loans.loan_exists")
    refused(state, LENDER, offer, "loans.loan_exists")


def offer(loan_id: str = "O-1", **change: object) -> Offer:
    fields: dict = {
        "loan_id": loan_id, "borrower": BORROWER.address, "token": "", "principal": 50_000,
        "rate_bps": 200, "period_blocks": 10, "instalments": [Instalment(10, 50_000)],
        "open_blocks": 5, "grace_blocks": 2, "collateral": TokenCollateral("", 1_000),
    }  # fmt: skip
    fields.update(change)
    return Offer(**fields)  # type: ignore[arg-type]


def test_an_offer_escrows_the_principal_and_its_borrower_accepts_it() -> None:
    state = make_ledger()
    made = run(state, LENDER, offer())
    assert events(made)[0][0] == "offered"
    assert token_balance(state, ESCROW, "") == 50_000
    assert ask(state, "loans", "offered", loan_id="O-1").status == "open"
    refused(state, FRIEND, Accept("O-1"), "loans.not_borrower")
    refused(state, BORROWER, Accept("nope"), "loans.unknown_offer")
    accepted = run(state, BORROWER, Accept("O-1"))
    assert [kind for kind, _ in events(accepted)] == ["created"]
    assert token_balance(state, ESCROW, "") == 1_000, "only the collateral waits in escrow"
    assert token_balance(state, BORROWER, "") == 10_000 + 50_000 - 1_000
    info = loan(state, "O-1")
    assert info.height == accepted.height and info.offer_tx_hash == made.tx_hash
    assert info.schedule[0].due_height == accepted.height + 10, "the schedule counts from now"
    assert ask(state, "loans", "offered", loan_id="O-1").status == "accepted"
    assert "accepted at height" in refused(state, BORROWER, Accept("O-1"), "loans.offer_closed")
    refused(state, LENDER, WithdrawOffer("O-1"), "loans.offer_closed")


def test_an_offer_expires_and_only_its_lender_withdraws_it() -> None:
    state = make_ledger()
    made = run(state, LENDER, offer(open_blocks=2))
    advance(state, 2)
    assert ask(state, "loans", "offered", loan_id="O-1").status == "expired"
    error = refused(state, BORROWER, Accept("O-1"), "loans.offer_closed")
    assert f"up to height {made.height + 2}" in error
    refused(state, BORROWER, WithdrawOffer("O-1"), "loans.not_lender")
    run(state, LENDER, WithdrawOffer("O-1"))
    assert token_balance(state, ESCROW, "") == 0 and token_balance(state, LENDER, "") == 1_000_000
    assert ask(state, "loans", "offered", loan_id="O-1").status == "withdrawn"
    refused(state, BORROWER, Accept("O-1"), "loans.offer_closed")


def test_an_offer_may_be_accepted_at_its_last_height() -> None:
    state = make_ledger()
    made = run(state, LENDER, offer(open_blocks=2))
    advance(state, 1)
    accepted = run(state, BORROWER, Accept("O-1"))
    assert accepted.height == made.height + 2 == ask(
        state, "loans", "offered", loan_id="O-1").expires_height  # fmt: skip


def test_an_offer_the_lender_cannot_fund_or_the_borrower_cannot_secure_is_refused() -> None:
    state = make_ledger()
    refused(state, LENDER, offer(principal=1_000_001, instalments=[Instalment(10, 1_000_001)]),
            "loans.insufficient_funds")
    refused(state, LENDER, offer(open_blocks=0), "loans.invalid_terms")
    refused(state, LENDER, offer(borrower=LENDER.address), "loans.invalid_party")
    refused(state, LENDER, offer(borrower=ESCROW), "loans.invalid_party")
    run(state, LENDER, offer(collateral=TokenCollateral("", 10_001)))
    error = refused(state, BORROWER, Accept("O-1"), "loans.insufficient_funds")
    assert "borrower" in error and "10001 needed" in error
