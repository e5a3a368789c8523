"""Browser journey (issue 7 acceptance): on a phone, a participant opens the PHQ-9 from
their link, answers "several days" to item 9 and "not at all" to everything else (a
total of 1), and at once sees the crisis resources; a high risk flag reaches the
supervisor (or the on-call person), who opens it from their messages and acknowledges."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from peerbridge.matching.models import Match, MatchStatus
from peerbridge.notifications.models import Channel, Notification
from peerbridge.organisations.models import Programme
from peerbridge.outcomes import schedules
from peerbridge.outcomes.models import Assessment, Response
from peerbridge.safety.models import RiskFlag, Severity
from peerbridge.web.demo import DEMO_PASSWORD
from tests.web.conftest import sign_in

pytestmark = pytest.mark.browser

WORKING = [MatchStatus.INTRODUCED, MatchStatus.FIRST_CONTACT, MatchStatus.ACTIVE]


def test_item_9_by_link_with_a_low_total_reaches_the_supervisor(
    page: Page, live_server: object
) -> None:
    base = str(live_server)
    programme = Programme.objects.get(code="recovery-peers")
    match = (
        Match.objects.filter(programme=programme, status__in=WORKING)
        .select_related("enrolment__person")
        .order_by("pk")
        .first()
    )
    assert match is not None
    assessment = schedules.assessment_create(
        enrolment=match.enrolment, instruments=["phq9"], due_on=None, actor=None
    )
    token = schedules.link_issue(assessment=assessment, actor=None)

    # The participant, with no account, opens the link on their phone.
    page.goto(f"{base}/q/{token}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("PHQ-9")
    for number in range(1, 9):
        page.locator(f"#q-q{number}").get_by_label("Not at all").check()
    page.locator("#q-q9").get_by_label("Several days").check()
    page.wait_for_timeout(3200)  # a person takes a moment; the form refuses bots that do not
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(page.get_by_role("alert")).to_contain_text("Someone from the programme")
    expect(page.locator("a[href^='tel:']").first).to_be_visible()

    response = Response.objects.get(assessment=assessment)
    assert (response.status, response.score, response.safety_items) == ("complete", 1.0, ["q9"])
    assert Assessment.objects.get(pk=assessment.pk).status == Assessment.Status.COMPLETED
    flag = RiskFlag.objects.select_related("assigned_to").get(
        source=RiskFlag.Source.QUESTIONNAIRE, person=match.enrolment.person
    )
    assert flag.severity == Severity.HIGH and flag.assigned_to is not None
    handler = flag.assigned_to
    assert Notification.objects.filter(user=handler, channel=Channel.IN_APP).exists()
    handler.set_password(DEMO_PASSWORD)
    handler.save(update_fields=["password"])

    # The supervisor (or whoever is on call) finds it among their messages.
    sign_in(page, base, handler.email)
    page.goto(f"{base}/messages/")
    message = page.locator("article").filter(has_text="safety flag").first
    message.get_by_role("button", name="Open").click()
    expect(page).to_have_url(re.compile(rf"/flags/{flag.pk}/$"))
    expect(page.get_by_text("PHQ-9", exact=False).first).to_be_visible()
    page.get_by_role("button", name="I have seen it and am handling it").click()
    flag.refresh_from_db()
    assert flag.status == RiskFlag.Status.ACKNOWLEDGED
