"""Matrix rows for goals: the goals page of an enrolment, rating and closing a goal,
and the goals API.

`enrolment_id` is the intake rows' enrolment (a new referral in programme A, nobody's
match): staff over programme A reach it. `goal_id` is a goal of the participant in an
active match of persona "peer", so that peer reaches it too."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import cells, expect, role_gate

RUNNERS = ("coordinator", "leader", "admin")
VIEWERS = ("supervisor", *RUNNERS)
EDIT_ROLES = (*RUNNERS, "peer", "peer_other", "participant")

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("enrolments/<int:enrolment_id>/goals/", "GET"): role_gate(
        {**cells(VIEWERS, 200), **cells(("peer", "peer_other", "participant"), 404)}
    ),
    ("enrolments/<int:enrolment_id>/goals/", "POST"): role_gate(
        {
            **cells(RUNNERS, 422),
            "supervisor": 403,
            **cells(("peer", "peer_other", "participant"), 404),
        }
    ),
    ("goals/<int:goal_id>/ratings/", "GET"): role_gate(cells(EDIT_ROLES, 405)),
    ("goals/<int:goal_id>/ratings/", "POST"): role_gate(
        {**cells((*RUNNERS, "peer"), 422), "peer_other": 404, "participant": 404}
    ),
    ("goals/<int:goal_id>/status/", "GET"): role_gate(cells(EDIT_ROLES, 405)),
    ("goals/<int:goal_id>/status/", "POST"): role_gate(
        {**cells((*RUNNERS, "peer"), 422), "peer_other": 404, "participant": 404}
    ),
    ("api/v1/enrolments/<enrolment_id>/goals", "GET"): expect(
        404, anonymous=401, **cells(VIEWERS, 200)
    ),
    ("api/v1/enrolments/<enrolment_id>/goals", "POST"): expect(
        404, anonymous=401, supervisor=403, **cells(RUNNERS, 201)
    ),
    ("api/v1/goals/<goal_id>", "GET"): expect(404, anonymous=401, **cells((*VIEWERS, "peer"), 200)),
    ("api/v1/goals/<goal_id>", "PATCH"): expect(
        404, anonymous=401, supervisor=403, **cells((*RUNNERS, "peer"), 200)
    ),
    ("api/v1/goals/<goal_id>/ratings", "POST"): expect(
        404, anonymous=401, supervisor=403, **cells((*RUNNERS, "peer"), 201)
    ),
}


def arguments(world: Any) -> dict[str, Any]:
    from peerbridge.support.goals import goal_add
    from tests.matrix.support_contacts import matrix_active_match
    from tests.support.world import user_of

    match = matrix_active_match(world)
    goal = goal_add(enrolment=match.enrolment, actor=user_of("coordinator"), text="Matrix goal")
    return {"goal_id": goal.pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == "api/v1/enrolments/<enrolment_id>/goals":
        return {"text": "Walk to the shop on my own"}
    if pattern == "api/v1/goals/<goal_id>":
        return {"status": "reached"}
    if pattern == "api/v1/goals/<goal_id>/ratings":
        return {"rating": 5}
    return None
