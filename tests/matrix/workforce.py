"""Matrix rows for the lead workforce routes: the pipeline, a peer's profile, making a
peer available, eligibility, capacity and the programme's workforce rules.

`profile_id` is the workforce profile of persona "peer" (peer.a) in programme A, ready
and available; other workforce areas use it too."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import RUNNERS, cells, expect, role_gate

MANAGERS = ("coordinator", "leader", "admin")
SETTINGS_EDITORS = ("leader", "admin")

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("workforce/", "GET"): role_gate(cells((*RUNNERS, "evaluator"), 200)),
    ("workforce/", "POST"): role_gate(cells((*RUNNERS, "evaluator"), 405)),
    ("programmes/<int:programme_id>/workforce/", "GET"): role_gate(cells(RUNNERS, 200)),
    ("programmes/<int:programme_id>/workforce/", "POST"): role_gate(cells(RUNNERS, 405)),
    ("programmes/<int:programme_id>/workforce/settings/", "GET"): role_gate(
        cells(SETTINGS_EDITORS, 200)
    ),
    ("programmes/<int:programme_id>/workforce/settings/", "POST"): role_gate(
        cells(SETTINGS_EDITORS, 422)
    ),
    ("workforce/profiles/<int:profile_id>/", "GET"): role_gate(
        {**cells((*RUNNERS, "peer"), 200), "peer_other": 404}
    ),
    ("workforce/profiles/<int:profile_id>/", "POST"): role_gate(
        cells((*RUNNERS, "peer", "peer_other"), 405)
    ),
    ("workforce/profiles/<int:profile_id>/activate/", "GET"): role_gate(cells(MANAGERS, 405)),
    ("workforce/profiles/<int:profile_id>/activate/", "POST"): role_gate(cells(MANAGERS, 302)),
    ("api/v1/workforce/profiles", "GET"): expect(200, anonymous=401),
    ("api/v1/workforce/profiles/<profile_id>", "GET"): expect(
        404, anonymous=401, **cells((*RUNNERS, "peer"), 200)
    ),
    ("api/v1/workforce/profiles/<profile_id>/eligibility", "GET"): expect(
        404, anonymous=401, **cells((*RUNNERS, "peer"), 200)
    ),
    ("api/v1/workforce/profiles/<profile_id>/activate", "POST"): expect(
        404, anonymous=401, supervisor=403, peer=403, **cells(MANAGERS, 200)
    ),
    ("api/v1/workforce/profiles/<profile_id>/reservations", "POST"): expect(
        404, anonymous=401, supervisor=403, peer=403, **cells(MANAGERS, 201)
    ),
    ("api/v1/workforce/profiles/<profile_id>/reservations/release", "POST"): expect(
        404, anonymous=401, supervisor=403, peer=403, **cells(MANAGERS, 422)
    ),
    ("api/v1/programmes/<programme_id>/workforce/settings", "GET"): expect(
        404, anonymous=401, peer=403, evaluator=403, **cells(RUNNERS, 200)
    ),
    ("api/v1/programmes/<programme_id>/workforce/settings", "PATCH"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor", "coordinator"), 403),
        **cells(SETTINGS_EDITORS, 200),
    ),
}


def matrix_peer_profile(world: Any) -> Any:
    """Persona "peer" as an available peer of programme A (made once, reused)."""
    from peerbridge.people.models import Person
    from peerbridge.workforce.models import PeerProfile
    from tests.conftest import persona_user
    from tests.workforce.world import make_profile

    person = Person.objects.get(user=persona_user("peer"))
    found = PeerProfile.objects.filter(person=person, programme=world.programme_a).first()
    if found is None:
        found = make_profile(
            world.programme_a,
            person=person,
            ready=True,
            status=PeerProfile.Status.ACTIVE,
            max_matches=20,
        )
    return found


def arguments(world: Any) -> dict[str, Any]:
    return {"profile_id": matrix_peer_profile(world).pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern.startswith("api/v1/workforce/profiles/<profile_id>/reservations"):
        return {"kind": "match", "reference": f"match:matrix-{persona}"}
    if pattern == "api/v1/programmes/<programme_id>/workforce/settings" and method == "PATCH":
        return {}
    if pattern == "api/v1/workforce/profiles/<profile_id>/activate":
        return {}
    return None
