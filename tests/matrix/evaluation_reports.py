"""Matrix rows for programme analytics, funder reports, the research export and quotes
(issue 7, points 6, 9 and 10)."""

from __future__ import annotations

from datetime import date
from typing import Any

from peerbridge.evaluation.models import Quote
from peerbridge.referrals.models import Enrolment
from tests.matrix.common import cells, expect, role_gate

VIEWERS = ("evaluator", "coordinator", "leader", "admin")  # REPORT_VIEW
EXPORTERS = ("evaluator", "leader", "admin")  # RESEARCH_EXPORT
QUOTERS = ("coordinator", "leader", "admin")  # QUOTE_MANAGE
# The API answers 403 to those who see programme A without the right, 404 to the rest.
SEE_PROGRAMME_A = ("peer", "evaluator", "supervisor", "coordinator", "leader", "admin")


def _api(allowed: tuple[str, ...]) -> dict[str, int]:
    forbidden = {p: 403 for p in SEE_PROGRAMME_A if p not in allowed}
    return expect(404, anonymous=401, **forbidden, **cells(allowed, 200))


EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("programmes/<int:programme_id>/analytics/", "GET"): role_gate(cells(VIEWERS, 200)),
    ("programmes/<int:programme_id>/analytics/", "POST"): role_gate(cells(VIEWERS, 405)),
    ("programmes/<int:programme_id>/funder-report/", "GET"): role_gate(cells(VIEWERS, 200)),
    ("programmes/<int:programme_id>/funder-report/", "POST"): role_gate(cells(VIEWERS, 405)),
    ("programmes/<int:programme_id>/research-export/", "GET"): role_gate(cells(EXPORTERS, 200)),
    ("programmes/<int:programme_id>/research-export/", "POST"): role_gate(cells(EXPORTERS, 405)),
    ("programmes/<int:programme_id>/quotes/", "GET"): role_gate(cells(QUOTERS, 200)),
    ("programmes/<int:programme_id>/quotes/", "POST"): role_gate(cells(QUOTERS, 422)),
    ("quotes/<int:quote_id>/withdraw/", "GET"): role_gate(cells(QUOTERS, 405)),
    ("quotes/<int:quote_id>/withdraw/", "POST"): role_gate(cells(QUOTERS, 302)),
    ("api/v1/programmes/<programme_id>/analytics", "GET"): _api(VIEWERS),
    ("api/v1/programmes/<programme_id>/funder-report", "GET"): _api(VIEWERS),
    ("api/v1/programmes/<programme_id>/research-export", "GET"): _api(EXPORTERS),
}


def arguments(world: Any) -> dict[str, Any]:
    enrolment = Enrolment.objects.filter(programme=world.programme_a).first()
    assert enrolment is not None
    quote = Quote.objects.create(
        programme=world.programme_a,
        person=enrolment.person,
        speaker=Quote.Speaker.PARTICIPANT,
        text="It helped to talk to someone who had been there.",
        consent_recorded_on=date(2026, 1, 5),
    )
    return {"quote_id": quote.pk}
