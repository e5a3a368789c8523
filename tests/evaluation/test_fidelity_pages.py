"""Fidelity pages: the checklist, recording an observation on a phone-friendly form, a
peer's observations, and the programme's overview (names for staff, suppressed
aggregates without names for evaluators), in a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from peerbridge.evaluation import fidelity
from peerbridge.evaluation.models import FidelityItem, FidelityObservation
from peerbridge.workforce.models import PeerProfile
from tests.conftest import World, client_for
from tests.evaluation.test_fidelity import observe, persona_peer, unsupervised_peer, user
from tests.workforce.world import make_profile

pytestmark = pytest.mark.django_db


def _mid_month() -> datetime:
    """A fixed mid-month noon after the demo was made, so months do not roll over."""
    today = timezone.localdate()
    return datetime(today.year + 1, today.month, 15, 12, tzinfo=UTC)


def test_leader_adds_an_item_and_sees_field_errors(world: World) -> None:
    url = reverse("evaluation:fidelity_checklist", args=[world.programme_a.pk])
    client = client_for("leader")
    page = client.get(url)
    assert page.status_code == 200
    assert escape(fidelity.checklist(world.programme_a)[0].text) in page.content.decode()
    refused = client.post(url, {"text": "", "element": "programme"})
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.content.decode()
    added = client.post(
        url, {"text": "Closes the contact with a clear next step.", "element": "engagement"}
    )
    assert added.status_code == 302
    assert FidelityItem.objects.filter(
        programme=world.programme_a, text="Closes the contact with a clear next step."
    ).exists()


def test_supervisor_reads_the_checklist_without_the_form(world: World) -> None:
    url = reverse("evaluation:fidelity_checklist", args=[world.programme_a.pk])
    page = client_for("supervisor").get(url)
    assert page.status_code == 200
    assert '<form method="post" class="card"' not in page.content.decode()
    assert client_for("supervisor").post(url, {"text": "x"}).status_code == 403


def test_item_edit_retires_an_item(world: World) -> None:
    item = fidelity.checklist(world.programme_a)[-1]
    url = reverse("evaluation:fidelity_item", args=[item.pk])
    client = client_for("leader")
    assert client.get(url).status_code == 200
    response = client.post(url, {"text": item.text, "position": "7"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert not item.is_active and item.position == 7
    assert client.post(url, {"text": item.text, "position": "x"}).status_code == 422


def test_supervisor_records_an_observation_on_the_form(world: World) -> None:
    profile = persona_peer(world)
    url = reverse("evaluation:fidelity_observe", args=[profile.pk])
    client = client_for("supervisor")
    form = client.get(url)
    assert form.status_code == 200
    body = form.content.decode()
    assert 'type="radio"' in body and 'name="viewport"' in body
    assert body.count('class="rating-row"') == len(
        fidelity.checklist(world.programme_a, active_only=True)
    )
    items = fidelity.checklist(world.programme_a, active_only=True)
    data = {f"item_{item.pk}": "2" for item in items}
    data[f"item_{items[0].pk}"] = "na"
    data[f"item_{items[1].pk}"] = "1"
    data.update(
        observed_on=timezone.localdate().isoformat(),
        setting="role_play",
        note="Warm and calm.",
    )
    earlier = set(FidelityObservation.objects.filter(profile=profile).values_list("pk", flat=True))
    done = client.post(url, data)
    assert done.status_code == 302
    assert done["Location"] == reverse("evaluation:fidelity_peer", args=[profile.pk])
    observation = FidelityObservation.objects.exclude(pk__in=earlier).get(profile=profile)
    applicable = len(items) - 1
    assert observation.score == pytest.approx(100 * (2 * applicable - 1) / (2 * applicable))


def test_observation_form_shows_errors_for_missing_ratings(world: World) -> None:
    profile = persona_peer(world)
    url = reverse("evaluation:fidelity_observe", args=[profile.pk])
    refused = client_for("supervisor").post(
        url, {"observed_on": "2020-13-40", "setting": "contact"}
    )
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.content.decode()
    every_na = {f"item_{i.pk}": "na" for i in fidelity.checklist(world.programme_a)}
    refused = client_for("supervisor").post(
        url,
        {**every_na, "observed_on": timezone.localdate().isoformat(), "setting": "contact"},
    )
    assert refused.status_code == 422
    assert "Rate at least one item that applied." in refused.content.decode()


def test_supervisor_cannot_observe_someone_elses_supervisee(world: World) -> None:
    other = unsupervised_peer(world)
    url = reverse("evaluation:fidelity_observe", args=[other.pk])
    assert client_for("supervisor").get(url).status_code == 403
    assert client_for("leader").get(url).status_code == 200
    assert client_for("coordinator").get(url).status_code == 403


def test_peer_reads_their_own_observations_with_the_note(world: World) -> None:
    profile = persona_peer(world)
    observe(profile, note="Great use of your own story.")
    page = client_for("peer").get(reverse("evaluation:fidelity_peer", args=[profile.pk]))
    assert page.status_code == 200
    assert "Great use of your own story." in page.content.decode()
    mine = client_for("peer").get(reverse("evaluation:fidelity_mine"))
    assert reverse("evaluation:fidelity_peer", args=[profile.pk]) in mine.content.decode()
    other = unsupervised_peer(world)
    assert (
        client_for("peer").get(reverse("evaluation:fidelity_peer", args=[other.pk])).status_code
        == 404
    )


@pytest.mark.parametrize("persona", ["evaluator", "peer_other", "participant"])
def test_a_peers_page_is_closed_to_those_outside(world: World, persona: str) -> None:
    profile = persona_peer(world)
    status = client_for(persona).get(reverse("evaluation:fidelity_peer", args=[profile.pk]))
    assert status.status_code in (403, 404)
    if persona != "participant":
        assert status.status_code == 404


def test_bad_ids_are_404(world: World) -> None:
    client = client_for("leader")
    assert client.get("/fidelity/peers/999999999/").status_code == 404
    assert client.get("/fidelity/items/999999999/").status_code == 404
    assert client.get("/programmes/999999999/fidelity/").status_code == 404
    assert client.get("/fidelity/peers/abc/").status_code == 404


def test_overview_names_peers_for_staff_and_hides_them_from_evaluators(world: World) -> None:
    profile = persona_peer(world)
    with time_machine.travel(_mid_month(), tick=False):
        for days in range(3):
            observe(profile, value=1, days_ago=days)
        url = reverse("evaluation:fidelity_overview", args=[world.programme_a.pk])
        staff = client_for("coordinator").get(url).content.decode()
        evaluator = client_for("evaluator").get(url)
    name = str(profile.person)
    assert name in staff
    assert evaluator.status_code == 200
    body = evaluator.content.decode()
    assert name not in body
    assert profile.person.family_name not in body or not profile.person.family_name
    assert "Hidden" in body  # three observations in the month: under five


def test_overview_shows_counts_of_five_or_more_to_evaluators(world: World) -> None:
    with time_machine.travel(_mid_month(), tick=False):
        profile = persona_peer(world)
        for days in range(6):
            observe(profile, value=2, days_ago=days % 10)
        found = fidelity.fidelity_overview(user=user("evaluator"), programme=world.programme_a)
    assert found.suppressed and found.peers is None
    cell = found.sites[0].cells[0]
    assert cell.observations == 6 and cell.mean_score == 100.0
    assert found.total_observations == 6


def test_supervisor_overview_lists_only_supervisees(world: World) -> None:
    other = unsupervised_peer(world)
    with time_machine.travel(_mid_month(), tick=False):
        observe(other, by="leader")
        found = fidelity.fidelity_overview(user=user("supervisor"), programme=world.programme_a)
        leader = fidelity.fidelity_overview(user=user("leader"), programme=world.programme_a)
    assert found.peers is not None and leader.peers is not None
    assert other.pk not in {row.profile.pk for row in found.peers}
    assert other.pk in {row.profile.pk for row in leader.peers}
    assert all(row.profile.supervisor_id == user("supervisor").pk for row in found.peers)


def _overview_queries(world: World, peers: int) -> int:
    for _n in range(peers):
        profile = make_profile(world.programme_b, ready=True, status=PeerProfile.Status.ACTIVE)
        profile.started_on = timezone.localdate() - timedelta(days=100)
        profile.save(update_fields=["started_on"])
        observe(profile, by="admin", days_ago=40)
        observe(profile, by="admin")
    client = client_for("admin")
    url = reverse("evaluation:fidelity_overview", args=[world.programme_b.pk])
    client.get(url)  # the checklist and caches made once
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_overview_query_count_does_not_grow_with_peers(world: World) -> None:
    with time_machine.travel(_mid_month(), tick=False):
        few = _overview_queries(world, 2)
        many = _overview_queries(world, 10)
    assert few == many


def test_peer_page_query_count_does_not_grow_with_observations(world: World) -> None:
    profile = persona_peer(world)
    url = reverse("evaluation:fidelity_peer", args=[profile.pk])
    client = client_for("supervisor")
    counts = []
    for rows in (2, 12):
        while FidelityObservation.objects.filter(profile=profile).count() < rows:
            observe(profile, days_ago=FidelityObservation.objects.filter(profile=profile).count())
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
