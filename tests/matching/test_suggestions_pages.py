"""The coordinator's matching pages: the waiting list, one participant's page with the
suggested peers, "why not?", their wishes and the offer; the leaders' match settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peerbridge.core.models import AuditEvent
from peerbridge.matching.configuration import match_preferences, match_settings, settings_update
from peerbridge.matching.models import Component, Match, MatchStatus, Preset
from peerbridge.referrals.models import Enrolment
from peerbridge.workforce.capacity import capacity_reserve
from tests.conftest import World, client_for
from tests.matching.world_suggestions import fresh_programme, participant, peer

pytestmark = pytest.mark.django_db

MASTECTOMY = "Breast cancer > Mastectomy"


def _page(persona: str, url: str, **kwargs: Any) -> tuple[int, str]:
    response = client_for(persona).get(url, **kwargs)
    return response.status_code, response.content.decode()


def _reads(person_id: int) -> int:
    return AuditEvent.objects.filter(
        action="read", object_type="people.person", object_id=str(person_id)
    ).count()


def test_the_waiting_list_shows_who_waits_how_long_and_what_language_they_need() -> None:
    programme = fresh_programme()
    routine = participant(programme, given_name="Avery", waiting_days=40, languages=("en",))
    urgent = participant(
        programme,
        given_name="Blessing",
        waiting_days=3,
        languages=("so", "en"),
        priority=Enrolment.Priority.URGENT,
    )
    client = client_for("admin")
    client.post(
        f"/matching/enrolments/{urgent.pk}/preferences/",
        {"language": "so", "language_required": "on", "window-TOTAL_FORMS": "0",
         "window-INITIAL_FORMS": "0"},
    )  # fmt: skip
    status, text = _page("admin", f"/programmes/{programme.pk}/matching/")
    assert status == 200
    assert text.index("Blessing") < text.index("Avery")  # urgent first
    assert "40 days" in text and "3 days" in text
    assert "Somali, English" in text and "needs Somali" in text
    assert f"/matching/enrolments/{routine.pk}/" in text
    assert _reads(routine.person_id) == 1


def test_the_waiting_list_costs_the_same_queries_for_two_or_ten_people() -> None:
    programme = fresh_programme()
    for _ in range(2):
        participant(programme)
    client = client_for("admin")
    client.get(f"/programmes/{programme.pk}/matching/")  # warm the per-user role cache
    url = f"/programmes/{programme.pk}/matching/"
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(8):
        participant(programme)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_participants_page_shows_the_suggestions_with_reasons_and_audits_reads() -> None:
    programme = fresh_programme()
    settings_update(programme=programme, data={"preset": Preset.SURGERY_FIRST}, actor=None)
    best = peer(
        programme,
        lineage=MASTECTOMY,
        facets=("With reconstruction",),
        alias="Rosa",
        story="A mastectomy with reconstruction four years ago.",
    )
    other = peer(programme, lineage="Breast cancer > Lumpectomy", alias="Jo")
    seeker = participant(
        programme,
        lineage=MASTECTOMY,
        facets=("With reconstruction",),
        issues=("Body image",),
        story="I am having a mastectomy with reconstruction next month.",
    )
    status, text = _page("admin", f"/matching/enrolments/{seeker.pk}/")
    assert status == 200
    assert "Breast cancer &gt; Mastectomy" in text and "Body image" in text
    assert text.index("Rosa") < text.index("Jo")
    assert "both had Mastectomy" in text and "score" in text
    assert "Offer to Rosa" in text
    assert f"/matching/enrolments/{seeker.pk}/choice/" in text
    for profile in (best, other):
        assert _reads(profile.person_id) == 1
    assert _reads(seeker.person_id) == 1


def test_the_participants_page_costs_the_same_queries_for_two_or_ten_peers() -> None:
    programme = fresh_programme()
    seeker = participant(programme, lineage=MASTECTOMY, story="Worried about surgery.")
    for _ in range(2):
        peer(programme, lineage=MASTECTOMY, issues=("Body image",), story="Had surgery.")
    client = client_for("admin")
    url = f"/matching/enrolments/{seeker.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(8):
        peer(programme, lineage=MASTECTOMY, issues=("Fatigue",), story="Had surgery too.")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few) < 50


def test_asking_why_not_loads_the_peers_once() -> None:
    programme = fresh_programme()
    asked = peer(programme, lineage=MASTECTOMY, alias="Sam")
    seeker = participant(programme, lineage=MASTECTOMY)
    client = client_for("admin")
    url = f"/matching/enrolments/{seeker.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as plain:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as asking:
        assert client.get(url, {"peer": asked.pk}).status_code == 200
    assert len(asking) <= len(plain) + 1  # the peer asked about is checked, nothing reloaded


def test_the_page_says_when_suggestions_fall_back_to_shared_issues() -> None:
    programme = fresh_programme()
    peer(programme, lineage="Child disability > G-tube", issues=("Feeding",))
    seeker = participant(
        programme, lineage="Child disability > Rare genetic condition", issues=("Feeding",)
    )
    status, text = _page("admin", f"/matching/enrolments/{seeker.pk}/")
    assert status == 200
    assert "No available peer shares Rare genetic condition" in text


def test_why_not_this_peer_answers_in_sentences_on_the_page() -> None:
    programme = fresh_programme()
    full = peer(programme, lineage=MASTECTOMY, max_matches=1, alias="Sam")
    capacity_reserve(profile=full, kind="match", reference="match:test", actor=None)
    seeker = participant(programme, lineage=MASTECTOMY)
    status, text = _page("admin", f"/matching/enrolments/{seeker.pk}/", data={"peer": full.pk})
    assert status == 200
    assert "Not available for matching: Already 1 of 1 people supported." in text
    assert "Offer to Sam" not in text
    assert f'<option value="{full.pk}" selected>Sam (' in text
    assert _reads(full.person_id) == 1  # named in the picker
    status, text = _page("admin", f"/matching/enrolments/{seeker.pk}/", data={"peer": "nope"})
    assert status == 200 and "Select a valid choice" in text


def test_offering_a_suggested_peer_makes_the_match_and_opens_it() -> None:
    programme = fresh_programme()
    best = peer(programme, lineage=MASTECTOMY, facets=("With reconstruction",), alias="Rosa")
    seeker = participant(programme, lineage=MASTECTOMY, facets=("With reconstruction",))
    client = client_for("admin")
    response = client.post(f"/matching/enrolments/{seeker.pk}/offer/", {"profile": best.pk})
    match = Match.objects.get(enrolment=seeker)
    assert response.status_code == 302 and response["Location"] == f"/matching/matches/{match.pk}/"
    assert match.profile == best and match.source == Match.Source.SUGGESTION
    assert match.status == MatchStatus.OFFERED
    assert match.score is not None and 0 < match.score <= 100
    assert any("both had Mastectomy" in reason for reason in match.reasons)
    again = client.post(f"/matching/enrolments/{seeker.pk}/offer/", {"profile": best.pk})
    assert again.status_code == 409  # at capacity now? no: a match is under way
    assert Match.objects.filter(enrolment=seeker).count() == 1


def test_an_offer_to_a_peer_not_suggested_now_is_refused() -> None:
    programme = fresh_programme()
    full = peer(programme, lineage=MASTECTOMY, max_matches=1)
    capacity_reserve(profile=full, kind="match", reference="match:test", actor=None)
    seeker = participant(programme, lineage=MASTECTOMY)
    client = client_for("admin")
    refused = client.post(f"/matching/enrolments/{seeker.pk}/offer/", {"profile": full.pk})
    assert refused.status_code == 409
    assert "no longer among the suggestions" in refused.content.decode()
    for bad in ({}, {"profile": "x"}, {"profile": "-4"}, {"profile": "9" * 30}):
        response = client.post(f"/matching/enrolments/{seeker.pk}/offer/", bad)
        assert response.status_code == 422, bad
    assert not Match.objects.filter(enrolment=seeker).exists()


def test_their_wishes_are_saved_from_the_page_or_refused_with_field_errors() -> None:
    programme = fresh_programme(modalities=("telephone", "in_person"))
    seeker = participant(programme, languages=("pt", "en"))
    client = client_for("admin")
    url = f"/matching/enrolments/{seeker.pk}/preferences/"
    window = {"window-TOTAL_FORMS": "1", "window-INITIAL_FORMS": "0"}
    saved = client.post(
        url,
        {
            "peer_gender": "woman",
            "language": "pt",
            "language_required": "on",
            "modalities": ["telephone"],
            "max_distance_km": "20",
            "window-0-day": "2",
            "window-0-start": "09:00",
            "window-0-end": "11:30",
            **window,
        },
    )
    assert saved.status_code == 302
    wishes = match_preferences(seeker)
    assert wishes.peer_gender == "woman" and wishes.language == "pt" and wishes.language_required
    assert wishes.modalities == ["telephone"] and wishes.max_distance_km == 20
    assert wishes.availability == [{"day": 2, "start": "09:00", "end": "11:30"}]
    refused = client.post(url, {"gender_required": "on", **window})
    assert refused.status_code == 422
    assert "Choose the gender that is required." in refused.content.decode()
    not_offered = client.post(url, {"modalities": ["video"], "language": "xx", **window})
    assert not_offered.status_code == 422
    assert not_offered.content.decode().count("Select a valid choice") == 2
    late = client.post(
        url,
        {"window-0-day": "1", "window-0-start": "18:00", "window-0-end": "09:00", **window},
    )
    assert late.status_code == 422 and "A window ends after it starts." in late.content.decode()
    assert match_preferences(seeker).peer_gender == "woman"


def test_leaders_change_the_match_settings_with_field_errors_when_wrong() -> None:
    programme = fresh_programme()
    client = client_for("admin")
    url = f"/programmes/{programme.pk}/matching/settings/"
    status, text = _page("admin", url)
    assert status == 200 and "Same surgery first" in text and "Closeness in age" in text
    numbers = {
        "suggestions": "4",
        "candidates_per_participant": "20",
        "choice_profiles": "3",
        "choice_link_days": "7",
        "offer_response_days": "3",
        "max_distance_km": "40",
    }
    saved = client.post(
        url,
        {
            "preset": "issues_first",
            "requirements": ["language"],
            "weight_age": "0",
            "weight_issues": "60",
            **numbers,
        },
    )
    assert saved.status_code == 302
    rules = match_settings(programme)
    assert rules.preset == "issues_first" and rules.requirements == ["language"]
    assert rules.weights == {"age": 0, "issues": 60} and rules.suggestions == 4
    refused = client.post(
        url, {"preset": "general", "weight_age": "101", "requirements": ["age"], **numbers}
    )
    assert refused.status_code == 422
    text = refused.content.decode()
    assert "Ensure this value is less than or equal to 100." in text
    assert "Select a valid choice" in text
    everything_zero = client.post(
        url,
        {"preset": "general", **{f"weight_{c}": "0" for c in Component.values}, **numbers},
    )
    assert everything_zero.status_code == 422
    assert "at least one part of the score" in everything_zero.content.decode()
    assert match_settings(programme).preset == "issues_first"


def test_a_coordinator_of_another_programme_does_not_reach_these_pages(world: World) -> None:
    elsewhere = fresh_programme()
    seeker = participant(elsewhere)
    coordinator = client_for("coordinator")  # coordinator of programme A only
    for url in (
        f"/programmes/{elsewhere.pk}/matching/",
        f"/matching/enrolments/{seeker.pk}/",
    ):
        assert coordinator.get(url).status_code == 404, url
    assert coordinator.get(f"/programmes/{world.programme_a.pk}/matching/").status_code == 200
    leader_only = coordinator.get(f"/programmes/{world.programme_a.pk}/matching/settings/")
    assert leader_only.status_code == 403


@pytest.mark.parametrize("bad", ["0", "999999999", "9" * 25])
def test_ids_that_do_not_exist_are_not_found(bad: str) -> None:
    client = client_for("admin")
    for url in (
        f"/programmes/{bad}/matching/",
        f"/programmes/{bad}/matching/settings/",
        f"/matching/enrolments/{bad}/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/matching/enrolments/{bad}/preferences/",
        f"/matching/enrolments/{bad}/offer/",
    ):
        assert client.post(url, {}).status_code == 404, url
    assert client.get("/matching/enrolments/abc/").status_code == 404


def test_the_waiting_list_page_number_is_forgiving() -> None:
    programme = fresh_programme()
    participant(programme, given_name="Casey")
    for page in ("0", "-3", "x", "999999", "9" * 40):
        status, text = _page("admin", f"/programmes/{programme.pk}/matching/?page={page}")
        assert status == 200 and "Casey" in text, page
