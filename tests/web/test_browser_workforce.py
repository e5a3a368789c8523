"""Browser journey: an applicant becomes an available peer supporter, and the
coordinator's pages show each step (issue 4 acceptance)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.web.demo import DEMO_PASSWORD
from peerbridge.workforce.curriculum_seed import seed_agreements, seed_curriculum
from peerbridge.workforce.models import (
    CertificationFramework,
    Competency,
    PeerProfile,
    TrainingModule,
    TrainingSession,
)
from peerbridge.workforce.selectors import workforce_settings
from tests.web.conftest import sign_in

pytestmark = pytest.mark.browser

NAME = ("Imani", "Okoro")
EMAIL = "imani.okoro@example.org"


def _stage_in_pipeline(page: Page, base: str, programme: Programme, stage: str) -> None:
    page.goto(f"{base}/programmes/{programme.pk}/workforce/")
    row = page.get_by_role("row").filter(has_text=" ".join(NAME))
    expect(row).to_contain_text(stage)


def _programme_ready() -> tuple[Programme, CertificationFramework]:
    programme = Programme.objects.get(code="recovery-peers")
    seed_curriculum(programme)
    seed_agreements(programme)
    rules = workforce_settings(programme)
    if rules.required_framework is None:
        rules.required_framework = CertificationFramework.objects.create(
            organisation=programme.site.organisation,
            name="Journey peer certification",
            kind="state",
            validity_months=24,
        )
        rules.save()
    assert rules.required_framework is not None
    return programme, rules.required_framework


def test_an_applicant_becomes_an_available_peer_supporter(page: Page, live_server: object) -> None:
    base = str(live_server)
    programme, framework = _programme_ready()

    # 1. The applicant applies on the public page.
    page.goto(f"{base}/apply/{programme.code}/")
    page.get_by_label(re.compile(r"^First name:?$")).fill(NAME[0])
    page.get_by_label(re.compile(r"^Last name:?$")).fill(NAME[1])
    page.get_by_label(re.compile(r"^Email:?$")).fill(EMAIL)
    page.get_by_label(re.compile(r"^Why you want to be a peer supporter:?$")).fill(
        "Someone walked with me; I want to walk with others."
    )
    page.wait_for_timeout(3200)  # the form ignores posts faster than a person types
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("we have your application")

    # 2. The coordinator screens and accepts to training.
    sign_in(page, base, "coordinator.a@demo.peerbridge.test")
    page.goto(f"{base}/programmes/{programme.pk}/workforce/applications/")
    page.get_by_role("link", name=" ".join(NAME)).first.click()
    page.get_by_role("link", name="Record a screening").click()
    for group in page.locator("fieldset").filter(has=page.get_by_text("5 strength")).all():
        group.get_by_label("5 strength").check()
    page.get_by_label(re.compile(r"Ready: own")).check()
    page.get_by_role("group", name=re.compile("Role-play")).get_by_label("Passed").check()
    page.get_by_role("button", name="Save the screening").click()
    page.get_by_label("Accept to training").check()
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_role("status").first).to_be_visible()
    _stage_in_pipeline(page, base, programme, "In training")

    profile = PeerProfile.objects.get(person__user__email=EMAIL, programme=programme)

    # 3. Training: attendance at a session of every required module.
    when = timezone.now() - timedelta(days=7)
    for module in TrainingModule.objects.filter(
        programme=programme, required=True, is_active=True, audience="peers"
    ):
        session = TrainingSession.objects.create(
            module=module, starts_at=when, trainer="Journey trainer", modality="in_person"
        )
        page.goto(f"{base}/workforce/training/sessions/{session.pk}/")
        page.get_by_label(re.compile(" ".join(NAME))).check()
        page.get_by_role("button", name="Save attendance").click()
        expect(page.get_by_role("status").first).to_be_visible()

    # 4. Competency checks with evidence.
    for competency in Competency.objects.filter(programme=programme, required=True):
        page.goto(f"{base}/workforce/profiles/{profile.pk}/training/")
        page.get_by_label(re.compile(r"^Competency:?$")).select_option(label=competency.name)
        page.get_by_label("Competent", exact=True).check()
        page.get_by_label(re.compile(r"^Evidence:?$")).fill("Observed in the role-play.")
        page.get_by_role("button", name="Record").click()
        expect(page.get_by_role("status").first).to_be_visible()
    _stage_in_pipeline(page, base, programme, "Agreements to sign")

    # 5. The new peer signs in and signs every agreement.
    user = User.objects.get(email=EMAIL)
    user.set_password(DEMO_PASSWORD)
    user.save()
    sign_in(page, base, EMAIL)
    page.get_by_role("link", name="My peer work").first.click()
    page.get_by_role("link", name="My agreements").click()
    while page.get_by_role("button", name="I agree and sign").count():
        page.get_by_label(re.compile("Type your name to sign")).first.fill(" ".join(NAME))
        page.get_by_role("button", name="I agree and sign").first.click()
        expect(page.get_by_role("status").first).to_be_visible()

    # 6. The leader certifies.
    sign_in(page, base, "leader.a@demo.peerbridge.test")
    _stage_in_pipeline(page, base, programme, "Awaiting certification")
    page.goto(f"{base}/workforce/profiles/{profile.pk}/certification/")
    page.get_by_label(re.compile(r"^Certification:?$")).select_option(label=framework.name)
    page.get_by_label("Certified", exact=True).check()
    page.get_by_role("button", name="Save the decision").click()
    expect(page.get_by_role("status").first).to_be_visible()

    # 7. The coordinator makes the peer available.
    sign_in(page, base, "coordinator.a@demo.peerbridge.test")
    _stage_in_pipeline(page, base, programme, "Ready to make available")
    page.get_by_role("link", name=" ".join(NAME)).click()
    page.get_by_role("button", name="Make available to support people").click()
    expect(page.get_by_role("status").first).to_contain_text("available to support people")
    expect(page.get_by_text("May take a new match.")).to_be_visible()
    _stage_in_pipeline(page, base, programme, "Available")
