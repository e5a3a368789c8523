"""The safety API: flags (raise, read, acknowledge, note, hand over, resolve, mine),
incidents, settings and the rota, under the same scopes as the pages."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerbridge.safety.models import Incident, OnCallShift, RiskFlag
from tests.conftest import World, client_for
from tests.matching.world_lifecycle import waiting_enrolment
from tests.safety.world import (
    client_as,
    contact_in,
    peer_of,
    raise_flag,
    set_settings,
    user_of,
    working_match,
)

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture(autouse=True)
def _nobody_on_call(world: World) -> None:
    OnCallShift.objects.filter(programme=world.programme_a).delete()
    set_settings(world.programme_a, on_call=None, crisis_resources="Crisis line: 988")


def _post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _raise_body(person_id: int, **extra: Any) -> dict[str, Any]:
    return {"person_id": person_id, "severity": "medium", "summary": "Very low today.", **extra}


# ---------------------------------------------------------------------------------------
# Flags


def test_staff_raise_a_flag_and_read_it_with_its_trail(world: World) -> None:
    enrolment = waiting_enrolment(world.programme_a)
    response = _post(
        client_for("coordinator"),
        f"{API}/programmes/{world.programme_a.pk}/flags",
        _raise_body(enrolment.person_id, severity="high"),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["person_id"] == enrolment.person_id
    assert body["enrolment_id"] == enrolment.pk
    assert body["source"] == "staff"
    assert [event["kind"] for event in body["events"]][:2] == ["raised", "notified"]
    assert body["crisis_resources"] == [{"text": "Crisis line: 988", "tel": "988"}]
    got = client_for("leader").get(f"{API}/flags/{body['id']}")
    assert got.status_code == 200
    assert got.json()["summary"] == "Very low today."


def test_a_peer_raises_from_their_contact_but_not_about_others(world: World) -> None:
    match = working_match(world.programme_a)
    contact = contact_in(match)
    peer = client_as(peer_of(match))
    url = f"{API}/programmes/{world.programme_a.pk}/flags"
    response = _post(peer, url, _raise_body(match.enrolment.person_id, contact_id=contact.pk))
    assert response.status_code == 201, response.content
    assert response.json()["source"] == "contact"
    assert response.json()["crisis_resources"] == []  # medium: none needed
    stranger = waiting_enrolment(world.programme_a)
    refused = _post(peer, url, _raise_body(stranger.person_id))
    assert refused.status_code == 422
    assert "person_id" in refused.json()["error"]["fields"]
    wrong_person = _post(peer, url, _raise_body(stranger.person_id, contact_id=contact.pk))
    assert wrong_person.status_code == 422


def test_acknowledge_note_hand_over_and_resolve(world: World) -> None:
    flag = raise_flag(working_match(world.programme_a))
    supervisor = client_for("supervisor")
    base = f"{API}/flags/{flag.pk}"
    assert _post(client_for("coordinator"), f"{base}/acknowledge", {}).status_code == 403
    acknowledged = _post(supervisor, f"{base}/acknowledge", {"note": "On it."})
    assert acknowledged.status_code == 200
    assert acknowledged.json()["status"] == "acknowledged"
    note = _post(client_for("coordinator"), f"{base}/notes", {"note": "Family called too."})
    assert note.status_code == 201
    assert note.json()["kind"] == "note"
    handed = _post(supervisor, f"{base}/reassign", {"to_user_id": user_of("leader").pk})
    assert handed.json()["assigned_to_id"] == user_of("leader").pk
    refused = _post(supervisor, f"{base}/reassign", {"to_user_id": user_of("coordinator").pk})
    assert refused.status_code == 422
    resolved = _post(
        client_for("leader"),
        f"{base}/resolve",
        {"actions": ["called_participant", "referred_on"], "resolution": "Referred on."},
    )
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["actions"] == ["called_participant", "referred_on"]
    again = _post(client_for("leader"), f"{base}/notes", {"note": "Late."})
    assert again.status_code == 422


def test_resolving_needs_known_actions(world: World) -> None:
    flag = raise_flag(working_match(world.programme_a))
    url = f"{API}/flags/{flag.pk}/resolve"
    for body in (
        {"actions": ["made_tea"], "resolution": "x"},
        {"actions": [], "resolution": "x"},
        {"actions": ["referred_on"], "resolution": ""},
        {"actions": "referred_on", "resolution": "x"},
    ):
        response = _post(client_for("leader"), url, body)
        assert response.status_code == 422, body
    flag.refresh_from_db()
    assert flag.status == RiskFlag.Status.OPEN


def test_the_raising_peer_reads_the_flag_without_the_resolution(world: World) -> None:
    match = working_match(world.programme_a)
    flag = raise_flag(match)
    _post(
        client_for("leader"),
        f"{API}/flags/{flag.pk}/resolve",
        {"actions": ["referred_on"], "resolution": "Clinical detail."},
    )
    body = client_as(peer_of(match)).get(f"{API}/flags/{flag.pk}").json()
    assert body["status"] == "resolved"
    assert body["resolution"] is None
    assert client_for("peer_other").get(f"{API}/flags/{flag.pk}").status_code == 404


def test_the_programmes_flags_with_a_filter_in_constant_queries(world: World) -> None:
    match = working_match(world.programme_a)
    url = f"{API}/programmes/{world.programme_a.pk}/flags"
    leader = client_for("leader")

    def queries(query: str = "") -> int:
        with CaptureQueriesContext(connection) as captured:
            assert leader.get(url + query).status_code == 200
        return len(captured)

    for _ in range(2):
        raise_flag(match)
    few = queries()
    for _ in range(10):
        raise_flag(match)
    assert queries() == few
    statuses = {row["status"] for row in leader.get(url + "?status=open").json()["items"]}
    assert statuses == {"open"}
    assert client_for("peer").get(url).status_code == 403
    assert client_for("peer_other").get(url).status_code == 404


def test_my_flags(world: World) -> None:
    match = working_match(world.programme_a)
    flag = raise_flag(match)
    mine = client_for("supervisor").get(f"{API}/me/flags").json()
    assert flag.pk in {row["id"] for row in mine["with_me"]}
    raised = client_as(peer_of(match)).get(f"{API}/me/flags").json()
    assert [row["id"] for row in raised["raised"]] == [flag.pk]
    assert client_for("stranger").get(f"{API}/me/flags").json() == {"with_me": [], "raised": []}


# ---------------------------------------------------------------------------------------
# Incidents


def _incident_body(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "boundary",
        "category": "out_of_hours",
        "severity": "low",
        "occurred_at": (timezone.now() - timedelta(hours=5)).isoformat(),
        "description": "Texted at midnight about a non-urgent matter.",
        **extra,
    }


def test_incidents_logged_listed_read_and_closed(world: World) -> None:
    match = working_match(world.programme_a)
    url = f"{API}/programmes/{world.programme_a.pk}/incidents"
    peer = client_as(peer_of(match))
    created = _post(peer, url, _incident_body(enrolment_id=match.enrolment_id))
    assert created.status_code == 201, created.content
    incident_id = created.json()["id"]
    assert peer.get(f"{API}/incidents/{incident_id}").status_code == 200
    assert peer.get(url).status_code == 403
    listed = client_for("coordinator").get(url + "?kind=boundary&status=open").json()
    assert incident_id in {row["id"] for row in listed["items"]}
    other = working_match(world.programme_a, given_name="Bo")
    refused = _post(peer, url, _incident_body(enrolment_id=other.enrolment_id))
    assert refused.status_code == 422
    close = f"{API}/incidents/{incident_id}/close"
    assert _post(client_for("coordinator"), close, {"outcome": "x"}).status_code == 403
    closed = _post(client_for("supervisor"), close, {"outcome": "Agreed contact hours again."})
    assert closed.json()["status"] == "closed"
    assert Incident.objects.get(pk=incident_id).closed_by == user_of("supervisor")


# ---------------------------------------------------------------------------------------
# Settings and rota


def test_settings_read_by_staff_and_changed_by_leaders(world: World) -> None:
    url = f"{API}/programmes/{world.programme_a.pk}/safety-settings"
    body = client_for("coordinator").get(url).json()
    assert body["working_weekdays"] == [1, 2, 3, 4, 5]
    response = client_for("leader").put(
        url,
        data=json.dumps(
            {
                "high_within_minutes": 45,
                "working_day_starts": "08:00",
                "working_weekdays": [1, 2, 3, 4],
                "on_call_user_id": user_of("supervisor").pk,
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["high_within_minutes"] == 45
    assert response.json()["on_call_user_id"] == user_of("supervisor").pk
    assert response.json()["working_day_starts"] == "08:00:00"
    denied = client_for("coordinator").put(url, data="{}", content_type="application/json")
    assert denied.status_code == 403
    assert client_for("peer").get(url).status_code == 403


def test_the_rota_through_the_api(world: World) -> None:
    url = f"{API}/programmes/{world.programme_a.pk}/on-call"
    starts = timezone.now() + timedelta(hours=1)
    body = {
        "user_id": user_of("supervisor").pk,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=8)).isoformat(),
    }
    created = _post(client_for("leader"), url, body)
    assert created.status_code == 201, created.content
    overlapping = _post(client_for("leader"), url, {**body, "user_id": user_of("leader").pk})
    assert overlapping.status_code == 422
    rota = client_for("supervisor").get(url).json()
    assert [shift["id"] for shift in rota["shifts"]] == [created.json()["id"]]
    removed = _post(client_for("leader"), f"{API}/on-call/{created.json()['id']}/remove", {})
    assert removed.json() == {"id": created.json()["id"], "removed": True, "ends_at": None}
    assert _post(client_for("leader"), f"{API}/on-call/999999999/remove", {}).status_code == 404
