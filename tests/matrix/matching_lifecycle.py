"""Matrix rows for the match lifecycle: the match page and its actions, the peer's own
page, a programme's matches, and the lifecycle API.

`match_id` is a match offered to persona "peer" (peer.a, programme A) and not yet
answered; each persona's request is rolled back, so every cell sees it at "offered"."""

from __future__ import annotations

from typing import Any

from tests.matrix.common import cells, expect, role_gate

MAKERS = ("coordinator", "leader", "admin")
VIEWERS = ("supervisor", *MAKERS)
RESPONDERS = (*MAKERS, "peer")
PEERS = ("peer", "peer_other")
BASE = "matching/matches/<int:match_id>/"


EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("matching/my/", "GET"): role_gate(cells(PEERS, 200)),
    ("matching/my/", "POST"): role_gate(cells(PEERS, 405)),
    ("programmes/<int:programme_id>/matches/", "GET"): role_gate(
        {**cells(VIEWERS, 200), "peer": 403, "peer_other": 404}
    ),
    ("programmes/<int:programme_id>/matches/", "POST"): role_gate(cells((*VIEWERS, *PEERS), 405)),
    (BASE, "GET"): role_gate({**cells(VIEWERS, 200), "peer": 302, "peer_other": 404}),
    (BASE, "POST"): role_gate(cells((*VIEWERS, *PEERS), 405)),
    # One-button actions: a step the match cannot take now is a message and a redirect.
    (BASE + "offer/", "GET"): role_gate(cells(MAKERS, 405)),
    (BASE + "offer/", "POST"): role_gate(cells(MAKERS, 302)),
    (BASE + "accept/", "GET"): role_gate(cells((*RESPONDERS, "peer_other"), 405)),
    (BASE + "accept/", "POST"): role_gate({**cells(RESPONDERS, 302), "peer_other": 404}),
    (BASE + "introduce/", "GET"): role_gate(cells(MAKERS, 405)),
    (BASE + "introduce/", "POST"): role_gate(cells(MAKERS, 302)),
    (BASE + "activate/", "GET"): role_gate(cells(MAKERS, 405)),
    (BASE + "activate/", "POST"): role_gate(cells(MAKERS, 302)),
    # Actions with a form: the empty form is refused (422) unless nothing is required.
    (BASE + "decline/", "GET"): role_gate({**cells(RESPONDERS, 200), "peer_other": 404}),
    (BASE + "decline/", "POST"): role_gate({**cells(RESPONDERS, 422), "peer_other": 404}),
    (BASE + "first-contact/", "GET"): role_gate({**cells(RESPONDERS, 200), "peer_other": 404}),
    (BASE + "first-contact/", "POST"): role_gate({**cells(RESPONDERS, 422), "peer_other": 404}),
    (BASE + "complete/", "GET"): role_gate(cells(MAKERS, 200)),
    (BASE + "complete/", "POST"): role_gate(cells(MAKERS, 422)),
    (BASE + "end/", "GET"): role_gate(cells(MAKERS, 200)),
    (BASE + "end/", "POST"): role_gate(cells(MAKERS, 422)),
    (BASE + "cancel/", "GET"): role_gate(cells(MAKERS, 200)),
    (BASE + "cancel/", "POST"): role_gate(cells(MAKERS, 302)),
    # API: 404 outside scope, 403 in scope without the right (supervisors; the peer on
    # the coordinator's steps), 422 for a step the offered match cannot take.
    ("api/v1/matches", "GET"): expect(200, anonymous=401),
    ("api/v1/matches", "POST"): expect(404, anonymous=401, supervisor=403, **cells(MAKERS, 201)),
    ("api/v1/matches/<match_id>", "GET"): expect(
        404, anonymous=401, **cells((*VIEWERS, "peer"), 200)
    ),
    ("api/v1/matches/<match_id>/offer", "POST"): expect(
        404, anonymous=401, supervisor=403, peer=403, **cells(MAKERS, 422)
    ),
    ("api/v1/matches/<match_id>/accept", "POST"): expect(
        404, anonymous=401, supervisor=403, **cells(RESPONDERS, 200)
    ),
    ("api/v1/matches/<match_id>/decline", "POST"): expect(
        404, anonymous=401, supervisor=403, **cells(RESPONDERS, 200)
    ),
    ("api/v1/matches/<match_id>/introduce", "POST"): expect(
        404, anonymous=401, supervisor=403, peer=403, **cells(MAKERS, 422)
    ),
    ("api/v1/matches/<match_id>/first-contact", "POST"): expect(
        404, anonymous=401, supervisor=403, **cells(RESPONDERS, 422)
    ),
    ("api/v1/matches/<match_id>/activate", "POST"): expect(
        404, anonymous=401, supervisor=403, peer=403, **cells(MAKERS, 422)
    ),
    ("api/v1/matches/<match_id>/complete", "POST"): expect(
        404, anonymous=401, supervisor=403, peer=403, **cells(MAKERS, 422)
    ),
    ("api/v1/matches/<match_id>/end", "POST"): expect(
        404, anonymous=401, supervisor=403, peer=403, **cells(MAKERS, 422)
    ),
    ("api/v1/matches/<match_id>/cancel", "POST"): expect(
        404, anonymous=401, supervisor=403, peer=403, **cells(MAKERS, 200)
    ),
}


def arguments(world: Any) -> dict[str, Any]:
    from tests.matching.world_lifecycle import offered, waiting_enrolment
    from tests.matrix.workforce import matrix_peer_profile

    match = offered(
        world.programme_a,
        profile=matrix_peer_profile(world),
        enrolment=waiting_enrolment(world.programme_a),
    )
    return {"match_id": match.pk}


def body(pattern: str, method: str, world: Any, persona: str) -> dict[str, Any] | None:
    if pattern == "api/v1/matches" and method == "POST":
        from tests.matching.world_lifecycle import waiting_enrolment
        from tests.matrix.workforce import matrix_peer_profile

        return {
            "enrolment_id": waiting_enrolment(world.programme_a).pk,
            "profile_id": matrix_peer_profile(world).pk,
        }
    if pattern == "api/v1/matches/<match_id>/decline":
        return {"reason": "no_room"}
    if pattern == "api/v1/matches/<match_id>/end":
        return {"reason": "not_a_fit"}
    if pattern.startswith("api/v1/matches/<match_id>/"):
        return {}
    return None
