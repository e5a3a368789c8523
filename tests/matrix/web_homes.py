"""Matrix rows for the role home pages (`/` itself is in the main table): each is open
to the roles it serves and shows only the user's own scope."""

from __future__ import annotations

from tests.matrix.common import cells, role_gate

PEERS = ("peer", "peer_other")
RUNNERS = ("coordinator", "leader", "admin")

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("home/peer/", "GET"): role_gate(cells(PEERS, 200)),
    ("home/peer/", "POST"): role_gate(cells(PEERS, 405)),
    ("home/coordinator/", "GET"): role_gate(cells(RUNNERS, 200)),
    ("home/coordinator/", "POST"): role_gate(cells(RUNNERS, 405)),
    ("home/supervisor/", "GET"): role_gate({"supervisor": 200}),
    ("home/supervisor/", "POST"): role_gate({"supervisor": 405}),
    ("home/participant/", "GET"): role_gate({"participant": 200}),
    ("home/participant/", "POST"): role_gate({"participant": 405}),
}
