"""Matrix rows for groups: a programme's groups, the group page and the forms that run
it, recording a session, the attendance report, and the groups API.

`group_id` is a running course of programme A facilitated by persona "peer" (peer.a),
with one member (`group_member_id`) and session 1 (`session_number`) an hour ago, not
yet recorded; `group_facilitator_id` is peer.a's facilitation. Each persona's request
is rolled back, so every cell sees the same group."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.matrix.common import cells, expect, role_gate

RUNNERS = ("coordinator", "leader", "admin")
VIEWERS = ("supervisor", *RUNNERS)
PEERS = ("peer", "peer_other")
GATE_VIEW = (*VIEWERS, *PEERS)  # roles of GROUP_VIEW
GATE_RECORD = (*RUNNERS, *PEERS)  # roles of GROUP_RECORD
GROUP = "groups/<int:group_id>/"
SESSION = GROUP + "sessions/<int:session_number>/"
API = "api/v1/groups/<group_id>"
API_SESSION = API + "/sessions/<session_number>"


def _view(status: int) -> dict[str, int]:
    """A page of one group: staff and its facilitating peer; peer.b is outside."""
    return role_gate({**cells((*VIEWERS, "peer"), status), "peer_other": 404})


def _run(get: int, post: int) -> tuple[dict[str, int], dict[str, int]]:
    return role_gate(cells(RUNNERS, get)), role_gate(cells(RUNNERS, post))


def _api_run(status: int) -> dict[str, int]:
    """API writes: 403 for those who see the group without running it."""
    return expect(404, anonymous=401, supervisor=403, peer=403, **cells(RUNNERS, status))


def _api_view(status: int = 200) -> dict[str, int]:
    return expect(404, anonymous=401, **cells((*VIEWERS, "peer"), status))


EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("programmes/<int:programme_id>/groups/", "GET"): role_gate(
        {**cells((*VIEWERS, "peer"), 200), "peer_other": 404}
    ),
    ("programmes/<int:programme_id>/groups/", "POST"): role_gate(cells(GATE_VIEW, 405)),
    ("groups/", "GET"): role_gate(cells(GATE_VIEW, 200)),
    ("groups/", "POST"): role_gate(cells(GATE_VIEW, 405)),
    (GROUP, "GET"): _view(200),
    (GROUP, "POST"): role_gate(cells(GATE_VIEW, 405)),
    (GROUP + "report/", "GET"): _view(200),
    (GROUP + "report/", "POST"): role_gate(cells(GATE_VIEW, 405)),
    (GROUP + "report.csv", "GET"): _view(200),
    (GROUP + "report.csv", "POST"): role_gate(cells(GATE_VIEW, 405)),
    (SESSION + "record/", "GET"): role_gate(
        {**cells(RUNNERS, 200), "peer": 200, "peer_other": 404}
    ),
    (SESSION + "record/", "POST"): role_gate(
        {**cells(RUNNERS, 422), "peer": 422, "peer_other": 404}
    ),
    # Forms: the empty form is refused (422); one-button actions redirect (302).
    ("programmes/<int:programme_id>/groups/new/", "GET"): role_gate(cells(RUNNERS, 200)),
    ("programmes/<int:programme_id>/groups/new/", "POST"): role_gate(cells(RUNNERS, 422)),
}
for _pattern, (_get, _post) in {
    GROUP + "edit/": (200, 422),
    GROUP + "status/": (405, 302),
    GROUP + "completion/": (405, 302),
    GROUP + "facilitators/new/": (200, 422),
    GROUP + "facilitators/<int:group_facilitator_id>/remove/": (405, 302),
    GROUP + "members/new/": (200, 422),
    GROUP + "members/<int:group_member_id>/leave/": (405, 302),
    GROUP + "sessions/new/": (200, 422),
    GROUP + "sessions/generate/": (200, 422),
    SESSION + "edit/": (200, 422),
    SESSION + "cancel/": (405, 302),
}.items():
    EXPECTED[(_pattern, "GET")], EXPECTED[(_pattern, "POST")] = _run(_get, _post)

EXPECTED.update(
    {
        ("api/v1/programmes/<programme_id>/groups", "GET"): expect(
            404, anonymous=401, evaluator=403, **cells((*VIEWERS, "peer"), 200)
        ),
        ("api/v1/programmes/<programme_id>/groups", "POST"): expect(
            404, anonymous=401, peer=403, evaluator=403, supervisor=403, **cells(RUNNERS, 201)
        ),
        (API, "GET"): _api_view(),
        (API, "PATCH"): _api_run(200),
        (API + "/status", "POST"): _api_run(200),
        (API + "/completion", "POST"): _api_run(200),
        (API + "/attendance", "GET"): _api_view(),
        (API + "/facilitators", "GET"): _api_view(),
        (API + "/facilitators", "POST"): _api_run(201),
        (API + "/facilitators/<group_facilitator_id>", "DELETE"): _api_run(200),
        (API + "/members", "GET"): _api_view(),
        (API + "/members", "POST"): _api_run(201),
        (API + "/members/<group_member_id>/leave", "POST"): _api_run(200),
        (API + "/sessions", "GET"): _api_view(),
        (API + "/sessions", "POST"): _api_run(201),
        (API + "/sessions/generate", "POST"): _api_run(201),
        (API_SESSION, "PATCH"): _api_run(200),
        (API_SESSION + "/cancel", "POST"): _api_run(200),
        (API_SESSION + "/attendance", "GET"): _api_view(),
        # Peers record for the groups they facilitate; supervisors see but do not record.
        (API_SESSION + "/attendance", "POST"): expect(
            404, anonymous=401, supervisor=403, **cells((*RUNNERS, "peer"), 200)
        ),
    }
)


def arguments(world: Any) -> dict[str, Any]:
    from django.utils import timezone

    from peerbridge.support.models import (
        Facilitator,
        Group,
        GroupMember,
        GroupSession,
    )
    from tests.matching.world_lifecycle import waiting_enrolment
    from tests.matrix.workforce import matrix_peer_profile

    group = Group.objects.create(
        programme=world.programme_a,
        name="Matrix course",
        kind=Group.Kind.COURSE,
        modality=Group.Modality.IN_PERSON,
        place="Room 1",
        capacity=5,
        session_count=4,
        completion_sessions=2,
        status=Group.Status.RUNNING,
    )
    facilitator = Facilitator.objects.create(group=group, profile=matrix_peer_profile(world))
    member = GroupMember.objects.create(
        group=group,
        enrolment=waiting_enrolment(world.programme_a),
        status=GroupMember.Status.ENROLLED,
        enrolled_at=timezone.now(),
    )
    session = GroupSession.objects.create(
        group=group, number=1, starts_at=timezone.now() - timedelta(hours=1)
    )
    return {
        "group_id": group.pk,
        "group_facilitator_id": facilitator.pk,
        "group_member_id": member.pk,
        "session_number": session.number,
    }


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    from django.utils import timezone

    from peerbridge.support.models import GroupMember
    from tests.conftest import persona_user
    from tests.matching.world_lifecycle import waiting_enrolment

    ahead = (timezone.now() + timedelta(days=3)).isoformat()
    if pattern == "api/v1/programmes/<programme_id>/groups" and method == "POST":
        return {
            "name": "Matrix group",
            "kind": "mutual_support",
            "modality": "in_person",
            "place": "Room 2",
            "capacity": 8,
        }
    if not pattern.startswith(API):
        return None
    supervisor = persona_user("supervisor")
    assert supervisor is not None
    member = GroupMember.objects.filter(group__name="Matrix course").order_by("-pk").first()
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        (API, "PATCH"): {"name": "Matrix course renamed"},
        (API + "/status", "POST"): {"status": "finished"},
        (API + "/facilitators", "POST"): {"professional_id": supervisor.pk},
        (API + "/sessions", "POST"): {"starts_at": ahead},
        (API + "/sessions/generate", "POST"): {
            "first_starts_at": ahead,
            "rhythm": "weekly",
            "count": 1,
        },
        (API_SESSION, "PATCH"): {"topic": "Sleep"},
        (API_SESSION + "/attendance", "POST"): {
            "attendance": {str(member.pk if member else 0): "present"}
        },
    }
    if (pattern, method) == (API + "/members", "POST"):
        return {"enrolment_id": waiting_enrolment(world.programme_a).pk}
    return bodies.get((pattern, method), {})
