"""The explorer's browser tests: one real 4-validator testnet and one headless Debian chromium,
shared by every test of the module (CI cost: one network start, one browser start).

Chromium is Debian's package (`ci/system-packages.sh` installs it; Playwright drives it with
executable_path, it downloads no browser of its own). Without it a test skips with the reason
on a developer's machine and FAILS in CI (the variable CI is set): CI never skips these.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chainbook import testnet
from tests.explorer.activity import Activity, make_activity

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
VIEWPORT = {"width": 1280, "height": 900}
PAGE_TIMEOUT_MS = 15_000


def find_chromium() -> str:
    """The path of Debian's chromium; skip (or fail in CI) with the reason when missing."""
    found = next((p for p in CHROMIUM_PATHS if os.access(p, os.X_OK)), None) or shutil.which(
        "chromium"
    )
    reason = ""
    if found is None:
        reason = "chromium is not installed (Debian's package: run `make setup-system`, " \
                 "i.e. ci/system-packages.sh, as root)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (it is in the dev extra: make test installs it)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the explorer's browser tests")
        pytest.skip(reason)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("explorer-testnet")
    testnet.init_testnet(root, validators=4, seed="explorer")
    testnet.up(root)
    try:
        testnet.wait_until_ready(root, timeout_s=30)
        testnet.wait_until_height(root, 2, timeout_s=30)
        yield root
    finally:
        testnet.down(root)


@pytest.fixture(scope="module")
def activity(network: Path) -> Activity:
    return make_activity(network)


@pytest.fixture(scope="module")
def base_url(network: Path) -> str:
    return testnet.load_testnet(network).node("node0").api_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = find_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Tab:
    """A browser page with what it logged: console errors and uncaught exceptions."""

    page: Any
    errors: list[str] = field(default_factory=list)

    def open(self, base_url: str, route: str) -> Any:
        self.page.goto(f"{base_url}/#{route}")
        return self.wait_rendered()

    def wait_rendered(self) -> Any:
        view = self.page.locator("#view[data-state]")
        view.wait_for(timeout=PAGE_TIMEOUT_MS)
        return view

    def assert_clean(self) -> None:
        assert not self.errors, f"the page logged errors: {self.errors}"


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    opened = Tab(page)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: opened.errors.append(f"uncaught: {exc}"))
    try:
        yield opened
    finally:
        context.close()


Opener = Callable[[str], Any]
