"""The lifecycle pages: the staff's match page, the peer's own page on a phone (offers
answered in two taps, contact details only after accepting), the actions, and a
programme's matches by status in a fixed number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peerbridge.core.models import AuditEvent
from peerbridge.matching import lifecycle
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from tests.conftest import World, client_for
from tests.matching.world_lifecycle import offered, ready_peer, walk_to
from tests.workforce.world_wellbeing import client_of

pytestmark = pytest.mark.django_db

M = MatchStatus


def _page(response: Any) -> str:
    return str(response.content.decode())


def _status(match: Match) -> str:
    return Match.objects.get(pk=match.pk).status


# ------------------------------------------------------------------ the match page


def test_the_match_page_shows_both_people_history_reasons_and_next_steps(
    world: World,
) -> None:
    match = offered(world.programme_a, reasons=["Both speak Spanish"], score=72)
    response = client_for("coordinator").get(reverse("matching:match", args=[match.pk]))
    assert response.status_code == 200
    page = _page(response)
    assert str(match.enrolment.person) in page and str(match.profile.person) in page
    assert "Both speak Spanish" in page and "score 72 of 100" in page
    assert "Offered to the peer" in page and "Proposed" in page  # status and history
    for action in ("match_accept", "match_decline", "match_cancel"):
        assert reverse(f"matching:{action}", args=[match.pk]) in page
    assert reverse("matching:match_introduce", args=[match.pk]) not in page
    reads = AuditEvent.objects.filter(action="read", object_type="people.person")
    assert reads.filter(object_id=str(match.enrolment.person_id)).exists()


def test_a_supervisor_sees_the_match_but_no_actions(world: World) -> None:
    match = offered(world.programme_a)
    page = _page(client_for("supervisor").get(reverse("matching:match", args=[match.pk])))
    assert str(match.profile.person) in page
    assert reverse("matching:match_cancel", args=[match.pk]) not in page


def test_the_peer_is_sent_to_their_own_page(world: World) -> None:
    match = offered(world.programme_a)
    response = client_of(match.profile).get(reverse("matching:match", args=[match.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('matching:my_matches')}#match-{match.pk}"


def test_a_re_match_shows_the_earlier_match(world: World) -> None:
    first = walk_to(M.ACCEPTED, world.programme_a)
    lifecycle.match_end(first, reason="not_a_fit", note="Different needs.", actor=None)
    second = offered(world.programme_a, enrolment=first.enrolment)
    page = _page(client_for("coordinator").get(reverse("matching:match", args=[second.pk])))
    assert reverse("matching:match", args=[first.pk]) in page and "Not a fit" in page
    earlier = _page(client_for("coordinator").get(reverse("matching:match", args=[first.pk])))
    assert "Different needs." in earlier  # the private note, for staff


# ------------------------------------------------------------------- the peer's page


def test_an_offer_shows_a_first_name_and_no_contact_details(world: World) -> None:
    match = offered(world.programme_a, reasons=["Both were diagnosed young"])
    person = match.enrolment.person
    response = client_of(match.profile).get(reverse("matching:my_matches"))
    assert response.status_code == 200
    page = _page(response)
    assert person.given_name in page and "Weekday evenings" in page
    assert "Spanish" in page and "Newly diagnosed" in page
    assert "Both were diagnosed young" in page
    assert person.family_name not in page
    assert person.phone not in page and person.email not in page
    assert reverse("matching:match_accept", args=[match.pk]) in page
    for value in ("no_room", "not_a_fit", "know_them", "too_close", "other"):
        assert f'name="reason" value="{value}"' in page
    reads = AuditEvent.objects.filter(action="read", object_type="people.person")
    assert reads.filter(object_id=str(person.pk)).exists()


def test_accepting_in_one_tap_shows_the_contact_details_and_next_step(world: World) -> None:
    match = offered(world.programme_a)
    client = client_of(match.profile)
    response = client.post(reverse("matching:match_accept", args=[match.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("matching:my_matches"))
    assert _status(match) == M.ACCEPTED
    assert Enrolment.objects.get(pk=match.enrolment_id).status == EnrolmentStatus.MATCHED
    page = _page(client.get(reverse("matching:my_matches")))
    person = match.enrolment.person
    assert person.phone in page and person.email in page
    assert "introduce you" in page


def test_contact_details_follow_the_participants_consent(world: World) -> None:
    from peerbridge.people.services import consent_record

    match = walk_to(M.ACCEPTED, world.programme_a)
    consent_record(
        person=match.enrolment.person,
        programme=world.programme_a,
        scopes=["participation", "contact_email"],
        method="verbal",
        recorded_by=None,
    )
    page = _page(client_of(match.profile).get(reverse("matching:my_matches")))
    assert match.enrolment.person.email in page
    assert match.enrolment.person.phone not in page


def test_declining_in_two_taps(world: World) -> None:
    match = offered(world.programme_a)
    response = client_of(match.profile).post(
        reverse("matching:match_decline", args=[match.pk]), {"reason": "too_close"}
    )
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.status == M.DECLINED and match.decline_reason == "too_close"


def test_a_decline_without_a_reason_shows_the_form_again(world: World) -> None:
    match = offered(world.programme_a)
    response = client_of(match.profile).post(
        reverse("matching:match_decline", args=[match.pk]), {"reason": "bored"}
    )
    assert response.status_code == 422
    assert "Select a valid choice" in _page(response)
    assert _status(match) == M.OFFERED


def test_the_peer_confirms_first_contact_from_their_page(world: World) -> None:
    match = walk_to(M.INTRODUCED, world.programme_a)
    client = client_of(match.profile)
    page = _page(client.get(reverse("matching:my_matches")))
    assert reverse("matching:match_first_contact", args=[match.pk]) in page
    response = client.post(reverse("matching:match_first_contact", args=[match.pk]))
    assert response.status_code == 302
    assert _status(match) == M.FIRST_CONTACT


def test_first_contact_on_another_day_or_in_the_future(world: World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    match = walk_to(M.INTRODUCED, world.programme_a)
    client = client_of(match.profile)
    url = reverse("matching:match_first_contact", args=[match.pk])
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(url, {"on": tomorrow.isoformat()})
    assert response.status_code == 422 and _status(match) == M.INTRODUCED
    response = client.post(url, {"on": "not a date"})
    assert response.status_code == 422
    response = client.post(url, {"on": timezone.localdate().isoformat()})
    assert response.status_code == 302 and _status(match) == M.FIRST_CONTACT


def test_a_peer_never_reaches_another_peers_offer(world: World) -> None:
    match = offered(world.programme_a)
    someone_else = ready_peer(world.programme_a)
    client = client_of(someone_else)
    page = _page(client.get(reverse("matching:my_matches")))
    assert reverse("matching:match_accept", args=[match.pk]) not in page
    for name in ("match", "match_decline", "match_first_contact"):
        assert client.get(reverse(f"matching:{name}", args=[match.pk])).status_code == 404
    assert client.post(reverse("matching:match_accept", args=[match.pk])).status_code == 404
    assert _status(match) == M.OFFERED


def test_a_proposal_is_not_shown_to_the_peer_until_offered(world: World) -> None:
    match = offered(world.programme_a, offer=False)
    client = client_of(match.profile)
    assert reverse("matching:match_accept", args=[match.pk]) not in _page(
        client.get(reverse("matching:my_matches"))
    )
    assert client.post(reverse("matching:match_accept", args=[match.pk])).status_code == 404


def test_the_peer_cannot_take_the_coordinators_steps(world: World) -> None:
    match = walk_to(M.ACCEPTED, world.programme_a)
    client = client_of(match.profile)
    for name in ("match_introduce", "match_end", "match_cancel"):
        assert client.post(reverse(f"matching:{name}", args=[match.pk])).status_code == 403
    assert _status(match) == M.ACCEPTED


# -------------------------------------------------------------- the staff's actions


def test_the_coordinator_walks_a_match_to_completion(world: World) -> None:
    match = offered(world.programme_a, offer=False)
    client = client_for("coordinator")

    def post(name: str, data: dict[str, Any] | None = None) -> Any:
        response = client.post(reverse(f"matching:{name}", args=[match.pk]), data or {})
        assert response.status_code == 302, (name, response.content[:500])
        assert response["Location"] == reverse("matching:match", args=[match.pk])
        return response

    for name in (
        "match_offer",
        "match_accept",
        "match_introduce",
        "match_first_contact",
        "match_activate",
    ):
        post(name)
    post("match_complete", {"note": "Twelve calls."})
    match.refresh_from_db()
    assert match.status == M.COMPLETED
    assert Enrolment.objects.get(pk=match.enrolment_id).status == EnrolmentStatus.COMPLETED
    assert "Twelve calls." in [change.note for change in match.status_changes.all()]


def test_a_step_the_match_cannot_take_is_a_message(world: World) -> None:
    match = offered(world.programme_a)
    client = client_for("coordinator")
    response = client.post(reverse("matching:match_activate", args=[match.pk]), follow=True)
    assert "cannot become active" in _page(response)
    assert _status(match) == M.OFFERED


def test_ending_early_from_the_form(world: World) -> None:
    match = walk_to(M.ACTIVE, world.programme_a)
    client = client_for("coordinator")
    url = reverse("matching:match_end", args=[match.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "other"})
    assert response.status_code == 422 and "in a few words" in _page(response)
    response = client.post(url, {"reason": "not_a_fit", "note": "Clash.", "rematch": "on"})
    assert response.status_code == 302
    assert _status(match) == M.ENDED
    assert Enrolment.objects.get(pk=match.enrolment_id).status == EnrolmentStatus.WAITING


def test_the_programmes_list_filters_by_status(world: World) -> None:
    offer = offered(world.programme_a)
    active = walk_to(M.ACTIVE, world.programme_a)
    url = reverse("matching:programme_matches", args=[world.programme_a.pk])
    client = client_for("coordinator")

    def shown(query: str) -> set[int]:
        response = client.get(url + query)
        assert response.status_code == 200
        return {m.pk for m in response.context["rows"]}

    assert {offer.pk, active.pk} <= shown("")
    assert offer.pk in shown("?status=offered") and active.pk not in shown("?status=offered")
    assert active.pk in shown("?status=active")
    assert {offer.pk, active.pk} <= shown("?status=live")
    assert {offer.pk, active.pk} <= shown("?status=bogus")  # an unknown filter shows all
    assert shown("?page=abc") is not None


def test_the_list_reads_in_a_fixed_number_of_queries(world: World) -> None:
    client = client_for("coordinator")
    url = reverse("matching:programme_matches", args=[world.programme_a.pk])
    client.get(url)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    offered(world.programme_a)
    few = queries()
    for _ in range(5):
        offered(world.programme_a)
    walk_to(M.ACTIVE, world.programme_a)
    assert queries() == few


def test_the_peers_page_reads_in_a_fixed_number_of_queries(world: World) -> None:
    profile = ready_peer(world.programme_a, max_matches=10)
    client = client_of(profile)
    url = reverse("matching:my_matches")
    offered(world.programme_a, profile=profile)
    walk_to(M.ACCEPTED, world.programme_a, profile=profile)
    client.get(url)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(3):
        offered(world.programme_a, profile=profile)
        walk_to(M.INTRODUCED, world.programme_a, profile=profile)
    assert queries() == few


def test_list_and_match_pages_are_for_staff(world: World) -> None:
    match = offered(world.programme_a)
    url = reverse("matching:programme_matches", args=[world.programme_a.pk])
    assert client_of(match.profile).get(url).status_code in (403, 404)
    assert client_for("coordinator").get(
        reverse("matching:programme_matches", args=[world.programme_b.pk])
    ).status_code in (403, 404)
    other = offered(world.programme_b)
    assert (
        client_for("coordinator").get(reverse("matching:match", args=[other.pk])).status_code == 404
    )
