"""Matrix rows for the workforce's wellbeing and engagement routes: check-ins and the
pulse, the supervisor's review of a hold, alerts, pausing, capacity and availability,
the peer's own page, announcements and the team calendar.

`alert_id` is an open "struggling" alert on persona "peer"'s profile in programme A
(only those who supervise the programme resolve it: the coordinator sees it but gets
403); `event_id` a team event of programme A that started yesterday (so attendance can
be recorded)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.matrix.common import RUNNERS, cells, expect, role_gate

MANAGERS = ("coordinator", "leader", "admin")
SUPERVISORS = ("supervisor", "leader", "admin")
SELF_OR_MANAGERS = ("peer", *MANAGERS)
PROFILE = "workforce/profiles/<int:profile_id>"
API_PROFILE = "api/v1/workforce/profiles/<profile_id>"
ANNOUNCEMENTS = "programmes/<int:programme_id>/workforce/announcements/"
EVENTS = "programmes/<int:programme_id>/workforce/events/"
API_PROGRAMME = "api/v1/programmes/<programme_id>/workforce"


EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("workforce/me/", "GET"): role_gate(cells(("peer", "peer_other"), 200)),
    ("workforce/me/", "POST"): role_gate(cells(("peer", "peer_other"), 405)),
    (f"{PROFILE}/checkin/", "GET"): role_gate({"peer": 200, "peer_other": 404}),
    (f"{PROFILE}/checkin/", "POST"): role_gate({"peer": 422, "peer_other": 404}),
    (f"{PROFILE}/pulse/", "GET"): role_gate(cells(("peer", "peer_other"), 405)),
    (f"{PROFILE}/pulse/", "POST"): role_gate({"peer": 302, "peer_other": 404}),
    (f"{PROFILE}/hold/", "GET"): role_gate(cells(SUPERVISORS, 405)),
    (f"{PROFILE}/hold/", "POST"): role_gate(cells(SUPERVISORS, 302)),
    (f"{PROFILE}/pause/", "GET"): role_gate({**cells(SELF_OR_MANAGERS, 200), "peer_other": 404}),
    (f"{PROFILE}/pause/", "POST"): role_gate({**cells(SELF_OR_MANAGERS, 422), "peer_other": 404}),
    (f"{PROFILE}/capacity/", "GET"): role_gate({**cells(SELF_OR_MANAGERS, 200), "peer_other": 404}),
    (f"{PROFILE}/capacity/", "POST"): role_gate(
        {**cells(SELF_OR_MANAGERS, 422), "peer_other": 404}
    ),
    ("workforce/alerts/<int:alert_id>/resolve/", "GET"): role_gate(cells(RUNNERS, 405)),
    ("workforce/alerts/<int:alert_id>/resolve/", "POST"): role_gate(cells(SUPERVISORS, 302)),
    (ANNOUNCEMENTS, "GET"): role_gate({**cells(("peer", *RUNNERS), 200), "peer_other": 404}),
    (ANNOUNCEMENTS, "POST"): role_gate(
        {"peer": 403, "peer_other": 404, "supervisor": 403, **cells(MANAGERS, 422)}
    ),
    (EVENTS, "GET"): role_gate({**cells(("peer", *RUNNERS), 200), "peer_other": 404}),
    (EVENTS, "POST"): role_gate(
        {"peer": 403, "peer_other": 404, "supervisor": 403, **cells(MANAGERS, 422)}
    ),
    ("workforce/events/<int:event_id>/", "GET"): role_gate(
        {**cells(("peer", *RUNNERS), 200), "peer_other": 404}
    ),
    ("workforce/events/<int:event_id>/", "POST"): role_gate(
        {"peer": 403, "peer_other": 404, "supervisor": 403, **cells(MANAGERS, 302)}
    ),
    # API
    (f"{API_PROFILE}/checkins", "POST"): expect(
        404, anonymous=401, peer=201, **cells(RUNNERS, 403)
    ),
    (f"{API_PROFILE}/checkins", "GET"): expect(
        404, anonymous=401, peer=200, coordinator=403, **cells(SUPERVISORS, 200)
    ),
    (f"{API_PROFILE}/pause", "POST"): expect(
        404, anonymous=401, supervisor=403, **cells(SELF_OR_MANAGERS, 200)
    ),
    (f"{API_PROFILE}/resume", "POST"): expect(
        404, anonymous=401, supervisor=403, **cells(SELF_OR_MANAGERS, 200)
    ),
    (f"{API_PROFILE}/hold/release", "POST"): expect(
        404, anonymous=401, peer=403, coordinator=403, **cells(SUPERVISORS, 200)
    ),
    (f"{API_PROFILE}/capacity", "PATCH"): expect(
        404, anonymous=401, supervisor=403, **cells(SELF_OR_MANAGERS, 200)
    ),
    ("api/v1/workforce/alerts", "GET"): expect(200, anonymous=401),
    ("api/v1/workforce/alerts/<alert_id>/resolve", "POST"): expect(
        404, anonymous=401, coordinator=403, **cells(SUPERVISORS, 200)
    ),
    (f"{API_PROGRAMME}/announcements", "GET"): expect(
        404, anonymous=401, evaluator=403, **cells(("peer", *RUNNERS), 200)
    ),
    (f"{API_PROGRAMME}/announcements", "POST"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor"), 403),
        **cells(MANAGERS, 201),
    ),
    (f"{API_PROGRAMME}/events", "GET"): expect(
        404, anonymous=401, evaluator=403, **cells(("peer", *RUNNERS), 200)
    ),
    (f"{API_PROGRAMME}/events", "POST"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor"), 403),
        **cells(MANAGERS, 201),
    ),
}


def arguments(world: Any) -> dict[str, Any]:
    from django.utils import timezone

    from peerbridge.workforce.models import TeamEvent, WorkforceAlert
    from peerbridge.workforce.services import alert_raise
    from tests.matrix.workforce import matrix_peer_profile

    profile = matrix_peer_profile(world)
    alert = alert_raise(profile=profile, kind=WorkforceAlert.Kind.PULSE_LOW)
    yesterday = timezone.now() - timedelta(days=1)
    event = TeamEvent.objects.create(
        programme=world.programme_a,
        kind=TeamEvent.Kind.TEAM_MEETING,
        title="Matrix team meeting",
        starts_at=yesterday,
        ends_at=yesterday + timedelta(hours=1),
    )
    return {"alert_id": alert.pk, "event_id": event.pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    from django.utils import timezone

    from peerbridge.workforce.models import PeerProfile
    from tests.matrix.workforce import matrix_peer_profile

    if pattern == f"{API_PROFILE}/checkins":
        return {"kind": "pulse", "value": 4}
    if pattern == f"{API_PROFILE}/pause":
        return {"reason": "time_off"}
    if pattern == f"{API_PROFILE}/resume":
        PeerProfile.objects.filter(pk=matrix_peer_profile(world).pk).update(
            paused_from=timezone.localdate(), paused_until=None, pause_reason="time_off"
        )
        return {}
    if pattern == f"{API_PROFILE}/hold/release":
        PeerProfile.objects.filter(pk=matrix_peer_profile(world).pk).update(capacity_hold=True)
        return {"note": "Talked it through."}
    if pattern == f"{API_PROFILE}/capacity":
        return {"availability": [{"day": 0, "start": "18:00", "end": "20:00"}]}
    if pattern == "api/v1/workforce/alerts/<alert_id>/resolve":
        return {"resolution": "Called them."}
    if pattern == f"{API_PROGRAMME}/announcements" and method == "POST":
        return {"title": "Matrix", "body": "Hello team."}
    if pattern == f"{API_PROGRAMME}/events" and method == "POST":
        start = timezone.now() + timedelta(days=7)
        return {
            "kind": "social",
            "title": "Picnic",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
        }
    return None
