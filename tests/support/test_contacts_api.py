"""The contacts API: shapes, the edit window (409 `locked` after it), amendments, private
notes by role, and malformed input answered with the one error shape, never a 500."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.support.contacts import contact_log
from peerbridge.support.models import Contact
from tests.conftest import World, client_for
from tests.support.world import active_match, demo_user, peer_user_of, queries_for

pytestmark = pytest.mark.django_db

CONTACT_KEYS = {
    "id",
    "match_id",
    "programme_id",
    "enrolment_id",
    "profile_id",
    "occurred_at",
    "connected",
    "duration_minutes",
    "travel_minutes",
    "mode",
    "setting",
    "support_types",
    "topics",
    "navigation_referral_ids",
    "transport_provided",
    "next_step",
    "next_contact_on",
    "private_note",
    "logged_by_id",
    "created_at",
    "updated_at",
    "locked_at",
    "locked",
}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _send(client: Client, method: str, url: str, body: Any = None, raw: str | None = None) -> Any:
    send = getattr(client, method.lower())
    data = raw if raw is not None else json.dumps(body if body is not None else {})
    return send(url, data=data, content_type="application/json")


def _log(match: Match, **data: Any) -> Contact:
    values = {"mode": "phone", "setting": "online", "duration_minutes": 10} | data
    return contact_log(match=match, actor=peer_user_of(match), data=values)


def test_a_peer_logs_reads_and_lists_contacts(world: World) -> None:
    match = active_match(world.programme_a)
    client = _client(peer_user_of(match))
    url = f"/api/v1/matches/{match.pk}/contacts"
    created = _send(
        client,
        "POST",
        url,
        {
            "mode": "in_person",
            "setting": "hospital",
            "duration_minutes": 40,
            "support_types": ["emotional", "instrumental"],
            "topics": ["parking"],
            "next_contact_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
            "private_note": "Scared of the scan.",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == CONTACT_KEYS | {"amendments"}
    assert body["support_types"] == ["instrumental", "emotional"]
    assert (body["private_note"], body["locked"], body["amendments"]) == (
        "Scared of the scan.",
        False,
        [],
    )
    listed = client.get(url).json()
    assert listed["count"] == 1
    assert set(listed["items"][0]) == CONTACT_KEYS
    read = client.get(f"/api/v1/contacts/{body['id']}")
    assert read.status_code == 200
    assert read.json()["id"] == body["id"]


def test_the_note_is_null_for_a_coordinator(world: World) -> None:
    match = active_match(world.programme_a)
    contact = _log(match, private_note="Private.")
    coordinator = client_for("coordinator")
    assert coordinator.get(f"/api/v1/contacts/{contact.pk}").json()["private_note"] is None
    items = coordinator.get(f"/api/v1/matches/{match.pk}/contacts").json()["items"]
    assert items[0]["private_note"] is None
    leader = client_for("leader")
    assert leader.get(f"/api/v1/contacts/{contact.pk}").json()["private_note"] == "Private."


def test_a_contact_is_patched_in_its_window_and_locked_after(world: World) -> None:
    match = active_match(world.programme_a)
    contact = _log(match)
    url = f"/api/v1/contacts/{contact.pk}"
    patched = _send(_client(peer_user_of(match)), "PATCH", url, {"duration_minutes": 25})
    assert patched.status_code == 200
    assert patched.json()["duration_minutes"] == 25
    with time_machine.travel(contact.locked_at + timedelta(seconds=1), tick=False):
        client = _client(peer_user_of(match))
        locked = _send(client, "PATCH", url, {"duration_minutes": 30})
        assert locked.status_code == 409
        error = locked.json()["error"]
        assert error["code"] == "locked"
        assert f"/api/v1/contacts/{contact.pk}/amendments" in error["message"]
        no_reason = _send(client, "POST", url + "/amendments", {"duration_minutes": 30})
        assert no_reason.status_code == 422
        assert "reason" in no_reason.json()["error"]["fields"]
        amended = _send(
            client, "POST", url + "/amendments", {"duration_minutes": 30, "reason": "Longer."}
        )
    assert amended.status_code == 201, amended.content
    body = amended.json()
    assert body["duration_minutes"] == 30
    assert body["locked"] is True
    assert [(a["reason"], a["changes"]) for a in body["amendments"]] == [
        ("Longer.", {"duration_minutes": [25, 30]})
    ]


def test_the_trail_hides_note_values_from_a_coordinator(world: World) -> None:
    match = active_match(world.programme_a)
    contact = _log(match, private_note="Before.")
    with time_machine.travel(contact.locked_at + timedelta(seconds=1), tick=False):
        _send(
            _client(peer_user_of(match)),
            "POST",
            f"/api/v1/contacts/{contact.pk}/amendments",
            {"private_note": "After.", "reason": "Typo"},
        )
        body = client_for("coordinator").get(f"/api/v1/contacts/{contact.pk}").json()
    assert body["amendments"][0]["changes"] == {"private_note": [None, None]}


def test_the_first_api_contact_confirms_first_contact(world: World) -> None:
    match = active_match(world.programme_a, status=MatchStatus.INTRODUCED)
    response = _send(
        _client(peer_user_of(match)),
        "POST",
        f"/api/v1/matches/{match.pk}/contacts",
        {"mode": "phone", "setting": "home", "duration_minutes": 5},
    )
    assert response.status_code == 201
    match.refresh_from_db()
    assert match.status == MatchStatus.FIRST_CONTACT


def test_someone_elses_contacts_are_not_found(world: World) -> None:
    match = active_match(world.programme_a)
    contact = _log(match)
    outsiders = [
        _client(peer_user_of(active_match(world.programme_a))),
        _client(demo_user("coordinator.b")),
        client_for("participant"),
    ]
    for client in outsiders:
        assert client.get(f"/api/v1/contacts/{contact.pk}").status_code == 404
        assert client.get(f"/api/v1/matches/{match.pk}/contacts").status_code == 404
        posted = _send(client, "POST", f"/api/v1/matches/{match.pk}/contacts", {"mode": "phone"})
        assert posted.status_code == 404
        assert posted.json()["error"]["code"] == "not_found"
    supervisor = client_for("supervisor")
    forbidden = _send(supervisor, "PATCH", f"/api/v1/contacts/{contact.pk}", {})
    assert (forbidden.status_code, forbidden.json()["error"]["code"]) == (403, "forbidden")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "pigeon", "setting": "online"}, "mode"),
        ({"mode": "phone", "setting": "online", "duration_minutes": "10"}, "duration_minutes"),
        ({"mode": "phone", "setting": "online", "duration_minutes": -1}, "duration_minutes"),
        ({"mode": "phone", "setting": "online", "connected": "yes"}, "connected"),
        ({"mode": "phone", "setting": "online", "occurred_at": 1700000000}, "occurred_at"),
        ({"mode": "phone", "setting": "online", "occurred_at": "2999-01-01T00:00Z"}, "occurred_at"),
        ({"mode": "phone", "setting": "online", "occurred_at": "yesterday"}, "occurred_at"),
        (
            {"mode": "phone", "setting": "online", "next_contact_on": "2000-02-30"},
            "next_contact_on",
        ),
        (
            {"mode": "phone", "setting": "online", "next_contact_on": "2001-01-01"},
            "next_contact_on",
        ),
        ({"mode": "phone", "setting": "online", "support_types": ["x"]}, "support_types"),
        ({"mode": "phone", "setting": "online", "topics": ["t"] * 9}, "topics"),
        ({"mode": "phone", "setting": "online", "topics": ["y" * 41]}, "topics"),
        ({"mode": "phone", "setting": "online", "private_note": "a\u0000b"}, "private_note"),
        ({"setting": "online"}, "mode"),
        (
            {
                "mode": "phone",
                "setting": "online",
                "navigation_referrals": [{"service_id": 999999, "need": "food"}],
            },
            "navigation_referrals",
        ),
        (
            {
                "mode": "phone",
                "setting": "online",
                "navigation_referrals": [{"service_id": "1", "need": "food"}],
            },
            "navigation_referrals.service_id",
        ),
    ],
)
def test_bad_values_are_422_on_their_field(world: World, body: dict[str, Any], field: str) -> None:
    match = active_match(world.programme_a)
    response = _send(
        _client(peer_user_of(match)), "POST", f"/api/v1/matches/{match.pk}/contacts", body
    )
    assert response.status_code == 422, response.content
    fields = response.json()["error"]["fields"]
    assert any(name == field or name.startswith(field) for name in fields), fields
    assert not Contact.objects.filter(match=match).exists()


@pytest.mark.parametrize("raw", ["{", "[]", "null", '"text"', "not json"])
def test_malformed_json_is_a_4xx_with_the_error_shape(world: World, raw: str) -> None:
    match = active_match(world.programme_a)
    contact = _log(match)
    client = _client(peer_user_of(match))
    for method, url in (
        ("POST", f"/api/v1/matches/{match.pk}/contacts"),
        ("PATCH", f"/api/v1/contacts/{contact.pk}"),
        ("POST", f"/api/v1/contacts/{contact.pk}/amendments"),
    ):
        response = _send(client, method, url, raw=raw)
        assert 400 <= response.status_code < 500, (method, url, response.status_code)
        assert set(response.json()["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", "99999999999999999999999"])
def test_bad_ids_are_not_found(world: World, bad_id: str) -> None:
    client = client_for("coordinator")
    for url in (f"/api/v1/contacts/{bad_id}", f"/api/v1/matches/{bad_id}/contacts"):
        response = client.get(url)
        assert response.status_code in (404, 422), (url, response.status_code)
        assert "error" in response.json()


def test_the_list_costs_the_same_queries_for_more_contacts(world: World) -> None:
    match = active_match(world.programme_a)
    client = _client(peer_user_of(match))
    url = f"/api/v1/matches/{match.pk}/contacts"

    _log(match)
    _log(match)
    few = queries_for(client, url)
    for _ in range(10):
        _log(match)
    assert queries_for(client, url) == few
