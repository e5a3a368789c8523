"""Matrix rows for the consent wording page."""

from __future__ import annotations

from tests.matrix.common import cells, role_gate

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("programmes/<int:programme_id>/consent-texts/", "GET"): role_gate(
        cells(("supervisor", "coordinator", "leader", "admin"), 200)
    ),
    ("programmes/<int:programme_id>/consent-texts/", "POST"): role_gate(
        {**cells(("supervisor", "coordinator"), 403), "leader": 422, "admin": 422}
    ),
}
