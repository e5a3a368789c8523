"""Matrix rows for measures and progress: a participant's measures page (recording on
POST), removing a measure, the progress page, "my progress", and their API.

`enrolment_id` is the intake rows' enrolment (programme A, nobody's match): staff over
programme A reach it, peers and the participant persona do not. `measure_id` is a
measure of the participant in an active match of persona "peer", so that peer reaches
it too."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import api, cells, expect, role_gate

STAFF = ("supervisor", "coordinator", "leader", "admin")
PERSONAL = ("peer", "peer_other", "participant")
RECORDERS = (*STAFF, "peer", "peer_other")
PROGRESS_ROLES = (*STAFF, *PERSONAL)
MEASURES = "enrolments/<int:enrolment_id>/measures/"
DELETE = "measures/<int:measure_id>/delete/"
PROGRESS = "enrolments/<int:enrolment_id>/progress/"
API_MEASURES = "api/v1/enrolments/<enrolment_id>/measures"
API_MEASURE = "api/v1/measures/<measure_id>"

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    (MEASURES, "GET"): role_gate({**cells(STAFF, 200), **cells(PERSONAL, 404)}),
    (MEASURES, "POST"): role_gate({**cells(STAFF, 422), **cells(PERSONAL, 404)}),
    (DELETE, "GET"): role_gate(cells(RECORDERS, 405)),
    (DELETE, "POST"): role_gate({**cells((*STAFF, "peer"), 302), "peer_other": 404}),
    (PROGRESS, "GET"): role_gate({**cells(STAFF, 200), **cells(PERSONAL, 404)}),
    (PROGRESS, "POST"): role_gate(cells(PROGRESS_ROLES, 405)),
    ("progress/", "GET"): role_gate({**cells(PROGRESS_ROLES, 404), "participant": 302}),
    ("progress/", "POST"): role_gate(cells(PROGRESS_ROLES, 405)),
    ("api/v1/measure-kinds", "GET"): api(200),
    (API_MEASURES, "GET"): expect(404, anonymous=401, **cells(STAFF, 200)),
    (API_MEASURES, "POST"): expect(404, anonymous=401, **cells(STAFF, 201)),
    (API_MEASURE, "GET"): expect(404, anonymous=401, **cells((*STAFF, "peer"), 200)),
    (API_MEASURE, "DELETE"): expect(404, anonymous=401, **cells((*STAFF, "peer"), 204)),
    ("api/v1/enrolments/<enrolment_id>/progress", "GET"): expect(
        404, anonymous=401, **cells(STAFF, 200)
    ),
}


def arguments(world: Any) -> dict[str, Any]:
    from django.utils import timezone

    from peerbridge.outcomes.measures import measure_record
    from tests.matrix.support_contacts import matrix_active_match
    from tests.support.world import user_of

    match = matrix_active_match(world)
    measure = measure_record(
        enrolment=match.enrolment,
        actor=user_of("coordinator"),
        kind="weight",
        value=70,
        measured_on=timezone.localdate(),
        source="clinic_record",
    )
    return {"measure_id": measure.pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    from django.utils import timezone

    if pattern == API_MEASURES and method == "POST":
        return {
            "kind": "weight",
            "value": 70,
            "measured_on": timezone.localdate().isoformat(),
            "source": "self_report",
        }
    return None
