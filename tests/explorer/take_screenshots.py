"""Screenshots of the explorer's main pages for docs/screenshots/ (run by hand after a change
to the page: `python -m tests.explorer.take_screenshots`): a real 4-validator testnet with
the browser tests' activity (tests/explorer/activity.py and the module views' own builders),
headless Debian chromium."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from chainbook import testnet
from tests.explorer.activity import BALLOT, DOCUMENT, make_activity
from tests.explorer.conftest import CHROMIUM_PATHS, VIEWPORT
from tests.explorer.loans_activity import LOAN, make_loans_activity
from tests.explorer.settlement_activity import make_settlement_activity
from tests.explorer.test_explorer_assets import ASSET, TOKEN, build_assets_activity
from tests.explorer.test_explorer_evidence import CASE, build_evidence_activity
from tests.explorer.test_explorer_invoice import make_invoices
from tests.explorer.test_explorer_royalty import make_royalty_activity
from tests.explorer.test_explorer_trace import BOX, LOT_B, build_trace_activity

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WARM_UP_S = 20.0
"""Blocks to draw in the charts before the first picture."""


def main() -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        testnet.init_testnet(root, validators=4, seed="screenshots")
        testnet.up(root)
        try:
            testnet.wait_until_ready(root, timeout_s=30)
            activity = make_activity(root)
            build_assets_activity(root)
            build_trace_activity(root)
            build_evidence_activity(root)
            royalty = make_royalty_activity(root)
            loans = make_loans_activity(root)
            settled = make_settlement_activity(root)
            invoices = make_invoices(root)
            time.sleep(WARM_UP_S)
            base = testnet.load_testnet(root).node("node0").api_url
            pages = {
                "network": "/",
                "block": "/block/3",
                "transaction": f"/tx/{activity.anchor_hash}",
                "account": f"/account/{activity.alice}",
                "proposal": f"/apps/governance/proposal?id={activity.proposal_id}",
                "ballot": f"/apps/vote/ballot?ballot={BALLOT}",
                "modules": "/apps/notary",
                "token": f"/apps/assets/token?token={TOKEN}",
                "asset": f"/apps/assets/asset?asset_id={ASSET}",
                "provenance": f"/apps/trace/item?item={BOX}",
                "provenance-gaps": f"/apps/trace/item?item={LOT_B}",
                "case": f"/apps/evidence/case?case={CASE}",
                "royalty": f"/apps/royalty/work?work={royalty.work}",
                "loan": f"/apps/loans/loan?loan_id={LOAN}",
                "credit-record": f"/account/{loans.borrower}",
                "settlement-offer": f"/apps/settlement/offer?offer_id={settled.offer_id}",
                "settlement-lock": f"/apps/settlement/lock?lock_id={settled.lock_id}",
                "invoice": f"/apps/invoice/invoice?id={invoices.paid}",
            }
            executable = next(p for p in CHROMIUM_PATHS if Path(p).exists())
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable,
                                                     args=["--no-sandbox"])
                page = browser.new_page(viewport=VIEWPORT)
                for name, route in pages.items():
                    page.goto(f"{base}/#{route}")
                    page.locator("#view[data-state]").wait_for()
                    page.wait_for_timeout(500)
                    page.screenshot(path=OUT / f"{name}.png", full_page=True)
                page.goto(f"{base}/#/verify")
                page.locator("#view[data-state]").wait_for()
                page.set_input_files("#verify-file", files=[
                    {"name": "contract.txt", "mimeType": "text/plain", "buffer": DOCUMENT}])
                page.locator("#verify-result[data-verdict=recorded]").wait_for()
                page.screenshot(path=OUT / "verify.png", full_page=True)
                browser.close()
        finally:
            testnet.down(root)
    print(f"screenshots in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
