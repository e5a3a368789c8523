"""Matrix rows for questionnaires: a participant's questionnaires and entry, the link
page (a token that is no link: the same 404 for everyone), the schedule, the licences,
and the API.

`enrolment_id` is the intake rows' enrolment (a new referral in programme A, nobody's
match): staff over programme A reach it, no peer does. `assessment_id` is an assessment
of the participant in an active match of persona "peer", so that peer reaches it."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import cells, expect, role_gate, same

STAFF = ("supervisor", "coordinator", "leader", "admin")
PEERS = ("peer", "peer_other")
VIEW_ROLES = (*STAFF, *PEERS, "participant")
ASK_ROLES = (*STAFF, *PEERS)
LEADERS = ("leader", "admin")

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("q/<str:token>/", "GET"): same(404),
    ("q/<str:token>/", "POST"): same(404),
    ("enrolments/<int:enrolment_id>/questionnaires/", "GET"): role_gate(
        {**cells(STAFF, 200), **cells((*PEERS, "participant"), 404)}
    ),
    ("enrolments/<int:enrolment_id>/questionnaires/", "POST"): role_gate(cells(VIEW_ROLES, 405)),
    ("enrolments/<int:enrolment_id>/questionnaires/new/", "GET"): role_gate(
        {**cells(STAFF, 200), **cells(PEERS, 404)}
    ),
    ("enrolments/<int:enrolment_id>/questionnaires/new/", "POST"): role_gate(
        {**cells(STAFF, 422), **cells(PEERS, 404)}
    ),
    ("questionnaires/<int:assessment_id>/", "GET"): role_gate(
        {**cells((*STAFF, "peer"), 200), "peer_other": 404, "participant": 404}
    ),
    ("questionnaires/<int:assessment_id>/", "POST"): role_gate(cells(VIEW_ROLES, 405)),
    ("questionnaires/<int:assessment_id>/enter/<str:code>/", "GET"): role_gate(
        {**cells((*STAFF, "peer"), 200), "peer_other": 404}
    ),
    ("questionnaires/<int:assessment_id>/enter/<str:code>/", "POST"): role_gate(
        {**cells((*STAFF, "peer"), 422), "peer_other": 404}
    ),
    ("questionnaires/<int:assessment_id>/send-link/", "GET"): role_gate(cells(ASK_ROLES, 405)),
    ("questionnaires/<int:assessment_id>/send-link/", "POST"): role_gate(
        {**cells((*STAFF, "peer"), 302), "peer_other": 404}
    ),
    ("questionnaires/<int:assessment_id>/answer-now/", "GET"): role_gate(cells(VIEW_ROLES, 405)),
    ("questionnaires/<int:assessment_id>/answer-now/", "POST"): role_gate(
        {**cells((*STAFF, "peer"), 302), "peer_other": 404, "participant": 404}
    ),
    ("questionnaires/<int:assessment_id>/decline/", "GET"): role_gate(cells(ASK_ROLES, 405)),
    ("questionnaires/<int:assessment_id>/decline/", "POST"): role_gate(
        {**cells((*STAFF, "peer"), 302), "peer_other": 404}
    ),
    ("programmes/<int:programme_id>/questionnaire-schedule/", "GET"): role_gate(
        cells(LEADERS, 200)
    ),
    ("programmes/<int:programme_id>/questionnaire-schedule/", "POST"): role_gate(
        cells(LEADERS, 405)
    ),
    ("questionnaire-timepoints/<int:timepoint_id>/", "GET"): role_gate(cells(LEADERS, 200)),
    ("questionnaire-timepoints/<int:timepoint_id>/", "POST"): role_gate(cells(LEADERS, 422)),
    ("questionnaire-licences/", "GET"): role_gate({"admin": 200}),
    ("questionnaire-licences/", "POST"): role_gate({"admin": 422}),
    # API
    ("api/v1/instruments", "GET"): expect(403, anonymous=401, **cells(VIEW_ROLES, 200)),
    ("api/v1/enrolments/<enrolment_id>/assessments", "GET"): expect(
        404, anonymous=401, **cells(STAFF, 200)
    ),
    ("api/v1/enrolments/<enrolment_id>/assessments", "POST"): expect(
        404, anonymous=401, **cells(STAFF, 201)
    ),
    ("api/v1/assessments/<assessment_id>", "GET"): expect(
        404, anonymous=401, **cells((*STAFF, "peer"), 200)
    ),
    ("api/v1/assessments/<assessment_id>/responses", "POST"): expect(
        404, anonymous=401, **cells((*STAFF, "peer"), 201)
    ),
    ("api/v1/assessments/<assessment_id>/decline", "POST"): expect(
        404, anonymous=401, **cells((*STAFF, "peer"), 200)
    ),
    ("api/v1/programmes/<programme_id>/timepoints", "GET"): expect(
        404,
        anonymous=401,
        **cells(("supervisor", "coordinator", "peer", "evaluator"), 403),
        **cells(LEADERS, 200),
    ),
    ("api/v1/instrument-licences", "GET"): expect(403, anonymous=401, admin=200),
    ("api/v1/instrument-licences", "POST"): expect(403, anonymous=401, admin=201),
}


def arguments(world: Any) -> dict[str, Any]:
    from peerbridge.outcomes.schedules import assessment_create, timepoints_of
    from tests.matrix.support_contacts import matrix_active_match

    match = matrix_active_match(world)
    assessment = assessment_create(
        enrolment=match.enrolment, instruments=["phq2"], due_on=None, actor=None
    )
    return {
        "assessment_id": assessment.pk,
        "timepoint_id": timepoints_of(world.programme_a)[0].pk,
        "code": "phq2",
    }


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == "api/v1/enrolments/<enrolment_id>/assessments":
        return {"instruments": ["phq2"]}
    if pattern == "api/v1/assessments/<assessment_id>/responses":
        return {"instrument": "phq2", "mode": "interview", "answers": {"q1": 1, "q2": 0}}
    if pattern == "api/v1/instrument-licences":
        return {"instrument": "epds", "holder": "Matrix Trust", "reference": "M-1"}
    if pattern == "api/v1/assessments/<assessment_id>/decline":
        return {}
    return None


EXPECTED.update(
    {
        ("evaluation/", "GET"): role_gate(
            cells(("coordinator", "leader", "admin", "evaluator"), 200)
        ),
        ("evaluation/", "POST"): role_gate(
            cells(("coordinator", "leader", "admin", "evaluator"), 405)
        ),
    }
)
