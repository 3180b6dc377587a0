"""The loans view in a real browser against a real testnet: a loan with its terms, schedule,
repayment history and status; a new repayment sent through the SDK appears without reload;
a party's credit record on its account page; an offer; the agreement's fields on its
transaction page; a hostile memo stays text; no console error anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainbook import testnet
from chainbook.apps.loans import Repay
from tests.explorer.activity import HOSTILE_MEMO, wallet
from tests.explorer.conftest import Tab
from tests.explorer.loans_activity import LOAN, OFFER, LoansActivity, make_loans_activity

pytestmark = pytest.mark.integration

LIVE_TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def loans(network: Path) -> LoansActivity:
    return make_loans_activity(network)


def test_a_loan_shows_its_terms_schedule_history_and_status(
    tab: Tab, base_url: str, loans: LoansActivity
) -> None:
    view = tab.open(base_url, f"/apps/loans/loan?loan_id={LOAN}")
    assert view.get_attribute("data-state") == "ok", view.inner_text()[:300]
    tab.page.locator('#loan-status[data-status="active"]').wait_for()
    text = view.inner_text()
    assert "100 CBK" in text and "100 bps (1 %) per 1,000 blocks" in text
    assert loans.lender in text and loans.borrower in text
    assert "Repayment history (1)" in text and "30 CBK" in text
    schedule = tab.page.locator("table.loan-schedule tbody tr")
    assert schedule.count() == 2 and "not yet" in schedule.nth(0).inner_text()
    assert "title-bob-flat-3" in text and "escrowed" in text
    assert int(tab.page.locator("#loan-owed").get_attribute("data-owed") or 0) > 70_000_000
    assert tab.page.locator("svg.chart.rows rect.bar").count() == 3
    tab.assert_clean()


def test_a_repayment_appears_without_reload(
    tab: Tab, base_url: str, network: Path, loans: LoansActivity
) -> None:
    tab.open(base_url, f"/apps/loans/loan?loan_id={LOAN}")
    tab.page.locator('#loan[data-entries="1"]').wait_for()
    with testnet.load_testnet(network).client("node0") as client:
        wallet(network, client, "bob").send(Repay(LOAN, 31_000_000))
    tab.page.locator('#loan[data-entries="2"]').wait_for(timeout=LIVE_TIMEOUT_MS)
    assert tab.page.locator("table.loan-history tbody tr").count() == 2
    assert "met" in tab.page.locator("table.loan-schedule tbody tr").nth(0).inner_text()
    tab.assert_clean()


def test_a_party_s_credit_record_is_on_its_account_page(
    tab: Tab, base_url: str, loans: LoansActivity
) -> None:
    view = tab.open(base_url, f"/account/{loans.borrower}")
    assert "Loans: credit record" in view.inner_text()
    record = tab.page.locator("#credit-record")
    assert LOAN in record.locator("table.loans-as-borrower").inner_text()
    counts = record.locator("table.loan-counts tbody tr").nth(0).inner_text().split()
    assert counts[:3] == ["borrower", "1", "1"], counts
    lender = tab.open(base_url, f"/account/{loans.lender}").inner_text()
    assert LOAN in lender and OFFER in lender  # the offer Carol accepted is a loan of Alice's
    view = tab.open(base_url, f"/apps/loans/loans_of?address={loans.lender}&role=lender")
    assert view.locator("table.loans-as-lender tbody tr").count() == 2
    tab.assert_clean()


def test_an_offer_and_the_agreement_s_transaction(
    tab: Tab, base_url: str, loans: LoansActivity
) -> None:
    view = tab.open(base_url, f"/apps/loans/offered?loan_id={OFFER}")
    assert tab.page.locator('#loan-offer[data-status="accepted"]').count() == 1
    assert "5 CBK" in view.inner_text()
    view = tab.open(base_url, f"/tx/{loans.created_hash}")
    text = view.inner_text()
    assert "loans.create" in text and "60 CBK due 500 blocks after the disbursement" in text
    assert HOSTILE_MEMO in text, "the memo is shown, as text"
    assert view.locator("img, script").count() == 0
    assert tab.page.evaluate("window.__pwned") is None
    tab.assert_clean()
