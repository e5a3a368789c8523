"""What every browser journey shares: Debian's Chromium driven by Playwright for Python,
a phone-sized page on the live server with the demo loaded, and signing in as a demo
login. pytest gives the fixtures to every test here that asks for them; the journeys
import `sign_in`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from peerbridge.web.demo import DEMO_PASSWORD, load_demo

CHROMIUM = Path(os.environ.get("PEERBRIDGE_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package.")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by
    # the test itself (not by the live server) are safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, live_server: object, transactional_db: None) -> Iterator[Page]:
    load_demo()
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Page, base: str, email: str) -> None:
    """Sign in as `email` (a demo login) from a clean session and land on the home page."""
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")
