"""Bad input through every agreements and training API write: malformed JSON, wrong
types, NUL characters and oversized strings answer 4xx in the one error shape, never a
500, and save nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from peerbridge.workforce.curriculum_seed import seed_agreements, seed_curriculum
from peerbridge.workforce.eligibility import latest_agreement_texts
from peerbridge.workforce.models import (
    AgreementSignature,
    AgreementText,
    Competency,
    CompetencyCheck,
    PeerProfile,
    TrainingAttendance,
    TrainingModule,
    TrainingSession,
)
from tests.conftest import World, client_for
from tests.workforce.world import make_profile
from tests.workforce.world_training import held_session, peer_client

pytestmark = pytest.mark.django_db

MALFORMED_VALUES: list[Any] = [
    None,
    "",
    "x" * 25000,
    -1,
    0,
    10**12,
    3.25,
    True,
    [],
    {},
    ["nested", ["list"]],
    "\x00",
    "nul\x00inside",
    "<script>alert(1)</script>",
    "1; DROP TABLE workforce_trainingmodule",
]
RAW_BODIES = ["{not json", "[]", "null", '"text"', "1", "{}"]


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            AgreementText,
            AgreementSignature,
            TrainingModule,
            TrainingSession,
            TrainingAttendance,
            Competency,
            CompetencyCheck,
        )
    )


def _endpoints(world: World) -> list[tuple[Callable[[], Client], str, str, dict[str, Any]]]:
    """(who may write, method, url, a valid body) for every API write of this area."""
    programme = world.programme_a
    seed_curriculum(programme)
    seed_agreements(programme)
    profile = make_profile(programme, status=PeerProfile.Status.ACTIVE)
    peer = peer_client(profile)
    module = TrainingModule.objects.filter(programme=programme, required=False).first()
    assert module is not None
    session = held_session(module)
    text = latest_agreement_texts([programme.pk])[programme.pk]["code_of_conduct"]
    competency = Competency.objects.filter(programme=programme).first()
    assert competency is not None
    when = (timezone.now() + timedelta(days=3)).isoformat()
    return [
        (
            lambda: client_for("leader"),
            "post",
            f"/api/v1/programmes/{programme.pk}/workforce/agreements",
            {"kind": "wellbeing", "body": "We look after you.", "version": "v-test"},
        ),
        (
            lambda: peer,
            "post",
            f"/api/v1/workforce/profiles/{profile.pk}/signatures",
            {"text_id": text.pk, "signed_name": "Ana Peer"},
        ),
        (
            lambda: client_for("coordinator"),
            "post",
            f"/api/v1/programmes/{programme.pk}/workforce/modules",
            {
                "title": "Malformed test",
                "objectives": "x",
                "hours": "2.5",
                "required": True,
                "audience": "peers",
                "order": 4,
            },
        ),
        (
            lambda: client_for("coordinator"),
            "patch",
            f"/api/v1/workforce/modules/{module.pk}",
            {"title": "Renamed", "hours": "1.0", "is_active": True},
        ),
        (
            lambda: client_for("coordinator"),
            "post",
            f"/api/v1/workforce/modules/{module.pk}/sessions",
            {
                "starts_at": when,
                "hours": "2.0",
                "trainer": "Sam",
                "modality": "video",
                "location": "https://meet.example.org/x",
            },
        ),
        (
            lambda: client_for("coordinator"),
            "post",
            f"/api/v1/workforce/sessions/{session.pk}/attendance",
            {"person_ids": [profile.person_id], "attended": True, "hours": "1.0"},
        ),
        (
            lambda: client_for("supervisor"),
            "post",
            f"/api/v1/workforce/profiles/{profile.pk}/competency-checks",
            {"competency_id": competency.pk, "result": "passed", "evidence": "Seen."},
        ),
    ]


def _assert_error_shape(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])


def _send(client: Client, method: str, url: str, raw: str) -> Any:
    send: Callable[..., Any] = getattr(client, method)
    return send(url, data=raw, content_type="application/json")


def test_every_field_rejects_malformed_values(world: World) -> None:
    for make_client, method, url, valid in _endpoints(world):
        client = make_client()
        for field in valid:
            for value in MALFORMED_VALUES:
                before = _counts()
                response = _send(client, method, url, json.dumps({**valid, field: value}))
                assert response.status_code < 500, (url, field, value, response.content[:300])
                if response.status_code < 400:
                    continue  # legal for this field (e.g. "" as a location, null in a patch)
                _assert_error_shape(response)
                assert _counts() == before, (url, field, value)


def test_nul_and_oversized_text_are_refused(world: World) -> None:
    for make_client, method, url, valid in _endpoints(world):
        client = make_client()
        for field, value in valid.items():
            if not isinstance(value, str) or field in {"starts_at", "hours"}:
                continue
            for bad in ("a\x00b", "y" * 25000):
                before = _counts()
                response = _send(client, method, url, json.dumps({**valid, field: bad}))
                assert response.status_code == 422, (url, field, response.content[:200])
                _assert_error_shape(response)
                assert _counts() == before


@pytest.mark.parametrize("raw", RAW_BODIES)
def test_bodies_that_are_not_the_right_object(world: World, raw: str) -> None:
    for make_client, method, url, _valid in _endpoints(world):
        if raw == "{}" and method == "patch":
            continue  # an empty patch is legal
        before = _counts()
        _assert_error_shape(_send(make_client(), method, url, raw))
        assert _counts() == before


def test_wrong_types_name_the_field(world: World) -> None:
    response = _send(
        client_for("coordinator"),
        "post",
        f"/api/v1/programmes/{world.programme_a.pk}/workforce/modules",
        json.dumps({"title": ["list"], "hours": "1.25", "audience": "aliens"}),
    )
    assert response.status_code == 422
    assert {"title", "hours", "audience"} <= set(response.json()["error"]["fields"])
