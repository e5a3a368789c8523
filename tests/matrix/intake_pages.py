"""Matrix rows for the intake pages (referrals/urls.py)."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import cells, role_gate, same

INTAKE = ("coordinator", "leader", "admin")
ENROLMENT_VIEWERS = ("supervisor", *INTAKE)
REFERRERS = ("referrer", *INTAKE)

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("refer/<slug:programme_code>/", "GET"): same(200),
    ("refer/<slug:programme_code>/", "POST"): same(422),
    ("refer/<slug:programme_code>/thanks/", "GET"): same(200),
    ("refer/<slug:programme_code>/thanks/", "POST"): same(405),
    ("referrals/new/", "GET"): role_gate(cells(REFERRERS, 200)),
    ("referrals/new/", "POST"): role_gate(cells(REFERRERS, 422)),
    ("referrals/mine/", "GET"): role_gate({"referrer": 200}),
    ("referrals/mine/", "POST"): role_gate({"referrer": 405}),
    ("intake/", "GET"): role_gate(cells(INTAKE, 200)),
    ("intake/", "POST"): role_gate(cells(INTAKE, 405)),
    ("programmes/<int:programme_id>/intake/", "GET"): role_gate(cells(INTAKE, 200)),
    ("programmes/<int:programme_id>/intake/", "POST"): role_gate(cells(INTAKE, 405)),
    ("programmes/<int:programme_id>/intake/summary/", "GET"): role_gate(
        cells(("evaluator", "supervisor", *INTAKE), 200)
    ),
    ("programmes/<int:programme_id>/intake/summary/", "POST"): role_gate(
        cells(("evaluator", "supervisor", *INTAKE), 405)
    ),
    ("programmes/<int:programme_id>/waiting/", "GET"): role_gate(cells(INTAKE, 200)),
    ("programmes/<int:programme_id>/waiting/", "POST"): role_gate(cells(INTAKE, 405)),
    ("enrolments/<int:enrolment_id>/", "GET"): role_gate(cells(ENROLMENT_VIEWERS, 200)),
    ("enrolments/<int:enrolment_id>/", "POST"): role_gate(cells(ENROLMENT_VIEWERS, 405)),
    ("enrolments/<int:enrolment_id>/attempts/", "GET"): role_gate(cells(INTAKE, 405)),
    ("enrolments/<int:enrolment_id>/attempts/", "POST"): role_gate(cells(INTAKE, 422)),
    ("enrolments/<int:enrolment_id>/status/", "GET"): role_gate(cells(INTAKE, 405)),
    ("enrolments/<int:enrolment_id>/status/", "POST"): role_gate(cells(INTAKE, 422)),
    ("enrolments/<int:enrolment_id>/update/", "GET"): role_gate(cells(INTAKE, 405)),
    ("enrolments/<int:enrolment_id>/update/", "POST"): role_gate(cells(INTAKE, 422)),
    ("enrolments/<int:enrolment_id>/enrol/", "GET"): role_gate(cells(INTAKE, 200)),
    ("enrolments/<int:enrolment_id>/enrol/", "POST"): role_gate(cells(INTAKE, 422)),
    ("enrolments/<int:enrolment_id>/consent/withdraw/", "GET"): role_gate(cells(INTAKE, 405)),
    ("enrolments/<int:enrolment_id>/consent/withdraw/", "POST"): role_gate(cells(INTAKE, 422)),
    ("people/<int:person_id>/", "GET"): role_gate(
        {**cells(ENROLMENT_VIEWERS, 200), "peer": 404, "peer_other": 404}
    ),
    ("people/<int:person_id>/", "POST"): role_gate(
        {**cells(ENROLMENT_VIEWERS, 405), "peer": 405, "peer_other": 405}
    ),
    ("people/<int:person_id>/edit/", "GET"): role_gate(cells(INTAKE, 200)),
    ("people/<int:person_id>/edit/", "POST"): role_gate(cells(INTAKE, 422)),
    ("people/<int:person_id>/merge/", "GET"): role_gate(cells(INTAKE, 405)),
    ("people/<int:person_id>/merge/", "POST"): role_gate(cells(INTAKE, 404)),
}


def arguments(world: Any) -> dict[str, Any]:
    enrolment = _enrolment(world)
    return {
        "programme_code": world.programme_a.code,
        "enrolment_id": enrolment.pk,
        "person_id": enrolment.person_id,
    }


def _enrolment(world: Any) -> Any:
    from peerbridge.referrals.services import ReferralDetails, referral_create

    result = referral_create(
        programme=world.programme_a,
        details=ReferralDetails(given_name="Matrix", family_name="Person", phone="+447700900001"),
        source="staff",
        referred_by=None,
        contact_scopes=["contact_phone"],
    )
    return result.enrolment
