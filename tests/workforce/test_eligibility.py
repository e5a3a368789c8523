"""One workforce service answers whether a peer may take a new match or facilitate a
group, with the reasons when not; each reason through the service and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from peerbridge.workforce.capacity import capacity_reserve
from peerbridge.workforce.eligibility import Reason, may_facilitate_group, may_take_match
from peerbridge.workforce.models import (
    AgreementKind,
    AgreementText,
    Certification,
    CertificationFramework,
    Decertification,
    PeerProfile,
)
from peerbridge.workforce.selectors import workforce_settings
from tests.conftest import World, client_for, persona_user
from tests.workforce.world import (
    add_required_module,
    certify,
    make_profile,
    reasons_for_match,
)

pytestmark = pytest.mark.django_db


def _api_reasons(profile: PeerProfile) -> tuple[set[str], set[str]]:
    response = client_for("coordinator").get(f"/api/v1/workforce/profiles/{profile.pk}/eligibility")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["may_take_match"] == (not body["match_reasons"])
    return (
        {r["reason"] for r in body["match_reasons"]},
        {r["reason"] for r in body["group_reasons"]},
    )


def _framework(world: World) -> CertificationFramework:
    framework, _ = CertificationFramework.objects.get_or_create(
        organisation=world.programme_a.site.organisation,
        name="Test state peer certification",
        defaults={"kind": "state", "validity_months": 24},
    )
    return framework


def test_a_ready_available_peer_may_take_a_match_and_a_group(world: World) -> None:
    profile = make_profile(world.programme_a, ready=True, status=PeerProfile.Status.ACTIVE)
    assert may_take_match(profile) == (True, ())
    assert may_facilitate_group(profile) == (True, ())
    assert _api_reasons(profile) == (set(), set())


def test_untrained(world: World) -> None:
    profile = make_profile(world.programme_a, ready=True, status=PeerProfile.Status.ACTIVE)
    module = add_required_module(world.programme_a, "Test: boundaries refresher")
    allowed, blockers = may_take_match(profile)
    assert not allowed
    assert [b.reason for b in blockers] == [Reason.UNTRAINED]
    assert module.title in blockers[0].detail
    assert _api_reasons(profile) == ({"untrained"}, {"untrained"})


def test_agreements_unsigned_after_a_new_version(world: World) -> None:
    profile = make_profile(world.programme_a, ready=True, status=PeerProfile.Status.ACTIVE)
    AgreementText.objects.create(
        programme=world.programme_a,
        kind=AgreementKind.CONFIDENTIALITY,
        version="test-99",
        body="What is said stays here, unless someone is at risk.",
    )
    assert reasons_for_match(profile) == {"agreements_unsigned"}
    assert _api_reasons(profile)[0] == {"agreements_unsigned"}


def test_uncertified_and_expired(world: World) -> None:
    framework = _framework(world)
    rules = workforce_settings(world.programme_a)
    rules.required_framework = framework
    rules.save()
    profile = make_profile(world.programme_a, ready=True, status=PeerProfile.Status.ACTIVE)
    Certification.objects.filter(person=profile.person, framework=framework).delete()
    assert reasons_for_match(profile) == {"uncertified"}
    certificate = certify(profile, framework)
    assert reasons_for_match(profile) == set()
    certificate.expires_on = timezone.localdate() - timedelta(days=1)
    certificate.save()
    allowed, blockers = may_take_match(profile)
    assert not allowed and "expired" in blockers[0].detail
    assert _api_reasons(profile)[0] == {"uncertified"}


def test_decertified_at_once_and_restored_on_a_granted_appeal(world: World) -> None:
    framework = _framework(world)
    profile = make_profile(world.programme_a, ready=True, status=PeerProfile.Status.ACTIVE)
    certificate = certify(profile, framework)
    certificate.status = Certification.Status.DECERTIFIED
    certificate.save()
    decertification = Decertification.objects.create(
        certification=certificate,
        reason="Repeated boundary incidents.",
        effective_on=timezone.localdate(),
        decided_by=persona_user("leader"),
    )
    assert reasons_for_match(profile) == {"decertified"}
    assert _api_reasons(profile) == ({"decertified"}, {"decertified"})
    decertification.appeal = Decertification.Appeal.OVERTURNED
    decertification.save()
    assert reasons_for_match(profile) == set()


def test_paused(world: World) -> None:
    profile = make_profile(world.programme_a, ready=True, status=PeerProfile.Status.ACTIVE)
    profile.paused_from = timezone.localdate()
    profile.paused_until = timezone.localdate() + timedelta(days=14)
    profile.save()
    assert reasons_for_match(profile) == {"paused"}
    assert _api_reasons(profile)[1] == {"paused"}
    profile.paused_until = timezone.localdate()
    profile.save()
    assert reasons_for_match(profile) == set()  # back on the return date


def test_burnt_out(world: World) -> None:
    profile = make_profile(world.programme_a, ready=True, status=PeerProfile.Status.ACTIVE)
    profile.capacity_hold = True
    profile.save()
    assert reasons_for_match(profile) == {"burnt_out"}
    assert _api_reasons(profile) == ({"burnt_out"}, {"burnt_out"})


def test_at_capacity_for_matches_but_free_for_groups(world: World) -> None:
    profile = make_profile(
        world.programme_a, ready=True, status=PeerProfile.Status.ACTIVE, max_matches=1
    )
    capacity_reserve(profile=profile, kind="match", reference="match:test-1", actor=None)
    assert reasons_for_match(profile) == {"at_capacity"}
    assert may_facilitate_group(profile) == (True, ())
    assert _api_reasons(profile) == ({"at_capacity"}, set())


def test_not_yet_available_while_in_training(world: World) -> None:
    profile = make_profile(world.programme_a, ready=True)
    assert reasons_for_match(profile) == {"not_active"}


def test_the_api_refuses_a_reservation_with_the_reasons(world: World) -> None:
    profile = make_profile(world.programme_a, ready=True, status=PeerProfile.Status.ACTIVE)
    profile.capacity_hold = True
    profile.save()
    response = client_for("coordinator").post(
        f"/api/v1/workforce/profiles/{profile.pk}/reservations",
        data={"kind": "match", "reference": "match:api-1"},
        content_type="application/json",
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "not_eligible"
    assert error["fields"]["reasons"] == ["burnt_out"]
