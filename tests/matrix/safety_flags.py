"""Matrix rows for risk flags (raising, the crisis resources, the flag page and its
steps, a programme's flags, "my flags"), safety settings and the on-call rota, with
their API.

`flag_id` is an open medium flag persona "peer" (peer.a) raised about the participant
of their active match in programme A; `contact_id` a contact peer.a logged in that
match (the contacts rows define it the same way); `group_session_id` a session of a
programme A group peer.a facilitates; `shift_id` a future shift on programme A's rota.
Each persona's request is rolled back, so every cell sees the flag open."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.matrix.common import cells, expect, role_gate

HANDLERS = ("supervisor", "leader", "admin")
STAFF = (*HANDLERS, "coordinator")
RAISERS = (*STAFF, "peer")
FLAG_ROLES = (*RAISERS, "peer_other")
SETTINGS_EDITORS = ("leader", "admin")
MATRIX_REFERENCE = "matrix"


def _outside(allowed: dict[str, int]) -> dict[str, int]:
    """A page behind a flag policy: peer_other holds the role elsewhere (404 here)."""
    return role_gate({**allowed, "peer_other": 404})


def _api_staff_read(status: int = 200) -> dict[str, int]:
    """Staff over the programme; peers and evaluators see the programme (403)."""
    return expect(404, anonymous=401, peer=403, evaluator=403, **cells(STAFF, status))


def _api_settings_write(status: int) -> dict[str, int]:
    return expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor", "coordinator"), 403),
        **cells(SETTINGS_EDITORS, status),
    )


def _api_flag_step(status: int) -> dict[str, int]:
    """A handler's step on the flag: the coordinator and the peer see it (403)."""
    return expect(404, anonymous=401, coordinator=403, peer=403, **cells(HANDLERS, status))


EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("contacts/<int:contact_id>/flag/", "GET"): _outside(cells(RAISERS, 200)),
    ("contacts/<int:contact_id>/flag/", "POST"): _outside(cells(RAISERS, 422)),
    ("programmes/<int:programme_id>/flags/new/", "GET"): _outside(cells(RAISERS, 200)),
    ("programmes/<int:programme_id>/flags/new/", "POST"): _outside(cells(RAISERS, 422)),
    ("groups/sessions/<int:group_session_id>/flag/", "GET"): _outside(cells(RAISERS, 200)),
    ("groups/sessions/<int:group_session_id>/flag/", "POST"): _outside(cells(RAISERS, 422)),
    ("programmes/<int:programme_id>/crisis-resources/", "GET"): _outside(cells(RAISERS, 200)),
    ("programmes/<int:programme_id>/crisis-resources/", "POST"): role_gate(cells(FLAG_ROLES, 405)),
    ("programmes/<int:programme_id>/flags/", "GET"): _outside({**cells(STAFF, 200), "peer": 403}),
    ("programmes/<int:programme_id>/flags/", "POST"): role_gate(cells(FLAG_ROLES, 405)),
    ("flags/", "GET"): role_gate(cells(FLAG_ROLES, 200)),
    ("flags/", "POST"): role_gate(cells(FLAG_ROLES, 405)),
    ("flags/<int:flag_id>/", "GET"): _outside(cells(RAISERS, 200)),
    ("flags/<int:flag_id>/", "POST"): role_gate(cells(FLAG_ROLES, 405)),
    ("flags/<int:flag_id>/acknowledge/", "GET"): role_gate(cells(HANDLERS, 405)),
    ("flags/<int:flag_id>/acknowledge/", "POST"): role_gate(cells(HANDLERS, 302)),
    # Anyone who sees the flag adds a note: the empty note is refused.
    ("flags/<int:flag_id>/notes/", "GET"): role_gate(cells(FLAG_ROLES, 405)),
    ("flags/<int:flag_id>/notes/", "POST"): _outside(cells(RAISERS, 422)),
    ("flags/<int:flag_id>/resolve/", "GET"): role_gate(cells(HANDLERS, 405)),
    ("flags/<int:flag_id>/resolve/", "POST"): role_gate(cells(HANDLERS, 422)),
    ("flags/<int:flag_id>/reassign/", "GET"): role_gate(cells(HANDLERS, 405)),
    ("flags/<int:flag_id>/reassign/", "POST"): role_gate(cells(HANDLERS, 422)),
    ("programmes/<int:programme_id>/safety-settings/", "GET"): role_gate(
        cells(SETTINGS_EDITORS, 200)
    ),
    ("programmes/<int:programme_id>/safety-settings/", "POST"): role_gate(
        cells(SETTINGS_EDITORS, 422)
    ),
    ("programmes/<int:programme_id>/safety-settings/on-call/", "GET"): role_gate(
        cells(SETTINGS_EDITORS, 200)
    ),
    ("programmes/<int:programme_id>/safety-settings/on-call/", "POST"): role_gate(
        cells(SETTINGS_EDITORS, 422)
    ),
    ("on-call/<int:shift_id>/remove/", "GET"): role_gate(cells(SETTINGS_EDITORS, 405)),
    ("on-call/<int:shift_id>/remove/", "POST"): role_gate(cells(SETTINGS_EDITORS, 302)),
    # API: 404 outside scope, 403 in scope without the right.
    ("api/v1/programmes/<programme_id>/flags", "GET"): _api_staff_read(),
    ("api/v1/programmes/<programme_id>/flags", "POST"): expect(
        404, anonymous=401, evaluator=403, **cells(RAISERS, 201)
    ),
    ("api/v1/flags/<flag_id>", "GET"): expect(404, anonymous=401, **cells(RAISERS, 200)),
    ("api/v1/flags/<flag_id>/acknowledge", "POST"): _api_flag_step(200),
    ("api/v1/flags/<flag_id>/notes", "POST"): expect(404, anonymous=401, **cells(RAISERS, 201)),
    ("api/v1/flags/<flag_id>/reassign", "POST"): _api_flag_step(200),
    ("api/v1/flags/<flag_id>/resolve", "POST"): _api_flag_step(200),
    ("api/v1/me/flags", "GET"): expect(200, anonymous=401),
    ("api/v1/programmes/<programme_id>/safety-settings", "GET"): _api_staff_read(),
    ("api/v1/programmes/<programme_id>/safety-settings", "PUT"): _api_settings_write(200),
    ("api/v1/programmes/<programme_id>/on-call", "GET"): _api_staff_read(),
    ("api/v1/programmes/<programme_id>/on-call", "POST"): _api_settings_write(201),
    ("api/v1/on-call/<shift_id>/remove", "POST"): _api_settings_write(200),
}


def _matrix_match(world: Any) -> Any:
    """An active match of persona "peer" in programme A, on a place of its own (the
    other areas' rows match the same peer: the capacity grows by the one used here)."""
    from peerbridge.matching.models import MatchStatus
    from tests.matching.world_lifecycle import waiting_enrolment, walk_to
    from tests.matrix.workforce import matrix_peer_profile

    profile = matrix_peer_profile(world)
    profile.max_matches += 1
    profile.save(update_fields=["max_matches"])
    return walk_to(
        MatchStatus.ACTIVE,
        world.programme_a,
        profile=profile,
        enrolment=waiting_enrolment(world.programme_a),
    )


def arguments(world: Any) -> dict[str, Any]:
    from django.utils import timezone

    from peerbridge.safety import services
    from peerbridge.safety.configuration import shift_add
    from peerbridge.safety.models import OnCallShift, RiskFlag
    from tests.conftest import persona_user
    from tests.safety.world import contact_in, group_with_session

    match = _matrix_match(world)
    peer = persona_user("peer")
    contact = contact_in(match, logged_by=peer)
    flag = services.flag_raise(
        programme=world.programme_a,
        person=match.enrolment.person,
        enrolment=match.enrolment,
        severity="medium",
        summary="Matrix flag.",
        source=RiskFlag.Source.CONTACT,
        contact=contact,
        raised_by=peer,
        source_reference=MATRIX_REFERENCE,
    )
    session = group_with_session(
        world.programme_a, facilitator=match.profile, members=[match.enrolment]
    )
    starts = timezone.now() + timedelta(days=60)
    OnCallShift.objects.filter(programme=world.programme_a, starts_at__gte=starts).delete()
    shift = shift_add(
        programme=world.programme_a,
        user=persona_user("supervisor"),
        starts_at=starts,
        ends_at=starts + timedelta(hours=12),
        actor=None,
    )
    return {
        "flag_id": flag.pk,
        "contact_id": contact.pk,
        "group_session_id": session.pk,
        "shift_id": shift.pk,
    }


def _matrix_flag() -> Any:
    from peerbridge.safety.models import RiskFlag

    return RiskFlag.objects.filter(source_reference=MATRIX_REFERENCE).latest("pk")


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    from django.utils import timezone

    from tests.conftest import persona_user

    if pattern == "api/v1/programmes/<programme_id>/flags" and method == "POST":
        return {"person_id": _matrix_flag().person_id, "severity": "low", "summary": "Matrix."}
    if pattern == "api/v1/flags/<flag_id>/notes":
        return {"note": "Matrix note."}
    if pattern == "api/v1/flags/<flag_id>/reassign":
        leader = persona_user("leader")
        assert leader is not None
        return {"to_user_id": leader.pk}
    if pattern == "api/v1/flags/<flag_id>/resolve":
        return {"actions": ["referred_on"], "resolution": "Matrix resolution."}
    if pattern.startswith("api/v1/flags/<flag_id>/"):
        return {}
    if pattern == "api/v1/programmes/<programme_id>/safety-settings":
        return {}
    if pattern == "api/v1/programmes/<programme_id>/on-call" and method == "POST":
        supervisor = persona_user("supervisor")
        assert supervisor is not None
        starts = timezone.now() + timedelta(days=90)
        return {
            "user_id": supervisor.pk,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=8)).isoformat(),
        }
    if pattern == "api/v1/on-call/<shift_id>/remove":
        return {}
    return None
