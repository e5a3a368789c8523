"""Bad input to the wellbeing and engagement endpoints and pages: field errors and 4xx in
the one error shape, never a 500, and nothing half-saved."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerbridge.workforce.models import (
    Announcement,
    PeerProfile,
    TeamEvent,
    WellbeingCheckIn,
    WorkforceAlert,
)
from tests.conftest import World, client_for
from tests.workforce.world_wellbeing import LOW, available_peer, client_of

pytestmark = pytest.mark.django_db

MALFORMED_VALUES: list[Any] = [
    None,
    "",
    "x" * 5000,
    "x" * 20_000,
    -1,
    0,
    10**12,
    3.5,
    True,
    [],
    {},
    ["nested", ["list"]],
    {"w1": "\x00"},
    {"\x00": 50},
    "<script>alert(1)</script>",
    "\x00",
    "a\x00b",
    "ünïcødé",
    "1; DROP TABLE core_user",
    "2026-02-30",
]


def _state(profile: PeerProfile) -> tuple[Any, ...]:
    fresh = PeerProfile.objects.get(pk=profile.pk)
    return (
        WellbeingCheckIn.objects.count(),
        WorkforceAlert.objects.count(),
        WorkforceAlert.objects.filter(resolved_at__isnull=False).count(),
        Announcement.objects.count(),
        TeamEvent.objects.count(),
        fresh.paused_from,
        fresh.paused_until,
        fresh.pause_reason,
        fresh.capacity_hold,
        fresh.max_matches,
        fresh.max_groups,
        json.dumps(fresh.availability),
        json.dumps(fresh.modalities),
    )


Endpoint = tuple[Callable[[], Any], str, Callable[[], str], dict[str, Any]]


def _endpoints(world: World, profile: PeerProfile) -> list[Endpoint]:
    """(client maker, method, url maker, a valid body) for every wellbeing API write. The
    url maker runs inside the rolled-back block, so it may prepare what the write needs."""
    base = f"/api/v1/workforce/profiles/{profile.pk}"
    programme = f"/api/v1/programmes/{world.programme_a.pk}/workforce"
    start = timezone.now() + timedelta(days=5)

    def peer() -> Any:
        return client_of(profile)

    def held() -> str:
        PeerProfile.objects.filter(pk=profile.pk).update(capacity_hold=True)
        return f"{base}/hold/release"

    def alert() -> str:
        found = WorkforceAlert.objects.create(profile=profile, kind="cover", detail="matches=1")
        return f"/api/v1/workforce/alerts/{found.pk}/resolve"

    return [
        (peer, "post", lambda: f"{base}/checkins", {"kind": "cbi", "answers": LOW}),
        (peer, "post", lambda: f"{base}/checkins", {"kind": "pulse", "value": 3}),
        (
            peer,
            "post",
            lambda: f"{base}/pause",
            {
                "reason": "time_off",
                "paused_from": timezone.localdate().isoformat(),
                "paused_until": (timezone.localdate() + timedelta(days=7)).isoformat(),
            },
        ),
        (lambda: client_for("supervisor"), "post", held, {"note": "Agreed a rest."}),
        (
            lambda: client_for("coordinator"),
            "patch",
            lambda: f"{base}/capacity",
            {
                "max_matches": 3,
                "max_groups": 1,
                "availability": [{"day": 1, "start": "09:00", "end": "11:00"}],
                "modalities": ["telephone"],
            },
        ),
        (lambda: client_for("coordinator"), "post", alert, {"resolution": "Phoned them."}),
        (
            lambda: client_for("coordinator"),
            "post",
            lambda: f"{programme}/announcements",
            {"title": "News", "body": "Hello team."},
        ),
        (
            lambda: client_for("coordinator"),
            "post",
            lambda: f"{programme}/events",
            {
                "kind": "social",
                "title": "Picnic",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat(),
                "location": "The park",
                "description": "Bring food.",
            },
        ),
    ]


def _assert_error_shape(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])


def _send(
    profile: PeerProfile, client: Callable[[], Any], method: str, url: Callable[[], str], raw: str
) -> tuple[Any, bool]:
    """Send inside a rolled-back block; also say whether the request changed anything."""
    with transaction.atomic():
        address = url()
        before = _state(profile)
        response = getattr(client(), method)(address, data=raw, content_type="application/json")
        changed = _state(profile) != before
        transaction.set_rollback(True)
    return response, changed


def test_every_field_of_every_wellbeing_write_rejects_malformed_values(world: World) -> None:
    profile = available_peer(world.programme_a)
    for client, method, url, valid in _endpoints(world, profile):
        response, changed = _send(profile, client, method, url, json.dumps(valid))
        assert response.status_code in (200, 201), (url(), response.content)
        assert changed
        for field in valid:
            for value in MALFORMED_VALUES:
                raw = json.dumps({**valid, field: value})
                response, changed = _send(profile, client, method, url, raw)
                if response.status_code < 400:
                    continue  # some values are legal for some fields (null = unchanged)
                _assert_error_shape(response)
                assert not changed, (url(), field, value)


@pytest.mark.parametrize(
    "raw", ["{not json", "[]", "null", '"text"', "1", json.dumps({"unexpected": 1}), "\x00"]
)
def test_wellbeing_writes_reject_bodies_that_are_not_the_right_object(
    world: World, raw: str
) -> None:
    profile = available_peer(world.programme_a)
    for client, method, url, _valid in _endpoints(world, profile):
        if method == "patch" and raw == json.dumps({"unexpected": 1}):
            continue  # a patch that changes nothing is fine
        response, changed = _send(profile, client, method, url, raw)
        _assert_error_shape(response)
        assert not changed


@pytest.mark.parametrize(
    "answers",
    [
        {**LOW, "w1": 30},
        {**LOW, "w1": 101},
        {**LOW, "w1": "50"},
        {**LOW, "w1": 50.5},
        {**LOW, "w1": True},
        {**LOW, "p1": 50},
        {**LOW, "zz": 50},
        {**LOW, "x" * 5000: 50},
        {f"k{n}": 50 for n in range(1000)},
        {"w1": 50, "w2": 50, "c1": 50, "c2": 50, "c3": 50},  # too few about the work
    ],
)
def test_bad_checkin_answers_name_the_problem(world: World, answers: dict[str, Any]) -> None:
    profile = available_peer(world.programme_a)
    response = client_of(profile).post(
        f"/api/v1/workforce/profiles/{profile.pk}/checkins",
        data=json.dumps({"kind": "cbi", "answers": answers}),
        content_type="application/json",
    )
    assert response.status_code == 422
    _assert_error_shape(response)
    assert response.json()["error"]["fields"]
    assert not WellbeingCheckIn.objects.filter(profile=profile).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "cbi", "answers": LOW, "value": 3},
        {"kind": "pulse", "answers": LOW, "value": 3},
        {"kind": "pulse"},
        {"kind": "pulse", "value": "3"},
        {"kind": "mood", "value": 3},
    ],
)
def test_a_checkin_is_either_answers_or_a_pulse(world: World, body: dict[str, Any]) -> None:
    profile = available_peer(world.programme_a)
    response = client_of(profile).post(
        f"/api/v1/workforce/profiles/{profile.pk}/checkins",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 422
    _assert_error_shape(response)
    assert not WellbeingCheckIn.objects.filter(profile=profile).exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.dictionaries(
        st.sampled_from(["kind", "answers", "value"]),
        st.one_of(
            st.none(),
            st.integers(),
            st.text(max_size=20),
            st.sampled_from(["cbi", "pulse"]),
            st.dictionaries(st.text(max_size=4), st.one_of(st.none(), st.integers()), max_size=5),
        ),
    )
)
def test_random_checkin_payloads_never_cause_a_server_error(
    world: World, payload: dict[str, Any]
) -> None:
    from tests.matrix.workforce import matrix_peer_profile

    with transaction.atomic():
        profile = matrix_peer_profile(world)
        response = client_for("peer").post(
            f"/api/v1/workforce/profiles/{profile.pk}/checkins",
            data=json.dumps(payload),
            content_type="application/json",
        )
        transaction.set_rollback(True)
    assert response.status_code < 500


def _window_data(**rows: str) -> dict[str, str]:
    return {
        "window-TOTAL_FORMS": "1",
        "window-INITIAL_FORMS": "0",
        "window-MIN_NUM_FORMS": "0",
        "window-MAX_NUM_FORMS": "50",
        **{f"window-0-{k}": v for k, v in rows.items()},
    }


WEB_FORMS: list[tuple[str, str, dict[str, Any]]] = [
    ("peer", "checkin", {"w1": "abc", "w2": "30", "w3": "\x00", "c1": "x" * 5000}),
    ("peer", "checkin", {"w1": "50", "w2": "50", "w3": "50"}),  # nothing about the people
    ("peer", "pause", {"reason": "holiday"}),
    ("peer", "pause", {"reason": "time_off", "paused_from": "yesterday"}),
    ("peer", "pause", {"reason": "time_off", "paused_until": "2026-02-30"}),
    ("peer", "pause", {"reason": "\x00"}),
    ("peer", "capacity", {"window-TOTAL_FORMS": "x", "modalities": ["telephone"]}),
    ("peer", "capacity", {**_window_data(day="0", start="\x00", end="x"), "modalities": ["fax"]}),
    (
        "peer",
        "capacity",
        {**_window_data(day="0", start="09:00", end="10:00"), "window-TOTAL_FORMS": "5000"},
    ),
    ("coordinator", "capacity", {**_window_data(), "max_matches": "-1", "max_groups": "999"}),
    ("coordinator", "announcements", {"title": "x" * 500, "body": "\x00"}),
    (
        "coordinator",
        "events",
        {"kind": "rave", "title": "", "starts_at": "tomorrow", "ends_at": "2026-13-01T10:00"},
    ),
]


@pytest.mark.parametrize(("persona", "page", "data"), WEB_FORMS)
def test_wellbeing_pages_show_field_errors_and_save_nothing(
    world: World, persona: str, page: str, data: dict[str, Any]
) -> None:
    profile = available_peer(world.programme_a)
    url = {
        "checkin": reverse("workforce:checkin", args=[profile.pk]),
        "pause": reverse("workforce:pause", args=[profile.pk]),
        "capacity": reverse("workforce:capacity", args=[profile.pk]),
        "announcements": reverse("workforce:announcements", args=[world.programme_a.pk]),
        "events": reverse("workforce:events", args=[world.programme_a.pk]),
    }[page]
    client = client_of(profile) if persona == "peer" else client_for(persona)
    before = _state(profile)
    response = client.post(url, data)
    assert response.status_code == 422
    assert _state(profile) == before


def test_bad_notes_on_the_review_and_alerts_change_nothing(world: World) -> None:
    profile = available_peer(world.programme_a)
    PeerProfile.objects.filter(pk=profile.pk).update(capacity_hold=True)
    alert = WorkforceAlert.objects.create(profile=profile, kind="pulse_low", detail="")
    before = _state(profile)
    for note in ("", "\x00", "x" * 501):
        response = client_for("supervisor").post(
            reverse("workforce:hold_release", args=[profile.pk]), {"note": note}
        )
        assert response.status_code == 302
        response = client_for("supervisor").post(
            reverse("workforce:alert_resolve", args=[alert.pk]), {"resolution": note}
        )
        assert response.status_code == 302
    assert _state(profile) == before
