"""Bad input to participant choice: the coordinator's page and API, and the public page
(no account): field errors and 4xx, never a 500, and nothing half-saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from peerbridge.matching import choice
from peerbridge.matching.models import ChoiceInvitation, Match
from tests.matching.test_batch_runs import MASTECTOMY
from tests.matching.test_choice import Scene, _answer, _token
from tests.matching.test_choice import scene as scene  # noqa: F401  (the fixture)
from tests.matching.world_suggestions import fresh_programme, peer

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(scene: Scene) -> Client:
    client = Client()
    client.force_login(scene.coordinator)
    return client


def _state(scene: Scene) -> tuple[Any, ...]:
    return (
        sorted(
            ChoiceInvitation.objects.filter(enrolment=scene.enrolment).values_list(
                "status", "comment"
            )
        ),
        Match.objects.filter(enrolment=scene.enrolment).count(),
    )


@pytest.mark.parametrize(
    "profile_ids",
    [
        [],
        "",
        "1",
        3,
        {},
        [0],
        [-1],
        ["1"],
        [True],
        [1.5],
        [[1]],
        [None],
        [2**63],
        [10**30],
        [999_999_999],
        list(range(1, 13)),
    ],
)
def test_bad_peer_lists_are_refused(scene: Scene, staff: Client, profile_ids: Any) -> None:
    before = _state(scene)
    response = staff.post(
        f"/api/v1/enrolments/{scene.enrolment.pk}/choice-invitations",
        data=json.dumps({"profile_ids": profile_ids}),
        content_type="application/json",
    )
    assert 400 <= response.status_code < 500, response.content
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert _state(scene) == before


def test_a_peer_of_another_programme_is_refused(scene: Scene, staff: Client) -> None:
    stranger = peer(fresh_programme(), lineage=MASTECTOMY)
    response = staff.post(
        f"/api/v1/enrolments/{scene.enrolment.pk}/choice-invitations",
        data=json.dumps({"profile_ids": [scene.peers[0].pk, stranger.pk]}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "profile_ids" in response.json()["error"]["fields"]
    assert not ChoiceInvitation.objects.filter(enrolment=scene.enrolment).exists()


@pytest.mark.parametrize("raw", ["{not json", "[]", '"x"', "1", '{"profile_ids": "\\u0000"}'])
def test_bodies_that_are_not_an_object_are_refused(scene: Scene, staff: Client, raw: str) -> None:
    response = staff.post(
        f"/api/v1/enrolments/{scene.enrolment.pk}/choice-invitations",
        data=raw,
        content_type="application/json",
    )
    assert 400 <= response.status_code < 500
    assert not ChoiceInvitation.objects.filter(enrolment=scene.enrolment).exists()


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", "1.5", "99999999999999999999999"])
def test_bad_ids_are_4xx(scene: Scene, staff: Client, bad_id: str) -> None:
    for url in (
        f"/api/v1/enrolments/{bad_id}/choice-invitations",
        f"/api/v1/choice-invitations/{bad_id}/withdraw",
    ):
        response = staff.post(url, data="{}", content_type="application/json")
        assert 400 <= response.status_code < 500, (url, response.status_code)
    assert staff.get(f"/api/v1/enrolments/{bad_id}/choice-invitations").status_code in (404, 422)
    assert staff.get(f"/matching/enrolments/{bad_id}/choice/").status_code == 404
    assert staff.post(f"/matching/choice-invitations/{bad_id}/withdraw/").status_code == 404


@pytest.mark.parametrize(
    "profiles", [["abc"], ["-1"], ["999999999"], ["9" * 40], ["\x00"], ["1.5"], []]
)
def test_the_send_form_refuses_nonsense(scene: Scene, staff: Client, profiles: list[str]) -> None:
    url = reverse("matching:choice_send", args=[scene.enrolment.pk])
    assert staff.post(url, {"profiles": profiles}).status_code == 422
    assert not ChoiceInvitation.objects.filter(enrolment=scene.enrolment).exists()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "delete"},
        {"action": ""},
        {"action": "choose"},
        {"action": "choose", "profile": "abc"},
        {"action": "choose", "profile": "9" * 40},
        {"action": "choose", "profile": "-1"},
        {"action": "choose", "profile": "\x00"},
        {"action": "more", "comment": "x" * 5000},
        {"action": "more", "comment": "a\x00b"},
        {"action": ["choose", "more"], "profile": "1.5"},
    ],
)
def test_the_public_form_refuses_nonsense(scene: Scene, data: dict[str, Any]) -> None:
    sent = choice.choice_send(enrolment=scene.enrolment, actor=scene.coordinator)
    before = _state(scene)
    response = _answer(Client(), _token(sent.link), **data)
    assert response.status_code == 422
    assert _state(scene) == before


def test_a_missing_or_forged_stamp_saves_nothing(scene: Scene) -> None:
    sent = choice.choice_send(enrolment=scene.enrolment, actor=scene.coordinator)
    url = reverse("matching:choose", args=[_token(sent.link)])
    before = _state(scene)
    for stamp in ("", "forged", "x" * 5000, "\x00"):
        response = Client().post(url, {"action": "more", "stamp": stamp})
        assert response.status_code in (302, 422), stamp
    assert _state(scene) == before
