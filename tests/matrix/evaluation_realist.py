"""Matrix rows for the realist (context-mechanism-outcome) report: runners and evaluators
of programme A see it; every other role is refused (403), on the page and in the API."""

from __future__ import annotations

from tests.matrix.common import cells, expect, role_gate

REPORT_VIEWERS = ("evaluator", "coordinator", "leader", "admin")

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("programmes/<int:programme_id>/evaluation/realist/", "GET"): role_gate(
        cells(REPORT_VIEWERS, 200)
    ),
    ("programmes/<int:programme_id>/evaluation/realist/", "POST"): role_gate(
        cells(REPORT_VIEWERS, 405)
    ),
    ("api/v1/programmes/<programme_id>/realist", "GET"): expect(
        403, anonymous=401, **cells(REPORT_VIEWERS, 200)
    ),
}
