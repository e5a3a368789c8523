"""The questionnaires API: entering a response scores it and raises a flag for a safety
item; bad input gets a 4xx in the one error shape and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from peerbridge.outcomes import schedules
from peerbridge.outcomes.models import Assessment, InstrumentLicence, Response
from peerbridge.safety.models import OnCallShift, RiskFlag
from tests.conftest import World
from tests.safety.world import client_as, peer_of, set_settings, user_of, working_match

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nobody_on_call(world: World) -> None:
    OnCallShift.objects.filter(programme=world.programme_a).delete()
    set_settings(world.programme_a, on_call=None, crisis_resources="")


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(
        url,
        data=body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
    )


def test_entering_a_phq9_scores_it_and_item_9_raises_a_flag(world: World) -> None:
    match = working_match(world.programme_a)
    assessment = schedules.assessment_create(
        enrolment=match.enrolment, instruments=["phq9"], due_on=None, actor=None
    )
    answers = {f"q{n}": 0 for n in range(1, 9)} | {"q9": 2}
    reply = post(
        client_as(peer_of(match)),
        f"/api/v1/assessments/{assessment.pk}/responses",
        {"instrument": "phq9", "mode": "paper", "answers": answers},
    )
    assert reply.status_code == 201, reply.content
    body = reply.json()
    assert (body["score"], body["bands"], body["safety_items"]) == (
        2.0,
        {"total": "minimal"},
        ["q9"],
    )
    assert RiskFlag.objects.filter(source_reference=f"response:{body['id']}:item:q9").exists()
    listed = client_as(peer_of(match)).get(f"/api/v1/assessments/{assessment.pk}").json()
    assert listed["status"] == "completed" and listed["responses"][0]["score"] == 2.0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"instrument": "phq9", "mode": "paper", "answers": {"q1": "3"}}, "answers"),
        ({"instrument": "phq9", "mode": "paper", "answers": {"q1": 7}}, "q1"),
        ({"instrument": "phq9", "mode": "paper", "answers": {"q99": 1}}, "q99"),
        ({"instrument": "phq9", "mode": "link", "answers": {}}, "mode"),
        ({"instrument": "gad7", "mode": "paper", "answers": {"q1": 1}}, "instrument"),
        ({"instrument": "phq9", "mode": "paper", "answers": {"q1": 1}}, "q2"),
        ({"instrument": "phq9", "mode": "paper", "answers": [1, 2]}, "answers"),
        ({"mode": "paper", "answers": {}}, "instrument"),
        ("{not json", ""),
    ],
)
def test_bad_answers_are_refused_in_the_one_error_shape(
    world: World, body: Any, field: str
) -> None:
    match = working_match(world.programme_a)
    assessment = schedules.assessment_create(
        enrolment=match.enrolment, instruments=["phq9"], due_on=None, actor=None
    )
    reply = post(client_as(peer_of(match)), f"/api/v1/assessments/{assessment.pk}/responses", body)
    assert 400 <= reply.status_code < 500
    error = reply.json()["error"]
    assert error["message"]
    if field:
        assert any(field in key for key in error.get("fields", {})), error
    assert not Response.objects.filter(assessment=assessment).exists()
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.OPEN


@pytest.mark.parametrize(
    "body",
    [
        {"instruments": []},
        {"instruments": ["epds"]},
        {"instruments": ["phq9"], "due_on": 20260101},
        {"instruments": ["phq9"], "due_on": "2026-02-30"},
        {"instruments": "phq9"},
    ],
)
def test_asking_for_an_unusable_or_malformed_questionnaire_is_refused(
    world: World, body: Any
) -> None:
    match = working_match(world.programme_a)
    before = Assessment.objects.count()
    reply = post(
        client_as(user_of("coordinator")),
        f"/api/v1/enrolments/{match.enrolment_id}/assessments",
        body,
    )
    assert reply.status_code == 422, reply.content
    assert "error" in reply.json()
    assert Assessment.objects.count() == before


@pytest.mark.parametrize("assessment_id", ["abc", "99999999", "-1", "1e3"])
def test_unknown_or_malformed_ids_are_404(world: World, assessment_id: str) -> None:
    reply = client_as(user_of("coordinator")).get(f"/api/v1/assessments/{assessment_id}")
    assert reply.status_code in {404, 422}
    assert "error" in reply.json()


def test_a_licence_needs_a_licensed_questionnaire_and_details(world: World) -> None:
    admin = client_as(user_of("admin"))
    refused = post(
        admin, "/api/v1/instrument-licences", {"instrument": "phq9", "holder": "", "reference": ""}
    )
    assert refused.status_code == 422
    assert set(refused.json()["error"]["fields"]) >= {"instrument", "holder", "reference"}
    assert not InstrumentLicence.objects.exists()
    made = post(
        admin,
        "/api/v1/instrument-licences",
        {"instrument": "epds", "holder": "Trust", "reference": "R-1"},
    )
    assert made.status_code == 201 and made.json()["in_force"] is True
    library = {row["code"]: row for row in admin.get("/api/v1/instruments").json()}
    assert library["epds"]["usable"] is True and library["wemwbs"]["usable"] is False
