"""The royalty view in a real browser against a real 4-validator testnet: a work's royalty
flows show its split table, who received how much (a row chart) and its latest payments; a
payment sent through the SDK appears without reload; a holder's account page lists the work;
the work's hostile title stays text; no console error."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from chainbook import testnet
from chainbook.apps.bank.actions import Transfer
from chainbook.apps.governance import CastVote, Propose, RegisterInstitution
from chainbook.apps.royalty import Pay, Price, Register, Share
from chainbook.client.http import Client
from chainbook.client.wallet import Wallet
from chainbook.crypto import PrivateKey
from tests.explorer.activity import wallet
from tests.explorer.conftest import Tab

pytestmark = pytest.mark.integration

SONG = "USRC17607839"
HOSTILE_TITLE = 'Morning <img src=x onerror="window.__pwned=3">Light'
WAIT_S = 30.0
LIVE_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class RoyaltyActivity:
    work: str
    author: str
    producer: str
    singer: str
    listener: PrivateKey


def make_royalty_activity(root: Path) -> RoyaltyActivity:
    """A label registered as a rights manager (node0 proposes, three validators vote), its
    song split 50/30/20 and a payment for 3 downloads by Alice."""
    label, author, producer, singer = (PrivateKey.from_label(f"explorer-royalty-{who}")
                                       for who in ("label", "author", "producer", "singer"))
    with testnet.load_testnet(root).client("node0", timeout_s=WAIT_S) as client:
        validators = [wallet(root, client, f"node{i}") for i in range(3)]
        change = RegisterInstitution("sunrise-records", "Sunrise Records", ["rights_manager"],
                                     [label.public_key])
        proposed = validators[0].send(Propose("register Sunrise Records", change), wait=True,
                                      timeout_s=WAIT_S)
        assert proposed.receipt is not None and proposed.receipt.ok, proposed
        [event] = [e for e in proposed.receipt.events if e.kind == "proposed"]
        number = int(dict(event.attributes)["proposal_id"])
        for validator in validators:
            voted = validator.send(CastVote(number, "yes"), wait=True, timeout_s=WAIT_S)
            assert voted.receipt is not None and voted.receipt.ok, voted
        alice = wallet(root, client, "alice")
        wait_for_institution(client, alice)
        split = [Share(author.address, 5_000), Share(producer.address, 3_000),
                 Share(singer.address, 2_000)]
        register = Register(SONG, HOSTILE_TITLE, hashlib.sha256(b"song").digest(), split,
                            [Price("download", 100_000)])
        label_wallet = Wallet(label, client.status().chain_id, client)
        done = label_wallet.send(register, wait=True, timeout_s=WAIT_S)
        assert done.receipt is not None and done.receipt.ok, done
        paid = alice.send(Pay(SONG, "download", 3, 300_000), wait=True, timeout_s=WAIT_S)
        assert paid.receipt is not None and paid.receipt.ok, paid
        return RoyaltyActivity(SONG, author.address.hex(), producer.address.hex(),
                               singer.address.hex(), alice.private_key)


def wait_for_institution(client: Client, sender: Wallet) -> None:
    """Blocks (self-transfers) until the registration takes effect, two heights after."""
    for _ in range(20):
        if client.apps.governance.institution(id="sunrise-records").authorised:
            return
        sender.send(Transfer(sender.address, 1), wait=True, timeout_s=WAIT_S)
    raise AssertionError("the rights manager was not registered")


@pytest.fixture(scope="module")
def royalty(network: Path) -> RoyaltyActivity:
    return make_royalty_activity(network)


def test_a_work_s_royalty_flows_show_the_split_and_move_live(
    tab: Tab, base_url: str, network: Path, royalty: RoyaltyActivity
) -> None:
    tab.open(base_url, f"/apps/royalty/work?work={royalty.work}")
    flows = tab.page.locator("#royalty-flows")
    assert flows.get_attribute("data-payments") == "1"
    assert flows.get_attribute("data-paid") == "300000"
    split = tab.page.locator("table.royalty-split tbody tr")
    assert split.count() == 3
    assert [split.nth(i).locator("td").nth(1).inner_text() for i in range(3)] == [
        "50 %", "30 %", "20 %"]
    assert "0.15 CBK" in split.nth(0).inner_text()  # 150,000 base units of 300,000
    chart = tab.page.locator("#royalty-flows svg.chart")
    assert chart.get_attribute("data-points") == "3"
    assert tab.page.locator("#royalty-flows svg.chart rect.bar").count() == 3
    assert tab.page.locator("table.royalty-payments tbody tr").count() == 1
    assert HOSTILE_TITLE in tab.page.locator("#view").inner_text()  # shown as text
    assert tab.page.evaluate("window.__pwned") is None
    with testnet.load_testnet(network).client("node0") as client:
        bob = wallet(network, client, "bob")
        bob.send(Pay(royalty.work, "download", 1, 100_000))
    tab.page.locator('#royalty-flows[data-payments="2"]').wait_for(timeout=LIVE_TIMEOUT_MS)
    assert tab.page.locator("#royalty-flows").get_attribute("data-paid") == "400000"
    assert tab.page.locator("table.royalty-payments tbody tr").count() == 2
    assert "0.2 CBK" in tab.page.locator("table.royalty-split tbody tr").nth(0).inner_text()
    tab.assert_clean()


def test_a_holder_s_account_lists_its_works(
    tab: Tab, base_url: str, royalty: RoyaltyActivity
) -> None:
    tab.open(base_url, f"/account/{royalty.singer}")
    works = tab.page.locator("table.royalty-works tbody tr")
    assert works.count() == 1
    assert royalty.work in works.nth(0).inner_text() and "20 %" in works.nth(0).inner_text()
    works.nth(0).locator("a").click()
    tab.wait_rendered()
    tab.page.locator("#royalty-flows").wait_for()
    tab.assert_clean()


def test_an_unknown_work_says_so(tab: Tab, base_url: str, royalty: RoyaltyActivity) -> None:
    view = tab.open(base_url, "/apps/royalty/work?work=NO-SUCH-WORK")
    assert "no work" in view.inner_text()
    tab.assert_clean()
