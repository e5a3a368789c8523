"""Individual change and the progress page: first against latest score per
questionnaire classified by the scale's criteria (hand-worked PHQ-9 and GAD-7 cases),
plain-language sentences, the accessible inline chart, who reaches the page (the
participant their own, their peer, staff in scope), audited reads and constant
queries. Responses are made directly, scored by instruments.scoring.score."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.instruments.registry import get_instrument
from peerbridge.instruments.scoring import score
from peerbridge.matching.models import Match
from peerbridge.outcomes.measures import measure_record
from peerbridge.outcomes.models import Mode, Response
from peerbridge.outcomes.progress import (
    change_sentence,
    completed_responses,
    individual_change,
    participant_progress,
    questionnaire_progress,
)
from peerbridge.referrals.models import Enrolment
from tests.conftest import World
from tests.support.world import (
    active_match,
    participant_user_of,
    peer_user_of,
    queries_for,
    user_of,
)

pytestmark = pytest.mark.django_db


def answers_for(instrument: str, total: int) -> dict[str, int]:
    """Answers adding up to `total`, filling items from the first with the highest
    option (the safety item last, so it stays 0 below the maximum)."""
    definition = get_instrument(instrument)
    answers: dict[str, int] = {}
    left = total
    for item in definition.items:
        top = max(item.values)
        answers[item.id] = min(top, left)
        left -= answers[item.id]
    assert left == 0, "total above the maximum"
    return answers


def add_response(
    enrolment: Enrolment,
    instrument: str,
    total: int,
    completed_at: datetime,
    *,
    status: str = Response.Status.COMPLETE,
    answers: dict[str, int] | None = None,
) -> Response:
    definition = get_instrument(instrument)
    answers = answers or answers_for(instrument, total)
    result = score(definition, answers)
    first = next(iter(result.scales.values()))
    return Response.objects.create(
        programme=enrolment.programme,
        person=enrolment.person,
        enrolment=enrolment,
        instrument=instrument,
        version=definition.version,
        mode=Mode.INTERVIEW,
        status=status,
        answers=answers,
        scores={code: part.value for code, part in result.scales.items()},
        bands={c: p.band.code for c, p in result.scales.items() if p.band is not None},
        safety_items=list(result.safety_items),
        score=first.value,
        completed_at=completed_at if status == Response.Status.COMPLETE else None,
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _days_ago(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


# ------------------------------------------------------------ classification by hand


@pytest.mark.parametrize(
    ("instrument", "before", "after", "category"),
    [
        # PHQ-9: reliable change 6, caseness 10 (NHS Talking Therapies).
        ("phq9", 18, 7, "recovered"),  # -11, from 18 (case) to 7 (not)
        ("phq9", 12, 10, "unchanged"),  # -2 is within the noise
        ("phq9", 20, 12, "improved"),  # -8 reliable, still a case
        ("phq9", 14, 6, "recovered"),
        ("phq9", 7, 14, "deteriorated"),  # +7
        ("phq9", 15, 10, "unchanged"),  # -5 is one short of reliable
        ("phq9", 15, 9, "recovered"),  # -6 is reliable and crosses 10
        # GAD-7: reliable change 4, caseness 8.
        ("gad7", 10, 5, "recovered"),
        ("gad7", 15, 10, "improved"),
        ("gad7", 5, 9, "deteriorated"),
        ("gad7", 9, 7, "unchanged"),
    ],
)
def test_change_is_classified_by_the_scale_criteria(
    instrument: str, before: int, after: int, category: str
) -> None:
    scale = get_instrument(instrument).scales[0]
    change = individual_change(scale, before, after)
    assert change is not None and change.category == category


def test_a_scale_without_criteria_gives_no_classification() -> None:
    brief_resilience = get_instrument("brs").scales[0]
    assert individual_change(brief_resilience, 2.0, 4.0) is None


def test_first_and_latest_complete_answers_are_compared(world: World) -> None:
    match = active_match(world.programme_a)
    enrolment = match.enrolment
    # Made out of order: the comparison follows completed_at.
    add_response(enrolment, "phq9", 7, _days_ago(1))
    add_response(enrolment, "phq9", 18, _days_ago(60))
    add_response(enrolment, "phq9", 12, _days_ago(30))
    add_response(enrolment, "phq9", 27, _days_ago(0), status=Response.Status.STARTED)
    add_response(enrolment, "gad7", 11, _days_ago(60))
    (phq9, gad7) = questionnaire_progress(list(completed_responses(enrolment)))
    assert [p.score for p in phq9.points] == [18, 12, 7]
    assert [p.band for p in phq9.points] == ["Moderately severe", "Moderate", "Mild"]
    assert phq9.change is not None and phq9.change.category == "recovered"
    assert gad7.change is None and len(gad7.points) == 1


def test_sentences_in_plain_language(world: World) -> None:
    match = active_match(world.programme_a)
    enrolment = match.enrolment
    add_response(enrolment, "phq9", 14, _days_ago(40))
    add_response(enrolment, "phq9", 6, _days_ago(2))
    add_response(enrolment, "gad7", 9, _days_ago(40))
    add_response(enrolment, "gad7", 9, _days_ago(2))
    # Brief Resilience Scale: a mean of 1-5 with q2, q4 and q6 reversed.
    low = {"q1": 1, "q2": 5, "q3": 2, "q4": 5, "q5": 1, "q6": 5}
    high = {"q1": 4, "q2": 2, "q3": 4, "q4": 1, "q5": 4, "q6": 2}
    add_response(enrolment, "brs", 0, _days_ago(40), answers=low)
    add_response(enrolment, "brs", 0, _days_ago(2), answers=high)
    add_response(enrolment, "phq2", 3, _days_ago(2))
    found = {q.instrument.code: q for q in participant_progress(enrolment).questionnaires}
    own = change_sentence(found["phq9"], own=True, name="Robin")
    assert own.startswith("Your score went down from 14 to 6: a reliable improvement")
    assert "recovery" in own
    about = change_sentence(found["phq9"], own=False, name="Robin")
    assert about.startswith("Robin's score went down from 14 to 6")
    assert found["phq9"].better_direction == "On this questionnaire a lower score is better."
    assert change_sentence(found["gad7"], own=True, name="Robin") == "Your score stayed at 9."
    brs = change_sentence(found["brs"], own=True, name="Robin")
    assert brs.startswith("Your score went up from 1.2 to 4.2")
    assert "no agreed size" in brs
    assert found["brs"].better_direction == "On this questionnaire a higher score is better."
    once = change_sentence(found["phq2"], own=True, name="Robin")
    assert once == "You have answered this once so far: your score was 3."


# ----------------------------------------------------------------------------- page


def _progress_world(world: World) -> Match:
    match = active_match(world.programme_a)
    add_response(match.enrolment, "phq9", 18, _days_ago(60))
    add_response(match.enrolment, "phq9", 7, _days_ago(1))
    measure_record(
        enrolment=match.enrolment,
        actor=peer_user_of(match),
        kind="viral_load",
        value=30,
        measured_on=timezone.localdate(),
        source="laboratory",
    )
    return match


def test_participant_sees_their_progress_in_words_with_an_accessible_chart(
    world: World,
) -> None:
    match = _progress_world(world)
    participant = participant_user_of(match.enrolment)
    page = _client(participant).get(reverse("outcomes:progress", args=[match.enrolment_id]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "My progress" in text
    assert "Your score went down from 18 to 7: a reliable improvement" in text
    assert "lower score is better" in text
    assert 'role="img"' in text and "<title id=" in text and "<polyline" in text
    assert text.count("<circle") == 2
    assert "stroke-dasharray" in text  # the clinical cut-off line
    assert "<table>" in text and "Moderately severe" in text and "Mild" in text
    assert "Undetectable (under 50 copies/mL)" in text


def test_peer_and_staff_see_the_progress_about_the_participant(world: World) -> None:
    match = _progress_world(world)
    url = reverse("outcomes:progress", args=[match.enrolment_id])
    name = match.enrolment.person.preferred_name or match.enrolment.person.given_name
    for user in (peer_user_of(match), user_of("coordinator"), user_of("supervisor")):
        page = _client(user).get(url)
        assert page.status_code == 200
        assert f"{name}&#x27;s score went down from 18 to 7" in page.content.decode()


def test_progress_is_reached_only_in_scope(world: World) -> None:
    match = _progress_world(world)
    other = active_match(world.programme_a, given_name="Sam")
    url = reverse("outcomes:progress", args=[match.enrolment_id])
    assert _client(user_of("peer_other")).get(url).status_code == 404
    assert _client(participant_user_of(other.enrolment)).get(url).status_code == 404
    assert _client(peer_user_of(other)).get(url).status_code in (200, 404)
    assert _client(user_of("evaluator")).get(url).status_code == 403
    assert _client(user_of("referrer")).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    assert _client(user_of("coordinator")).get("/enrolments/x1/progress/").status_code == 404
    assert _client(user_of("coordinator")).post(url).status_code == 405


def test_my_progress_takes_the_participant_to_their_own(world: World) -> None:
    match = _progress_world(world)
    participant = participant_user_of(match.enrolment)
    response = _client(participant).get(reverse("outcomes:my_progress"))
    assert response.status_code == 302
    assert response["Location"] == reverse("outcomes:progress", args=[match.enrolment_id])
    assert _client(user_of("coordinator")).get(reverse("outcomes:my_progress")).status_code == 404


def test_reading_progress_is_audited(world: World) -> None:
    match = _progress_world(world)
    peer = peer_user_of(match)
    _client(peer).get(reverse("outcomes:progress", args=[match.enrolment_id]))
    reads = AuditEvent.objects.filter(actor=peer, action="read")
    assert reads.filter(object_type="people.person", object_id=str(match.enrolment.person_id))
    assert reads.filter(object_type="outcomes.response").count() == 2
    assert reads.filter(object_type="outcomes.measure").count() == 1


def _fill(match: Match, count: int) -> None:
    for n in range(count):
        add_response(match.enrolment, "phq9" if n % 2 else "gad7", n % 8, _days_ago(90 - n))
        measure_record(
            enrolment=match.enrolment,
            actor=user_of("coordinator"),
            kind="weight" if n % 2 else "adherence",
            value=70 + n,
            measured_on=timezone.localdate(),
            source="clinic_record",
        )


def test_progress_page_and_api_queries_do_not_grow_with_the_rows(world: World) -> None:
    few, many = active_match(world.programme_a), active_match(world.programme_a, given_name="Ali")
    _fill(few, 2)
    _fill(many, 12)
    client = _client(user_of("coordinator"))
    pages = [
        queries_for(client, reverse("outcomes:progress", args=[m.enrolment_id]))
        for m in (few, many)
    ]
    assert pages[0] == pages[1]
    api: list[int] = []
    for match in (few, many):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/enrolments/{match.enrolment_id}/progress")
        assert response.status_code == 200
        api.append(len(captured))
    assert api[0] == api[1]


# ------------------------------------------------------------------------------ API


def test_api_progress_gives_the_classification(world: World) -> None:
    match = _progress_world(world)
    url = f"/api/v1/enrolments/{match.enrolment_id}/progress"
    body: dict[str, Any] = _client(participant_user_of(match.enrolment)).get(url).json()
    (phq9,) = body["questionnaires"]
    assert (phq9["instrument"], phq9["first"], phq9["latest"]) == ("phq9", 18, 7)
    assert phq9["change"]["category"] == "recovered"
    assert phq9["change"]["threshold"] == 6 and phq9["change"]["crossed_cutoff"] is True
    assert [s["band"] for s in phq9["scores"]] == ["Moderately severe", "Mild"]
    assert body["measures"][0]["text"] == "Undetectable (under 50 copies/mL)"
    stranger = _client(user_of("peer_other")).get(url)
    assert stranger.status_code == 404 and stranger.json()["error"]["code"] == "not_found"
    bad = _client(user_of("coordinator")).get("/api/v1/enrolments/abc/progress")
    assert bad.status_code in (404, 422) and "error" in bad.json()
