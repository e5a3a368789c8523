"""Fidelity API: the checklist, observations and the overview, with the one error shape
for malformed input and a query count that does not grow with the rows."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerbridge.evaluation import fidelity
from peerbridge.evaluation.models import FidelityObservation
from tests.conftest import World, client_for
from tests.evaluation.test_fidelity import observe, persona_peer, ratings_all, unsupervised_peer

pytestmark = pytest.mark.django_db
API = "/api/v1"


def _send(client: Client, method: str, url: str, body: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return getattr(client, method)(url, data=data, content_type="application/json")


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])
    return dict(body["error"])


def test_checklist_api_lists_adds_and_retires(world: World) -> None:
    url = f"{API}/programmes/{world.programme_a.pk}/fidelity/checklist"
    listed = client_for("peer").get(url)
    assert listed.status_code == 200
    assert [row["element"] for row in listed.json()][:5] == [
        "training",
        "connection",
        "safe_environment",
        "engagement",
        "peer_qualities",
    ]
    leader = client_for("leader")
    added = _send(leader, "post", url, {"text": "Checks how the person is sleeping."})
    assert added.status_code == 201
    item = added.json()
    assert item["element"] == "programme" and not item["is_core"]
    patched = _send(leader, "patch", f"{API}/fidelity/items/{item['id']}", {"is_active": False})
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert _send(client_for("supervisor"), "post", url, {"text": "x"}).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": 5},
        {"text": "ok", "element": "nonsense"},
        "{not json",
        [],
    ],
)
def test_checklist_api_refuses_malformed_input(world: World, body: Any) -> None:
    url = f"{API}/programmes/{world.programme_a.pk}/fidelity/checklist"
    response = _send(client_for("leader"), "post", url, body)
    assert response.status_code in (400, 422)
    _error(response, response.status_code)


@pytest.mark.parametrize(
    "body", [{"position": "first"}, {"position": -3}, {"is_active": "yes"}, {"text": "x" * 301}]
)
def test_item_patch_refuses_wrong_types(world: World, body: dict[str, Any]) -> None:
    item = fidelity.checklist(world.programme_a)[0]
    _error(_send(client_for("leader"), "patch", f"{API}/fidelity/items/{item.pk}", body), 422)


def test_item_patch_outside_scope_is_404(world: World) -> None:
    item = fidelity.checklist(world.programme_b)[0]
    _error(
        _send(client_for("leader"), "patch", f"{API}/fidelity/items/{item.pk}", {"position": 1}),
        404,
    )
    _error(_send(client_for("leader"), "patch", f"{API}/fidelity/items/abc", {}), 422)


def test_supervisor_records_and_peer_reads_observations(world: World) -> None:
    profile = persona_peer(world)
    before = FidelityObservation.objects.filter(profile=profile).count()  # the demo's
    url = f"{API}/fidelity/peers/{profile.pk}/observations"
    body = {
        "observed_on": timezone.localdate().isoformat(),
        "setting": "group_session",
        "ratings": ratings_all(world.programme_a, 1),
        "note": "Kept the group to time.",
    }
    made = _send(client_for("supervisor"), "post", url, body)
    assert made.status_code == 201, made.content
    assert made.json()["score"] == 50.0
    assert len(made.json()["ratings"]) == len(body["ratings"])
    read = client_for("peer").get(url)
    assert read.status_code == 200
    assert read.json()["count"] == before + 1
    assert read.json()["items"][0]["note"] == "Kept the group to time."
    _error(_send(client_for("peer"), "post", url, body), 403)
    _error(client_for("evaluator").get(url), 404)
    _error(client_for("peer_other").get(url), 404)


def test_supervisor_cannot_record_for_someone_elses_supervisee(world: World) -> None:
    other = unsupervised_peer(world)
    body = {
        "observed_on": timezone.localdate().isoformat(),
        "setting": "contact",
        "ratings": ratings_all(world.programme_a),
    }
    url = f"{API}/fidelity/peers/{other.pk}/observations"
    _error(_send(client_for("supervisor"), "post", url, body), 403)
    assert _send(client_for("leader"), "post", url, body).status_code == 201


@pytest.mark.parametrize(
    "change",
    [
        {"observed_on": 20240101},
        {"observed_on": "yesterday"},
        {"observed_on": "2999-01-01"},
        {"observed_on": "1999-01-01"},
        {"setting": "party"},
        {"ratings": "all good"},
        {"ratings": {"1": "2"}},
        {"ratings": {"1": True}},
        {"ratings": {"1": 5}},
        {"ratings": {}},
        {"note": 12},
    ],
)
def test_observation_api_refuses_malformed_input(world: World, change: dict[str, Any]) -> None:
    profile = persona_peer(world)
    body = {
        "observed_on": timezone.localdate().isoformat(),
        "setting": "contact",
        "ratings": ratings_all(world.programme_a),
        **change,
    }
    url = f"{API}/fidelity/peers/{profile.pk}/observations"
    before = FidelityObservation.objects.filter(profile=profile).count()  # the demo's
    _error(_send(client_for("supervisor"), "post", url, body), 422)
    assert FidelityObservation.objects.filter(profile=profile).count() == before


def test_observation_api_bad_json_and_bad_ids(world: World) -> None:
    profile = persona_peer(world)
    url = f"{API}/fidelity/peers/{profile.pk}/observations"
    response = _send(client_for("supervisor"), "post", url, "{")
    assert response.status_code in (400, 422)
    _error(response, response.status_code)
    _error(client_for("supervisor").get(f"{API}/fidelity/peers/999999999/observations"), 404)
    _error(client_for("supervisor").get(f"{API}/fidelity/peers/x/observations"), 422)
    _error(
        client_for("supervisor").get(f"{API}/fidelity/peers/{profile.pk}/observations?page=0"), 422
    )


def test_overview_api_hides_names_and_small_cells_from_evaluators(world: World) -> None:
    profile = persona_peer(world)
    observe(profile)
    url = f"{API}/programmes/{world.programme_a.pk}/fidelity"
    evaluator = client_for("evaluator").get(url)
    assert evaluator.status_code == 200
    found = evaluator.json()
    assert found["suppressed"] is True and found["peers"] is None
    assert str(profile.person) not in evaluator.content.decode()
    staff = client_for("leader").get(url).json()
    assert profile.pk in {row["profile_id"] for row in staff["peers"]}
    _error(client_for("leader").get(url + "?months=0"), 422)
    _error(client_for("leader").get(url + "?months=abc"), 422)
    _error(client_for("peer_other").get(url), 404)


def test_observation_list_query_count_does_not_grow(world: World) -> None:
    profile = persona_peer(world)
    url = f"{API}/fidelity/peers/{profile.pk}/observations?page_size=50"
    client = client_for("supervisor")
    counts = []
    for rows in (2, 12):
        while FidelityObservation.objects.filter(profile=profile).count() < rows:
            done = FidelityObservation.objects.filter(profile=profile).count()
            observe(profile, days_ago=done)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200 and response.json()["count"] == rows
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_overview_api_query_count_does_not_grow(world: World) -> None:
    from peerbridge.workforce.models import PeerProfile
    from tests.workforce.world import make_profile

    url = f"{API}/programmes/{world.programme_b.pk}/fidelity"
    client = client_for("admin")
    counts = []
    for peers in (2, 10):
        for _n in range(peers):
            profile = make_profile(world.programme_b, ready=True, status=PeerProfile.Status.ACTIVE)
            profile.started_on = timezone.localdate() - timedelta(days=10)
            profile.save(update_fields=["started_on"])
            observe(profile, by="admin")
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
