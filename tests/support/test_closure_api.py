"""The closure API: read where a participant's time stands with a draft summary, and
close it. Bad input gets a 4xx in the one error shape and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction

from peerbridge.matching.models import MatchStatus
from peerbridge.support.models import Closure, Goal, GoalRating
from tests.conftest import World, client_for
from tests.followups import world as fw
from tests.matching.world_lifecycle import waiting_enrolment
from tests.support.world import active_match

API = "/api/v1/enrolments"
VALID = {"summary": "Twelve calls.", "exit_questionnaire": "completed", "send_thanks": False}
MALFORMED: list[Any] = [
    None,
    "",
    "   ",
    "x" * 5000,
    -1,
    10**30,
    3.5,
    True,
    [],
    {},
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
]


def _error_shape(response: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"])
    return dict(body["error"])


def post(client: Any, enrolment_id: Any, body: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(f"{API}/{enrolment_id}/closure", data=raw, content_type="application/json")


def test_get_shows_the_draft_then_post_closes(world: World) -> None:
    match = active_match(world.programme_a)
    fw.contact(match, minutes=90)
    made = Goal.objects.create(enrolment=match.enrolment, text="Back to choir")
    GoalRating.objects.create(goal=made, rating=4, by=GoalRating.By.PEER)
    coordinator = client_for("coordinator")
    read = coordinator.get(f"{API}/{match.enrolment_id}/closure")
    assert read.status_code == 200
    body = read.json()
    assert body["closable"] is True and body["closure"] is None
    assert body["match_id"] == match.pk and body["enrolment_status"] == "active"
    assert body["draft"]["contacts"] == 1 and body["draft"]["hours"] == 1.5
    assert body["draft"]["goals"][0]["text"] == "Back to choir"
    assert body["draft"]["goals"][0]["first"] == body["draft"]["goals"][0]["last"] == 4
    closed = post(coordinator, match.enrolment_id, VALID)
    assert closed.status_code == 201
    after = closed.json()
    assert after["enrolment_status"] == "completed" and after["closable"] is False
    assert after["closure"]["exit_questionnaire"] == "completed"
    assert after["closure"]["thanks_sent_at"] is None
    match.refresh_from_db()
    assert match.status == MatchStatus.COMPLETED
    again = post(coordinator, match.enrolment_id, VALID)
    assert again.status_code == 422 and "enrolment" in _error_shape(again)["fields"]


def test_every_field_rejects_malformed_values(world: World) -> None:
    coordinator = client_for("coordinator")
    for field in VALID:
        for value in MALFORMED:
            with transaction.atomic():
                match = active_match(world.programme_a)
                response = post(coordinator, match.enrolment_id, {**VALID, field: value})
                if response.status_code < 400:
                    transaction.set_rollback(True)
                    continue  # some values are legal for some fields
                error = _error_shape(response)
                assert field in error["fields"], (field, value, error)
                assert not Closure.objects.filter(enrolment=match.enrolment).exists()
                transaction.set_rollback(True)


@pytest.mark.parametrize(
    "raw", ["{not json", "[]", "null", '"text"', "1", "\x00", json.dumps({"summary": "\x00"})]
)
def test_bodies_that_are_not_the_right_object_are_refused(world: World, raw: str) -> None:
    match = active_match(world.programme_a)
    _error_shape(post(client_for("coordinator"), match.enrolment_id, raw))
    assert not Closure.objects.filter(enrolment=match.enrolment).exists()


@pytest.mark.parametrize("bad", ["x", "0", "-1", "1.5", str(10**30), "%00"])
def test_bad_enrolment_ids_are_404_or_422_never_500(world: World, bad: str) -> None:
    coordinator = client_for("coordinator")
    for response in (
        coordinator.get(f"{API}/{bad}/closure"),
        post(coordinator, bad, VALID),
    ):
        assert response.status_code in (404, 422), response.status_code
        _error_shape(response)


def test_the_api_answers_only_those_who_run_the_programme(world: World) -> None:
    match = active_match(world.programme_a)
    other = waiting_enrolment(world.programme_b)
    expected = {"supervisor": 403, "peer": 404, "evaluator": 404, "participant": 404}
    for persona, status in expected.items():
        client = client_for(persona)
        assert client.get(f"{API}/{match.enrolment_id}/closure").status_code == status, persona
        assert post(client, match.enrolment_id, VALID).status_code == status, persona
    assert client_for("anonymous").get(f"{API}/{match.enrolment_id}/closure").status_code == 401
    assert client_for("coordinator").get(f"{API}/{other.pk}/closure").status_code == 404
    assert not Closure.objects.exists()


def test_an_enrolment_that_cannot_close_says_why(world: World) -> None:
    match = active_match(world.programme_a, status=MatchStatus.INTRODUCED)
    coordinator = client_for("coordinator")
    body = coordinator.get(f"{API}/{match.enrolment_id}/closure").json()
    assert body["closable"] is False and "first contact" in body["not_closable_because"]
    refused = post(coordinator, match.enrolment_id, VALID)
    assert refused.status_code == 422
    assert "first contact" in _error_shape(refused)["fields"]["enrolment"][0]
