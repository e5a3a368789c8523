"""Bad input to batch runs, on the pages and in the API: field errors and 4xx in the one
error shape, never a 500, and nothing half-saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from peerbridge.matching import batch_runs
from peerbridge.matching.models import BatchProposal, BatchRun, Match
from tests.matching.test_batch_runs import MASTECTOMY, Scene, coordinator_of
from tests.matching.world_suggestions import fresh_programme, participant, peer

pytestmark = pytest.mark.django_db

MALFORMED: list[Any] = [
    "",
    "x" * 5000,
    -1,
    0,
    10**12,
    10**30,
    3.5,
    [],
    {},
    ["nested", ["list"]],
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    "20",
    "1; DROP TABLE core_user",
]


@pytest.fixture
def scene(db: None) -> Scene:
    programme = fresh_programme()
    return Scene(
        programme=programme,
        coordinator=coordinator_of(programme),
        breast_peer=peer(programme, lineage=MASTECTOMY, max_matches=1),
        liver_peer=peer(programme, lineage=MASTECTOMY, max_matches=1),
        breast=[participant(programme, lineage=MASTECTOMY) for _ in range(2)],
        liver=participant(programme, lineage=MASTECTOMY),
    )


@pytest.fixture
def client(scene: Scene) -> Client:
    client = Client()
    client.force_login(scene.coordinator)
    return client


def _state(scene: Scene) -> tuple[Any, ...]:
    return (
        BatchRun.objects.filter(programme=scene.programme).count(),
        sorted(
            BatchProposal.objects.filter(run__programme=scene.programme).values_list(
                "profile_id", "included", "edited"
            ),
            key=str,
        ),
        Match.objects.filter(programme=scene.programme).count(),
    )


def _send(client: Client, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def _refused(response: Any) -> None:
    assert 400 <= response.status_code < 500, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}


@pytest.mark.parametrize("value", [*MALFORMED, True, False])
def test_bad_candidate_counts_are_refused(scene: Scene, client: Client, value: Any) -> None:
    before = _state(scene)
    url = f"/api/v1/programmes/{scene.programme.pk}/batch-runs"
    response = _send(client, "post", url, {"candidates_per_participant": value})
    _refused(response)
    assert _state(scene) == before


@pytest.mark.parametrize("value", [*MALFORMED, 1, "true"])
def test_bad_priority_flags_are_refused(scene: Scene, client: Client, value: Any) -> None:
    before = _state(scene)
    url = f"/api/v1/programmes/{scene.programme.pk}/batch-runs"
    _refused(_send(client, "post", url, {"favour_longest_waiting": value}))
    assert _state(scene) == before


@pytest.mark.parametrize(
    "raw", ["{not json", "[]", '"text"', "null", "1", '{"candidates_per_participant": 1e999}']
)
def test_bodies_that_are_not_an_object_are_refused(scene: Scene, client: Client, raw: str) -> None:
    before = _state(scene)
    url = f"/api/v1/programmes/{scene.programme.pk}/batch-runs"
    _refused(client.post(url, data=raw, content_type="application/json"))
    assert _state(scene) == before


@pytest.mark.parametrize(
    "payload",
    [
        *({"profile_id": value} for value in MALFORMED),
        {"profile_id": True},
        {"profile_id": 2**63},
        {"profile_id": 999_999_999},
        *({"included": value} for value in MALFORMED),
        {"included": 1},
    ],
)
def test_bad_line_changes_are_refused(scene: Scene, client: Client, payload: Any) -> None:
    run = batch_runs.batch_run_create(programme=scene.programme, actor=scene.coordinator)
    line = run.proposals.first()
    assert line is not None
    before = _state(scene)
    _refused(_send(client, "patch", f"/api/v1/batch-runs/{run.pk}/proposals/{line.pk}", payload))
    assert _state(scene) == before


def test_a_peer_of_another_programme_is_refused_on_its_field(scene: Scene, client: Client) -> None:
    run = batch_runs.batch_run_create(programme=scene.programme, actor=scene.coordinator)
    line = run.proposals.first()
    assert line is not None
    stranger = peer(fresh_programme(), lineage=MASTECTOMY)
    response = _send(
        client,
        "patch",
        f"/api/v1/batch-runs/{run.pk}/proposals/{line.pk}",
        {"profile_id": stranger.pk},
    )
    assert response.status_code == 422
    assert "profile_id" in response.json()["error"]["fields"]


@pytest.mark.parametrize("run_id", ["abc", "0", "-1", "1.5", "99999999999999999999999", "%00"])
def test_bad_run_ids_are_4xx(scene: Scene, client: Client, run_id: str) -> None:
    for method, suffix in (("get", ""), ("post", "/publish"), ("post", "/discard")):
        response = getattr(client, method)(f"/api/v1/batch-runs/{run_id}{suffix}")
        assert 400 <= response.status_code < 500, (run_id, suffix, response.status_code)
    assert client.get(f"/matching/batch/{run_id}/").status_code == 404


def test_a_line_of_another_run_is_not_found(scene: Scene, client: Client) -> None:
    first = batch_runs.batch_run_create(programme=scene.programme, actor=scene.coordinator)
    second = batch_runs.batch_run_create(programme=scene.programme, actor=scene.coordinator)
    line = first.proposals.first()
    assert line is not None
    url = f"/api/v1/batch-runs/{second.pk}/proposals/{line.pk}"
    assert _send(client, "patch", url, {"included": False}).status_code == 404
    page = reverse("matching:batch_proposal", args=[second.pk, line.pk])
    assert client.get(page).status_code == 404


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"candidates_per_participant": ""},
        {"candidates_per_participant": "abc"},
        {"candidates_per_participant": "-5"},
        {"candidates_per_participant": "0"},
        {"candidates_per_participant": "201"},
        {"candidates_per_participant": "9" * 40},
        {"candidates_per_participant": "\x00"},
        {"candidates_per_participant": "20", "favour_longest_waiting": "\x00"},
    ],
)
def test_the_start_form_refuses_nonsense(scene: Scene, client: Client, data: Any) -> None:
    before = _state(scene)
    url = reverse("matching:batch_runs", args=[scene.programme.pk])
    response = client.post(url, data)
    assert response.status_code in (302, 422)
    if data.get("favour_longest_waiting") == "\x00":
        return  # a checkbox's value is on or off: any text is "on"
    assert response.status_code == 422
    assert _state(scene) == before


@pytest.mark.parametrize(
    "profile", ["abc", "-1", "1.5", "999999999", "9" * 40, "\x00", "<b>", "1; DROP"]
)
def test_the_line_form_refuses_nonsense(scene: Scene, client: Client, profile: str) -> None:
    run = batch_runs.batch_run_create(programme=scene.programme, actor=scene.coordinator)
    line = run.proposals.first()
    assert line is not None
    before = _state(scene)
    url = reverse("matching:batch_proposal", args=[run.pk, line.pk])
    response = client.post(url, {"profile": profile, "included": "on"})
    assert response.status_code == 422
    assert _state(scene) == before
