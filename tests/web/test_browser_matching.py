"""Browser journey (issue 5 acceptance): the coordinator matches a waiting participant
from the suggestions page, the peer accepts on a phone, and a participant picks their
own peer through a choice link opened without an account."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from peerbridge.core.models import User
from peerbridge.matching.batch_runs import waiting_list
from peerbridge.matching.choice import choice_candidates, may_email, open_invitations
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.matching.suggestions import SuggestedPeer, suggest_for
from peerbridge.organisations.models import Programme
from peerbridge.referrals.models import Enrolment
from peerbridge.web.demo import DEMO_DOMAIN, DEMO_PASSWORD, PROGRAMMES
from tests.web.conftest import sign_in

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Journey:
    programme: Programme
    coordinator: str  # login email
    offered: Enrolment  # matched from the suggestions page
    top: SuggestedPeer  # the peer suggested first, who accepts
    peer: str  # their login email
    chooser: Enrolment  # sent a choice of peers


def _free(programme: Programme) -> list[Enrolment]:
    """Waiting with no match under way and no open choice link."""
    return [e for e in waiting_list(programme) if not open_invitations(e).exists()]


def _journey() -> Journey:
    """A programme with a waiting participant whose best peer can sign in (a demo peer
    login when one is suggested first, else the suggested peer is given the demo
    password), and another waiting participant who has not agreed to email, so the
    choice link is shown to the coordinator."""
    fallback: Journey | None = None
    for spec in PROGRAMMES:
        programme = Programme.objects.get(code=spec["code"])
        free = _free(programme)
        choosers = [e for e in free if not may_email(e) and choice_candidates(e)]
        for enrolment in free:
            suggestions = suggest_for(enrolment).suggestions
            others = [e for e in choosers if e.pk != enrolment.pk]
            user = suggestions[0].profile.person.user if suggestions else None
            if user is None or not others:
                continue
            found = Journey(
                programme=programme,
                coordinator=f"coordinator.{spec['letter']}@{DEMO_DOMAIN}",
                offered=enrolment,
                top=suggestions[0],
                peer=user.email,
                chooser=others[0],
            )
            if user.email.endswith(f"@{DEMO_DOMAIN}"):
                return found
            fallback = fallback or found
    assert fallback is not None, "the demo has a waiting participant with a suggestion"
    peer = User.objects.get(email=fallback.peer)
    peer.set_password(DEMO_PASSWORD)
    peer.save(update_fields=["password"])
    return fallback


def test_a_coordinator_matches_the_peer_accepts_and_a_participant_chooses(
    page: Page, live_server: object
) -> None:
    base = str(live_server)
    journey = _journey()
    offered, top = journey.offered, journey.top

    # 1. The coordinator opens the waiting list and a waiting participant's suggestions.
    sign_in(page, base, journey.coordinator)
    page.get_by_role("link", name="Matching", exact=True).first.click()
    section = page.locator(f"section[aria-labelledby='programme-{journey.programme.pk}']")
    section.get_by_role("link", name=re.compile("waiting for a peer")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Waiting for a peer")
    page.get_by_role("link", name=f"Match {offered.person}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"A peer for {offered.person}")

    # 2. The reasons are shown; the coordinator offers the top peer.
    first = page.locator("section[aria-labelledby='suggested-h'] li.card").first
    expect(first).to_contain_text(top.alias)
    for reason in top.reasons[:2]:
        expect(first).to_contain_text(reason)
    first.get_by_role("button", name=f"Offer to {top.alias}", exact=True).click()
    expect(page.get_by_role("status").first).to_be_visible()
    expect(page.get_by_text("Offered to the peer").first).to_be_visible()
    match = Match.objects.get(enrolment=offered, status=MatchStatus.OFFERED)
    assert match.profile_id == top.profile.pk
    assert match.source == Match.Source.SUGGESTION and match.reasons

    # 3. The peer signs in on the phone-size view and accepts from "My matches".
    sign_in(page, base, journey.peer)
    page.get_by_role("link", name="My matches").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My matches")
    card = page.locator(f"#match-{match.pk}")
    expect(card).to_be_visible()
    card.get_by_role("button", name="Accept", exact=False).click()
    expect(page.get_by_role("status").first).to_be_visible()
    match.refresh_from_db()
    assert match.status == MatchStatus.ACCEPTED

    # 4. The coordinator sees the match accepted.
    sign_in(page, base, journey.coordinator)
    page.goto(f"{base}/matching/matches/{match.pk}/")
    expect(page.get_by_text("Accepted by the peer").first).to_be_visible()

    # 5. The coordinator sends another waiting participant a choice of peers; the link
    #    is shown once.
    chooser = journey.chooser
    page.goto(f"{base}/matching/enrolments/{chooser.pk}/")
    page.get_by_role("link", name="Send a choice of peers to the participant").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Let {chooser.person} choose")
    page.get_by_role("button", name="Send the choice").click()
    link = page.get_by_label("Link", exact=True).input_value()
    assert "/choose/" in link

    # 6. Signed out, the participant opens the link and picks a peer.
    page.context.clear_cookies()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your peer supporter")
    invitation = chooser.choice_invitations.get(status="open")
    picked = invitation.shown[0]
    same_alias = [entry for entry in invitation.shown if entry["alias"] == picked["alias"]]
    radio = (
        page.get_by_label(picked["alias"], exact=True)
        if len(same_alias) == 1
        else page.locator(f"#peer-{picked['profile']}")
    )
    radio.check()
    page.wait_for_timeout(3200)  # the form ignores answers faster than a person reads
    page.get_by_role("button", name="Choose this peer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for choosing")

    # 7. The coordinator sees the match, chosen by the participant.
    sign_in(page, base, journey.coordinator)
    page.goto(f"{base}/matching/enrolments/{chooser.pk}/choice/")
    page.get_by_role("link", name="the match").first.click()
    expect(page.get_by_text("Chosen by the participant").first).to_be_visible()
    expect(page.get_by_text("Offered to the peer").first).to_be_visible()
    chosen = Match.objects.get(enrolment=chooser, status=MatchStatus.OFFERED)
    assert chosen.source == Match.Source.CHOICE
    assert chosen.profile_id == picked["profile"]
