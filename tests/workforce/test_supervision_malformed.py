"""Bad input through every certification and supervision API write: 4xx in the one
error shape, never a 500, and nothing half-saved."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from peerbridge.workforce.certification import certification_decide, decertify
from peerbridge.workforce.models import (
    Certification,
    CertificationFramework,
    Decertification,
    PeerProfile,
    SupervisionSession,
    WorkforceAlert,
)
from tests.conftest import World, client_for, persona_user
from tests.workforce.world import make_profile
from tests.workforce.world_supervision import leader, state_certification

pytestmark = pytest.mark.django_db

MALFORMED_VALUES: list[Any] = [
    None,
    "",
    "x" * 5000,
    "x" * 20000,
    -1,
    0,
    10**12,
    3.5,
    True,
    [],
    {},
    ["nested", ["list"]],
    "<script>alert(1)</script>",
    "\x00",
    "ok\x00",
    "ünïcødé",
    "2026-02-30",
    "1; DROP TABLE core_user",
]

Endpoint = tuple[str, str, str, dict[str, Any]]


def _endpoints(world: World) -> list[Endpoint]:
    """(persona allowed to write, method, url, a valid body) for every API write here."""
    profile = make_profile(world.programme_a, ready=True, status=PeerProfile.Status.ACTIVE)
    framework = state_certification(world.programme_a)
    current = certification_decide(
        profile=profile, framework=framework, status="certified", decided_by=leader()
    )
    withdrawn_for = make_profile(world.programme_a, ready=True, status=PeerProfile.Status.ACTIVE)
    withdrawn = certification_decide(
        profile=withdrawn_for, framework=framework, status="certified", decided_by=leader()
    )
    decertify(certification=withdrawn, decided_by=leader(), reason="Boundaries.")
    supervisor = persona_user("supervisor")
    assert supervisor is not None
    organisation_id = framework.organisation_id
    return [
        (
            "leader",
            "post",
            f"/api/v1/organisations/{organisation_id}/certification-frameworks",
            {
                "name": "Valid national credential",
                "kind": "national",
                "issuer": "National network",
                "validity_months": 36,
                "recertification_hours": "10.5",
                "recertification_requirements": "Ten hours.",
                "is_active": True,
            },
        ),
        (
            "admin",
            "patch",
            f"/api/v1/workforce/certification-frameworks/{framework.pk}",
            {"name": "Renamed", "validity_months": 12, "recertification_hours": "4"},
        ),
        (
            "leader",
            "post",
            f"/api/v1/workforce/profiles/{profile.pk}/certifications",
            {
                "framework_id": framework.pk,
                "status": "certified",
                "issued_on": "2026-01-10",
                "expires_on": "2028-01-10",
                "recommendations": "",
            },
        ),
        (
            "leader",
            "post",
            f"/api/v1/workforce/certifications/{current.pk}/decertification",
            {
                "reason": "Repeated boundary incidents.",
                "evidence": "Incident 12.",
                "supervision_session_ids": [],
                "effective_on": timezone.localdate().isoformat(),
            },
        ),
        (
            "leader",
            "post",
            f"/api/v1/workforce/certifications/{withdrawn.pk}/appeal",
            {"step": "lodge", "outcome": None, "notes": "On their behalf."},
        ),
        (
            "coordinator",
            "post",
            f"/api/v1/workforce/profiles/{profile.pk}/supervisor",
            {"supervisor_id": supervisor.pk},
        ),
        (
            "supervisor",
            "post",
            f"/api/v1/programmes/{world.programme_a.pk}/workforce/supervision",
            {
                "peer_ids": [profile.pk],
                "held_at": (timezone.now() - timedelta(hours=1)).isoformat(),
                "format": "individual",
                "kind": "clinical",
                "duration_minutes": 45,
                "topics": ["caseload"],
                "notes": "Fine.",
                "agreed_actions": "None.",
            },
        ),
    ]


def _counts() -> tuple[int, ...]:
    return (
        CertificationFramework.objects.count(),
        Certification.objects.count(),
        Decertification.objects.count(),
        SupervisionSession.objects.count(),
        WorkforceAlert.objects.count(),
    )


def _assert_error_shape(response: Any, context: object) -> None:
    assert 400 <= response.status_code < 500, (context, response.status_code, response.content)
    body = response.json()
    assert set(body) == {"error"}, context
    assert {"code", "message", "fields"} <= set(body["error"]), context


def _send(client: Any, method: str, url: str, raw: str) -> Any:
    send: Callable[..., Any] = getattr(client, method)
    return send(url, data=raw, content_type="application/json")


def test_each_valid_body_is_accepted(world: World) -> None:
    for persona, method, url, valid in _endpoints(world):
        with transaction.atomic():
            response = _send(client_for(persona), method, url, json.dumps(valid))
            assert response.status_code in (200, 201), (url, response.content)
            transaction.set_rollback(True)


def test_every_field_of_every_write_rejects_malformed_values(world: World) -> None:
    for persona, method, url, valid in _endpoints(world):
        client = client_for(persona)
        for field in valid:
            for value in MALFORMED_VALUES:
                with transaction.atomic():
                    before = _counts()
                    response = _send(client, method, url, json.dumps({**valid, field: value}))
                    if response.status_code >= 400:
                        _assert_error_shape(response, (url, field, value))
                        assert _counts() == before, (url, field, value)
                    transaction.set_rollback(True)


@pytest.mark.parametrize(
    "raw", ["{not json", "[]", "null", '"text"', "1", json.dumps({"unexpected": 1})]
)
def test_writes_reject_bodies_that_are_not_the_right_object(world: World, raw: str) -> None:
    for persona, method, url, _valid in _endpoints(world):
        if raw == json.dumps({"unexpected": 1}) and method == "patch":
            continue  # an empty patch is legal
        with transaction.atomic():
            response = _send(client_for(persona), method, url, raw)
            _assert_error_shape(response, (url, raw))
            transaction.set_rollback(True)


def test_nul_characters_and_oversized_text_name_the_field(world: World) -> None:
    persona, method, url, valid = _endpoints(world)[-1]
    client = client_for(persona)
    for field, value in (("notes", "a\x00b"), ("agreed_actions", "y" * 10001)):
        response = _send(client, method, url, json.dumps({**valid, field: value}))
        assert response.status_code == 422
        assert field in response.json()["error"]["fields"]
