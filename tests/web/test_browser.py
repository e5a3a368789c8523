"""Browser journeys in Debian's Chromium, driven by Playwright for Python."""

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

pytestmark = pytest.mark.browser


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


def test_a_coordinator_edits_a_programme_cadence_and_sees_the_change(
    page: Page, live_server: object
) -> None:
    base = str(live_server)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email address").fill("coordinator.a@demo.peerbridge.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")

    page.get_by_role("link", name="Programmes").click()
    page.get_by_role("link", name="Recovery peer counselling").click()
    expect(page.locator("#cadence")).to_have_text("At least every 7 days")

    page.get_by_role("link", name="Edit the programme").click()
    page.get_by_label("Expected days between contacts").fill("0")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.get_by_label("Expected days between contacts")).to_have_attribute(
        "aria-invalid", "true"
    )

    page.get_by_label("Expected days between contacts").fill("10")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Changes saved")
    expect(page.locator("#cadence")).to_have_text("At least every 10 days")


def test_a_peer_of_another_programme_cannot_open_it(page: Page, live_server: object) -> None:
    from peerbridge.organisations.models import Programme

    base = str(live_server)
    programme = Programme.objects.get(code="recovery-peers")
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email address").fill("peer.b@demo.peerbridge.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    response = page.goto(f"{base}/programmes/{programme.pk}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
