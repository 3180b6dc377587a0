"""The settlement view in a real browser against a real testnet: an offer and a hash lock
drawn with their legs and status, which change live (no reload) when Bob accepts the offer and
claims the lock through the SDK; an account's offers and locks on its page; a make_offer
transaction's legs; no console error."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainbook import testnet
from chainbook.apps.settlement import Accept, Claim
from tests.explorer.activity import WAIT_S, wallet
from tests.explorer.conftest import Tab
from tests.explorer.settlement_activity import (
    LOCK_AMOUNT,
    OFFER_GIVE,
    OFFER_WANT,
    SECRET,
    TOKEN,
    SettlementActivity,
    make_settlement_activity,
)

pytestmark = pytest.mark.integration
LIVE_TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def settled(network: Path) -> SettlementActivity:
    return make_settlement_activity(network)


def legs(tab: Tab) -> list[dict[str, str]]:
    items = tab.page.locator("#settlement-record .leg")
    return [
        {name: items.nth(i).get_attribute(f"data-{name}") or "" for name in
         ("from", "to", "token", "amount")} | {"text": items.nth(i).inner_text()}
        for i in range(items.count())
    ]


def test_an_offer_shows_its_legs_and_turns_accepted_live(
    tab: Tab, base_url: str, network: Path, settled: SettlementActivity
) -> None:
    tab.open(base_url, f"/apps/settlement/offer?offer_id={settled.offer_id}")
    record = tab.page.locator('#settlement-record[data-status="open"]')
    record.wait_for()
    shown = legs(tab)
    assert [(leg["from"], leg["token"], leg["amount"]) for leg in shown] == [
        (settled.alice, "", str(OFFER_GIVE)), ("whoever accepts", TOKEN, str(OFFER_WANT))]
    assert "2 CBK" in shown[0]["text"] and "escrow" in shown[0]["text"]
    tab.page.locator(".leg-amount", has_text=f"543 {TOKEN} (54300 base units)").wait_for()
    assert "open" in tab.page.locator("#settlement-status").inner_text()
    with testnet.load_testnet(network).client("node0", timeout_s=WAIT_S) as client:
        wallet(network, client, "bob").send(Accept(settled.offer_id))
    tab.page.locator('#settlement-record[data-status="accepted"]').wait_for(
        timeout=LIVE_TIMEOUT_MS)
    assert [leg["to"] for leg in legs(tab)] == [settled.bob, settled.alice]
    assert "accepted" in tab.page.locator("#settlement-status").inner_text()
    tab.assert_clean()


def test_a_lock_shows_its_hash_and_turns_claimed_live_with_its_preimage(
    tab: Tab, base_url: str, network: Path, settled: SettlementActivity
) -> None:
    tab.open(base_url, f"/apps/settlement/lock?lock_id={settled.lock_id}")
    tab.page.locator('#settlement-record[data-status="open"]').wait_for()
    (leg,) = legs(tab)
    assert (leg["from"], leg["to"], leg["amount"]) == (settled.alice, settled.bob,
                                                       str(LOCK_AMOUNT))
    assert tab.page.locator("#settlement-preimage").count() == 0
    with testnet.load_testnet(network).client("node0", timeout_s=WAIT_S) as client:
        wallet(network, client, "bob").send(Claim(settled.lock_id, SECRET))
    tab.page.locator('#settlement-record[data-status="claimed"]').wait_for(
        timeout=LIVE_TIMEOUT_MS)
    assert tab.page.locator("#settlement-preimage").inner_text() == SECRET.hex()
    tab.assert_clean()


def test_an_account_lists_its_offers_and_locks_and_a_transaction_its_legs(
    tab: Tab, base_url: str, settled: SettlementActivity
) -> None:
    tab.open(base_url, f"/account/{settled.alice}")
    offers = tab.page.locator("table.settlement-offers")
    offers.wait_for()
    assert f"#{settled.offer_id}" in offers.inner_text()
    assert f"#{settled.lock_id}" in tab.page.locator("table.settlement-locks").inner_text()
    tab.open(base_url, f"/tx/{settled.offer_hash}")
    first = tab.page.locator(".leg").first
    first.wait_for()
    assert "the maker" in first.inner_text() and "whoever accepts" in first.inner_text()
    tab.assert_clean()
