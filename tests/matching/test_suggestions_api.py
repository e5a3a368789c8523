"""The suggestions API: top peers with reasons, why not, a participant's wishes, the
programme's match settings and waiting list; bad input is a 4xx in the one error shape,
never a 500, and nothing is half-saved."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from peerbridge.core.models import AuditEvent
from peerbridge.matching.configuration import match_preferences, match_settings
from peerbridge.matching.models import MatchPreferences, MatchSettings
from peerbridge.referrals.models import Enrolment
from peerbridge.workforce.capacity import capacity_reserve
from tests.conftest import World, client_for
from tests.matching.world_suggestions import fresh_programme, participant, peer

pytestmark = pytest.mark.django_db

MASTECTOMY = "Breast cancer > Mastectomy"
MALFORMED_VALUES: list[Any] = [
    None,
    "",
    "x" * 5000,
    -1,
    0,
    10**12,
    3.5,
    True,
    [],
    {},
    ["nested", ["list"]],
    [{"day": "x"}],
    "<script>alert(1)</script>",
    "ünïcødé",
    "1; DROP TABLE core_user",
    float("nan"),
]


def _error_shape(response: Any, context: object = None) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (context, response.status_code, response.content)
    body = response.json()
    assert set(body) == {"error"}, context
    assert {"code", "message", "fields"} <= set(body["error"]), context
    return dict(body["error"])


def _send(client: Any, method: str, url: str, raw: str) -> Any:
    send: Callable[..., Any] = getattr(client, method)
    return send(url, data=raw, content_type="application/json")


def test_suggestions_with_reasons_and_k() -> None:
    programme = fresh_programme()
    best = peer(programme, lineage=MASTECTOMY, facets=("With reconstruction",), alias="Rosa")
    for _ in range(3):
        peer(programme, lineage="Diabetes")
    seeker = participant(programme, lineage=MASTECTOMY, facets=("With reconstruction",))
    client = client_for("admin")
    body = client.get(f"/api/v1/enrolments/{seeker.pk}/suggestions?k=2").json()
    assert body["enrolment_id"] == seeker.pk and body["k"] == 2
    assert body["considered"] == 4 and body["eligible"] == 4 and body["fallback"] == ""
    first = body["suggestions"][0]
    assert first["profile_id"] == best.pk and first["alias"] == "Rosa" and first["rank"] == 1
    assert "both had Mastectomy" in first["reasons"][0] and 0 < first["score"] <= 100
    assert len(body["suggestions"]) == 2 and "condition" in first["parts"]
    assert AuditEvent.objects.filter(
        action="read", object_type="people.person", object_id=str(best.person_id)
    ).exists()
    default = client.get(f"/api/v1/enrolments/{seeker.pk}/suggestions").json()
    assert default["k"] == 5 and len(default["suggestions"]) == 4
    for bad in ("0", "51", "x", "2.5", "-1", "9" * 30):
        response = client.get(f"/api/v1/enrolments/{seeker.pk}/suggestions?k={bad}")
        assert response.status_code == 422, bad
        assert "k" in _error_shape(response, bad)["fields"]


def test_why_not_in_sentences_and_only_for_peers_of_the_programme() -> None:
    programme = fresh_programme()
    full = peer(programme, lineage=MASTECTOMY, max_matches=1)
    capacity_reserve(profile=full, kind="match", reference="match:test", actor=None)
    elsewhere = peer(fresh_programme(), lineage=MASTECTOMY)
    seeker = participant(programme, lineage=MASTECTOMY)
    client = client_for("admin")
    body = client.get(f"/api/v1/enrolments/{seeker.pk}/why-not/{full.pk}").json()
    assert body == {
        "enrolment_id": seeker.pk,
        "profile_id": full.pk,
        "reasons": ["Not available for matching: Already 1 of 1 people supported."],
    }
    for other in (elsewhere.pk, 999_999_999):
        response = client.get(f"/api/v1/enrolments/{seeker.pk}/why-not/{other}")
        assert response.status_code == 404
        assert _error_shape(response)["code"] == "not_found"


def test_wishes_are_read_and_replaced_as_a_whole() -> None:
    programme = fresh_programme(modalities=("telephone", "in_person"))
    seeker = participant(programme)
    client = client_for("coordinator")
    admin = client_for("admin")
    url = f"/api/v1/enrolments/{seeker.pk}/match-preferences"
    assert client.get(url).status_code == 404  # coordinator of programme A only
    empty = admin.get(url).json()
    assert empty["language"] == "" and empty["updated_at"] is None
    assert not MatchPreferences.objects.filter(enrolment=seeker).exists()
    body = {
        "peer_gender": "woman",
        "gender_required": True,
        "language": "es",
        "language_required": True,
        "same_culture": True,
        "modalities": ["telephone"],
        "availability": [{"day": 0, "start": "09:00", "end": "12:00"}],
        "max_distance_km": 15,
    }
    saved = admin.put(url, data=json.dumps(body), content_type="application/json")
    assert saved.status_code == 200, saved.content
    assert {k: saved.json()[k] for k in body} == body
    cleared = admin.put(
        url, data=json.dumps({"same_culture": True}), content_type="application/json"
    )
    assert cleared.json()["language"] == "" and cleared.json()["peer_gender"] == ""
    assert match_preferences(seeker).same_culture


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"gender_required": True}, "peer_gender"),
        ({"language_required": True}, "language"),
        ({"language": "zz"}, "language"),
        ({"modalities": ["video"]}, "modalities"),
        ({"availability": [{"day": 1, "start": "12:00", "end": "09:00"}]}, "availability"),
        ({"availability": [{"day": 1, "start": "25:00", "end": "26:00"}]}, "availability"),
    ],
)
def test_wishes_refused_name_the_field(body: dict[str, Any], field: str) -> None:
    seeker = participant(fresh_programme(modalities=("telephone",)))
    response = client_for("admin").put(
        f"/api/v1/enrolments/{seeker.pk}/match-preferences",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert any(name.startswith(field) for name in _error_shape(response)["fields"]), response.json()
    assert not MatchPreferences.objects.filter(enrolment=seeker).exists()


def test_settings_are_read_without_writing_and_patched_by_leaders(world: World) -> None:
    fresh = fresh_programme()
    body = client_for("admin").get(f"/api/v1/programmes/{fresh.pk}/match-settings").json()
    assert body["preset"] == "general" and body["updated_at"] is None
    assert not MatchSettings.objects.filter(programme=fresh).exists()
    url = f"/api/v1/programmes/{world.programme_a.pk}/match-settings"
    leader = client_for("leader")
    assert leader.get(url).status_code == 200
    patched = leader.patch(
        url,
        data=json.dumps({"preset": "language_culture", "weights": {"age": 0}, "suggestions": 7}),
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["weights"] == {"age": 0} and patched.json()["suggestions"] == 7
    assert match_settings(world.programme_a).preset == "language_culture"
    forbidden = client_for("coordinator").patch(url, data="{}", content_type="application/json")
    assert forbidden.status_code == 403 and _error_shape(forbidden)["code"] == "forbidden"


def test_the_waiting_list_is_paginated() -> None:
    programme = fresh_programme()
    people = [participant(programme, waiting_days=days) for days in (30, 20, 10)]
    client = client_for("admin")
    url = f"/api/v1/programmes/{programme.pk}/matching/waiting-list"
    first = client.get(f"{url}?page_size=2").json()
    assert first["count"] == 3 and [row["enrolment_id"] for row in first["items"]] == [
        people[0].pk,
        people[1].pk,
    ]
    assert first["items"][0]["waited_days"] == 30
    second = client.get(f"{url}?page_size=2&page=2").json()
    assert [row["enrolment_id"] for row in second["items"]] == [people[2].pk]
    assert client.get(f"{url}?page=9").json()["items"] == []
    for bad in ("page=0", "page_size=0", "page_size=500", "page=x"):
        assert client.get(f"{url}?{bad}").status_code == 422, bad


# ---------------------------------------------------------------------------------------
# Malformed input


def _writes(programme_id: int, enrolment: Enrolment) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (
            "admin",
            "put",
            f"/api/v1/enrolments/{enrolment.pk}/match-preferences",
            {
                "peer_gender": "man",
                "gender_required": False,
                "language": "en",
                "language_required": False,
                "same_culture": False,
                "modalities": ["telephone"],
                "availability": [{"day": 2, "start": "09:00", "end": "10:00"}],
                "max_distance_km": 10,
            },
        ),
        (
            "admin",
            "patch",
            f"/api/v1/programmes/{programme_id}/match-settings",
            {
                "preset": "issues_first",
                "weights": {"issues": 50},
                "requirements": ["language"],
                "suggestions": 3,
                "candidates_per_participant": 30,
                "favour_longest_waiting": True,
                "choice_profiles": 3,
                "choice_link_days": 5,
                "offer_response_days": 2,
                "max_distance_km": 80,
            },
        ),
    ]


def _counts() -> tuple[int, int]:
    return MatchPreferences.objects.count(), MatchSettings.objects.count()


def test_each_valid_body_is_accepted() -> None:
    programme = fresh_programme()
    for persona, method, url, valid in _writes(programme.pk, participant(programme)):
        with transaction.atomic():
            response = _send(client_for(persona), method, url, json.dumps(valid))
            assert response.status_code == 200, (url, response.content)
            transaction.set_rollback(True)


def test_every_field_of_every_write_rejects_malformed_values() -> None:
    programme = fresh_programme()
    for persona, method, url, valid in _writes(programme.pk, participant(programme)):
        client = client_for(persona)
        for field in valid:
            for value in MALFORMED_VALUES:
                with transaction.atomic():
                    before = _counts()
                    response = _send(client, method, url, json.dumps({**valid, field: value}))
                    if response.status_code >= 400:
                        _error_shape(response, (url, field, value))
                        assert _counts() == before, (url, field, value)
                    else:
                        assert response.status_code == 200, (url, field, value)
                    transaction.set_rollback(True)


@pytest.mark.parametrize("raw", ["{not json", "[]", "null", '"text"', "1", '{"a": "\\u0000"}'])
def test_writes_reject_bodies_that_are_not_the_right_object(raw: str) -> None:
    programme = fresh_programme()
    for persona, method, url, _valid in _writes(programme.pk, participant(programme)):
        response = _send(client_for(persona), method, url, raw)
        if response.status_code != 200:  # {"a": ...} is an unknown key: ignored
            _error_shape(response, (url, raw))


@pytest.mark.parametrize(
    "weights",
    [{"nonsense": 3}, {"age": 101}, {"age": "10"}, {"age": None}, [1], {"age": 1e400}],
)
def test_settings_weights_are_checked(world: World, weights: object) -> None:
    url = f"/api/v1/programmes/{world.programme_a.pk}/match-settings"
    response = client_for("leader").patch(
        url, data=json.dumps({"weights": weights}), content_type="application/json"
    )
    assert response.status_code == 422
    assert any(name.startswith("weights") for name in _error_shape(response)["fields"])


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "999999999", "9" * 25, "1.5"])
def test_malformed_or_unknown_ids_are_4xx_in_the_error_shape(world: World, bad: str) -> None:
    seeker = participant(fresh_programme())
    client = client_for("admin")
    urls = [
        f"/api/v1/enrolments/{bad}/suggestions",
        f"/api/v1/enrolments/{bad}/why-not/1",
        f"/api/v1/enrolments/{seeker.pk}/why-not/{bad}",
        f"/api/v1/enrolments/{bad}/match-preferences",
        f"/api/v1/programmes/{bad}/match-settings",
        f"/api/v1/programmes/{bad}/matching/waiting-list",
    ]
    for url in urls:
        _error_shape(client.get(url), url)
    for method, url in (
        ("put", f"/api/v1/enrolments/{bad}/match-preferences"),
        ("patch", f"/api/v1/programmes/{bad}/match-settings"),
    ):
        _error_shape(_send(client, method, url, "{}"), url)
