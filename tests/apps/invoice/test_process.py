"""The invoice module's rules, one by one, on a ledger: an invoice is issued and paid in one
transaction, authorised by a taxpayer seller's signed offer or co-signature; a number is paid
or voided once; a paid invoice is reimbursed once with its buyer's consent. Every refusal
changes nothing but the sender's nonce (run_refused) and says what was wrong."""

from __future__ import annotations

import msgspec
import pytest

from chainbook import limits as chain_limits
from chainbook.apps.bank import Transfer
from chainbook.apps.invoice import Line, Pay, Reimburse, Void, compute_lines_hash, limits
from chainbook.chain.tx import decode_tx
from chainbook.crypto import PrivateKey
from chainbook.ledger.state import LedgerState
from tests.apps.invoice.helpers import (
    ALICE,
    BOB,
    CAROL,
    COURT,
    DAVE,
    EMPLOYER,
    FUNDS,
    OTHER_SHOP,
    SHOP,
    SHOP2,
    TAX,
    TILL,
    TILL_KEY,
    TOKEN,
    coins,
    invoice,
    lines,
    make_ledger,
    offer,
    refused,
    revoke,
    run,
    signed_pay,
)
from tests.support import CHAIN_ID, ask, run_block, signed

ID = "sz-shop/2025-0001"


@pytest.fixture
def state() -> LedgerState:
    return make_ledger()


def test_a_signed_offer_is_issued_and_paid_in_one_transaction(state: LedgerState) -> None:
    receipt = run(state, ALICE, signed_pay(offer()))
    # 2 x 100 at 13 % = 200 + 26; 1 x 50 at 6 % = 50 + 3: amount 250, tax 29, total 279.
    assert coins(state, ALICE) == FUNDS - 279 and coins(state, TILL) == 279
    (event,) = receipt.events
    attributes = dict(event.attributes)
    assert (event.module, event.kind) == ("invoice", "paid")
    assert attributes == {
        "invoice": ID, "seller": "sz-shop", "number": "2025-0001", "buyer": ALICE.address.hex(),
        "pay_to": TILL.hex(), "token": "", "amount": "250", "tax": "29", "total": "279",
        "authorisation": "signed_offer",
    }
    info = invoice(state, ID)
    assert (info.status, info.buyer, info.pay_to, info.total, info.tx_hash) == (
        "paid", ALICE.address, TILL, 279, receipt.tx_hash)
    assert (info.signer, info.lines, info.height) == (SHOP.address, 2, receipt.height)
    assert info.lines_hash == compute_lines_hash(offer().lines)


def test_the_seller_may_cosign_instead_of_signing_the_offer(state: LedgerState) -> None:
    receipt = run(state, [ALICE, SHOP2], Pay(offer(key=SHOP2)))
    assert dict(receipt.events[0].attributes)["authorisation"] == "cosigned"
    info = invoice(state, ID)
    assert (info.authorisation, info.signer, info.buyer) == ("cosigned", SHOP2.address,
                                                             ALICE.address)
    assert coins(state, TILL) == 279


def test_an_offer_without_a_buyer_is_the_first_payers_and_a_token_pays(
    state: LedgerState,
) -> None:
    run(state, BOB, signed_pay(offer(buyer=None, token=TOKEN)))
    assert invoice(state, ID).buyer == BOB.address
    assert coins(state, BOB, TOKEN) == FUNDS - 279 and coins(state, TILL, TOKEN) == 279
    assert coins(state, BOB) == FUNDS, "the native coin did not move"


def test_no_invoice_without_its_payment(state: LedgerState) -> None:
    poor = offer(items=lines((1, FUNDS + 1, 0)))
    error = refused(state, ALICE, signed_pay(poor), "bank.insufficient_funds")
    assert str(FUNDS) in error
    assert not invoice(state, ID).found
    refused(state, DAVE, signed_pay(offer(buyer=None)), "bank.unknown_account")
    refused(state, ALICE, signed_pay(offer(token=TOKEN, items=lines((1, FUNDS + 1, 0)))),
            "assets.insufficient_balance")
    assert not invoice(state, ID).found
    assert ask(state, "invoice", "by_seller", seller="sz-shop").entries == 0


def test_a_number_is_paid_once_and_the_refusal_names_the_payment(state: LedgerState) -> None:
    first = run(state, ALICE, signed_pay(offer(buyer=None)))
    error = refused(state, BOB, signed_pay(offer(buyer=None)), "invoice.already_paid")
    assert ALICE.address.hex() in error and f"height {first.height}" in error
    assert first.tx_hash.hex() in error
    # Another seller's number 2025-0001 is another invoice.
    run(state, BOB, signed_pay(offer(seller="hk-shop", key=OTHER_SHOP, buyer=None)))
    assert invoice(state, "hk-shop/2025-0001").buyer == BOB.address


@pytest.mark.parametrize(
    ("pay", "code", "words"),
    [
        (Pay(offer(), b"\x00" * 64), "invoice.bad_signature", "sign bytes"),
        (Pay(offer(), b"\x00" * 63), "invoice.bad_signature", "63 bytes"),
        (signed_pay(offer(), key=SHOP2), "invoice.bad_signature", SHOP.public_key.hex()),
        (signed_pay(offer(), chain_id="another-chain"), "invoice.bad_signature", CHAIN_ID),
        (Pay(offer()), "invoice.not_cosigned", "does not co-sign"),
        (signed_pay(offer(seller="court-1", key=COURT)), "invoice.not_a_taxpayer", "court"),
        (signed_pay(offer(seller="sz-tax", key=TAX)), "invoice.not_a_taxpayer", "tax_authority"),
        (signed_pay(offer(key=OTHER_SHOP), key=OTHER_SHOP), "invoice.not_a_taxpayer",
         "'hk-shop'"),
        (signed_pay(offer(key=DAVE), key=DAVE), "invoice.not_a_taxpayer", "no institution"),
        (signed_pay(offer(seller="no-such-shop")), "invoice.not_a_taxpayer", "'no-such-shop'"),
        (signed_pay(offer(buyer=BOB)), "invoice.wrong_buyer", BOB.address.hex()),
        (signed_pay(offer(buyer=b"\x01" * 19)), "invoice.invalid_party", "19 bytes"),
        (signed_pay(offer(pay_to=ALICE.address)), "invoice.invalid_party", "the buyer itself"),
        (signed_pay(offer(token="NOPE")), "invoice.unknown_token", "'NOPE'"),
        (signed_pay(offer(token="cnyx")), "invoice.unknown_token", "A-Z"),
        (signed_pay(offer(valid_until_height=1)), "invoice.offer_expired", "until height 1"),
        (signed_pay(offer("")), "invoice.invalid_number", "1 to 40"),
        (signed_pay(offer("a/b")), "invoice.invalid_number", "'a/b'"),
        (signed_pay(offer("x" * 41)), "invoice.invalid_number", "1 to 40"),
        (signed_pay(offer("发票")), "invoice.invalid_number", "A-Z a-z 0-9"),
        (signed_pay(offer(seller="SZ-SHOP")), "invoice.invalid_number", "institution id"),
        (signed_pay(offer(items=[])), "invoice.invalid_lines", "0 lines"),
        (signed_pay(offer(items=lines(*[(1, 1, 0)] * 33))), "invoice.invalid_lines", "33 lines"),
        (signed_pay(offer(items=[Line("", 1, 1, 0)])), "invoice.invalid_lines", "0 bytes"),
        (signed_pay(offer(items=[Line("x" * 97, 1, 1, 0)])), "invoice.invalid_lines", "97"),
        (signed_pay(offer(items=[Line("x", 0, 1, 0)])), "invoice.invalid_lines", "quantity 0"),
        (signed_pay(offer(items=[Line("x", 10**9 + 1, 1, 0)])), "invoice.invalid_lines",
         "1000000001"),
        (signed_pay(offer(items=[Line("x", 1, 1, 10_001)])), "invoice.invalid_lines", "10001"),
        (signed_pay(offer(items=[Line("x", 3, 0, 1300)])), "invoice.invalid_amount", "is 0"),
        (signed_pay(offer(items=[Line("x", 2, 2**63, 0)])), "invoice.invalid_amount",
         str(2**64)),
    ],
)
def test_an_offer_is_refused_for_what_is_wrong_with_it(
    state: LedgerState, pay: Pay, code: str, words: str
) -> None:
    run_block(state, [])  # height 2 next: an offer valid until height 1 has expired
    assert words in refused(state, ALICE, pay, code)
    assert not invoice(state, pay.offer.seller + "/" + pay.offer.number).found


def test_the_edges_of_an_offer_are_accepted() -> None:
    """32 lines of 96-byte descriptions, quantities 10^9, rate 100 %, a 40-character number,
    paid on its last valid height: accepted, in one transaction under tx_bytes_max even
    co-signed."""
    state = make_ledger({ALICE.address: 10**12})
    run_block(state, [])
    price = 1
    items = [Line("y" * limits.description_bytes_max, limits.quantity_max, price,
                  limits.tax_rate_bps_max) for _ in range(limits.lines_max)]
    edge = offer("N" * limits.number_chars_max, items=items, valid_until_height=2)
    tx_bytes = signed([ALICE, SHOP], 0, Pay(edge), accounts=[ALICE.address, SHOP.address])
    assert len(tx_bytes) <= chain_limits.tx_bytes_max, len(tx_bytes)
    # Every field at its largest (a 64-character seller id, the largest integers, a signature
    # and a co-signer as well): still one transaction.
    widest = [Line("y" * limits.description_bytes_max, limits.quantity_max, limits.amount_max,
                   limits.tax_rate_bps_max)] * limits.lines_max
    largest = msgspec.structs.replace(edge, seller="s" * 64, lines=widest,
                                      valid_until_height=2**64 - 1)
    most = signed([ALICE, SHOP], 2**64 - 1, Pay(largest, b"s" * 64),
                  accounts=[ALICE.address, SHOP.address], fee=2**64 - 1)
    assert len(most) <= chain_limits.tx_bytes_max, len(most)
    run(state, [ALICE, SHOP], Pay(edge))
    total = invoice(state, "sz-shop/" + "N" * 40).total
    assert total == 2 * limits.quantity_max * limits.lines_max


def test_a_total_of_the_largest_amount_is_paid() -> None:
    state = make_ledger({ALICE.address: limits.amount_max})
    top = offer(items=[Line("x", 1, limits.amount_max - 2**62, 0), Line("y", 1, 2**62, 0)])
    run(state, ALICE, signed_pay(top))
    assert invoice(state, ID).total == limits.amount_max == coins(state, TILL)
    assert ask(state, "invoice", "totals", seller="sz-shop").total == limits.amount_max
    # The seller's running sum in the native coin is full: its next invoice in it is refused,
    # in another token it is not.
    state2 = make_ledger({ALICE.address: limits.amount_max})
    run(state2, ALICE, signed_pay(top))
    run(state2, TILL_KEY, Transfer(ALICE.address, 10))
    error = refused(state2, ALICE, signed_pay(offer("next", items=lines((1, 1, 0)))),
                    "invoice.list_full")
    assert "sums in token ''" in error
    run(state2, ALICE, signed_pay(offer("next", token=TOKEN, items=lines((1, 1, 0)))))


def test_a_second_key_of_the_seller_signs_for_it(state: LedgerState) -> None:
    run(state, ALICE, signed_pay(offer(key=SHOP2), key=SHOP2))
    assert invoice(state, ID).signer == SHOP2.address


def test_a_cosignature_of_another_key_is_no_authorisation(state: LedgerState) -> None:
    refused(state, [ALICE, SHOP2], Pay(offer(key=SHOP)), "invoice.not_cosigned")


def test_a_seller_does_not_invoice_itself(state: LedgerState) -> None:
    run(state, ALICE, Transfer(SHOP2.address, 1_000))
    error = refused(state, SHOP2, signed_pay(offer(buyer=None)), "invoice.invalid_party")
    assert "a seller does not invoice itself" in error


def test_a_revoked_taxpayer_issues_nothing_more(state: LedgerState) -> None:
    run(state, ALICE, signed_pay(offer("before")))
    revoke(state, "sz-shop")
    assert "revoked" in refused(state, ALICE, signed_pay(offer("after")), "invoice.not_a_taxpayer")
    assert invoice(state, "sz-shop/before").status == "paid", "its invoices stay"


def test_an_offer_is_payable_up_to_its_last_height(state: LedgerState) -> None:
    run(state, ALICE, signed_pay(offer(valid_until_height=state.height + 1)))
    assert invoice(state, ID).found


# --- void ---------------------------------------------------------------------------------


def test_a_voided_number_is_never_paid_and_the_refusal_names_the_void(
    state: LedgerState,
) -> None:
    receipt = run(state, SHOP2, Void("2025-0001", "customer cancelled"))
    assert receipt.events[0].kind == "voided"
    assert dict(receipt.events[0].attributes) == {
        "invoice": ID, "seller": "sz-shop", "signer": SHOP2.address.hex()}
    error = refused(state, ALICE, signed_pay(offer()), "invoice.voided")
    assert "customer cancelled" in error and f"height {receipt.height}" in error
    assert invoice(state, ID).status == "voided"
    refused(state, SHOP, Void("2025-0001"), "invoice.voided")
    refused(state, [ALICE, SHOP], Pay(offer()), "invoice.voided")
    assert coins(state, ALICE) == FUNDS


def test_a_paid_number_cannot_be_voided(state: LedgerState) -> None:
    paid = run(state, ALICE, signed_pay(offer()))
    assert paid.tx_hash.hex() in refused(state, SHOP, Void("2025-0001"), "invoice.already_paid")


@pytest.mark.parametrize(
    ("key", "action", "code", "words"),
    [
        (ALICE, Void("1"), "invoice.not_a_taxpayer", "no institution"),
        (TAX, Void("1"), "invoice.not_a_taxpayer", "tax_authority"),
        (SHOP, Void(""), "invoice.invalid_number", "1 to 40"),
        (SHOP, Void("1", "r" * (limits.reason_bytes_max + 1)), "invoice.invalid_reason", "257"),
    ],
)
def test_a_void_is_refused_for_what_is_wrong_with_it(
    state: LedgerState, key: PrivateKey, action: Void, code: str, words: str
) -> None:
    assert words in refused(state, key, action, code)


def test_the_longest_reason_is_accepted(state: LedgerState) -> None:
    run(state, SHOP, Void("1", "r" * limits.reason_bytes_max))
    assert invoice(state, "sz-shop/1").reason == "r" * 256


# --- reimburse ----------------------------------------------------------------------------


def test_an_invoice_is_reimbursed_once_and_a_second_claim_names_the_first(
    state: LedgerState,
) -> None:
    run(state, ALICE, signed_pay(offer()))
    claim = run(state, [EMPLOYER, ALICE], Reimburse(ID, 279))
    assert dict(claim.events[0].attributes) == {
        "invoice": ID, "seller": "sz-shop", "buyer": ALICE.address.hex(),
        "claimant": EMPLOYER.address.hex(), "amount": "279"}
    assert coins(state, ALICE) == FUNDS and coins(state, EMPLOYER) == FUNDS - 279
    info = invoice(state, ID)
    assert (info.status, info.claimant, info.claimant_institution, info.reimbursed_height) == (
        "reimbursed", EMPLOYER.address, "acme", claim.height)
    error = refused(state, [BOB, ALICE], Reimburse(ID, 0), "invoice.already_reimbursed")
    assert EMPLOYER.address.hex() in error and "'acme'" in error
    assert f"height {claim.height}" in error and claim.tx_hash.hex() in error
    refused(state, [EMPLOYER, ALICE], Reimburse(ID, 0), "invoice.already_reimbursed")


def test_a_claim_recorded_without_money_names_a_claimant_of_no_institution(
    state: LedgerState,
) -> None:
    run(state, ALICE, signed_pay(offer(token=TOKEN)))
    run(state, [CAROL, ALICE], Reimburse(ID))
    info = invoice(state, ID)
    assert (info.claimant, info.claimant_institution, info.reimbursed_amount) == (
        CAROL.address, "", 0)
    assert coins(state, CAROL, TOKEN) == FUNDS


@pytest.mark.parametrize(
    ("keys", "action", "code", "words"),
    [
        ([EMPLOYER], Reimburse(ID), "invoice.not_cosigned", "consent"),
        ([EMPLOYER, BOB], Reimburse(ID), "invoice.not_cosigned", ALICE.address.hex()),
        ([ALICE], Reimburse(ID), "invoice.invalid_party", "buyer"),
        ([EMPLOYER, ALICE], Reimburse(ID, 280), "invoice.invalid_amount", "0 to 279"),
        ([EMPLOYER, ALICE], Reimburse("sz-shop/nope"), "invoice.unknown_invoice", "nope"),
        ([EMPLOYER, ALICE], Reimburse("sz-shop"), "invoice.invalid_number", "<seller>/<number>"),
        ([EMPLOYER, ALICE], Reimburse("sz-shop/void"), "invoice.voided", "no invoice to claim"),
        ([DAVE, ALICE], Reimburse(ID, 1), "bank.unknown_account", DAVE.address.hex()),
    ],
)
def test_a_claim_is_refused_for_what_is_wrong_with_it(
    state: LedgerState, keys: list[PrivateKey], action: Reimburse, code: str, words: str
) -> None:
    run(state, ALICE, signed_pay(offer()))
    run(state, SHOP, Void("void"))
    assert words in refused(state, keys, action, code)
    assert invoice(state, ID).status == "paid"


def test_a_whole_reimbursement_is_accepted(state: LedgerState) -> None:
    run(state, ALICE, signed_pay(offer()))
    run(state, [EMPLOYER, ALICE], Reimburse(ID, 279))
    assert invoice(state, ID).reimbursed_amount == 279


def test_an_invoice_paid_and_reimbursed_in_one_block(state: LedgerState) -> None:
    """The commit invariants see the record new and reimbursed at once."""
    pay = signed(ALICE, 0, signed_pay(offer()))
    claim = signed([EMPLOYER, ALICE], 0, Reimburse(ID, 1),
                   accounts=[EMPLOYER.address, ALICE.address])
    result = run_block(state, [decode_tx(pay), decode_tx(claim)])
    assert [r.ok for r in result.receipts] == [True, True]
    assert invoice(state, ID).status == "reimbursed"


def test_the_decoded_shapes_are_strict() -> None:
    from chainbook.apps.registry import REGISTRY
    from chainbook.codec import encode
    from chainbook.errors import DecodeError

    good = signed_pay(offer())
    assert REGISTRY.decode_action(encode(good)) == good
    bad = msgspec.structs.replace(good.offer, seller_key=b"\x01" * 31)
    with pytest.raises(DecodeError, match="seller_key|length"):
        REGISTRY.decode_action(encode(Pay(bad, good.signature)))
