"""Browser journeys in Debian's Chromium, driven by Playwright for Python."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from peerbridge.web.demo import DEMO_PASSWORD
from tests.web.conftest import sign_in

pytestmark = pytest.mark.browser


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


def _open_referral(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/intake/")
    page.get_by_role("link", name="Intake queue").first.click()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def _log_attempt(page: Page, outcome: str) -> None:
    page.get_by_label(re.compile(r"^How:?$")).select_option(label="Phone call")
    page.get_by_label(re.compile(r"^Outcome:?$")).select_option(label=outcome)
    page.get_by_role("button", name="Log attempt").click()
    expect(page.get_by_role("status")).to_contain_text("Contact attempt logged")


def _enrol(page: Page, *, share_with_referrer: bool) -> None:
    page.get_by_role("link", name="Enrol with consent").click()
    page.get_by_label("Being contacted by phone").check()
    if share_with_referrer:
        page.get_by_label("Sharing my progress with who referred me").check()
    page.get_by_label("How consent was given").select_option(label="Verbal, recorded by staff")
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("status")).to_contain_text("Enrolled")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Waiting for a match")


def test_self_referral_to_enrolment_and_the_referrers_closed_loop(
    page: Page, live_server: object
) -> None:
    base = str(live_server)
    # 1. Someone asks for support from their phone, without an account.
    page.goto(f"{base}/refer/new-mothers/")
    page.get_by_label("First name").fill("Lucia")
    page.get_by_label("Last name").fill("Ferreira")
    page.get_by_label(re.compile(r"^Phone:?$")).fill("+44 7700 900812")
    page.get_by_label("Phone call").check()
    page.get_by_label("I agree that the programme may contact me").check()
    page.wait_for_timeout(3200)  # people take longer than bots to fill a form
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: we have your request")

    # 2. A clinician refers a patient, with their agreement to hear back.
    sign_in(page, base, "referrer@demo.peerbridge.test")
    page.get_by_role("link", name="Refer someone").click()
    page.get_by_label(re.compile(r"^Programme:?$")).select_option(label="New mothers' mentors")
    page.get_by_label("First name").fill("Kemal")
    page.get_by_label(re.compile(r"^Phone:?$")).fill("+44 7700 900813")
    page.get_by_label("Phone call").check()
    page.get_by_label("Reason for referral").fill("Low mood since the birth")
    page.get_by_label("tells me how the referral goes").check()
    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_role("row").filter(has_text="Kemal")).to_contain_text("Received")

    # 3. The coordinator works both referrals from the queue.
    sign_in(page, base, "coordinator.c@demo.peerbridge.test")
    _open_referral(page, base, "Lucia Ferreira")
    _log_attempt(page, "No answer")
    expect(page.get_by_text("1 of 3 attempts without reaching them")).to_be_visible()
    _log_attempt(page, "Spoke with them")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contacted")
    _enrol(page, share_with_referrer=False)

    _open_referral(page, base, "Kemal")
    _log_attempt(page, "Spoke with them")
    _enrol(page, share_with_referrer=True)

    # 4. The referrer now sees "Enrolled", and nothing else about the person.
    sign_in(page, base, "referrer@demo.peerbridge.test")
    page.get_by_role("link", name="My referrals").click()
    row = page.get_by_role("row").filter(has_text="Kemal")
    expect(row).to_contain_text("Enrolled")
    body = page.locator("main").inner_text()
    assert "Low mood" not in body and "900813" not in body and "Lucia" not in body
