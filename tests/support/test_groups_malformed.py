"""Bad input to the groups API and pages: bad ids, bodies that are not JSON objects,
wrong types, out-of-range numbers and dates get a 4xx in the one error shape (or a form
error), never a 500, and change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from peerbridge.support.models import Attendance, Facilitator, Group, GroupMember, GroupSession
from tests.conftest import World, client_for
from tests.support.world_groups import fill, past_sessions, running_group

pytestmark = pytest.mark.django_db

API = "/api/v1"
MALFORMED: list[Any] = [
    None,
    "",
    "x" * 5000,
    -1,
    0,
    10**30,
    3.5,
    float("inf"),
    True,
    [],
    {},
    ["nested", ["list"]],
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    "2026-02-30",
    "1999-01-01T10:00:00+00:00",
    "2101-01-01T10:00:00+00:00",
    1767225600,
]


def _state() -> tuple[int, ...]:
    return (
        Group.objects.count(),
        GroupMember.objects.count(),
        GroupSession.objects.count(),
        Attendance.objects.count(),
        Facilitator.objects.filter(removed_at__isnull=True).count(),
    )


def _assert_error_shape(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    error = response.json()["error"]
    assert {"code", "message", "fields"} <= set(error)


def _post(client: Client, url: str, body: Any, method: str = "post") -> Any:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return getattr(client, method)(url, data=raw, content_type="application/json")


@pytest.fixture
def scene(world: World) -> dict[str, Any]:
    group = running_group(world.programme_a, capacity=2)
    (member,) = fill(group, 1)
    past_sessions(group, 1)
    return {"group": group, "member": member, "programme": world.programme_a}


def _writes(scene: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, url, a valid body, the field to spoil)."""
    g = scene["group"].pk
    groups_url = f"{API}/programmes/{scene['programme'].pk}/groups"
    new_group = {
        "name": "G",
        "kind": "course",
        "modality": "in_person",
        "place": "Hall",
        "capacity": 5,
        "session_count": 3,
    }
    return [
        ("post", groups_url, new_group, "capacity"),
        ("post", groups_url, {**new_group, "starts_on": "2026-05-01"}, "starts_on"),
        ("patch", f"{API}/groups/{g}", {"name": "New"}, "name"),
        ("patch", f"{API}/groups/{g}", {"moderator_id": 1}, "moderator_id"),
        ("post", f"{API}/groups/{g}/status", {"status": "finished"}, "status"),
        ("post", f"{API}/groups/{g}/facilitators", {"professional_id": 1}, "professional_id"),
        ("post", f"{API}/groups/{g}/members", {"enrolment_id": 1}, "enrolment_id"),
        (
            "post",
            f"{API}/groups/{g}/sessions",
            {"starts_at": "2026-05-01T10:00:00+00:00"},
            "starts_at",
        ),
        (
            "post",
            f"{API}/groups/{g}/sessions",
            {"starts_at": "2026-05-01T10:00:00+00:00", "duration_minutes": 60},
            "duration_minutes",
        ),
        (
            "post",
            f"{API}/groups/{g}/sessions/generate",
            {
                "first_starts_at": "2026-05-01T10:00:00+00:00",
                "rhythm": "weekly",
                "count": 1,
            },
            "count",
        ),
        (
            "post",
            f"{API}/groups/{g}/sessions/generate",
            {
                "first_starts_at": "2026-05-01T10:00:00+00:00",
                "rhythm": "weekly",
                "count": 1,
            },
            "rhythm",
        ),
        ("patch", f"{API}/groups/{g}/sessions/1", {"topic": "Sleep"}, "topic"),
        (
            "post",
            f"{API}/groups/{g}/sessions/1/attendance",
            {
                "attendance": {str(scene["member"].pk): "present"},
            },
            "attendance",
        ),
        (
            "post",
            f"{API}/groups/{g}/sessions/1/attendance",
            {
                "attendance": {str(scene["member"].pk): "present"},
                "notes": "ok",
            },
            "notes",
        ),
    ]


def test_every_write_refuses_malformed_values_without_a_500(scene: dict[str, Any]) -> None:
    client = client_for("coordinator")
    refused = accepted = 0
    for method, url, valid, field in _writes(scene):
        for value in MALFORMED:
            if field == "notes" and value in ("", "<script>alert(1)</script>", None):
                continue  # notes are free text: these are valid
            if field == "name" and value == "<script>alert(1)</script>":
                continue
            if field == "topic" and value in ("", "<script>alert(1)</script>"):
                continue
            body = {**valid, field: value}
            response = _post(client, url, body, method)
            if response.status_code < 400:
                accepted += 1  # a None that clears an optional field, an ISO date...
                continue
            _assert_error_shape(response)
            refused += 1
    assert refused > 10 * accepted


@pytest.mark.parametrize(
    "raw", ["", "not json", "[]", "null", "42", '"text"', "{", '{"a": 1', "\x00"]
)
def test_bodies_that_are_not_objects_are_refused(scene: dict[str, Any], raw: str) -> None:
    client = client_for("coordinator")
    before = _state()
    g = scene["group"].pk
    for method, url in (
        ("post", f"{API}/groups/{g}/members"),
        ("patch", f"{API}/groups/{g}"),
        ("post", f"{API}/groups/{g}/sessions/1/attendance"),
        ("post", f"{API}/groups/{g}/sessions/generate"),
    ):
        _assert_error_shape(_post(client, url, raw, method))
    assert _state() == before


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "1.5", "99999999999999999999999", "%00"])
def test_bad_ids_in_api_paths_are_4xx(scene: dict[str, Any], bad: str) -> None:
    client = client_for("coordinator")
    g = scene["group"].pk
    for url in (
        f"{API}/groups/{bad}",
        f"{API}/groups/{bad}/members",
        f"{API}/groups/{g}/sessions/{bad}/attendance",
        f"{API}/programmes/{bad}/groups",
    ):
        _assert_error_shape(client.get(url))
    _assert_error_shape(_post(client, f"{API}/groups/{g}/members/{bad}/leave", {}))
    _assert_error_shape(_post(client, f"{API}/groups/{g}/facilitators/{bad}", {}, "delete"))


@pytest.mark.parametrize("number", ["0", "99999", "99999999999999999999"])
def test_unknown_numbers_in_page_urls_are_404(scene: dict[str, Any], number: str) -> None:
    client = client_for("coordinator")
    g = scene["group"].pk
    for url in (
        f"/groups/{number}/",
        f"/groups/{g}/sessions/{number}/record/",
        f"/groups/{g}/sessions/{number}/edit/",
        f"/programmes/{number}/groups/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/groups/{g}/members/{number}/leave/").status_code == 404
    assert client.post(f"/groups/{g}/facilitators/{number}/remove/").status_code == 404


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "kind": "course", "modality": "in_person", "capacity": "5"},
        {"name": "G", "kind": "nope", "modality": "in_person", "place": "x", "capacity": "5"},
        {"name": "G", "kind": "course", "modality": "in_person", "place": "x", "capacity": "-3"},
        {
            "name": "G",
            "kind": "course",
            "modality": "in_person",
            "place": "x",
            "capacity": "5",
            "session_count": "999",
        },
        {
            "name": "G",
            "kind": "course",
            "modality": "in_person",
            "place": "x",
            "capacity": "5",
            "session_count": "3",
            "starts_on": "1066-10-14",
        },
        {"name": "G\x00", "kind": "course", "modality": "in_person", "place": "x", "capacity": "5"},
        {
            "name": "G",
            "kind": "course",
            "modality": "online",
            "capacity": "5",
            "online_link": "not a link",
            "moderator": "abc",
        },
    ],
)
def test_the_group_form_shows_errors_for_bad_values(world: World, data: dict[str, str]) -> None:
    before = _state()
    response = client_for("coordinator").post(
        f"/programmes/{world.programme_a.pk}/groups/new/", data
    )
    assert response.status_code == 422
    assert response.context["form"].errors
    assert _state() == before


@pytest.mark.parametrize(
    ("page", "data"),
    [
        ("sessions/new/", {"starts_at": "1999-01-01T10:00", "duration_minutes": "90"}),
        ("sessions/new/", {"starts_at": "2026-02-30T10:00", "duration_minutes": "90"}),
        ("sessions/new/", {"starts_at": "soon", "duration_minutes": "90"}),
        (
            "sessions/generate/",
            {"first_starts_at": "2026-05-01T10:00", "rhythm": "daily", "duration_minutes": "90"},
        ),
        (
            "sessions/generate/",
            {
                "first_starts_at": "2026-05-01T10:00",
                "rhythm": "weekly",
                "count": "500",
                "duration_minutes": "90",
            },
        ),
        ("members/new/", {"enrolment": "abc"}),
        ("members/new/", {"enrolment": "999999999"}),
        ("facilitators/new/", {"peer": "abc"}),
        ("facilitators/new/", {"peer": "1", "professional": "1"}),
        ("sessions/1/record/", {"member_MEMBER": "late"}),
        ("sessions/1/edit/", {"starts_at": "2101-01-01T10:00", "duration_minutes": "90"}),
    ],
)
def test_group_forms_refuse_bad_values(
    scene: dict[str, Any], page: str, data: dict[str, str]
) -> None:
    data = {k.replace("MEMBER", str(scene["member"].pk)): v for k, v in data.items()}
    before = _state()
    response = client_for("coordinator").post(f"/groups/{scene['group'].pk}/{page}", data)
    assert response.status_code == 422
    assert _state() == before


def test_a_status_that_does_not_exist_is_a_message_not_a_500(scene: dict[str, Any]) -> None:
    client = client_for("coordinator")
    response = client.post(
        f"/groups/{scene['group'].pk}/status/", {"status": "exploded"}, follow=True
    )
    assert response.status_code == 200
    assert Group.objects.get(pk=scene["group"].pk).status == "running"
