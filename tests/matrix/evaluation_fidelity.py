"""Matrix rows for fidelity (the checklist, the overview, a peer's observations,
recording an observation, a peer's own list) and the implementation dashboard.

`profile_id` is persona "peer" (peer.a) in programme A, supervised by persona
"supervisor" (see tests/matrix/workforce.py); `fidelity_item_id` the first item of
programme A's checklist."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import cells, expect, role_gate

VIEWERS = ("peer", "evaluator", "supervisor", "coordinator", "leader", "admin")
GATE_VIEW = (*VIEWERS, "peer_other")
CONFIGURERS = ("leader", "admin")
OBSERVERS = ("supervisor", "leader", "admin")
REPORTERS = ("evaluator", "coordinator", "leader", "admin")
NAMED = ("peer", "supervisor", "coordinator", "leader", "admin")
API = "api/v1/"

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("programmes/<int:programme_id>/fidelity/", "GET"): role_gate(
        {**cells(VIEWERS, 200), "peer_other": 404}
    ),
    ("programmes/<int:programme_id>/fidelity/", "POST"): role_gate(cells(GATE_VIEW, 405)),
    ("programmes/<int:programme_id>/fidelity/checklist/", "GET"): role_gate(
        {**cells(VIEWERS, 200), "peer_other": 404}
    ),
    # An empty form is refused; those who see the programme without the right get 403.
    ("programmes/<int:programme_id>/fidelity/checklist/", "POST"): role_gate(
        {
            **cells(("peer", "evaluator", "supervisor", "coordinator"), 403),
            **cells(CONFIGURERS, 422),
            "peer_other": 404,
        }
    ),
    ("fidelity/items/<int:fidelity_item_id>/", "GET"): role_gate(cells(CONFIGURERS, 200)),
    ("fidelity/items/<int:fidelity_item_id>/", "POST"): role_gate(cells(CONFIGURERS, 422)),
    # A peer's observations: the peer, their supervisor and the programme's runners.
    ("fidelity/peers/<int:profile_id>/", "GET"): role_gate(
        {**cells(NAMED, 200), "peer_other": 404, "evaluator": 404}
    ),
    ("fidelity/peers/<int:profile_id>/", "POST"): role_gate(cells(GATE_VIEW, 405)),
    ("fidelity/peers/<int:profile_id>/observe/", "GET"): role_gate(cells(OBSERVERS, 200)),
    ("fidelity/peers/<int:profile_id>/observe/", "POST"): role_gate(cells(OBSERVERS, 422)),
    ("fidelity/mine/", "GET"): role_gate(cells(GATE_VIEW, 200)),
    ("fidelity/mine/", "POST"): role_gate(cells(GATE_VIEW, 405)),
    ("programmes/<int:programme_id>/implementation/", "GET"): role_gate(cells(REPORTERS, 200)),
    ("programmes/<int:programme_id>/implementation/", "POST"): role_gate(cells(REPORTERS, 405)),
    # API: 404 outside scope, 403 in scope without the right.
    (API + "programmes/<programme_id>/fidelity/checklist", "GET"): expect(
        404, anonymous=401, **cells(VIEWERS, 200)
    ),
    (API + "programmes/<programme_id>/fidelity/checklist", "POST"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor", "coordinator"), 403),
        **cells(CONFIGURERS, 201),
    ),
    (API + "fidelity/items/<fidelity_item_id>", "PATCH"): expect(
        404,
        anonymous=401,
        **cells(("peer", "evaluator", "supervisor", "coordinator"), 403),
        **cells(CONFIGURERS, 200),
    ),
    (API + "programmes/<programme_id>/fidelity", "GET"): expect(
        404, anonymous=401, **cells(VIEWERS, 200)
    ),
    (API + "fidelity/peers/<profile_id>/observations", "GET"): expect(
        404, anonymous=401, **cells(NAMED, 200)
    ),
    (API + "fidelity/peers/<profile_id>/observations", "POST"): expect(
        404, anonymous=401, peer=403, coordinator=403, **cells(OBSERVERS, 201)
    ),
    (API + "programmes/<programme_id>/implementation", "GET"): expect(
        404, anonymous=401, peer=403, supervisor=403, **cells(REPORTERS, 200)
    ),
}


def arguments(world: Any) -> dict[str, Any]:
    from peerbridge.evaluation.fidelity import checklist

    return {"fidelity_item_id": checklist(world.programme_a)[0].pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == API + "programmes/<programme_id>/fidelity/checklist":
        return {"text": f"Matrix item for {persona}."}
    if pattern == API + "fidelity/items/<fidelity_item_id>":
        return {"position": 3}
    if pattern == API + "fidelity/peers/<profile_id>/observations":
        from django.utils import timezone

        from peerbridge.evaluation.fidelity import checklist

        return {
            "observed_on": timezone.localdate().isoformat(),
            "setting": "contact",
            "ratings": {str(item.pk): 2 for item in checklist(world.programme_a, active_only=True)},
        }
    return None
