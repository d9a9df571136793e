"""Browser tests: Playwright driving Debian's Chromium against a live Salesflow.

Screenshots of every page visited land in one folder, printed at the end of the run
(`SALESFLOW_SCREENSHOTS` chooses it; default: a new temporary folder).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

# Playwright's sync API keeps an event loop running in the test's thread; the test's own
# database calls (fixtures, assertions) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
_screenshots: dict[str, Path] = {}


def pytest_configure(config: pytest.Config) -> None:
    folder = os.environ.get("SALESFLOW_SCREENSHOTS") or tempfile.mkdtemp(prefix="salesflow-shots-")
    _screenshots["folder"] = Path(folder)
    _screenshots["folder"].mkdir(parents=True, exist_ok=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    folder = _screenshots["folder"]
    if any(folder.iterdir()):
        terminalreporter.write_line(f"Screenshots of the browser tests: {folder}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: scripts/test installs it (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser, live_server: Any) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Any:
    """`shot(page, "board")` saves a full-page screenshot named after the test and the step."""
    counter = iter(range(1, 1000))

    def take(page: Page, name: str) -> Path:
        path = _screenshots["folder"] / f"{request.node.name}-{next(counter):02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
