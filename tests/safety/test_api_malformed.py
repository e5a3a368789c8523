"""Bad input to the safety API and pages: bad ids, bodies that are not JSON objects,
wrong types, out-of-range values and times get a 4xx in the one error shape (or a form
error), never a 500, and change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from peerbridge.safety.models import FlagEvent, Incident, OnCallShift, RiskFlag, SafetySettings
from tests.conftest import World, client_for
from tests.safety.world import raise_flag, set_settings, user_of, working_match

pytestmark = pytest.mark.django_db
API = "/api/v1"

MALFORMED_VALUES: list[Any] = [
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
    "2026-01-01T10:00:00",
    "25:99",
]


def _state() -> tuple[int, ...]:
    return (
        RiskFlag.objects.count(),
        FlagEvent.objects.count(),
        Incident.objects.count(),
        OnCallShift.objects.count(),
        RiskFlag.objects.filter(status="open").count(),
    )


def _assert_error_shape(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])


@pytest.fixture(autouse=True)
def _nobody_on_call(world: World) -> None:
    OnCallShift.objects.filter(programme=world.programme_a).delete()
    set_settings(world.programme_a, on_call=None)


Write = tuple[str, str, Callable[[World], tuple[str, dict[str, Any]]]]


def _raise(world: World) -> tuple[str, dict[str, Any]]:
    match = working_match(world.programme_a)
    return f"{API}/programmes/{world.programme_a.pk}/flags", {
        "person_id": match.enrolment.person_id,
        "severity": "medium",
        "summary": "Worried.",
    }


def _on_flag(
    action: str, body: dict[str, Any], *, to: str = ""
) -> Callable[[World], tuple[str, dict[str, Any]]]:
    def make(world: World) -> tuple[str, dict[str, Any]]:
        flag = raise_flag(working_match(world.programme_a))
        extra = {"to_user_id": user_of(to).pk} if to else {}
        return f"{API}/flags/{flag.pk}/{action}", {**body, **extra}

    return make


def _incident(world: World) -> tuple[str, dict[str, Any]]:
    return f"{API}/programmes/{world.programme_a.pk}/incidents", {
        "kind": "boundary",
        "category": "oversharing",
        "severity": "low",
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "description": "Shared too much of their own story.",
    }


def _shift(world: World) -> tuple[str, dict[str, Any]]:
    starts = timezone.now() + timedelta(days=3)
    return f"{API}/programmes/{world.programme_a.pk}/on-call", {
        "user_id": user_of("supervisor").pk,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=4)).isoformat(),
    }


WRITES: list[Write] = [
    ("coordinator", "post", _raise),
    ("supervisor", "post", _on_flag("acknowledge", {"note": "Seen."})),
    ("supervisor", "post", _on_flag("notes", {"note": "More."})),
    ("supervisor", "post", _on_flag("reassign", {"note": ""}, to="leader")),
    ("leader", "post", _on_flag("resolve", {"actions": ["referred_on"], "resolution": "Done."})),
    ("coordinator", "post", _incident),
    ("leader", "post", _shift),
]


def _sent(persona: str, method: str, url: str, text: str) -> tuple[Any, bool]:
    """Send inside a rolled-back savepoint; also say whether anything changed."""
    with transaction.atomic():
        before = _state()
        response = getattr(client_for(persona), method)(
            url, data=text, content_type="application/json"
        )
        changed = _state() != before
        transaction.set_rollback(True)
    return response, changed


def test_every_field_of_every_write_rejects_malformed_values(world: World) -> None:
    for persona, method, make in WRITES:
        with transaction.atomic():
            url, body = make(world)
            valid, _changed = _sent(persona, method, url, json.dumps(body))
            assert valid.status_code < 300, (url, valid.content[:300])
            for field in [*body, "unexpected"]:
                for value in MALFORMED_VALUES:
                    text = json.dumps({**body, field: value}, allow_nan=True)
                    response, changed = _sent(persona, method, url, text)
                    if response.status_code < 400:
                        continue  # some values are legal for some fields (an empty note)
                    _assert_error_shape(response)
                    assert not changed, (url, field, value)
            transaction.set_rollback(True)


def test_settings_put_rejects_malformed_values(world: World) -> None:
    url = f"{API}/programmes/{world.programme_a.pk}/safety-settings"
    fields = [
        "high_within_minutes",
        "medium_within_working_days",
        "working_day_starts",
        "working_day_ends",
        "working_weekdays",
        "on_call_user_id",
        "crisis_resources",
    ]
    before = SafetySettings.objects.filter(programme=world.programme_a).values().first()
    for field in fields:
        for value in MALFORMED_VALUES:
            if field == "on_call_user_id" and value is None:
                continue  # null: nobody on call by default, a legal change
            if field == "crisis_resources" and isinstance(value, str) and len(value) <= 4000:
                if "\x00" not in value:
                    continue  # any text is legal there
            response = client_for("leader").put(
                url,
                data=json.dumps({field: value}, allow_nan=True),
                content_type="application/json",
            )
            assert response.status_code == 422, (field, value, response.content[:200])
            _assert_error_shape(response)
    after = SafetySettings.objects.filter(programme=world.programme_a).values().first()
    assert after == before


@pytest.mark.parametrize(
    "raw", ["{not json", "[]", "null", '"text"', "1", "\x00", json.dumps({"summary": "\x00"})]
)
def test_writes_reject_bodies_that_are_not_the_right_object(world: World, raw: str) -> None:
    for persona, method, make in WRITES:
        with transaction.atomic():
            url, _body = make(world)
            response, changed = _sent(persona, method, url, raw)
            transaction.set_rollback(True)
        if response.status_code < 400:
            continue  # an unknown field next to optional ones is ignored
        _assert_error_shape(response)
        assert not changed


@pytest.mark.parametrize("bad", ["x", "0", "-1", "1.5", str(10**30), "%00"])
def test_bad_ids_are_404_or_422_never_500(bad: str) -> None:
    leader = client_for("leader")
    gets = [f"{API}/flags/{bad}", f"{API}/incidents/{bad}", f"{API}/programmes/{bad}/flags"]
    gets += [f"{API}/programmes/{bad}/incidents", f"{API}/programmes/{bad}/safety-settings"]
    gets += [f"{API}/programmes/{bad}/on-call"]
    for url in gets:
        response = leader.get(url)
        assert response.status_code in (404, 422), (url, response.status_code)
        _assert_error_shape(response)
    posts = [f"{API}/flags/{bad}/acknowledge", f"{API}/flags/{bad}/notes"]
    posts += [f"{API}/incidents/{bad}/close", f"{API}/on-call/{bad}/remove"]
    for url in posts:
        response = leader.post(url, data="{}", content_type="application/json")
        assert response.status_code in (404, 422), (url, response.status_code)
        _assert_error_shape(response)


@pytest.mark.parametrize(
    "query",
    ["?status=nope", "?page=0", "?page=x", "?page_size=100000"],
)
def test_bad_flag_list_filters_are_422(world: World, query: str) -> None:
    response = client_for("leader").get(f"{API}/programmes/{world.programme_a.pk}/flags{query}")
    assert response.status_code == 422
    _assert_error_shape(response)


@pytest.mark.parametrize("query", ["?group=x", "?group=0", "?kind=nope", "?status=maybe"])
def test_bad_incident_filters_are_422(world: World, query: str) -> None:
    response = client_for("leader").get(f"{API}/programmes/{world.programme_a.pk}/incidents{query}")
    assert response.status_code == 422
    _assert_error_shape(response)


def test_ids_in_bodies_that_do_not_exist_are_refused(world: World) -> None:
    url, body = _raise(world)
    for field in ("person_id", "enrolment_id", "contact_id", "group_session_id"):
        response = client_for("coordinator").post(
            url, data=json.dumps({**body, field: 2**62}), content_type="application/json"
        )
        assert response.status_code in (404, 422), field
        _assert_error_shape(response)


@pytest.mark.parametrize(
    "form",
    [
        {"severity": "high"},
        {"severity": ["high", "low"], "summary": "x"},
        {"severity": "\x00", "summary": "\x00"},
        {"person": "e999999999", "severity": "high", "summary": "x"},
        {"person": "zzz", "severity": "high", "summary": "x"},
    ],
)
def test_pages_show_form_errors_for_bad_input(world: World, form: dict[str, Any]) -> None:
    response = client_for("coordinator").post(
        f"/programmes/{world.programme_a.pk}/flags/new/", form
    )
    assert response.status_code == 422
    assert response.context["form"].errors


@pytest.mark.parametrize(
    "form",
    [
        {"occurred_at": "2026-02-30T10:00"},
        {"occurred_at": "not a time", "kind": "boundary"},
        {"kind": "online_group", "category": "harassment", "severity": "low", "group": "x"},
        {"group_session": "-1"},
    ],
)
def test_incident_form_errors_for_bad_input(world: World, form: dict[str, Any]) -> None:
    response = client_for("coordinator").post(
        f"/programmes/{world.programme_a.pk}/incidents/new/", form
    )
    assert response.status_code == 422
    assert response.context["form"].errors


def test_crisis_page_ignores_a_bad_flag_parameter(world: World) -> None:
    url = f"/programmes/{world.programme_a.pk}/crisis-resources/"
    for query in ("?flag=x", "?flag=-1", f"?flag={10**30}", "?flag=%00"):
        assert client_for("peer").get(url + query).status_code == 200
