"""The groups API: the same rules as the pages (an ineligible facilitator refused with
the reasons, the waiting list, recording by the facilitating peer only), the report
matching the records, and lists that read in a constant number of queries."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.support.models import Attendance, Group, GroupMember
from tests.conftest import World, client_for
from tests.support.world import queries_for
from tests.support.world_groups import (
    facilitator_peer,
    fill,
    make_group,
    participant,
    past_sessions,
    record,
    running_group,
)
from tests.workforce.world import make_profile
from tests.workforce.world_wellbeing import client_of

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _send(client: Client, method: str, url: str, body: Any = None) -> Any:
    send = getattr(client, method.lower())
    if method == "GET":
        return send(url)
    return send(url, data=json.dumps(body or {}), content_type="application/json")


def test_create_read_and_change_a_group(world: World) -> None:
    client = client_for("coordinator")
    created = _send(
        client,
        "POST",
        f"{API}/programmes/{world.programme_a.pk}/groups",
        {
            "name": "Parents' course",
            "kind": "course",
            "modality": "hybrid",
            "place": "Hall",
            "online_link": "https://meet.example.org/p",
            "moderator_id": User.objects.get(email="supervisor.a@demo.peerbridge.test").pk,
            "capacity": 8,
            "session_count": 6,
            "starts_on": "2026-05-01",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["completion_sessions"], body["placed_count"]) == ("planned", 6, 0)
    assert body["moderator_name"]
    changed = _send(client, "PATCH", f"{API}/groups/{body['id']}", {"capacity": 10})
    assert changed.json()["capacity"] == 10
    assert _send(client, "GET", f"{API}/groups/{body['id']}").json()["name"] == "Parents' course"


def test_an_online_group_without_moderator_is_a_field_error(world: World) -> None:
    response = _send(
        client_for("coordinator"),
        "POST",
        f"{API}/programmes/{world.programme_a.pk}/groups",
        {
            "name": "Online",
            "kind": "mutual_support",
            "modality": "online",
            "online_link": "https://meet.example.org/o",
            "capacity": 8,
        },
    )
    assert response.status_code == 422
    assert "moderator" in response.json()["error"]["fields"]


def test_an_ineligible_facilitator_is_refused_with_the_reasons(world: World) -> None:
    group = make_group(world.programme_a)
    untrained = make_profile(world.programme_a)
    response = _send(
        client_for("coordinator"),
        "POST",
        f"{API}/groups/{group.pk}/facilitators",
        {"peer_id": untrained.pk},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert any("Still to complete" in reason for reason in error["fields"]["peer"])


def test_members_beyond_capacity_wait_and_a_leaver_makes_room(world: World) -> None:
    client = client_for("coordinator")
    group = make_group(world.programme_a, capacity=1)
    url = f"{API}/groups/{group.pk}/members"
    first = _send(client, "POST", url, {"enrolment_id": participant(world.programme_a).pk})
    second = _send(client, "POST", url, {"enrolment_id": participant(world.programme_a).pk})
    assert [first.json()["status"], second.json()["status"]] == ["enrolled", "waiting"]
    left = _send(client, "POST", f"{url}/{first.json()['id']}/leave")
    assert left.json()["status"] == "left"
    listed = _send(client, "GET", url).json()
    assert [(m["id"], m["status"]) for m in listed] == [(second.json()["id"], "enrolled")]


def test_sessions_attendance_and_the_report(world: World) -> None:
    peer = facilitator_peer(world.programme_a)
    group = running_group(world.programme_a, facilitator=peer, capacity=2, completion_sessions=1)
    one, two = fill(group, 2)
    past_sessions(group, 2)
    client = client_of(peer)
    recorded = _send(
        client,
        "POST",
        f"{API}/groups/{group.pk}/sessions/1/attendance",
        {"attendance": {str(one.pk): "present", str(two.pk): "excused"}, "notes": "Calm."},
    )
    assert recorded.status_code == 200, recorded.content
    assert recorded.json()["session"]["status"] == "held"
    assert recorded.json()["notes"] == "Calm."
    report = _send(client, "GET", f"{API}/groups/{group.pk}/attendance").json()
    assert report["sessions"][0] | {"starts_at": None} == {
        "number": 1,
        "starts_at": None,
        "present": 1,
        "absent": 0,
        "excused": 1,
    }
    marks = {m["member_id"]: m["marks"] for m in report["members"]}
    assert marks == {one.pk: {"1": "present"}, two.pk: {"1": "excused"}}
    assert report["completed_count"] == 1
    present = Attendance.objects.filter(session__group=group, status="present").count()
    assert sum(s["present"] for s in report["sessions"]) == present


def test_generate_move_and_cancel_sessions(world: World) -> None:
    client = client_for("coordinator")
    group = make_group(world.programme_a, session_count=3)
    first = (timezone.now() + timedelta(days=2)).isoformat()
    made = _send(
        client,
        "POST",
        f"{API}/groups/{group.pk}/sessions/generate",
        {"first_starts_at": first, "rhythm": "weekly"},
    )
    assert made.status_code == 201
    assert [s["number"] for s in made.json()] == [1, 2, 3]
    later = (timezone.now() + timedelta(days=4)).isoformat()
    moved = _send(client, "PATCH", f"{API}/groups/{group.pk}/sessions/2", {"starts_at": later})
    assert moved.status_code == 200
    cancelled = _send(client, "POST", f"{API}/groups/{group.pk}/sessions/3/cancel")
    assert cancelled.json()["status"] == "cancelled"
    again = _send(client, "POST", f"{API}/groups/{group.pk}/sessions/3/cancel")
    assert again.status_code == 422


def test_a_peer_not_facilitating_cannot_record(world: World) -> None:
    group = running_group(world.programme_a, capacity=2)
    (member,) = fill(group, 1)
    past_sessions(group, 1)
    outsider = facilitator_peer(world.programme_a)
    response = _send(
        client_of(outsider),
        "POST",
        f"{API}/groups/{group.pk}/sessions/1/attendance",
        {"attendance": {str(member.pk): "present"}},
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not Attendance.objects.filter(member=member).exists()


def test_another_programmes_staff_get_404(world: World) -> None:
    group = running_group(world.programme_a)
    other = Client()
    other.force_login(User.objects.get(email="coordinator.b@demo.peerbridge.test"))
    for url in (f"{API}/groups/{group.pk}", f"{API}/groups/{group.pk}/members"):
        assert _send(other, "GET", url).status_code == 404
    assert _send(other, "PATCH", f"{API}/groups/{group.pk}", {"name": "X"}).status_code == 404
    assert Group.objects.get(pk=group.pk).name != "X"


def test_a_fourth_facilitator_is_refused(world: World) -> None:
    client = client_for("coordinator")
    group = make_group(world.programme_a)
    url = f"{API}/groups/{group.pk}/facilitators"
    staff = [
        User.objects.get(email=f"{who}@demo.peerbridge.test")
        for who in ("supervisor.a", "coordinator.a", "leader.a")
    ]
    for user in staff:
        assert _send(client, "POST", url, {"professional_id": user.pk}).status_code == 201
    fourth = _send(client, "POST", url, {"peer_id": facilitator_peer(world.programme_a).pk})
    assert fourth.status_code == 422
    assert "peer" in fourth.json()["error"]["fields"]
    assert len(_send(client, "GET", url).json()) == 3


def test_lists_read_in_a_constant_number_of_queries(world: World) -> None:
    client = client_for("coordinator")
    small = running_group(world.programme_a, capacity=2)
    fill(small, 2)
    past_sessions(small, 2)
    big = running_group(world.programme_a, capacity=12, session_count=12, name="Big")
    members = fill(big, 12)
    for session in past_sessions(big, 12):
        record(session, {m: "absent" for m in members})
    for tail in ("members", "sessions", "attendance", "facilitators"):
        assert queries_for(client, f"{API}/groups/{big.pk}/{tail}") == queries_for(
            client, f"{API}/groups/{small.pk}/{tail}"
        ), tail
    url = f"{API}/programmes/{world.programme_a.pk}/groups"
    few = queries_for(client, url)
    for n in range(10):
        running_group(world.programme_a, name=f"More {n}")
    assert queries_for(client, url) == few
    assert GroupMember.objects.filter(group=big).count() == 12
