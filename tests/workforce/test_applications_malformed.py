"""Bad input to the application endpoints and pages: field errors and 4xx, never a 500,
and nothing half-saved."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerbridge.people.models import LivedExperience, Person
from peerbridge.workforce.models import PeerApplication, PeerProfile, Screening
from tests.conftest import World, client_for
from tests.workforce.world_applications import all_ratings, make_application

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
    {"communication": "\x00"},
    "<script>alert(1)</script>",
    "\x00",
    "a\x00b",
    "ünïcødé",
    "1; DROP TABLE core_user",
]


def _counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        PeerApplication.objects.count(),
        Screening.objects.count(),
        PeerProfile.objects.count(),
        LivedExperience.objects.count(),
    )


def _valid_application() -> dict[str, Any]:
    return {
        "given_name": "Valid",
        "family_name": "Applicant",
        "email": "valid.applicant@example.org",
        "phone": "+44 7700 900123",
        "languages": ["en"],
        "relationship": "self",
        "since": "2020-01-01",
        "since_kind": "event",
        "story": "My story.",
        "motivation": "To give back.",
        "availability": "Evenings",
        "modalities": ["telephone"],
        "references": "A friend.",
    }


def _endpoints(world: World) -> list[tuple[str, Callable[[], str], dict[str, Any]]]:
    """(persona allowed to write, url maker, a valid body) for every application write.
    The url maker runs inside the rolled-back block, so each try meets an open
    application."""

    def application_url(suffix: str) -> Callable[[], str]:
        return lambda: (
            f"/api/v1/workforce/applications/{make_application(world.programme_a).pk}/{suffix}"
        )

    return [
        (
            "coordinator",
            lambda: f"/api/v1/programmes/{world.programme_a.pk}/workforce/applications",
            _valid_application(),
        ),
        (
            "supervisor",
            application_url("screenings"),
            {
                "ratings": all_ratings(),
                "readiness": "ready",
                "readiness_notes": "Fine.",
                "role_play": "passed",
                "role_play_notes": "Good.",
            },
        ),
        (
            "coordinator",
            application_url("decision"),
            {"decision": "redirect", "reason": "Advisory suits them.", "redirected_to": "events"},
        ),
    ]


def _assert_error_shape(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])


def _send(persona: str, url: Callable[[], str], raw: str) -> tuple[Any, tuple[int, ...]]:
    """Post inside a rolled-back block; also return what the post itself added."""
    with transaction.atomic():
        address = url()
        before = _counts()
        response = client_for(persona).post(address, data=raw, content_type="application/json")
        after = _counts()
        transaction.set_rollback(True)
    return response, tuple(b - a for a, b in zip(before, after, strict=True))


def test_every_field_of_every_application_write_rejects_malformed_values(world: World) -> None:
    for persona, url, valid in _endpoints(world):
        response, added = _send(persona, url, json.dumps(valid))
        assert response.status_code in (200, 201), response.content  # the valid body works
        for field in valid:
            for value in MALFORMED_VALUES:
                response, added = _send(persona, url, json.dumps({**valid, field: value}))
                if response.status_code < 400:
                    continue  # some values are legal for some fields ("" as a phone)
                _assert_error_shape(response)
                assert added == (0, 0, 0, 0, 0), (field, value)


@pytest.mark.parametrize(
    "raw", ["{not json", "[]", "null", '"text"', "1", json.dumps({"unexpected": 1}), "\x00"]
)
def test_application_writes_reject_bodies_that_are_not_the_right_object(
    world: World, raw: str
) -> None:
    for persona, url, _valid in _endpoints(world):
        response, added = _send(persona, url, raw)
        _assert_error_shape(response)
        assert added == (0, 0, 0, 0, 0)


def test_ratings_out_of_range_or_unknown_name_the_field(world: World) -> None:
    application = make_application(world.programme_a)
    url = f"/api/v1/workforce/applications/{application.pk}/screenings"
    for ratings in (
        {**all_ratings(), "calm": 6},
        {**all_ratings(), "calm": "5"},
        {**all_ratings(), "charm": 3},
        {**all_ratings(), "calm": None},
    ):
        response = client_for("supervisor").post(
            url,
            data=json.dumps({"ratings": ratings, "readiness": "ready"}),
            content_type="application/json",
        )
        assert response.status_code == 422
        assert any(name.startswith("ratings") for name in response.json()["error"]["fields"])
    assert not Screening.objects.filter(application=application).exists()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.dictionaries(
        st.sampled_from(
            [
                "given_name",
                "email",
                "languages",
                "relationship",
                "condition_id",
                "since",
                "since_kind",
                "motivation",
                "modalities",
            ]
        ),
        st.one_of(st.none(), st.integers(), st.text(max_size=30), st.lists(st.text(max_size=5))),
    )
)
def test_random_application_payloads_never_cause_a_server_error(
    world: World, payload: dict[str, Any]
) -> None:
    with transaction.atomic():
        response = client_for("coordinator").post(
            f"/api/v1/programmes/{world.programme_a.pk}/workforce/applications",
            data=json.dumps(payload),
            content_type="application/json",
        )
        transaction.set_rollback(True)
    assert response.status_code < 500


WEB_FORMS = [
    (
        "coordinator",
        "new",
        {
            "given_name": "x" * 500,
            "email": "not-an-email",
            "languages": ["xx"],
            "relationship": "cousin",
            "condition": "abc",
            "since": "2999-01-01",
            "since_kind": "birthday",
            "motivation": "\x00",
            "modalities": ["fax"],
        },
    ),
    ("coordinator", "new", {"given_name": "A", "email": "a@example.org", "motivation": "a\x00b"}),
    (
        "coordinator",
        "new",
        {"given_name": "A", "email": "a@example.org", "motivation": "M", "since": "2999-01-01"},
    ),
    (
        "supervisor",
        "screen",
        {"rating_calm": "9", "readiness": "perhaps", "role_play": "", "readiness_notes": "\x00"},
    ),
    (
        "coordinator",
        "decide",
        {"decision": "maybe", "redirected_to": "circus", "reason": "x" * 5000},
    ),
]


@pytest.mark.parametrize(("persona", "page", "data"), WEB_FORMS)
def test_application_pages_show_field_errors_and_save_nothing(
    world: World, persona: str, page: str, data: dict[str, Any]
) -> None:
    application = make_application(world.programme_a)
    url = {
        "new": f"/programmes/{world.programme_a.pk}/workforce/applications/new/",
        "screen": f"/workforce/applications/{application.pk}/screen/",
        "decide": f"/workforce/applications/{application.pk}/decide/",
    }[page]
    before = _counts()
    response = client_for(persona).post(url, data)
    assert response.status_code == 422
    assert _counts() == before
    application.refresh_from_db()
    assert application.status == "submitted"


def test_the_public_page_refuses_junk_without_saving(world: World) -> None:
    from django.test import Client

    before = _counts()
    response = Client().post(
        f"/apply/{world.programme_a.code}/",
        {"given_name": "\x00", "email": "x" * 300, "motivation": "x" * 9000, "stamp": "s"},
    )
    assert response.status_code == 422
    assert _counts() == before
