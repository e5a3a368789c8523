"""The coordinator's pipeline and a peer's profile show each step; a ready peer is made
available only when every requirement is met; the programme's workforce rules."""

from __future__ import annotations

import pytest
from django.test import Client

from peerbridge.core.models import AuditEvent
from peerbridge.organisations.models import Organisation, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.workforce.models import CertificationFramework, PeerProfile
from peerbridge.workforce.selectors import workforce_settings
from tests.conftest import World, client_for
from tests.workforce.world import add_required_module, make_profile

pytestmark = pytest.mark.django_db


def test_the_pipeline_shows_every_peer_with_their_stage_in_few_queries(
    world: World, django_assert_max_num_queries: object
) -> None:
    training = make_profile(world.programme_a)
    add_required_module(world.programme_a, "Test: listening")
    ready = make_profile(world.programme_a, ready=True)
    client = client_for("coordinator")
    with django_assert_max_num_queries(40):  # type: ignore[operator]
        page = client.get(f"/programmes/{world.programme_a.pk}/workforce/")
    assert page.status_code == 200
    text = page.content.decode()
    assert str(training.person) in text and "Test: listening" in text
    assert str(ready.person) in text and "Make available" in text
    only_ready = client.get(f"/programmes/{world.programme_a.pk}/workforce/?stage=ready")
    assert str(ready.person) in only_ready.content.decode()
    assert str(training.person) not in only_ready.content.decode()
    read = AuditEvent.objects.filter(
        action="read", object_type="people.person", object_id=str(ready.person_id)
    )
    assert read.exists()


def test_the_overview_counts_peers_by_stage_without_naming_them(world: World) -> None:
    profile = make_profile(world.programme_a, ready=True)
    page = client_for("supervisor").get("/workforce/")
    assert page.status_code == 200
    text = page.content.decode()
    assert world.programme_a.name in text
    assert str(profile.person) not in text


def test_a_ready_peer_is_made_available_and_gets_the_peer_role(world: World) -> None:
    profile = make_profile(world.programme_a, ready=True)
    client = client_for("coordinator")
    response = client.post(f"/workforce/profiles/{profile.pk}/activate/")
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.status == PeerProfile.Status.ACTIVE and profile.activated_on
    assert RoleAssignment.objects.filter(
        user=profile.person.user, role=Role.PEER_SUPPORTER, programme=world.programme_a
    ).exists()
    page = client.get(f"/workforce/profiles/{profile.pk}/").content.decode()
    assert "May take a new match." in page


def test_an_unready_peer_is_not_made_available_and_the_page_says_why(world: World) -> None:
    profile = make_profile(world.programme_a)
    add_required_module(world.programme_a, "Test: first aid")
    client = client_for("coordinator")
    response = client.post(f"/workforce/profiles/{profile.pk}/activate/", follow=True)
    profile.refresh_from_db()
    assert profile.status == PeerProfile.Status.TRAINING
    assert "Test: first aid" in response.content.decode()
    api = client.post(f"/api/v1/workforce/profiles/{profile.pk}/activate")
    assert api.status_code == 422
    assert "Test: first aid" in str(api.json()["error"]["fields"])


def test_the_peer_sees_their_own_profile_and_not_another_peers(world: World) -> None:
    mine = make_profile(world.programme_a, ready=True, status="active")
    theirs = make_profile(world.programme_a, ready=True, status="active")
    client = Client()
    assert mine.person.user is not None
    client.force_login(mine.person.user)
    assert client.get(f"/workforce/profiles/{mine.pk}/").status_code == 403  # no peer role yet
    RoleAssignment.objects.create(
        user=mine.person.user,
        role=Role.PEER_SUPPORTER,
        organisation=world.programme_a.site.organisation,
        programme=world.programme_a,
    )
    assert client.get(f"/workforce/profiles/{mine.pk}/").status_code == 200
    assert client.get(f"/workforce/profiles/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/v1/workforce/profiles/{theirs.pk}/eligibility").status_code == 404


def test_workforce_rules_are_validated_on_the_page_and_in_the_api(world: World) -> None:
    client = client_for("leader")
    url = f"/programmes/{world.programme_a.pk}/workforce/settings/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"supervision_cadence_days": "0", "burnout_threshold": "150"})
    assert bad.status_code == 422
    assert 'aria-invalid="true"' in bad.content.decode()
    other_org = Organisation.objects.create(name="Elsewhere", slug="elsewhere-wf")
    foreign = CertificationFramework.objects.create(
        organisation=other_org, name="Foreign credential", kind="national"
    )
    api = f"/api/v1/programmes/{world.programme_a.pk}/workforce/settings"
    refused = client.patch(
        api, data={"required_framework_id": foreign.pk}, content_type="application/json"
    )
    assert refused.status_code == 422
    saved = client.patch(
        api,
        data={"supervision_cadence_days": 28, "burnout_threshold": 60},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    rules = workforce_settings(world.programme_a)
    rules.refresh_from_db()
    assert (rules.supervision_cadence_days, rules.burnout_threshold) == (28, 60)
    assert (
        client.patch(
            api, data={"burnout_threshold": 0}, content_type="application/json"
        ).status_code
        == 422
    )


def test_evaluators_see_de_identified_counts_with_small_cells_hidden(world: World) -> None:
    page = client_for("evaluator").get("/workforce/")
    assert page.status_code == 200
    text = page.content.decode()
    assert world.programme_a.name in text
    assert "numbers under 5 are hidden" in text
    assert f"/programmes/{world.programme_a.pk}/workforce/" not in text  # no way to names
    assert (
        client_for("evaluator").get(f"/programmes/{world.programme_a.pk}/workforce/").status_code
        == 403
    )


def test_the_profiles_api_pages_in_the_database(
    world: World, django_assert_max_num_queries: object
) -> None:
    make_profile(world.programme_a, ready=True, status="active")
    client = client_for("coordinator")
    url = f"/api/v1/workforce/profiles?programme_id={world.programme_a.pk}&page_size=2"
    with django_assert_max_num_queries(30):  # type: ignore[operator]
        body = client.get(url).json()
    assert len(body["items"]) == 2 and body["count"] >= 2
    assert {"stage", "status", "max_matches"} <= set(body["items"][0])
