"""The lifecycle API end to end: creating a match, the peer answering, the coordinator
walking it on, the scope of every read, and refusals in the one error shape (409
`not_eligible` when the peer may not take the match)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from peerbridge.matching.models import Match, MatchStatus
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.workforce.models import CapacityReservation
from tests.conftest import World, client_for
from tests.matching.world_lifecycle import offered, ready_peer, waiting_enrolment, walk_to
from tests.workforce.world_wellbeing import client_of

pytestmark = pytest.mark.django_db

API = "/api/v1"
M = MatchStatus


def _post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(API + url, data=json.dumps(body or {}), content_type="application/json")


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    return error


def test_create_offer_accept_and_walk_on(world: World) -> None:
    enrolment = waiting_enrolment(world.programme_a)
    profile = ready_peer(world.programme_a)
    coordinator = client_for("coordinator")
    response = _post(
        coordinator,
        "/matches",
        {
            "enrolment_id": enrolment.pk,
            "profile_id": profile.pk,
            "source": "suggestion",
            "score": 81.5,
            "reasons": ["Both speak Spanish"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "offered" and body["score"] == 81.5
    assert body["reasons"] == ["Both speak Spanish"] and body["respond_by"]
    assert body["allowed_next"] == ["accepted", "declined", "cancelled"]
    assert [h["to_status"] for h in body["history"]] == ["proposed", "offered"]
    match_id = body["id"]
    accepted = _post(client_of(profile), f"/matches/{match_id}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Enrolment.objects.get(pk=enrolment.pk).status == EnrolmentStatus.MATCHED
    assert _post(coordinator, f"/matches/{match_id}/introduce").json()["status"] == "introduced"
    contact = _post(client_of(profile), f"/matches/{match_id}/first-contact", {"on": None}).json()
    assert contact["status"] == "first_contact" and contact["first_contact_at"]
    assert _post(coordinator, f"/matches/{match_id}/activate").json()["status"] == "active"
    done = _post(coordinator, f"/matches/{match_id}/complete", {"note": "Went well."}).json()
    assert done["status"] == "completed" and done["closed_at"]
    assert done["history"][-1]["note"] == "Went well."
    assert Enrolment.objects.get(pk=enrolment.pk).status == EnrolmentStatus.COMPLETED


def test_a_proposal_then_an_offer(world: World) -> None:
    enrolment = waiting_enrolment(world.programme_a)
    profile = ready_peer(world.programme_a)
    coordinator = client_for("coordinator")
    body = _post(
        coordinator,
        "/matches",
        {"enrolment_id": enrolment.pk, "profile_id": profile.pk, "offer": False},
    ).json()
    assert body["status"] == "proposed" and body["offered_at"] is None
    offered_now = _post(coordinator, f"/matches/{body['id']}/offer").json()
    assert offered_now["status"] == "offered"


def test_a_full_peer_is_409_not_eligible_with_the_reasons(world: World) -> None:
    profile = ready_peer(world.programme_a, max_matches=1)
    offered(world.programme_a, profile=profile)
    enrolment = waiting_enrolment(world.programme_a)
    response = _post(
        client_for("coordinator"),
        "/matches",
        {"enrolment_id": enrolment.pk, "profile_id": profile.pk},
    )
    error = _error(response, 409, "not_eligible")
    assert error["fields"]["reasons"] == ["at_capacity"]
    assert "Already 1 of 1" in error["fields"]["peer"][0]
    assert not Match.objects.filter(enrolment=enrolment).exists()


def test_an_excluded_peer_is_422_until_overridden_with_a_note(world: World) -> None:
    declined = walk_to(M.DECLINED, world.programme_a)
    body = {"enrolment_id": declined.enrolment_id, "profile_id": declined.profile_id}
    coordinator = client_for("coordinator")
    error = _error(_post(coordinator, "/matches", body), 422, "validation_error")
    assert "peer" in error["fields"]
    error = _error(
        _post(coordinator, "/matches", {**body, "allow_excluded": True}), 422, "validation_error"
    )
    assert "note" in error["fields"]
    response = _post(
        coordinator, "/matches", {**body, "allow_excluded": True, "note": "Asked for them."}
    )
    assert response.status_code == 201


def test_a_participant_not_waiting_is_422(world: World) -> None:
    match = walk_to(M.ACCEPTED, world.programme_a)
    response = _post(
        client_for("coordinator"),
        "/matches",
        {"enrolment_id": match.enrolment_id, "profile_id": ready_peer(world.programme_a).pk},
    )
    assert "enrolment" in _error(response, 422, "validation_error")["fields"]


def test_decline_and_end_carry_their_reasons(world: World) -> None:
    match = offered(world.programme_a)
    declined = _post(
        client_of(match.profile), f"/matches/{match.pk}/decline", {"reason": "no_room"}
    ).json()
    assert declined["status"] == "declined" and declined["decline_reason"] == "no_room"
    assert declined["history"][-1]["note"] is None  # the peer does not read private notes
    active = walk_to(M.ACTIVE, world.programme_a)
    ended = _post(
        client_for("coordinator"),
        f"/matches/{active.pk}/end",
        {"reason": "safety", "note": "Raised by the participant.", "rematch": True},
    ).json()
    assert ended["status"] == "ended" and ended["end_reason"] == "safety"
    assert ended["history"][-1]["note"] == "Raised by the participant."
    assert not CapacityReservation.objects.filter(
        reference=f"match:{active.pk}", released_at=None
    ).exists()
    assert Enrolment.objects.get(pk=active.enrolment_id).status == EnrolmentStatus.WAITING


def test_cancel_and_refused_steps(world: World) -> None:
    match = offered(world.programme_a)
    coordinator = client_for("coordinator")
    error = _error(_post(coordinator, f"/matches/{match.pk}/activate"), 422, "validation_error")
    assert "cannot become active" in error["fields"]["status"][0]
    cancelled = _post(coordinator, f"/matches/{match.pk}/cancel", {"note": "Changed plan."})
    assert cancelled.json()["status"] == "cancelled"
    _error(_post(coordinator, f"/matches/{match.pk}/cancel"), 422, "validation_error")


def test_the_list_is_scoped_filtered_and_paged(world: World) -> None:
    offer = offered(world.programme_a)
    active = walk_to(M.ACTIVE, world.programme_a)
    elsewhere = offered(world.programme_b)
    coordinator = client_for("coordinator")

    def ids(client: Client, query: str = "") -> set[int]:
        response = client.get(f"{API}/matches{query}")
        assert response.status_code == 200
        return {item["id"] for item in response.json()["items"]}

    seen = ids(coordinator, "?page_size=200")
    assert {offer.pk, active.pk} <= seen and elsewhere.pk not in seen
    assert active.pk not in ids(coordinator, "?status=offered&page_size=200")
    assert offer.pk in ids(coordinator, f"?status=offered&programme_id={world.programme_a.pk}")
    assert ids(coordinator, f"?programme_id={world.programme_b.pk}") == set()
    page = coordinator.get(f"{API}/matches?page_size=1").json()
    assert len(page["items"]) == 1 and page["count"] >= 2
    assert ids(client_of(offer.profile)) == {offer.pk}
    assert ids(client_for("evaluator")) == set()
    _error(coordinator.get(f"{API}/matches?status=bogus"), 422, "validation_error")


def test_reads_answer_only_within_reach(world: World) -> None:
    match = offered(world.programme_a)
    assert client_for("supervisor").get(f"{API}/matches/{match.pk}").status_code == 200
    assert client_of(match.profile).get(f"{API}/matches/{match.pk}").status_code == 200
    other_peer = ready_peer(world.programme_a)
    _error(client_of(other_peer).get(f"{API}/matches/{match.pk}"), 404, "not_found")
    _error(_post(client_of(other_peer), f"/matches/{match.pk}/accept"), 404, "not_found")
    _error(_post(client_for("supervisor"), f"/matches/{match.pk}/accept"), 403, "forbidden")
    _error(_post(client_of(match.profile), f"/matches/{match.pk}/cancel"), 403, "forbidden")
    elsewhere = offered(world.programme_b)
    _error(client_for("coordinator").get(f"{API}/matches/{elsewhere.pk}"), 404, "not_found")


def test_creating_needs_both_records_in_reach(world: World) -> None:
    enrolment = waiting_enrolment(world.programme_b)
    profile = ready_peer(world.programme_a)
    coordinator = client_for("coordinator")
    _error(
        _post(coordinator, "/matches", {"enrolment_id": enrolment.pk, "profile_id": profile.pk}),
        404,
        "not_found",
    )
    mine = waiting_enrolment(world.programme_a)
    theirs = ready_peer(world.programme_b)
    _error(
        _post(coordinator, "/matches", {"enrolment_id": mine.pk, "profile_id": theirs.pk}),
        404,
        "not_found",
    )
    response = _post(
        client_for("admin"), "/matches", {"enrolment_id": mine.pk, "profile_id": theirs.pk}
    )
    assert "peer" in _error(response, 422, "validation_error")["fields"]
