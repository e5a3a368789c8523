"""Matrix rows for the incident log and its API.

`incident_id` is an open boundary incident persona "coordinator" logged in programme A:
staff over the programme see it, supervisors and leaders close it; persona "peer" did
not report it, so it is out of their reach."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.matrix.common import cells, expect, role_gate

CLOSERS = ("supervisor", "leader", "admin")
VIEWERS = (*CLOSERS, "coordinator")
LOGGERS = (*VIEWERS, "peer")
LOG_ROLES = (*LOGGERS, "peer_other")

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("programmes/<int:programme_id>/incidents/", "GET"): role_gate(cells(VIEWERS, 200)),
    ("programmes/<int:programme_id>/incidents/", "POST"): role_gate(cells(VIEWERS, 405)),
    ("programmes/<int:programme_id>/incidents/new/", "GET"): role_gate(
        {**cells(LOGGERS, 200), "peer_other": 404}
    ),
    ("programmes/<int:programme_id>/incidents/new/", "POST"): role_gate(
        {**cells(LOGGERS, 422), "peer_other": 404}
    ),
    ("incidents/<int:incident_id>/", "GET"): role_gate(
        {**cells(VIEWERS, 200), "peer": 404, "peer_other": 404}
    ),
    ("incidents/<int:incident_id>/", "POST"): role_gate(cells(LOG_ROLES, 405)),
    ("incidents/<int:incident_id>/close/", "GET"): role_gate(cells(CLOSERS, 405)),
    ("incidents/<int:incident_id>/close/", "POST"): role_gate(cells(CLOSERS, 422)),
    # API: 404 outside scope, 403 in scope without the right.
    ("api/v1/programmes/<programme_id>/incidents", "GET"): expect(
        404, anonymous=401, peer=403, evaluator=403, **cells(VIEWERS, 200)
    ),
    ("api/v1/programmes/<programme_id>/incidents", "POST"): expect(
        404, anonymous=401, evaluator=403, **cells(LOGGERS, 201)
    ),
    ("api/v1/incidents/<incident_id>", "GET"): expect(404, anonymous=401, **cells(VIEWERS, 200)),
    ("api/v1/incidents/<incident_id>/close", "POST"): expect(
        404, anonymous=401, coordinator=403, **cells(CLOSERS, 200)
    ),
}


def arguments(world: Any) -> dict[str, Any]:
    from django.utils import timezone

    from peerbridge.safety.incidents import incident_log
    from tests.conftest import persona_user

    incident = incident_log(
        programme=world.programme_a,
        reported_by=persona_user("coordinator"),
        data={
            "kind": "boundary",
            "category": "out_of_hours",
            "severity": "low",
            "occurred_at": timezone.now() - timedelta(days=1),
            "description": "Matrix incident.",
        },
    )
    return {"incident_id": incident.pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    from django.utils import timezone

    if pattern == "api/v1/programmes/<programme_id>/incidents" and method == "POST":
        return {
            "kind": "boundary",
            "category": "money_or_gifts",
            "severity": "low",
            "occurred_at": (timezone.now() - timedelta(hours=2)).isoformat(),
            "description": "Matrix incident.",
        }
    if pattern == "api/v1/incidents/<incident_id>/close":
        return {"outcome": "Matrix outcome."}
    return None
