"""Matrix rows for closure: the coordinator's closure page and the closure API.

`enrolment_id` is whichever programme A enrolment the intake rows give; these rows hold
for an enrolment in any status: the page shows where things stand (200), an empty form
is refused (422), and the API's POST sends a blank summary, which the service refuses
(422) once the caller is found to be allowed."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import cells, expect, role_gate

CLOSERS = ("coordinator", "leader", "admin")
PAGE = "enrolments/<int:enrolment_id>/closure/"
API = "api/v1/enrolments/<enrolment_id>/closure"

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    (PAGE, "GET"): role_gate(cells(CLOSERS, 200)),
    (PAGE, "POST"): role_gate(cells(CLOSERS, 422)),
    # 404 outside scope; supervisors see the enrolment but may not close it (403).
    (API, "GET"): expect(404, anonymous=401, supervisor=403, **cells(CLOSERS, 200)),
    (API, "POST"): expect(404, anonymous=401, supervisor=403, **cells(CLOSERS, 422)),
}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == API and method == "POST":
        return {"summary": "   ", "exit_questionnaire": "not_used", "send_thanks": False}
    return None
