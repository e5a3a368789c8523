"""Programme analytics: before and after, the flow, strata, pooling across sites, small
cells, authorization, malformed input and query counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peerbridge.evaluation import statistics
from peerbridge.evaluation.analytics import programme_analytics
from peerbridge.organisations.models import Site
from peerbridge.referrals.models import EnrolmentStatus
from tests.conftest import World, client_for
from tests.evaluation.test_analytics_world import (
    MARCH,
    PERIOD,
    SCORES,
    SECRET_FAMILY,
    SECRET_NAME,
    before_and_after,
    make_participant,
    make_peer,
)

pytestmark = pytest.mark.django_db


def _url(world: World, **query: str) -> str:
    url = reverse("evaluation:analytics", args=[world.programme_a.pk])
    base = {"start": "2024-01-01", "end": "2024-12-31", **query}
    return url + "?" + "&".join(f"{k}={v}" for k, v in base.items())


def test_before_and_after_is_hedges_g_of_the_paired_scores(world: World) -> None:
    peer = make_peer(world.programme_a)
    before_and_after(world.programme_a, SCORES, peer=peer)
    result = programme_analytics(world.programme_a, PERIOD)
    [change] = result.changes
    expected = statistics.hedges_g_prepost([b for b, _ in SCORES], [a for _, a in SCORES])
    assert change.instrument == "phq9"
    assert change.n == len(SCORES)
    assert change.effect is not None
    assert change.effect.hedges_g == pytest.approx(expected.hedges_g)
    assert change.effect.ci_lower == pytest.approx(expected.ci_lower)
    assert change.mean_before == pytest.approx(sum(b for b, _ in SCORES) / len(SCORES))
    assert change.wording == statistics.evidence_wording(expected).text
    assert "does not show cause" in change.caution
    # PHQ-9's published reliable change is a fall of 6 points or more: 18->9, 20->12,
    # 16->6 and 19->13 of the eight.
    assert change.reliable_improvement_percent == pytest.approx(50)


def test_baseline_is_the_earliest_and_follow_up_the_latest_later_response(world: World) -> None:
    from tests.evaluation.test_analytics_world import answer

    peer = make_peer(world.programme_a)
    people = before_and_after(world.programme_a, SCORES, peer=peer)
    # A middle response does not change the pair; one alone makes no pair.
    answer(people[0], score=1, on=MARCH + timedelta(days=30))
    lone = make_participant(world.programme_a, peer=peer)
    answer(lone, score=20, on=MARCH + timedelta(days=5))
    [change] = programme_analytics(world.programme_a, PERIOD).changes
    assert change.n == len(SCORES)
    assert change.mean_after == pytest.approx(sum(a for _, a in SCORES) / len(SCORES))


def test_fewer_than_five_pairs_show_no_numbers(world: World) -> None:
    before_and_after(world.programme_a, SCORES[:4], peer=make_peer(world.programme_a))
    [change] = programme_analytics(world.programme_a, PERIOD).changes
    assert change.n is None
    assert change.effect is None
    assert change.mean_before is None


def test_the_flow_counts_each_step_and_flags_attrition_above_twenty_percent(
    world: World,
) -> None:
    peer = make_peer(world.programme_a)
    before_and_after(world.programme_a, SCORES, peer=peer)  # 8 through every step
    for _ in range(3):  # referred, never enrolled
        make_participant(world.programme_a, status=EnrolmentStatus.REFERRED)
    steps = {step.stage: step for step in programme_analytics(world.programme_a, PERIOD).flow}
    assert steps["referred"].count == 11
    assert steps["enrolled"].count == 8
    assert steps["enrolled"].percent_lost == pytest.approx(100 * 3 / 11)
    assert steps["enrolled"].flagged
    assert steps["matched"].count == 8
    assert not steps["matched"].flagged
    assert steps["follow_up"].count == 8


def test_small_flow_counts_are_hidden_with_their_percentages(world: World) -> None:
    before_and_after(world.programme_a, SCORES[:3], peer=make_peer(world.programme_a))
    steps = programme_analytics(world.programme_a, PERIOD).flow
    assert all(step.count is None for step in steps)
    assert all(step.percent_lost is None and not step.flagged for step in steps)


def test_strata_and_pooling_across_two_sites(world: World) -> None:
    north = Site.objects.get(code="north")
    south = Site.objects.get(code="south")
    peer = make_peer(world.programme_a)
    before_and_after(world.programme_a, SCORES, peer=peer, site=north)
    before_and_after(
        world.programme_a,
        [(b + 1, a + 2) for b, a in SCORES],
        peer=peer,
        site=south,
        contact_mode="video",
    )
    result = programme_analytics(world.programme_a, PERIOD)
    by_dimension = {s.dimension: s for s in result.stratifications}
    sites = {stratum.label: stratum for stratum in by_dimension["Site"].strata}
    assert sites[north.name].changes[0].n == len(SCORES)
    formats = {stratum.label for stratum in by_dimension["Format"].strata}
    assert formats == {"One-to-one"}
    modes = {stratum.label for stratum in by_dimension["Main way of meeting"].strata}
    assert modes == {"Phone", "Video"}
    assert "not recorded" in by_dimension["Peer pay status"].note
    [pooled] = result.pooled
    assert isinstance(pooled.result, statistics.PooledEstimate)
    assert pooled.result.k == 2
    assert 0 <= pooled.result.i2_percent <= 100


def test_evaluator_sees_the_page_without_names(world: World) -> None:
    before_and_after(world.programme_a, SCORES, peer=make_peer(world.programme_a))
    response = client_for("evaluator").get(_url(world))
    assert response.status_code == 200
    page = response.content.decode()
    assert "does not show cause" in page
    assert "Hedges" in page
    assert SECRET_NAME not in page and SECRET_FAMILY not in page


@pytest.mark.parametrize(
    ("persona", "api_status"),
    [("participant", 404), ("peer", 403), ("peer_other", 404), ("supervisor", 403)],
)
def test_participants_and_peers_may_not_see_analytics(
    world: World, persona: str, api_status: int
) -> None:
    """The page refuses the role (403); the API answers 403 to those who see the
    programme and 404 to those who do not."""
    assert client_for(persona).get(_url(world)).status_code == 403
    api = f"/api/v1/programmes/{world.programme_a.pk}/analytics"
    assert client_for(persona).get(api).status_code == api_status


def test_a_programme_outside_scope_is_not_found(world: World) -> None:
    url = reverse("evaluation:analytics", args=[world.programme_b.pk])
    assert client_for("leader").get(url).status_code == 404
    api = f"/api/v1/programmes/{world.programme_b.pk}/analytics"
    assert client_for("leader").get(api).status_code == 404
    assert client_for("leader").get("/api/v1/programmes/99999999/analytics").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2024-13-01"}, "start"),
        ({"start": "yesterday"}, "start"),
        ({"start": "2024-06-01", "end": "2024-01-01"}, "end"),
        ({"end": "1900-01-01"}, "end"),
        ({"site": "not-a-site"}, "site"),
    ],
)
def test_a_bad_period_is_a_field_error(world: World, query: dict[str, str], field: str) -> None:
    response = client_for("evaluator").get(_url(world, **query))
    assert response.status_code == 400
    assert field in response.context["form"].errors


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2024-13-01", "start"),
        ("start=2024-06-01&end=2024-01-01", "end"),
        ("end=1800-01-01", "end"),
        ("site_id=abc", "site_id"),
        ("site_id=99999999", "site_id"),
    ],
)
def test_the_api_refuses_bad_input_with_the_error_shape(
    world: World, query: str, field: str
) -> None:
    url = f"/api/v1/programmes/{world.programme_a.pk}/analytics?{query}"
    response = client_for("evaluator").get(url)
    assert response.status_code == 422
    body: dict[str, Any] = response.json()
    assert body["error"]["code"] == "validation_error"
    assert field in body["error"]["fields"]


def test_the_api_gives_the_analytics_as_json(world: World) -> None:
    before_and_after(world.programme_a, SCORES, peer=make_peer(world.programme_a))
    url = f"/api/v1/programmes/{world.programme_a.pk}/analytics?start=2024-01-01&end=2024-12-31"
    body = client_for("leader").get(url).json()
    [change] = body["changes"]
    assert change["people"] == len(SCORES)
    assert change["hedges_g"] is not None
    assert "does not show cause" in body["design"]
    assert [step["stage"] for step in body["flow"]][0] == "referred"
    assert SECRET_NAME not in str(body)


def _queries(world: World, people: int) -> int:
    peer = make_peer(world.programme_a)
    before_and_after(world.programme_a, (SCORES * 2)[:people], peer=peer)
    client = client_for("evaluator")
    client.get(_url(world))  # warm the session
    with CaptureQueriesContext(connection) as captured:
        assert client.get(_url(world)).status_code == 200
    return len(captured)


def test_the_page_answers_in_a_fixed_number_of_queries(world: World) -> None:
    few = _queries(world, 2)
    many = _queries(world, 12)
    assert few == many
