"""Navigation referrals: a participant referred to a directory service and followed
made > connected > outcome; consent checked before details are passed on; audited;
reachable only by the staff of the participant's programme."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from peerbridge.core.models import AuditEvent, User
from peerbridge.organisations.models import Organisation
from peerbridge.people.services import consent_withdraw
from peerbridge.referrals.directory_selectors import (
    access_navigation_enrolment,
    access_navigation_referral,
)
from peerbridge.referrals.directory_services import (
    navigation_referral_advance,
    navigation_referral_connected,
    navigation_referral_make,
    navigation_referral_outcome,
)
from peerbridge.referrals.models import DirectoryService, Enrolment, NavigationReferral
from tests.conftest import World, client_for, persona_user
from tests.referrals.directory_world import full_consent, make_enrolment, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> User:
    user = persona_user("coordinator")
    assert user is not None
    return user


@pytest.fixture
def housing() -> DirectoryService:
    return make_service(name="Safe Homes advice", categories=["housing", "income"])


@pytest.fixture
def participant(world: World) -> Enrolment:
    """A programme A (substance use) participant who agreed to everything needed."""
    return make_enrolment(
        world.programme_a, scopes=full_consent(world.programme_a), status="enrolled"
    )


def _make(enrolment: Enrolment, service: DirectoryService, by: User) -> NavigationReferral:
    return navigation_referral_make(
        enrolment=enrolment, service=service, need="housing", made_by=by, note="Needs a flat"
    )


def _audited(referral: NavigationReferral, action: str) -> int:
    return AuditEvent.objects.filter(
        action=action, object_type="referrals.navigationreferral", object_id=str(referral.pk)
    ).count()


def test_a_referral_moves_made_connected_outcome_with_audit(
    participant: Enrolment, housing: DirectoryService, staff: User
) -> None:
    referral = _make(participant, housing, staff)
    assert referral.status == "made" and referral.note == "Needs a flat"
    assert _audited(referral, "create") == 1
    navigation_referral_connected(referral=referral, recorded_by=staff, note="Appointment Tue")
    referral.refresh_from_db()
    assert referral.status == "connected" and referral.connected_at is not None
    navigation_referral_outcome(referral=referral, outcome="met", recorded_by=staff)
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == ("outcome", "met")
    assert referral.outcome_at is not None
    assert referral.note == "Needs a flat\n\nAppointment Tue"
    assert _audited(referral, "update") == 2


@pytest.mark.parametrize(
    ("steps", "then"),
    [
        ([], "outcome"),  # made > outcome skips connected
        (["connected"], "connected"),
        (["connected", "outcome"], "connected"),
        (["connected", "outcome"], "outcome"),
        ([], "made"),
    ],
)
def test_transitions_out_of_order_are_refused(
    participant: Enrolment, housing: DirectoryService, staff: User, steps: list[str], then: str
) -> None:
    referral = _make(participant, housing, staff)
    for step in steps:
        navigation_referral_advance(
            referral=referral, status=step, outcome="met", recorded_by=staff
        )
    status = NavigationReferral.objects.get(pk=referral.pk).status
    with pytest.raises(ValidationError) as refused:
        navigation_referral_advance(
            referral=referral, status=then, outcome="met", recorded_by=staff
        )
    assert "status" in refused.value.message_dict
    assert NavigationReferral.objects.get(pk=referral.pk).status == status


def test_the_outcome_must_be_chosen(
    participant: Enrolment, housing: DirectoryService, staff: User
) -> None:
    referral = _make(participant, housing, staff)
    navigation_referral_connected(referral=referral, recorded_by=staff)
    with pytest.raises(ValidationError) as refused:
        navigation_referral_outcome(referral=referral, outcome="", recorded_by=staff)
    assert "outcome" in refused.value.message_dict


def test_without_consent_to_take_part_nothing_is_passed_on(
    world: World, housing: DirectoryService, staff: User
) -> None:
    for scopes in (None, ["contact_phone", "redisclosure"]):
        enrolment = make_enrolment(world.programme_a, scopes=scopes, status="enrolled")
        with pytest.raises(ValidationError) as refused:
            _make(enrolment, housing, staff)
        assert "consent" in refused.value.message_dict
    assert not NavigationReferral.objects.filter(service=housing).exists()


def test_substance_use_programmes_need_redisclosure_consent(
    world: World, housing: DirectoryService, staff: User
) -> None:
    assert world.programme_a.needs_redisclosure_consent
    enrolment = make_enrolment(world.programme_a, scopes=["participation"], status="enrolled")
    with pytest.raises(ValidationError) as refused:
        _make(enrolment, housing, staff)
    assert "42 CFR Part 2" in refused.value.message_dict["consent"][0]


def test_other_programmes_need_only_consent_to_take_part(
    world: World, housing: DirectoryService
) -> None:
    admin = persona_user("admin")
    assert admin is not None and not world.programme_b.needs_redisclosure_consent
    enrolment = make_enrolment(world.programme_b, scopes=["participation"], status="enrolled")
    assert _make(enrolment, housing, admin).pk


def test_withdrawing_consent_stops_the_next_referral(
    participant: Enrolment, housing: DirectoryService, staff: User
) -> None:
    _make(participant, housing, staff)
    consent_withdraw(
        person=participant.person,
        programme=participant.programme,
        scopes=["redisclosure"],
        reason="Changed their mind",
        recorded_by=staff,
    )
    with pytest.raises(ValidationError) as refused:
        _make(participant, housing, staff)
    assert "consent" in refused.value.message_dict


@pytest.mark.parametrize("problem", ["other_organisation", "retired", "need", "closed"])
def test_a_referral_needs_a_listed_service_meeting_the_need_for_an_open_enrolment(
    world: World, participant: Enrolment, housing: DirectoryService, staff: User, problem: str
) -> None:
    service, need, enrolment = housing, "housing", participant
    if problem == "other_organisation":
        elsewhere = Organisation.objects.create(name="Elsewhere", slug="elsewhere-nav")
        service = make_service(organisation=elsewhere)
    elif problem == "retired":
        DirectoryService.objects.filter(pk=housing.pk).update(is_active=False)
        service.refresh_from_db()
    elif problem == "need":
        need = "food"
    else:
        enrolment = make_enrolment(
            world.programme_a, scopes=full_consent(world.programme_a), status="completed"
        )
    with pytest.raises(ValidationError):
        navigation_referral_make(enrolment=enrolment, service=service, need=need, made_by=staff)


def test_reading_an_enrolment_for_navigation_is_audited(participant: Enrolment) -> None:
    supervisor = persona_user("supervisor")
    access_navigation_enrolment(user=supervisor, enrolment_id=participant.pk)
    assert AuditEvent.objects.filter(
        actor=supervisor,
        action="read",
        object_type="people.person",
        object_id=str(participant.person_id),
    ).exists()


# ---------------------------------------------------- someone else's record: 404


def test_staff_of_another_programme_get_404(
    world: World, housing: DirectoryService, staff: User
) -> None:
    other = make_enrolment(
        world.programme_b, scopes=full_consent(world.programme_b), status="enrolled"
    )
    admin = persona_user("admin")
    assert admin is not None
    referral = _make(other, housing, admin)
    with pytest.raises(Http404):
        access_navigation_enrolment(user=staff, enrolment_id=other.pk)
    with pytest.raises(Http404):
        access_navigation_referral(user=staff, navigation_id=referral.pk)
    client = client_for("coordinator")
    assert client.get(f"/enrolments/{other.pk}/navigation/").status_code == 404
    assert client.get(f"/navigation/{referral.pk}/update/").status_code == 404
    api = client.post(
        f"/api/v1/navigation-referrals/{referral.pk}/status",
        data=json.dumps({"status": "connected"}),
        content_type="application/json",
    )
    assert api.status_code == 404
    assert NavigationReferral.objects.get(pk=referral.pk).status == "made"


@pytest.mark.parametrize("persona", ["peer", "peer_other"])
def test_peers_reach_no_participant_through_the_programme(
    persona: str, participant: Enrolment, housing: DirectoryService, staff: User
) -> None:
    """Peers will reach only participants matched to them; until matches exist, none."""
    referral = _make(participant, housing, staff)
    client = client_for(persona)
    assert client.get(f"/enrolments/{participant.pk}/navigation/new/").status_code == 404
    assert client.get(f"/navigation/{referral.pk}/update/").status_code == 404
    listed = client.get(f"/api/v1/enrolments/{participant.pk}/navigation-referrals")
    assert listed.status_code == 404
    made = client.post(
        f"/api/v1/enrolments/{participant.pk}/navigation-referrals",
        data=json.dumps({"service_id": housing.pk, "need": "housing"}),
        content_type="application/json",
    )
    assert made.status_code == 404
    assert NavigationReferral.objects.filter(enrolment=participant).count() == 1


# ------------------------------------------------------------------- pages and API


def test_a_coordinator_refers_and_closes_the_loop_on_the_pages(
    participant: Enrolment, housing: DirectoryService
) -> None:
    client = client_for("coordinator")
    form = client.get(f"/enrolments/{participant.pk}/navigation/new/")
    assert form.status_code == 200 and housing.name in form.content.decode()
    made = client.post(
        f"/enrolments/{participant.pk}/navigation/new/",
        {"service": housing.pk, "need": "income", "note": "Benefits check"},
    )
    assert made.status_code == 302
    referral = NavigationReferral.objects.get(enrolment=participant)
    for data in ({"status": "connected"}, {"status": "outcome", "outcome": "partly"}):
        moved = client.post(f"/navigation/{referral.pk}/update/", data)
        assert moved.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == ("outcome", "partly")
    listing = client.get(f"/enrolments/{participant.pk}/navigation/")
    assert "Need partly met" in listing.content.decode()


def test_the_page_shows_the_consent_refusal(world: World, housing: DirectoryService) -> None:
    enrolment = make_enrolment(world.programme_a, scopes=["participation"], status="enrolled")
    response = client_for("coordinator").post(
        f"/enrolments/{enrolment.pk}/navigation/new/", {"service": housing.pk, "need": "housing"}
    )
    assert response.status_code == 422
    assert "redisclosure" in response.content.decode()
    assert not NavigationReferral.objects.filter(enrolment=enrolment).exists()


def test_the_api_makes_lists_and_advances_referrals(
    participant: Enrolment, housing: DirectoryService
) -> None:
    client = client_for("leader")
    url = f"/api/v1/enrolments/{participant.pk}/navigation-referrals"
    made = client.post(
        url,
        data=json.dumps({"service_id": housing.pk, "need": "housing", "note": "Urgent"}),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["service_name"] == housing.name and made.json()["status"] == "made"
    status_url = f"/api/v1/navigation-referrals/{made.json()['id']}/status"
    skipped = client.post(
        status_url,
        data=json.dumps({"status": "outcome", "outcome": "met"}),
        content_type="application/json",
    )
    assert skipped.status_code == 422 and "status" in skipped.json()["error"]["fields"]
    connected = client.post(
        status_url, data=json.dumps({"status": "connected"}), content_type="application/json"
    )
    assert connected.status_code == 200 and connected.json()["connected_at"]
    listed = client.get(url)
    assert [item["status"] for item in listed.json()["items"]] == ["connected"]


def test_the_api_refuses_without_consent_with_a_field_error(
    world: World, housing: DirectoryService
) -> None:
    enrolment = make_enrolment(world.programme_a, scopes=None, status="enrolled")
    response = client_for("coordinator").post(
        f"/api/v1/enrolments/{enrolment.pk}/navigation-referrals",
        data=json.dumps({"service_id": housing.pk, "need": "housing"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "consent" in response.json()["error"]["fields"]


def test_the_api_refuses_a_service_out_of_reach(participant: Enrolment) -> None:
    elsewhere = Organisation.objects.create(name="Far away", slug="far-away")
    other = make_service(organisation=elsewhere)
    response = client_for("coordinator").post(
        f"/api/v1/enrolments/{participant.pk}/navigation-referrals",
        data=json.dumps({"service_id": other.pk, "need": "housing"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "service_id" in response.json()["error"]["fields"]
