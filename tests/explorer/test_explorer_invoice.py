"""The invoice view in a real browser against a real 4-validator testnet: an invoice with its
payment (fields, status, the lines read from the paying transaction adding up to the total,
the payment transaction linked and opened), a reimbursement appearing live without reload, a
voided number, the seller's list and a period's totals; hostile text in a line stays text.

The chain activity is this file's own (module-scoped, on conftest's network): a tea shop
registered as a taxpayer through governance, an invoice Alice pays with the shop's signed
offer, a voided number."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from chainbook import testnet
from chainbook.apps.bank import Transfer
from chainbook.apps.governance import CastVote, Propose, RegisterInstitution
from chainbook.apps.invoice import Line, Offer, Pay, Reimburse, Void, sign_offer
from chainbook.client.http import Client
from chainbook.client.wallet import Wallet
from chainbook.crypto import PrivateKey
from tests.explorer.activity import wallet
from tests.explorer.conftest import Tab

pytestmark = pytest.mark.integration

SHOP_ID = "sz-tea-shop"
HOSTILE_LINE = '<img src=x onerror="window.__pwned=3">'
WAIT_S = 30.0
LIVE_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class Invoices:
    paid: str
    """The id of the invoice Alice paid."""
    payment_hash: str
    voided: str
    height: int
    buyer: str
    """Alice's address (hex)."""


def register_shop(root: Path, client: Client, shop: PrivateKey) -> None:
    """node0 proposes the shop as a taxpayer, three of four validators vote yes; blocks until
    it takes effect (bounded)."""
    validators = [wallet(root, client, f"node{i}") for i in range(3)]
    change = RegisterInstitution(SHOP_ID, "Shenzhen Tea Shop", ["taxpayer"], [shop.public_key])
    proposed = validators[0].send(Propose(f"register {SHOP_ID}", change), wait=True,
                                  timeout_s=WAIT_S)
    assert proposed.receipt is not None and proposed.receipt.ok, proposed
    [event] = [e for e in proposed.receipt.events if e.kind == "proposed"]
    proposal = int(dict(event.attributes)["proposal_id"])
    for validator in validators:
        validator.send(CastVote(proposal, "yes"), wait=True, timeout_s=WAIT_S)
    dave = wallet(root, client, "dave")
    deadline = time.monotonic() + WAIT_S
    while not client.apps.governance.institution(id=SHOP_ID).authorised:
        assert time.monotonic() < deadline, "the shop's registration did not take effect"
        dave.send(Transfer(dave.address, 1), wait=True, timeout_s=WAIT_S)


def make_invoices(root: Path) -> Invoices:
    """The shop registered, an invoice Alice pays with its signed offer, a voided number."""
    with testnet.load_testnet(root).client("node0", timeout_s=WAIT_S) as client:
        shop_key = PrivateKey.from_label("explorer-tea-shop")
        register_shop(root, client, shop_key)
        chain_id = client.status().chain_id
        alice = wallet(root, client, "alice")
        shop = Wallet(shop_key, chain_id, client)
        offer = Offer(SHOP_ID, "2025-0001", shop_key.public_key, alice.address, shop.address, "",
                      [Line("Longjing tea, 250 g tin", 2, 1_500_000, 1300),
                       Line(HOSTILE_LINE, 1, 200_000, 600)],
                      client.status().height + 1_000)
        paid = alice.send(Pay(offer, sign_offer(shop_key, chain_id, offer)), wait=True,
                          timeout_s=WAIT_S)
        assert paid.receipt is not None and paid.receipt.ok, paid
        voided = shop.send(Void("2025-0002", "printed in error"), wait=True, timeout_s=WAIT_S)
        assert voided.receipt is not None and voided.receipt.ok, voided
        return Invoices(f"{SHOP_ID}/2025-0001", paid.hash, f"{SHOP_ID}/2025-0002",
                        paid.receipt.height, alice.address.hex())


@pytest.fixture(scope="module")
def invoices(network: Path) -> Invoices:
    return make_invoices(network)


def test_an_invoice_is_shown_with_its_payment(
    tab: Tab, base_url: str, invoices: Invoices
) -> None:
    view = tab.open(base_url, f"/apps/invoice/invoice?id={invoices.paid}")
    assert view.get_attribute("data-state") == "ok", view.inner_text()[:300]
    text = view.inner_text()
    assert tab.page.locator("#invoice-status").get_attribute("data-status") == "paid"
    for words in ("Payment", "Longjing tea, 250 g tin", "13.00 %",
                  "the lines add up to the total paid", "3.602 CBK", "signed the offer",
                  "not reimbursed yet"):
        assert words in text, (words, text[:800])
    # Hostile chain text in a line is text, not markup.
    assert HOSTILE_LINE in text and view.locator("img, script").count() == 0
    assert tab.page.evaluate("window.__pwned") is None
    # The payment transaction is linked: it is the invoice.pay carrying the lines.
    tab.page.locator(f'#view a[href="#/tx/{invoices.payment_hash}"]').first.click()
    tx_view = tab.wait_rendered()
    tab.page.locator("#view[data-page=tx]").wait_for()
    tx_text = tx_view.inner_text()
    assert "invoice.pay" in tx_text and "the seller's signature of the offer" in tx_text
    assert "invoice.paid" in tx_text and "Longjing tea" in tx_text
    tab.assert_clean()


def test_a_reimbursement_appears_live(
    tab: Tab, base_url: str, network: Path, invoices: Invoices
) -> None:
    tab.open(base_url, f"/apps/invoice/invoice?id={invoices.paid}")
    assert tab.page.locator("#invoice-status").get_attribute("data-status") == "paid"
    with testnet.load_testnet(network).client("node0", timeout_s=WAIT_S) as client:
        alice, bob = wallet(network, client, "alice"), wallet(network, client, "bob")
        claim = bob.prepare(Reimburse(invoices.paid, 3_602_000), [bob.public_key, alice.public_key],
                            [bob.address, alice.address])
        bob.submit(alice.cosign(claim))
    tab.page.locator('#invoice-status[data-status="reimbursed"]').wait_for(
        timeout=LIVE_TIMEOUT_MS)
    text = tab.page.locator("#view").inner_text()
    assert "Reimbursement" in text and "3.602 CBK" in text
    tab.assert_clean()


def test_a_voided_number_the_sellers_list_and_the_totals(
    tab: Tab, base_url: str, invoices: Invoices
) -> None:
    view = tab.open(base_url, f"/apps/invoice/invoice?id={invoices.voided}")
    assert "printed in error" in view.inner_text() and "never paid" in view.inner_text()
    assert tab.page.locator("#invoice-status").get_attribute("data-status") == "voided"
    view = tab.open(base_url, f"/apps/invoice/by_seller?seller={SHOP_ID}")
    rows = view.locator("#invoice-list tbody tr")
    assert rows.count() == 2, view.inner_text()[:500]
    assert rows.nth(0).get_attribute("data-invoice") == invoices.paid
    assert rows.nth(1).get_attribute("data-status") == "voided"
    view = tab.open(base_url, f"/apps/invoice/totals?seller={SHOP_ID}&from_height="
                              f"{invoices.height}")
    assert tab.page.locator("#invoice-totals-count").inner_text() == "1"
    assert "0.402 CBK" in view.inner_text()  # the tax: 390,000 + 12,000 base units
    view = tab.open(base_url, f"/account/{invoices.buyer}")
    assert "Invoices (as buyer)" in view.inner_text()
    assert view.locator(f'#invoice-list tr[data-invoice="{invoices.paid}"]').count() == 1
    tab.assert_clean()
