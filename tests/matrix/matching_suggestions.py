"""Matrix rows for matching's suggestions: the programme's waiting list, one waiting
participant's matching page (wishes, offer from the suggestions), the programme's match
settings, and their API.

`enrolment_id` is the intake areas' (a fresh referral to programme A): the pages and the
API answer for any open enrolment, and an offer from an empty form is refused (422)."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import cells, expect, role_gate

MAKERS = ("coordinator", "leader", "admin")
SETTINGS_EDITORS = ("leader", "admin")

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("programmes/<int:programme_id>/matching/", "GET"): role_gate(cells(MAKERS, 200)),
    ("programmes/<int:programme_id>/matching/", "POST"): role_gate(cells(MAKERS, 405)),
    ("programmes/<int:programme_id>/matching/settings/", "GET"): role_gate(
        cells(SETTINGS_EDITORS, 200)
    ),
    ("programmes/<int:programme_id>/matching/settings/", "POST"): role_gate(
        cells(SETTINGS_EDITORS, 422)
    ),
    ("matching/enrolments/<int:enrolment_id>/", "GET"): role_gate(cells(MAKERS, 200)),
    ("matching/enrolments/<int:enrolment_id>/", "POST"): role_gate(cells(MAKERS, 405)),
    ("matching/enrolments/<int:enrolment_id>/preferences/", "GET"): role_gate(cells(MAKERS, 405)),
    ("matching/enrolments/<int:enrolment_id>/preferences/", "POST"): role_gate(cells(MAKERS, 422)),
    ("matching/enrolments/<int:enrolment_id>/offer/", "GET"): role_gate(cells(MAKERS, 405)),
    ("matching/enrolments/<int:enrolment_id>/offer/", "POST"): role_gate(cells(MAKERS, 422)),
    ("api/v1/enrolments/<enrolment_id>/suggestions", "GET"): expect(
        404, anonymous=401, supervisor=403, **cells(MAKERS, 200)
    ),
    ("api/v1/enrolments/<enrolment_id>/why-not/<profile_id>", "GET"): expect(
        404, anonymous=401, supervisor=403, **cells(MAKERS, 200)
    ),
    ("api/v1/enrolments/<enrolment_id>/match-preferences", "GET"): expect(
        404, anonymous=401, supervisor=403, **cells(MAKERS, 200)
    ),
    ("api/v1/enrolments/<enrolment_id>/match-preferences", "PUT"): expect(
        404, anonymous=401, supervisor=403, **cells(MAKERS, 200)
    ),
    ("api/v1/programmes/<programme_id>/match-settings", "GET"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor"), 403),
        **cells(MAKERS, 200),
    ),
    ("api/v1/programmes/<programme_id>/match-settings", "PATCH"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor", "coordinator"), 403),
        **cells(SETTINGS_EDITORS, 200),
    ),
    ("api/v1/programmes/<programme_id>/matching/waiting-list", "GET"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor"), 403),
        **cells(MAKERS, 200),
    ),
}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == "api/v1/enrolments/<enrolment_id>/match-preferences" and method == "PUT":
        return {}
    if pattern == "api/v1/programmes/<programme_id>/match-settings" and method == "PATCH":
        return {}
    return None
