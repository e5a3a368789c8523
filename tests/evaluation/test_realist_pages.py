"""The realist report's page and API: who may see it, what it shows (numbers, the
exploratory wording, no names), bad input as 4xx, and a query count that does not grow
with the participants."""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from peerbridge.organisations.models import Organisation, Programme, Site
from peerbridge.people.models import Person
from tests.conftest import World, client_for
from tests.evaluation.test_realist import ONE_TO_ONE_HIGH, hand_world, new_programme, participant

API = "/api/v1"


def page_url(programme: Programme | int | str) -> str:
    pk = programme.pk if isinstance(programme, Programme) else programme
    return f"/programmes/{pk}/evaluation/realist/"


def api_url(programme: Programme | int | str) -> str:
    pk = programme.pk if isinstance(programme, Programme) else programme
    return f"{API}/programmes/{pk}/realist"


@pytest.fixture
def programme(db: None) -> Programme:
    return new_programme(Site.objects.get(code="riverside"))


def _assert_error_shape(response: Any, status: int | None = None) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status
    error: dict[str, Any] = response.json()["error"]
    assert {"code", "message", "fields"} <= set(error)
    return error


def _names(programme: Programme) -> list[str]:
    people = Person.objects.filter(enrolments__programme=programme)
    return [name for person in people for name in (person.given_name, person.family_name)]


def test_evaluator_sees_the_report_with_its_wording_and_no_names(programme: Programme) -> None:
    hand_world(programme)
    response = client_for("evaluator").get(page_url(programme), {"outcome": "phq9"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Exploratory: shows association, not cause." in page
    assert "Riverside affiliate · One-to-one · HIV" in page
    assert "Peer as role model" in page and "hidden: small numbers" in page
    assert "-1.33" in page  # Hedges' g of the strong one-to-one cell, 0.8 * -6 / sqrt(13)
    assert "-6.00" in page  # its mean change
    for name in _names(programme):
        assert name not in page


def test_the_api_gives_the_same_numbers_and_no_names(programme: Programme) -> None:
    hand_world(programme)
    response = client_for("admin").get(api_url(programme), {"outcome": "phq9"})
    assert response.status_code == 200
    body = response.json()
    assert body["wording"] == "exploratory: shows association, not cause"
    assert body["participants"] == 12
    assert body["outcome"] == {
        "code": "phq9",
        "title": body["outcome"]["title"],
        "scale": body["outcome"]["scale"],
        "higher_is_worse": True,
    }
    one_to_one = next(c for c in body["contexts"] if c["format"] == "one_to_one")
    assert (one_to_one["site"], one_to_one["condition"], one_to_one["n"]) == (
        "Riverside affiliate",
        "hiv",
        7,
    )
    strong = one_to_one["mechanisms"][0]["cells"][2]
    assert strong["band"] == "high" and strong["n"] == 5
    assert strong["mean_change"] == pytest.approx(-6.0)
    assert strong["hedges_g"] == pytest.approx(0.8 * -6 / math.sqrt(13))
    assert one_to_one["mechanisms"][0]["cells"][1]["n"] is None  # two: hidden
    for name in _names(programme):
        assert name not in response.content.decode()


def test_the_period_filters_the_page_and_the_api(programme: Programme) -> None:
    hand_world(programme)
    client = client_for("admin")
    body = client.get(api_url(programme), {"outcome": "phq9", "start": "2026-06-02"}).json()
    assert (body["participants"], body["contexts"], body["start"]) == (None, [], "2026-06-02")
    page = client.get(page_url(programme), {"outcome": "phq9", "end": "2026-01-01"})
    assert page.status_code == 200
    assert "No participant has both" in page.content.decode()


@pytest.mark.parametrize("persona", ["participant", "peer", "peer_other", "supervisor", "referrer"])
def test_people_without_the_report_role_are_refused(world: World, persona: str) -> None:
    client = client_for(persona)
    assert client.get(page_url(world.programme_a)).status_code == 403
    assert _assert_error_shape(client.get(api_url(world.programme_a)), 403)["code"] == "forbidden"


def test_a_programme_outside_the_coordinators_scope_is_not_found(world: World) -> None:
    client = client_for("coordinator")
    assert client.get(page_url(world.programme_a)).status_code == 200
    assert client.get(page_url(world.programme_b)).status_code == 404
    _assert_error_shape(client.get(api_url(world.programme_b)), 404)


def test_evaluators_see_programmes_under_their_site_only(world: World) -> None:
    other_org = Organisation.objects.create(name="Elsewhere", slug="elsewhere-realist")
    site = Site.objects.create(
        organisation=other_org, name="Elsewhere", code="elsewhere", level=Site.Level.NATIONAL
    )
    outside = new_programme(site)
    client = client_for("evaluator")
    assert client.get(page_url(outside)).status_code == 404
    _assert_error_shape(client.get(api_url(outside)), 404)


@pytest.mark.parametrize("number", ["0", "99999", "99999999999999999999"])
def test_unknown_programme_numbers_are_404(world: World, number: str) -> None:
    client = client_for("admin")
    assert client.get(page_url(number)).status_code == 404
    _assert_error_shape(client.get(api_url(number)))


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", "%00"])
def test_bad_ids_in_the_api_path_are_4xx(world: World, bad: str) -> None:
    _assert_error_shape(client_for("admin").get(api_url(bad)))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"outcome": "mech_participant"}, "outcome"),
        ({"outcome": "nothing"}, "outcome"),
        ({"outcome": "x" * 41}, "outcome"),
        ({"start": "2026-13-01"}, "start"),
        ({"start": "yesterday"}, "start"),
        ({"end": "1899-12-31"}, "end"),
        ({"start": "2026-05-01", "end": "2026-04-01"}, "end"),
        ({"start": "99999-01-01"}, "start"),
    ],
)
def test_bad_queries_are_refused_with_the_field(
    world: World, query: dict[str, str], field: str
) -> None:
    client = client_for("admin")
    error = _assert_error_shape(client.get(api_url(world.programme_a), query), 422)
    assert field in error["fields"]
    page = client.get(page_url(world.programme_a), query)
    assert page.status_code == 400
    assert page.context["form"].errors.get(field)
    assert page.context["report"] is None


def test_the_default_outcome_follows_the_programmes_condition(programme: Programme) -> None:
    hand_world(programme)  # PHQ-9 answers, but an HIV programme's default is the PHQ-2
    client = client_for("admin")
    body = client.get(api_url(programme)).json()
    assert (body["outcome"]["code"], body["participants"]) == ("phq2", None)
    page = client.get(page_url(programme))
    assert page.context["form"].cleaned_data["outcome"] == "phq2"
    programme.condition_area = Programme.ConditionArea.MENTAL_HEALTH
    programme.save()
    assert client.get(api_url(programme)).json()["participants"] == 12


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"outcome": "phq9"}).status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_the_participants(programme: Programme) -> None:
    client = client_for("evaluator")
    for before, after in ONE_TO_ONE_HIGH[:2]:
        participant(programme, before, after, strength=5)
    two = (_count_queries(client, page_url(programme)), _count_queries(client, api_url(programme)))
    for before, after in ONE_TO_ONE_HIGH * 2:
        participant(programme, before, after, strength=4)
    twelve = (
        _count_queries(client, page_url(programme)),
        _count_queries(client, api_url(programme)),
    )
    assert two == twelve
