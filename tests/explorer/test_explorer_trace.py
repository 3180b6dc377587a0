"""The trace view in a real browser against a real 4-validator testnet: an item's provenance
timeline (its own history and that of the lots it came from, up to where it left them), with
each gap the module's verdict finds marked where it happened; a complete chain shows none;
the page follows a committed acceptance without reload; the search box finds an item.

The activity is docs/APPS.md's trace example: a tea maker, a carrier, a customs office and a
shop registered through governance; lot A goes maker -> carrier (shipped) -> customs cleared
-> shop, which splits off a box and sells it (complete), then sells the rest of the lot (not
the box's provenance); lot B goes to a reseller no registry knows, who counts 95 of 100, splits
off a sample of 5 and hands the other 90 to the shop, which has not accepted them (six gaps;
the sample inherits two of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from chainbook import testnet
from chainbook.apps.governance import RegisterInstitution
from chainbook.apps.trace import (
    Accept,
    Create,
    HandOver,
    Part,
    Record,
    RegisterProduct,
    Split,
    Step,
)
from tests.explorer.activity import HOSTILE_MEMO
from tests.explorer.conftest import Tab
from tests.explorer.institutions import WAIT_S, key_wallet, register_institutions, send_round
from tests.explorer.test_explorer_browser import search

pytestmark = pytest.mark.integration

PRODUCT = "longjing-250"
LOT_A = "LJ-2025-001"
BOX = "LJ-2025-001-B1"
LOT_B = "LJ-2025-002"
SAMPLE = "LJ-2025-002-S1"
LIVE_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class TraceActivity:
    maker: str
    carrier: str
    customs: str
    shop: str
    reseller: str


def build_trace_activity(root: Path) -> TraceActivity:
    """The example's two lots, a round of transactions per step (both lots move together)."""
    with testnet.load_testnet(root).client("node0", timeout_s=WAIT_S) as client:
        maker, carrier, customs, shop, reseller = (
            key_wallet(client, f"trace-{who}")
            for who in ("maker", "carrier", "customs", "shop", "reseller"))
        register_institutions(root, client, [
            RegisterInstitution("longjing-tea", "Longjing Tea Co.", ["manufacturer"],
                                [maker.private_key.public_key]),
            RegisterInstitution("sf-express", "SF Express", ["logistics_operator"],
                                [carrier.private_key.public_key]),
            RegisterInstitution("ningbo-customs", "Ningbo Customs", ["customs"],
                                [customs.private_key.public_key]),
            RegisterInstitution("tea-shop", "The Tea Shop", ["retailer"],
                                [shop.private_key.public_key]),
        ])
        steps = [Step("shipped"), Step("customs_cleared", "customs"), Step("sold")]
        rounds = [
            [(maker, RegisterProduct(PRODUCT, "Longjing green tea, 250 g tin", steps))],
            [(maker, Create(LOT_A, PRODUCT, 100, '{"harvest": "2025-04-02"}')),
             (maker, Create(LOT_B, PRODUCT, 100, HOSTILE_MEMO))],
            [(maker, HandOver(LOT_A, carrier.address)),
             (maker, HandOver(LOT_B, reseller.address))],
            [(carrier, Accept(LOT_A, 100)), (reseller, Accept(LOT_B, 95))],
            [(carrier, Record(LOT_A, "shipped", "Ningbo port, container MSKU 1234567")),
             (reseller, Split(LOT_B, [Part(SAMPLE, 5)])),
             (reseller, HandOver(LOT_B, shop.address))],
            [(customs, Record(LOT_A, "customs_cleared", "declaration 2025-0042"))],
            [(carrier, HandOver(LOT_A, shop.address))],
            [(shop, Accept(LOT_A, 100))],
            [(shop, Split(LOT_A, [Part(BOX, 10)]))],
            [(shop, Record(BOX, "sold")),
             (shop, Record(LOT_A, "sold", "the other 90 tins"))],  # after BOX left it
        ]
        for sends in rounds:
            send_round(client, sends)
    return TraceActivity(*(w.address.hex() for w in (maker, carrier, customs, shop, reseller)))


@pytest.fixture(scope="module")
def trace(network: Path) -> TraceActivity:
    return build_trace_activity(network)


def timeline(tab: Tab) -> list[tuple[str, str]]:
    """The timeline as the person sees it, top to bottom: (lot, entry kind) for an entry,
    ("gap", gap kind) for a gap mark."""
    rows: list[list[str]] = tab.page.locator("#trace-timeline > li").evaluate_all(
        "items => items.map(li => li.classList.contains('gap')"
        " ? ['gap', li.dataset.kind] : [li.dataset.lot, li.dataset.kind])")
    return [(lot, kind) for lot, kind in rows]


def test_a_complete_chain_shows_its_provenance_with_no_gap(
    tab: Tab, base_url: str, trace: TraceActivity
) -> None:
    view = tab.open(base_url, f"/apps/trace/item?item={BOX}")
    item = view.locator("#trace-item")
    assert item.get_attribute("data-verdict") == "complete"
    assert item.get_attribute("data-score") == "0"
    assert timeline(tab) == [
        (LOT_A, "created"), (LOT_A, "handed_over"), (LOT_A, "accepted"), (LOT_A, "recorded"),
        (LOT_A, "recorded"), (LOT_A, "handed_over"), (LOT_A, "accepted"),
        (LOT_A, "split_into"), (BOX, "split_from"), (BOX, "recorded"),
    ]  # LOT_A's "sold" after the box left it is not the box's provenance
    text = view.inner_text()
    assert "complete: score 0" in text
    for who in ("Longjing Tea Co. (longjing-tea)", "SF Express (sf-express)",
                "Ningbo Customs (ningbo-customs)", "The Tea Shop (tea-shop)"):
        assert who in text, who
    assert "Ningbo port, container MSKU 1234567" in text
    steps = view.locator("[data-step]").evaluate_all(
        "els => els.map(e => [e.dataset.step, e.dataset.done])")
    assert steps == [["shipped", "true"], ["customs_cleared", "true"], ["sold", "true"]]
    tab.assert_clean()


def test_each_gap_is_marked_where_it_happened(
    tab: Tab, base_url: str, trace: TraceActivity
) -> None:
    missing = [("gap", "missing_step")] * 3
    view = tab.open(base_url, f"/apps/trace/item?item={LOT_B}")
    assert view.locator("#trace-item").get_attribute("data-score") == "6"
    assert timeline(tab) == [
        (LOT_B, "created"), (LOT_B, "handed_over"), (LOT_B, "accepted"),
        ("gap", "unregistered_holder"), ("gap", "quantity_mismatch"),
        (LOT_B, "split_into"), (LOT_B, "handed_over"), ("gap", "handoff_not_accepted"),
        *missing,
    ]
    text = view.inner_text()
    assert "6 gaps (score 6" in text
    assert f"unregistered account {trace.reseller[:8]}" in text  # the holder, as shown
    assert "not accepted yet" in text
    assert HOSTILE_MEMO in text  # the metadata, shown as text
    assert view.locator("img, script").count() == 0
    assert tab.page.evaluate("window.__pwned") is None

    # The sample inherits the reseller's two gaps: marked on its parent's acceptance.
    view = tab.open(base_url, f"/apps/trace/item?item={SAMPLE}")
    assert view.locator("#trace-item").get_attribute("data-score") == "5"
    assert timeline(tab) == [
        (LOT_B, "created"), (LOT_B, "handed_over"), (LOT_B, "accepted"),
        ("gap", "unregistered_holder"), ("gap", "quantity_mismatch"),
        (LOT_B, "split_into"), (SAMPLE, "split_from"), *missing,
    ]
    assert f"of the lot {LOT_B} it came from" in view.inner_text()
    tab.assert_clean()


def test_an_unknown_item_is_shown_as_most_likely_a_fake(
    tab: Tab, base_url: str, trace: TraceActivity
) -> None:
    view = tab.open(base_url, "/apps/trace/item?item=LJ-2025-999")
    assert view.get_attribute("data-state") == "ok"
    assert "most likely a fake" in view.inner_text()
    assert view.locator("#trace-timeline").count() == 0
    tab.assert_clean()


def test_the_search_box_finds_an_item(tab: Tab, base_url: str, trace: TraceActivity) -> None:
    tab.open(base_url, "/")
    search(tab, LOT_B)
    assert tab.page.evaluate("decodeURIComponent(location.hash)") == (
        f"#/apps/trace/item?item={LOT_B}")
    assert tab.page.locator("#trace-timeline").count() == 1
    tab.assert_clean()


def test_an_acceptance_closes_its_gap_live(
    tab: Tab, base_url: str, network: Path, trace: TraceActivity
) -> None:
    """Last in the module: the shop accepts lot B."""
    tab.open(base_url, f"/apps/trace/item?item={LOT_B}")
    tab.page.locator("#live.on").wait_for()
    tab.page.evaluate("window.__notReloaded = true")
    with testnet.load_testnet(network).client("node1") as client:  # another node than the page's
        key_wallet(client, "trace-shop").send(Accept(LOT_B, 90))
    tab.page.locator('#trace-item[data-score="5"]').wait_for(timeout=LIVE_TIMEOUT_MS)
    assert ("gap", "handoff_not_accepted") not in timeline(tab)
    assert timeline(tab)[-4] == (LOT_B, "accepted")
    assert "The Tea Shop (tea-shop)" in tab.page.locator("#trace-item").inner_text()
    assert tab.page.evaluate("window.__notReloaded") is True
    tab.assert_clean()
