"""Browser journey (issue 6 acceptance): on a phone, a peer logs a contact from their
home page and raises a high flag, and sees the crisis resources at once; the on-call
supervisor finds the flag among their messages and acknowledges it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from peerbridge.core.models import User
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.notifications.models import Channel, Notification
from peerbridge.organisations.models import Programme
from peerbridge.safety.models import RiskFlag, Severity
from peerbridge.support.models import Contact
from peerbridge.web.demo import DEMO_PASSWORD
from tests.web.conftest import sign_in

pytestmark = pytest.mark.browser

WORKING = [MatchStatus.INTRODUCED, MatchStatus.FIRST_CONTACT, MatchStatus.ACTIVE]


def _peer_with_people() -> tuple[User, Match]:
    """A demo peer login with a match under way (their own home lists the person)."""
    programme = Programme.objects.get(code="recovery-peers")
    match = (
        Match.objects.filter(
            programme=programme, status__in=WORKING, profile__person__user__isnull=False
        )
        .select_related("profile__person__user", "enrolment__person")
        .order_by("profile__person__user__email", "pk")
        .first()
    )
    assert match is not None, "the demo has a working match of a peer with a login"
    user = match.profile.person.user
    assert user is not None
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    return user, match


def test_a_peer_logs_a_contact_raises_a_high_flag_and_the_on_call_acknowledges(
    page: Page, live_server: object
) -> None:
    base = str(live_server)
    peer, match = _peer_with_people()
    name = match.enrolment.person.preferred_name or match.enrolment.person.given_name
    before = Contact.objects.filter(match=match).count()

    # Screen 1: the peer's home lists the person with a button to log a contact.
    sign_in(page, base, peer.email)
    page.get_by_role(
        "link", name=re.compile(rf"Log a contact with {re.escape(name)}")
    ).first.click()

    # Screen 2: the quick log, on one phone screen.
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    page.get_by_label("Phone", exact=True).check()
    page.get_by_label("How long (minutes)").fill("20")
    page.get_by_label("Emotional support").check()
    page.get_by_label("I am worried about their safety").check()
    page.get_by_role("button", name="Save the contact").click()

    # The flag form follows at once; a high flag shows the crisis resources.
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise a safety flag")
    page.get_by_role("radio", name=re.compile("High")).check()
    page.get_by_label("What happened?").fill("Said they had a plan for tonight.")
    page.get_by_role("button", name="Send the flag").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Crisis resources")
    expect(page.get_by_role("status").first).to_contain_text("must respond by")
    expect(page.locator("a[href^='tel:']").first).to_be_visible()

    assert Contact.objects.filter(match=match).count() == before + 1
    flag = RiskFlag.objects.select_related("assigned_to").get(
        contact__match=match, severity=Severity.HIGH
    )
    assert flag.status == RiskFlag.Status.OPEN and flag.assigned_to is not None
    on_call = flag.assigned_to
    assert Notification.objects.filter(user=on_call, channel=Channel.IN_APP).exists()
    on_call.set_password(DEMO_PASSWORD)
    on_call.save(update_fields=["password"])

    # The on-call supervisor sees the message and acknowledges the flag.
    sign_in(page, base, on_call.email)
    page.goto(f"{base}/messages/")
    message = page.locator("article").filter(has_text="safety flag").first
    expect(message).to_contain_text(name)
    message.get_by_role("button", name="Open").click()
    expect(page).to_have_url(re.compile(rf"/flags/{flag.pk}/$"))
    page.get_by_role("button", name="I have seen it and am handling it").click()
    expect(page.get_by_role("status").first).to_be_visible()
    flag.refresh_from_db()
    assert flag.status == RiskFlag.Status.ACKNOWLEDGED
    assert flag.acknowledged_by_id == on_call.pk
