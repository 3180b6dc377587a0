"""The assets view in a real browser against a real 4-validator testnet: a token's facts (issuer,
symbol, decimals, cap, supply, freezable) with its holders and which of them are frozen; a
unique asset with its whole ownership history; an account's token balances and assets on its
page; the search box finds a token by its symbol (typed in any case) and an asset by its id.

The activity is docs/APPS.md's assets example, smaller: Bank A, registered as an issuer
through governance, creates the freezable CNYX (2 decimals, capped), mints 1,000.00 to Alice,
who pays Carol 250.00; Bank A freezes Carol. Carol registers a flat's title deed and sells it
to Bob, who sells it to Alice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from chainbook import testnet
from chainbook.apps.assets import CreateToken, Freeze, Mint, RegisterAsset, Transfer, TransferAsset
from chainbook.apps.governance import RegisterInstitution
from chainbook.crypto import PrivateKey
from tests.explorer.activity import wallet
from tests.explorer.conftest import Tab
from tests.explorer.institutions import WAIT_S, key_wallet, register_institutions, send_round
from tests.explorer.test_explorer_browser import search

pytestmark = pytest.mark.integration

TOKEN = "CNYX"
ASSET = "flat-12A"
DEED = b"Title deed, flat 12A, Harbour Road\n"
SMALL_HOLDERS = 20
"""Accounts minted one base unit each, so the holders fill more than one page (20 a page)."""


@dataclass(frozen=True)
class AssetsActivity:
    bank: str
    alice: str
    bob: str
    carol: str
    rent_hash: str
    """Alice's CNYX transfer to Carol."""


def build_assets_activity(root: Path) -> AssetsActivity:
    with testnet.load_testnet(root).client("node0", timeout_s=WAIT_S) as client:
        bank = key_wallet(client, "assets-bank-a")
        alice, bob, carol = (wallet(root, client, n) for n in ("alice", "bob", "carol"))
        register_institutions(root, client, [
            RegisterInstitution("bank-a", "Bank A", ["issuer"], [bank.private_key.public_key]),
        ])
        deed = hashlib.sha256(DEED).digest()
        rounds = [
            [(bank, CreateToken(TOKEN, "CNY deposit token", 2, 100_000_000, True)),
             (carol, RegisterAsset(ASSET, deed, carol.address))],
            [(bank, Mint(TOKEN, alice.address, 100_000)),
             (carol, TransferAsset(ASSET, bob.address))],
            [(alice, Transfer(TOKEN, carol.address, 25_000, "March rent")),
             (bob, TransferAsset(ASSET, alice.address))],
            [(bank, Freeze(TOKEN, carol.address))]
            + [(bank, Mint(TOKEN, PrivateKey.from_label(f"explorer/holder-{i}").address, 1))
               for i in range(SMALL_HOLDERS)],
        ]
        committed = [send_round(client, sends) for sends in rounds]
    return AssetsActivity(*(w.address.hex() for w in (bank, alice, bob, carol)),
                          rent_hash=committed[2][0].hash)


@pytest.fixture(scope="module")
def assets(network: Path) -> AssetsActivity:
    return build_assets_activity(network)


def rows(tab: Tab, table_id: str, *fields: str) -> list[list[str]]:
    """The data attributes `fields` of each row of a paged table."""
    script = "trs => trs.map(tr => [" + ", ".join(f"tr.dataset.{f}" for f in fields) + "])"
    found: list[list[str]] = tab.page.locator(f"#{table_id} tbody tr").evaluate_all(script)
    return found


def test_a_token_shows_its_issuer_supply_cap_and_frozen_holders(
    tab: Tab, base_url: str, assets: AssetsActivity
) -> None:
    view = tab.open(base_url, f"/apps/assets/token?token={TOKEN}")
    facts = view.locator("#assets-token table.facts").first.inner_text()
    for shown in ("CNYX · CNY deposit token", "Bank A (bank-a)", assets.bank,
                  "2 (1 CNYX = 100 base units)", "1,000.2 CNYX (100020 base units)",
                  "1,000,000 CNYX (100000000 base units) · 0.10% issued",
                  "yes: its issuer may freeze an account"):
        assert shown in facts, (shown, facts)
    total = 2 + SMALL_HOLDERS
    first = rows(tab, "assets-holders", "address", "frozen")
    assert len(first) == 20  # one page of the module's
    assert first[:2] == [[assets.alice, "false"], [assets.carol, "true"]]
    assert all(frozen == "false" for _, frozen in first[2:])
    holders = view.locator("#assets-holders").inner_text()
    supply = 100_000 + SMALL_HOLDERS
    for balance in ("750 CNYX", f"{100 * 75_000 / supply:.2f}%", "250 CNYX",
                    f"{100 * 25_000 / supply:.2f}%"):
        assert balance in holders, (balance, holders)
    assert "0.01 CNYX\t< 0.01%" in holders, holders
    assert f"20 of {total} shown" in holders
    frozen = view.locator("#assets-frozen")
    assert frozen.get_attribute("data-frozen") == "1"
    assert frozen.locator(f'a[href="#/account/{assets.carol}"]').count() == 1
    assert f"among the first 20 of {total} holders" in frozen.inner_text()

    view.locator("#assets-holders button.more").click()
    view.locator(f'#assets-holders[data-rows="{total}"]').wait_for()
    assert rows(tab, "assets-holders", "address", "frozen")[:20] == first  # the next page added
    assert view.locator("#assets-holders button.more").count() == 0
    assert "among the first" not in frozen.inner_text()
    tab.assert_clean()


def test_an_asset_shows_its_whole_ownership_history(
    tab: Tab, base_url: str, assets: AssetsActivity
) -> None:
    view = tab.open(base_url, f"/apps/assets/asset?asset_id={ASSET}")
    assert view.locator("#assets-asset").get_attribute("data-owner") == assets.alice
    text = view.inner_text()
    assert hashlib.sha256(DEED).hexdigest() in text
    assert "a private claim" in text  # Carol's key is no issuer's
    assert rows(tab, "asset-history", "kind", "owner") == [
        ["registered", assets.carol], ["transfer", assets.bob], ["transfer", assets.alice]]
    tab.assert_clean()


def test_an_account_page_shows_its_tokens_and_assets(
    tab: Tab, base_url: str, assets: AssetsActivity
) -> None:
    view = tab.open(base_url, f"/account/{assets.carol}")
    assert rows(tab, "assets-balances", "token", "frozen") == [[TOKEN, "true"]]
    assert "250 CNYX" in view.locator("#assets-balances").inner_text()
    assert "owns no registered asset" in view.locator("#assets-owned").inner_text()
    tab.open(base_url, f"/account/{assets.alice}")
    assert rows(tab, "assets-balances", "token", "frozen") == [[TOKEN, "false"]]
    assert rows(tab, "assets-owned", "asset") == [[ASSET]]
    view = tab.open(base_url, f"/account/{assets.bob}")  # sold the flat, never held a token:
    assert "Balance" in view.inner_text()  # nothing to show, so no section at all
    assert "Tokens and assets" not in view.inner_text()
    tab.assert_clean()


def test_a_token_transfer_shows_its_amount_in_the_token(
    tab: Tab, base_url: str, assets: AssetsActivity
) -> None:
    view = tab.open(base_url, f"/tx/{assets.rent_hash}")
    fields = view.locator("section:has(h2:text-is('Fields'))")
    fields.locator("text=250 CNYX").wait_for()  # the decimals arrive after the page
    assert "March rent" in fields.inner_text()
    tab.assert_clean()


def test_the_search_box_finds_a_token_in_any_case_and_an_asset(
    tab: Tab, base_url: str, assets: AssetsActivity
) -> None:
    for text, landing in ((TOKEN, f"#/apps/assets/token?token={TOKEN}"),
                          (TOKEN.lower(), f"#/apps/assets/token?token={TOKEN}"),
                          (ASSET, f"#/apps/assets/asset?asset_id={ASSET}")):
        tab.open(base_url, "/")  # search() waits for the page to change
        search(tab, text)
        assert tab.page.evaluate("decodeURIComponent(location.hash)") == landing, text
    tab.assert_clean()
