"""Matrix rows for the matching overview (lead)."""

from __future__ import annotations

from tests.matrix.common import cells, role_gate

MAKERS = ("coordinator", "leader", "admin")

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("matching/", "GET"): role_gate(cells(MAKERS, 200)),
    ("matching/", "POST"): role_gate(cells(MAKERS, 405)),
}
