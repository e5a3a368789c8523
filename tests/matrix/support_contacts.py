"""Matrix rows for contacts: the quick log, a match's contact history, a contact's page,
the programme's support settings, and the contacts API.

`match_id` is the matching rows' match: offered to persona "peer" (programme A) and not
yet under way, so logging a contact in it is refused (422). `contact_id` is a contact
persona "peer" logged a moment ago in an active match of theirs (still editable)."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import cells, expect, role_gate

LOGGERS = ("coordinator", "leader", "admin", "peer")
VIEWERS = ("supervisor", *LOGGERS)
LEADERS = ("leader", "admin")
PEER_ROLES = (*VIEWERS, "peer_other")

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("matches/<int:match_id>/contacts/new/", "GET"): role_gate(
        {**cells(LOGGERS, 200), "peer_other": 404}
    ),
    ("matches/<int:match_id>/contacts/new/", "POST"): role_gate(
        {**cells(LOGGERS, 422), "peer_other": 404}
    ),
    ("matches/<int:match_id>/contacts/", "GET"): role_gate(
        {**cells(VIEWERS, 200), "peer_other": 404}
    ),
    ("matches/<int:match_id>/contacts/", "POST"): role_gate(cells(PEER_ROLES, 405)),
    ("contacts/<int:contact_id>/", "GET"): role_gate({**cells(VIEWERS, 200), "peer_other": 404}),
    # The contact is still in its edit window: the empty edit form is refused.
    ("contacts/<int:contact_id>/", "POST"): role_gate(
        {**cells(LOGGERS, 422), "supervisor": 403, "peer_other": 404}
    ),
    ("contacts/<int:contact_id>/next-contact.ics", "GET"): role_gate(
        {**cells(VIEWERS, 200), "peer_other": 404}
    ),
    ("contacts/<int:contact_id>/next-contact.ics", "POST"): role_gate(cells(PEER_ROLES, 405)),
    ("programmes/<int:programme_id>/support-settings/", "GET"): role_gate(cells(LEADERS, 200)),
    ("programmes/<int:programme_id>/support-settings/", "POST"): role_gate(cells(LEADERS, 422)),
    # API: 404 outside scope, 403 in scope without the right (supervisors).
    ("api/v1/matches/<match_id>/contacts", "GET"): expect(
        404, anonymous=401, **cells(VIEWERS, 200)
    ),
    ("api/v1/matches/<match_id>/contacts", "POST"): expect(
        404, anonymous=401, supervisor=403, **cells(LOGGERS, 422)
    ),
    ("api/v1/contacts/<contact_id>", "GET"): expect(404, anonymous=401, **cells(VIEWERS, 200)),
    ("api/v1/contacts/<contact_id>", "PATCH"): expect(
        404, anonymous=401, supervisor=403, **cells(LOGGERS, 200)
    ),
    # Amending a contact still in its window is refused: it is edited instead.
    ("api/v1/contacts/<contact_id>/amendments", "POST"): expect(
        404, anonymous=401, supervisor=403, **cells(LOGGERS, 422)
    ),
}


def matrix_active_match(world: Any) -> Any:
    """An active match of persona "peer" in programme A: one of the demo's when there
    is one (a new match would take a unit of the peer's capacity that other rows use)."""
    from peerbridge.matching.models import Match, MatchStatus
    from tests.matching.world_lifecycle import waiting_enrolment, walk_to
    from tests.matrix.workforce import matrix_peer_profile

    profile = matrix_peer_profile(world)
    found = Match.objects.filter(profile=profile, status=MatchStatus.ACTIVE).order_by("pk").first()
    if found is not None:
        return found
    return walk_to(
        MatchStatus.ACTIVE,
        world.programme_a,
        profile=profile,
        enrolment=waiting_enrolment(world.programme_a),
    )


def arguments(world: Any) -> dict[str, Any]:
    from peerbridge.support.contacts import contact_log
    from tests.support.world import peer_user_of

    match = matrix_active_match(world)
    from datetime import timedelta

    from django.utils import timezone

    contact = contact_log(
        match=match,
        actor=peer_user_of(match),
        data={
            "mode": "phone",
            "setting": "online",
            "next_contact_on": timezone.localdate() + timedelta(days=7),
        },
    )
    return {"contact_id": contact.pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == "api/v1/matches/<match_id>/contacts":
        return {"mode": "phone", "setting": "online"}
    if pattern == "api/v1/contacts/<contact_id>":
        return {}
    if pattern == "api/v1/contacts/<contact_id>/amendments":
        return {"reason": "Matrix", "duration_minutes": 5}
    return None
