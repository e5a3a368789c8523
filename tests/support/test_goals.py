"""Goals: set and rated by the participant (their own login), their current peer and
staff over the programme; read by supervisors; closed and reopened; the goals page with
its chart in a constant number of queries; and the goals API with malformed input."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.matching.models import Match
from peerbridge.support.goals import goal_add, goal_rate, goal_set_status
from peerbridge.support.models import Goal, GoalRating
from tests.conftest import World, client_for
from tests.support.world import (
    active_match,
    demo_user,
    participant_user_of,
    peer_user_of,
    queries_for,
    user_of,
)

pytestmark = pytest.mark.django_db

By = GoalRating.By


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _goal(match: Match, text: str = "Go back to choir") -> Goal:
    return goal_add(enrolment=match.enrolment, actor=peer_user_of(match), text=text)


# ----------------------------------------------------------------------------- services


def test_participant_peer_and_staff_set_and_rate_goals(world: World) -> None:
    match = active_match(world.programme_a)
    participant = participant_user_of(match.enrolment)
    goal = goal_add(enrolment=match.enrolment, actor=participant, text="  Sleep   through  ")
    assert (goal.text, goal.status, goal.created_by) == ("Sleep through", "active", participant)
    goal_rate(goal=goal, actor=participant, rating=2)
    goal_rate(goal=goal, actor=peer_user_of(match), rating=4)
    goal_rate(goal=goal, actor=user_of("coordinator"), rating=0)
    assert [(r.rating, r.by) for r in goal.ratings.order_by("pk")] == [
        (2, By.PARTICIPANT),
        (4, By.PEER),
        (0, By.STAFF),
    ]
    assert AuditEvent.objects.filter(action="create", object_type="support.goalrating").count() >= 3


def test_a_supervisor_another_peer_and_another_programme_cannot_set_goals(world: World) -> None:
    match = active_match(world.programme_a)
    goal = _goal(match)
    for outsider in (
        user_of("supervisor"),
        peer_user_of(active_match(world.programme_a)),
        demo_user("coordinator.b"),
        participant_user_of(active_match(world.programme_a).enrolment),
    ):
        with pytest.raises(PermissionDenied):
            goal_add(enrolment=match.enrolment, actor=outsider, text="Not theirs")
        with pytest.raises(PermissionDenied):
            goal_rate(goal=goal, actor=outsider, rating=5)


def test_a_former_peer_no_longer_reaches_the_goals(world: World) -> None:
    match = active_match(world.programme_a)
    goal = _goal(match)
    from peerbridge.matching import lifecycle

    lifecycle.match_complete(match, actor=None)
    with pytest.raises(PermissionDenied):
        goal_rate(goal=goal, actor=peer_user_of(match), rating=5)


@pytest.mark.parametrize("rating", [-1, 11, "5", 5.0, True, None])
def test_a_rating_outside_0_to_10_is_refused(world: World, rating: Any) -> None:
    match = active_match(world.programme_a)
    goal = _goal(match)
    with pytest.raises(ValidationError) as caught:
        goal_rate(goal=goal, actor=peer_user_of(match), rating=rating)
    assert "rating" in caught.value.message_dict


@time_machine.travel("2025-05-20 10:00:00+00:00", tick=False)
def test_a_rating_date_in_the_future_or_before_the_goal_is_refused(world: World) -> None:
    match = active_match(world.programme_a)
    goal = _goal(match)
    for day in (timezone.localdate() + timedelta(days=1), timezone.localdate() - timedelta(days=1)):
        with pytest.raises(ValidationError) as caught:
            goal_rate(goal=goal, actor=peer_user_of(match), rating=3, rated_on=day)
        assert "rated_on" in caught.value.message_dict


@pytest.mark.parametrize("text", ["", "   ", "x" * 501, "a\x00b", 42])
def test_a_goal_needs_words(world: World, text: Any) -> None:
    match = active_match(world.programme_a)
    with pytest.raises(ValidationError) as caught:
        goal_add(enrolment=match.enrolment, actor=peer_user_of(match), text=text)
    assert "text" in caught.value.message_dict


def test_a_goal_is_closed_rated_no_more_and_reopened(world: World) -> None:
    match = active_match(world.programme_a)
    peer = peer_user_of(match)
    goal = _goal(match)
    goal = goal_set_status(goal=goal, actor=peer, status="reached")
    assert goal.status == "reached" and goal.closed_at is not None
    with pytest.raises(ValidationError):
        goal_rate(goal=goal, actor=peer, rating=10)
    with pytest.raises(ValidationError):
        goal_set_status(goal=goal, actor=peer, status="reached")
    with pytest.raises(ValidationError):
        goal_set_status(goal=goal, actor=peer, status="finished")
    goal = goal_set_status(goal=goal, actor=peer, status="active")
    assert (goal.status, goal.closed_at) == ("active", None)


def test_goals_are_set_only_while_the_participant_takes_part(world: World) -> None:
    match = active_match(world.programme_a)
    from peerbridge.matching import lifecycle

    lifecycle.match_end(match, reason="participant_withdrew", note="", actor=None)
    with pytest.raises(ValidationError) as caught:
        goal_add(enrolment=match.enrolment, actor=user_of("coordinator"), text="Too late")
    assert "enrolment" in caught.value.message_dict


# ----------------------------------------------------------------------------- pages


def test_the_participant_sees_and_rates_their_own_goals(world: World) -> None:
    match = active_match(world.programme_a)
    participant = _client(participant_user_of(match.enrolment))
    url = reverse("support:goals", args=[match.enrolment_id])
    added = participant.post(url, {"text": "Walk to the park"})
    assert added.status_code == 302
    goal = Goal.objects.get(enrolment=match.enrolment)
    for value in ("3", "6"):
        rated = participant.post(reverse("support:goal_rate", args=[goal.pk]), {"rating": value})
        assert rated.status_code == 302
        assert rated["Location"].endswith(f"#goal-{goal.pk}")
    page = participant.get(url)
    text = page.content.decode()
    assert "My goals" in text and "Walk to the park" in text
    assert "<svg" in text and "3 → 6" in text
    assert text.count('name="rating"') == 11
    assert [r.by for r in goal.ratings.all()] == [By.PARTICIPANT, By.PARTICIPANT]


def test_the_peer_and_staff_see_the_goals_and_a_supervisor_only_reads(world: World) -> None:
    match = active_match(world.programme_a)
    goal = _goal(match, "Cook once a week")
    url = reverse("support:goals", args=[match.enrolment_id])
    for user in (peer_user_of(match), user_of("coordinator"), user_of("supervisor")):
        page = _client(user).get(url)
        assert page.status_code == 200
        assert "Cook once a week" in page.content.decode()
    supervisor = _client(user_of("supervisor"))
    assert supervisor.get(url).context["editor"] is False
    assert supervisor.post(url, {"text": "No"}).status_code == 403
    assert (
        supervisor.post(reverse("support:goal_rate", args=[goal.pk]), {"rating": "1"}).status_code
        == 403
    )
    closed = _client(peer_user_of(match)).post(
        reverse("support:goal_status", args=[goal.pk]), {"status": "stopped"}
    )
    assert closed.status_code == 302
    goal.refresh_from_db()
    assert goal.status == "stopped"


def test_others_do_not_find_the_goals(world: World) -> None:
    match = active_match(world.programme_a)
    goal = _goal(match)
    url = reverse("support:goals", args=[match.enrolment_id])
    for user in (
        peer_user_of(active_match(world.programme_a)),
        participant_user_of(active_match(world.programme_a).enrolment),
        demo_user("coordinator.b"),
        demo_user("leader.b"),
    ):
        client = _client(user)
        assert client.get(url).status_code == 404, user.email
        assert client.post(
            reverse("support:goal_rate", args=[goal.pk]), {"rating": "5"}
        ).status_code in (403, 404)
    assert client_for("evaluator").get(url).status_code == 403


@pytest.mark.parametrize(
    ("route", "data", "field"),
    [
        ("support:goal_rate", {"rating": "11"}, "rating"),
        ("support:goal_rate", {"rating": "ten"}, "rating"),
        ("support:goal_rate", {}, "rating"),
        ("support:goal_status", {"status": "gone"}, "status"),
        ("support:goal_status", {"status": "active"}, "status"),
    ],
)
def test_a_refused_rating_or_status_is_shown(
    world: World, route: str, data: dict[str, str], field: str
) -> None:
    match = active_match(world.programme_a)
    goal = _goal(match)
    response = _client(peer_user_of(match)).post(reverse(route, args=[goal.pk]), data)
    assert response.status_code == 422
    assert (
        field in response.context["failed_form"].errors
        or response.context["failed_form"].non_field_errors()
    )
    assert 'role="alert"' in response.content.decode()
    assert not goal.ratings.exists()


def test_an_empty_goal_is_shown_as_a_field_error(world: World) -> None:
    match = active_match(world.programme_a)
    response = _client(peer_user_of(match)).post(
        reverse("support:goals", args=[match.enrolment_id]), {"text": "  "}
    )
    assert response.status_code == 422
    assert "text" in response.context["goal_form"].errors


def test_the_goals_page_costs_the_same_queries_for_more_goals_and_ratings(world: World) -> None:
    match = active_match(world.programme_a)
    peer = peer_user_of(match)
    client = _client(peer)
    url = reverse("support:goals", args=[match.enrolment_id])

    for n in range(2):
        goal_rate(goal=_goal(match, f"Goal {n}"), actor=peer, rating=n)
    few = queries_for(client, url)
    for n in range(8):
        goal = _goal(match, f"More {n}")
        for value in (1, 4, 7):
            goal_rate(goal=goal, actor=peer, rating=value)
    assert queries_for(client, url) == few
    assert AuditEvent.objects.filter(action="read", object_type="support.goal").exists()


# ----------------------------------------------------------------------------- API


def _send(client: Client, method: str, url: str, body: Any = None, raw: str | None = None) -> Any:
    data = raw if raw is not None else json.dumps(body if body is not None else {})
    return getattr(client, method.lower())(url, data=data, content_type="application/json")


def test_the_api_adds_rates_lists_and_closes_goals(world: World) -> None:
    match = active_match(world.programme_a)
    client = _client(participant_user_of(match.enrolment))
    base = f"/api/v1/enrolments/{match.enrolment_id}/goals"
    created = _send(client, "POST", base, {"text": "Take my tablets every day"})
    assert created.status_code == 201, created.content
    goal = created.json()
    assert set(goal) == {
        "id",
        "enrolment_id",
        "text",
        "status",
        "created_by_id",
        "created_at",
        "closed_at",
        "ratings",
    }
    rated = _send(client, "POST", f"/api/v1/goals/{goal['id']}/ratings", {"rating": 7})
    assert rated.status_code == 201
    assert [(r["rating"], r["by"]) for r in rated.json()["ratings"]] == [(7, "participant")]
    listed = client.get(base).json()
    assert listed["count"] == 1 and listed["items"][0]["ratings"][0]["rating"] == 7
    closed = _send(client, "PATCH", f"/api/v1/goals/{goal['id']}", {"status": "reached"})
    assert closed.status_code == 200
    assert closed.json()["status"] == "reached" and closed.json()["closed_at"]
    peer_view = _client(peer_user_of(match)).get(f"/api/v1/goals/{goal['id']}")
    assert peer_view.status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("ratings", {"rating": 11}, "rating"),
        ("ratings", {"rating": "5"}, "rating"),
        ("ratings", {"rating": 5.5}, "rating"),
        ("ratings", {"rating": 5, "rated_on": 20240101}, "rated_on"),
        ("ratings", {"rating": 5, "rated_on": "2024-02-30"}, "rated_on"),
        ("ratings", {"rating": 5, "rated_on": "2999-01-01"}, "rated_on"),
        ("", {"status": "gone"}, "status"),
        ("", {}, "status"),
    ],
)
def test_api_bad_values_are_422_on_their_field(
    world: World, path: str, body: dict[str, Any], field: str
) -> None:
    match = active_match(world.programme_a)
    goal = _goal(match)
    url = f"/api/v1/goals/{goal.pk}" + (f"/{path}" if path else "")
    response = _send(_client(peer_user_of(match)), "POST" if path else "PATCH", url, body)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]


@pytest.mark.parametrize("raw", ["{", "[]", "null", "not json"])
def test_api_malformed_json_is_a_4xx_with_the_error_shape(world: World, raw: str) -> None:
    match = active_match(world.programme_a)
    goal = _goal(match)
    client = _client(peer_user_of(match))
    for method, url in (
        ("POST", f"/api/v1/enrolments/{match.enrolment_id}/goals"),
        ("POST", f"/api/v1/goals/{goal.pk}/ratings"),
        ("PATCH", f"/api/v1/goals/{goal.pk}"),
    ):
        response = _send(client, method, url, raw=raw)
        assert 400 <= response.status_code < 500, (url, response.status_code)
        assert "error" in response.json()


def test_api_other_programmes_staff_and_bad_ids_are_not_found(world: World) -> None:
    match = active_match(world.programme_a)
    goal = _goal(match)
    other = _client(demo_user("coordinator.b"))
    assert other.get(f"/api/v1/enrolments/{match.enrolment_id}/goals").status_code == 404
    assert other.get(f"/api/v1/goals/{goal.pk}").status_code == 404
    assert (
        _send(other, "POST", f"/api/v1/goals/{goal.pk}/ratings", {"rating": 1}).status_code == 404
    )
    coordinator = client_for("coordinator")
    assert coordinator.get("/api/v1/goals/abc").status_code in (404, 422)
    assert coordinator.get("/api/v1/enrolments/0/goals").status_code == 404


def test_api_goal_list_costs_the_same_queries_for_more_goals(world: World) -> None:
    match = active_match(world.programme_a)
    peer = peer_user_of(match)
    client = _client(peer)
    url = f"/api/v1/enrolments/{match.enrolment_id}/goals"

    goal_rate(goal=_goal(match), actor=peer, rating=2)
    few = queries_for(client, url)
    for n in range(6):
        goal_rate(goal=_goal(match, f"Goal {n}"), actor=peer, rating=n)
    assert queries_for(client, url) == few
