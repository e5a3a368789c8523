"""Certification: frameworks, decisions with expiry or recommendations, decertification
that stops new work at once and flags current work for review, appeals, expiry."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.organisations.models import Programme
from peerbridge.workforce.capacity import CapacityRefused
from peerbridge.workforce.certification import (
    add_months,
    appeal_decide,
    appeal_lodge,
    certification_decide,
    decertify,
)
from peerbridge.workforce.certification_expiry import flag_expired_work
from peerbridge.workforce.eligibility import may_facilitate_group, standing
from peerbridge.workforce.models import (
    Certification,
    CertificationFramework,
    Decertification,
    PeerProfile,
    TrainingAttendance,
    TrainingModule,
    TrainingSession,
    WorkforceAlert,
)
from peerbridge.workforce.selectors import workforce_settings
from tests.conftest import World, client_for, persona_user
from tests.workforce.world import make_profile, reasons_for_match
from tests.workforce.world_supervision import (
    hold_match,
    leader,
    peer_client,
    record_session,
    state_certification,
)

pytestmark = pytest.mark.django_db
ACTIVE = PeerProfile.Status.ACTIVE


def _active(world: World) -> PeerProfile:
    return make_profile(world.programme_a, ready=True, status=ACTIVE)


def _certified(profile: PeerProfile, framework: CertificationFramework) -> Certification:
    return certification_decide(
        profile=profile,
        framework=framework,
        status=Certification.Status.CERTIFIED,
        decided_by=leader(),
    )


# ---------------------------------------------------------------------------------------
# Frameworks


def test_a_leader_adds_frameworks_and_a_coordinator_only_reads_them(world: World) -> None:
    organisation = world.programme_a.site.organisation
    url = f"/organisations/{organisation.pk}/certification-frameworks/"
    response = client_for("leader").post(
        url,
        {
            "name": "Test national group facilitator credential",
            "issuer": "National peer network",
            "kind": "national",
            "recertification_hours": "0",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    framework = CertificationFramework.objects.get(
        organisation=organisation, name="Test national group facilitator credential"
    )
    assert framework.validity_months is None
    assert AuditEvent.objects.filter(
        action="create", object_type="workforce.certificationframework", object_id=str(framework.pk)
    ).exists()
    page = client_for("coordinator").get(url)
    assert page.status_code == 200
    assert "Test national group facilitator credential" in page.content.decode()
    assert "Add a framework" not in page.content.decode()
    assert client_for("coordinator").post(url, {"name": "X", "kind": "state"}).status_code == 403
    assert client_for("peer").get(url).status_code == 403


def test_a_framework_name_is_unique_in_the_organisation(world: World) -> None:
    framework = state_certification(world.programme_a)
    organisation_id = framework.organisation_id
    response = client_for("admin").post(
        f"/api/v1/organisations/{organisation_id}/certification-frameworks",
        data={"name": framework.name, "kind": "state"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"name"}
    page = client_for("leader").post(
        f"/organisations/{organisation_id}/certification-frameworks/",
        {"name": framework.name, "kind": "state", "recertification_hours": "0"},
    )
    assert page.status_code == 422
    assert "already has a framework" in page.content.decode()


def test_a_framework_is_edited_on_its_page_and_through_the_api(world: World) -> None:
    framework = state_certification(world.programme_a)
    page = client_for("leader").post(
        f"/workforce/certification-frameworks/{framework.pk}/",
        {
            "name": framework.name,
            "kind": "state",
            "validity_months": "36",
            "recertification_hours": "24",
            "is_active": "on",
        },
    )
    assert page.status_code == 302
    framework.refresh_from_db()
    assert (framework.validity_months, framework.recertification_hours) == (36, Decimal("24"))
    api = client_for("admin").patch(
        f"/api/v1/workforce/certification-frameworks/{framework.pk}",
        data={"validity_months": None, "is_active": False},
        content_type="application/json",
    )
    assert api.status_code == 200, api.content
    assert api.json()["validity_months"] is None and api.json()["is_active"] is False
    assert (
        client_for("coordinator")
        .get(f"/workforce/certification-frameworks/{framework.pk}/")
        .status_code
        == 403
    )


def test_a_framework_of_another_organisation_is_not_found(world: World) -> None:
    from peerbridge.organisations.services import organisation_create

    other = organisation_create(name="Elsewhere", slug="elsewhere-cert", created_by=None)
    framework = CertificationFramework.objects.create(
        organisation=other, name="Elsewhere credential", kind="programme"
    )
    response = client_for("leader").patch(
        f"/api/v1/workforce/certification-frameworks/{framework.pk}",
        data={"name": "Mine now"},
        content_type="application/json",
    )
    assert response.status_code == 404


# ---------------------------------------------------------------------------------------
# Decisions


def test_add_months_keeps_the_day_or_ends_the_month() -> None:
    from datetime import date

    assert add_months(date(2026, 1, 15), 24) == date(2028, 1, 15)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_certified_expires_after_the_frameworks_validity_by_default(world: World) -> None:
    profile = _active(world)
    framework = state_certification(world.programme_a)
    response = client_for("leader").post(
        f"/workforce/profiles/{profile.pk}/certification/",
        {"framework": framework.pk, "status": "certified"},
    )
    assert response.status_code == 302
    certification = Certification.objects.get(person=profile.person, framework=framework)
    today = timezone.localdate()
    assert certification.issued_on == today
    assert certification.expires_on == add_months(today, 24)
    assert certification.programme_id == world.programme_a.pk
    assert AuditEvent.objects.filter(
        action="create", object_type="workforce.certification", object_id=str(certification.pk)
    ).exists()


def test_an_expiry_before_the_issue_date_is_refused(world: World) -> None:
    profile = _active(world)
    framework = state_certification(world.programme_a)
    with pytest.raises(ValidationError) as error:
        certification_decide(
            profile=profile,
            framework=framework,
            status="certified",
            decided_by=leader(),
            issued_on=timezone.localdate(),
            expires_on=timezone.localdate() - timedelta(days=1),
        )
    assert "expires_on" in error.value.message_dict


def test_not_certified_needs_recommendations_and_the_peer_sees_them(world: World) -> None:
    profile = make_profile(world.programme_a, ready=True)
    framework = state_certification(world.programme_a)
    url = f"/workforce/profiles/{profile.pk}/certification/"
    refused = client_for("leader").post(url, {"framework": framework.pk, "status": "not_certified"})
    assert refused.status_code == 422
    assert "retake the course" in refused.content.decode()
    assert not Certification.objects.filter(person=profile.person, framework=framework).exists()
    response = client_for("leader").post(
        url,
        {
            "framework": framework.pk,
            "status": "not_certified",
            "recommendations": "Retake the course next year, with the boundaries module.",
        },
    )
    assert response.status_code == 302
    decision = Certification.objects.get(person=profile.person, framework=framework)
    assert decision.issued_on is None and decision.expires_on is None
    own = peer_client(profile).get(url)
    assert own.status_code == 200
    text = own.content.decode()
    assert "My certification" in text
    assert "Retake the course next year, with the boundaries module." in text
    assert "Record a decision" not in text
    api = peer_client(profile).get(f"/api/v1/workforce/profiles/{profile.pk}/certifications")
    assert api.status_code == 200
    assert api.json()["items"][0]["recommendations"].startswith("Retake the course")


def test_certification_is_visible_to_the_peer_themself_not_to_other_peers(world: World) -> None:
    profile = _active(world)
    _certified(profile, state_certification(world.programme_a))
    url = f"/workforce/profiles/{profile.pk}/certification/"
    assert peer_client(profile).get(url).status_code == 200
    assert peer_client(profile).post(url, {}).status_code == 403
    colleague = _active(world)
    assert peer_client(colleague).get(url).status_code == 404
    assert client_for("peer_other").get(url).status_code == 404
    assert client_for("coordinator").get(url).status_code == 200
    assert client_for("coordinator").post(url, {}).status_code == 403


def test_the_api_records_a_decision_with_201(world: World) -> None:
    profile = _active(world)
    framework = state_certification(world.programme_a)
    response = client_for("leader").post(
        f"/api/v1/workforce/profiles/{profile.pk}/certifications",
        data={"framework_id": framework.pk, "status": "certified", "issued_on": "2026-01-10"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["expires_on"] == "2028-01-10"
    missing = client_for("leader").post(
        f"/api/v1/workforce/profiles/{profile.pk}/certifications",
        data={"framework_id": framework.pk, "status": "not_certified"},
        content_type="application/json",
    )
    assert missing.status_code == 422
    assert set(missing.json()["error"]["fields"]) == {"recommendations"}


# ---------------------------------------------------------------------------------------
# Decertification and appeals


def test_decertification_stops_new_matches_at_once_and_flags_current_work(
    world: World,
) -> None:
    profile = _active(world)
    hold_match(profile)
    elsewhere = make_profile(world.programme_b, ready=True, status=ACTIVE, person=profile.person)
    hold_match(elsewhere)
    idle = make_profile(world.programme_a, ready=True, status=ACTIVE)
    third = Programme.objects.exclude(pk__in=[world.programme_a.pk, world.programme_b.pk]).first()
    assert third is not None
    own_idle = make_profile(third, person=profile.person)  # holds no work
    certification = _certified(profile, state_certification(world.programme_a))
    supervisor = persona_user("supervisor")
    assert supervisor is not None
    session = record_session(world.programme_a, supervisor, [profile])
    assert reasons_for_match(profile) == set()

    page = client_for("leader").get(f"/workforce/certifications/{certification.pk}/decertify/")
    assert page.status_code == 200 and str(timezone.localdate()) in page.content.decode()
    response = client_for("leader").post(
        f"/workforce/certifications/{certification.pk}/decertify/",
        {
            "reason": "Repeated boundary incidents after supervision.",
            "evidence": "Incidents 12 and 14; fidelity observation in March.",
            "supervision_sessions": [session.pk],
            "effective_on": str(timezone.localdate()),
        },
    )
    assert response.status_code == 302
    certification.refresh_from_db()
    assert certification.status == Certification.Status.DECERTIFIED
    decertification = certification.decertification
    assert list(decertification.supervision_sessions.all()) == [session]
    assert reasons_for_match(profile) == {"decertified"}
    assert may_facilitate_group(profile)[0] is False
    with pytest.raises(CapacityRefused):
        hold_match(profile)
    flagged = WorkforceAlert.objects.filter(
        kind=WorkforceAlert.Kind.MATCHES_REVIEW, resolved_at__isnull=True
    )
    assert set(flagged.values_list("profile_id", flat=True)) >= {profile.pk, elsewhere.pk}
    assert not flagged.filter(profile__in=[idle, own_idle]).exists()
    assert standing(profile).needs_cover
    assert AuditEvent.objects.filter(
        action="create", object_type="workforce.decertification", object_id=str(decertification.pk)
    ).exists()
    eligibility = client_for("coordinator").get(
        f"/api/v1/workforce/profiles/{profile.pk}/eligibility"
    )
    assert {r["reason"] for r in eligibility.json()["match_reasons"]} == {"decertified"}


def test_decertification_from_a_later_date_stops_work_from_that_date(world: World) -> None:
    profile = _active(world)
    certification = _certified(profile, state_certification(world.programme_a))
    later = timezone.localdate() + timedelta(days=7)
    decertify(
        certification=certification,
        decided_by=leader(),
        reason="Leaving the state register.",
        effective_on=later,
    )
    assert reasons_for_match(profile) == set()
    assert {b.reason for b in standing(profile, on=later).match_blockers} == {"decertified"}


def test_decertification_links_only_that_peers_sessions(world: World) -> None:
    profile = _active(world)
    other = _active(world)
    supervisor = persona_user("supervisor")
    assert supervisor is not None
    theirs = record_session(world.programme_a, supervisor, [other])
    certification = _certified(profile, state_certification(world.programme_a))
    with pytest.raises(ValidationError) as error:
        decertify(
            certification=certification,
            decided_by=leader(),
            reason="Boundaries.",
            supervision_sessions=[theirs],
        )
    assert "supervision_sessions" in error.value.message_dict
    response = client_for("leader").post(
        f"/api/v1/workforce/certifications/{certification.pk}/decertification",
        data={"reason": "Boundaries.", "supervision_session_ids": [theirs.pk]},
        content_type="application/json",
    )
    assert response.status_code == 422
    certification.refresh_from_db()
    assert certification.status == Certification.Status.CERTIFIED


def test_a_granted_appeal_restores_the_certification(world: World) -> None:
    profile = _active(world)
    hold_match(profile)
    certification = _certified(profile, state_certification(world.programme_a))
    decertify(certification=certification, decided_by=leader(), reason="Boundaries.")
    assert reasons_for_match(profile) == {"decertified"}

    peer = peer_client(profile)
    page = peer.get(f"/workforce/profiles/{profile.pk}/certification/").content.decode()
    assert "Boundaries." in page and "Appeal this decision" in page
    lodged = peer.post(
        f"/workforce/certifications/{certification.pk}/appeal/",
        {"step": "lodge", "notes": "The incidents were misread; my supervisor agrees."},
    )
    assert lodged.status_code == 302
    assert (
        peer.post(
            f"/workforce/certifications/{certification.pk}/appeal/",
            {"step": "decide", "outcome": "overturned"},
        ).status_code
        == 403
    )
    assert reasons_for_match(profile) == {"decertified"}  # still stopped while it is heard

    response = client_for("leader").post(
        f"/api/v1/workforce/certifications/{certification.pk}/appeal",
        data={"step": "decide", "outcome": "overturned", "notes": "Evidence re-read."},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "certified"
    assert response.json()["decertification"]["appeal"] == "overturned"
    certification.refresh_from_db()
    assert certification.status == Certification.Status.CERTIFIED
    assert reasons_for_match(profile) == set()
    assert not WorkforceAlert.objects.filter(
        profile=profile, kind=WorkforceAlert.Kind.MATCHES_REVIEW, resolved_at__isnull=True
    ).exists()


def test_a_refused_appeal_keeps_the_decertification(world: World) -> None:
    profile = _active(world)
    certification = _certified(profile, state_certification(world.programme_a))
    decertify(certification=certification, decided_by=leader(), reason="Boundaries.")
    appeal_lodge(certification=certification, lodged_by=leader(), grounds="On their behalf.")
    decision = appeal_decide(certification=certification, decided_by=leader(), outcome="upheld")
    assert decision.appeal == Decertification.Appeal.UPHELD
    assert reasons_for_match(profile) == {"decertified"}
    with pytest.raises(ValidationError):
        appeal_lodge(certification=certification, lodged_by=leader())


def test_a_restored_certification_can_be_withdrawn_again(world: World) -> None:
    profile = _active(world)
    certification = _certified(profile, state_certification(world.programme_a))
    decertify(certification=certification, decided_by=leader(), reason="First.")
    appeal_lodge(certification=certification, lodged_by=leader())
    appeal_decide(certification=certification, decided_by=leader(), outcome="overturned")
    assert reasons_for_match(profile) == set()
    again = decertify(certification=certification, decided_by=leader(), reason="Second.")
    assert again.certification_id != certification.pk
    assert reasons_for_match(profile) == {"decertified"}
    with pytest.raises(ValidationError):
        decertify(certification=certification, decided_by=leader(), reason="Third.")


def test_only_a_current_certification_is_withdrawn(world: World) -> None:
    profile = make_profile(world.programme_a, ready=True)
    decision = certification_decide(
        profile=profile,
        framework=state_certification(world.programme_a),
        status="not_certified",
        decided_by=leader(),
        recommendations="Retake the course next year.",
    )
    response = client_for("leader").post(
        f"/workforce/certifications/{decision.pk}/decertify/", {"reason": "x"}
    )
    assert response.status_code == 422


# ---------------------------------------------------------------------------------------
# Expiry


def test_an_expired_certification_stops_new_matches_through_the_eligibility_service(
    world: World,
) -> None:
    framework = state_certification(world.programme_a)
    rules = workforce_settings(world.programme_a)
    rules.required_framework = framework
    rules.save()
    profile = _active(world)  # ready=True certifies under the required framework
    latest = Certification.objects.filter(person=profile.person, framework=framework).first()
    assert latest is not None
    latest.expires_on = timezone.localdate() + timedelta(days=10)
    latest.save()
    assert reasons_for_match(profile) == set()
    with time_machine.travel(timezone.now() + timedelta(days=10), tick=False):
        assert reasons_for_match(profile) == set()  # valid through its last day
    with time_machine.travel(timezone.now() + timedelta(days=11), tick=False):
        assert reasons_for_match(profile) == {"uncertified"}
        assert may_facilitate_group(profile)[0] is False
        with pytest.raises(CapacityRefused):
            hold_match(profile)


def test_the_daily_scan_flags_the_work_of_a_peer_whose_certification_expired(
    world: World,
) -> None:
    framework = state_certification(world.programme_a)
    rules = workforce_settings(world.programme_a)
    rules.required_framework = framework
    rules.save()
    working, idle = _active(world), _active(world)
    hold_match(working)
    for profile in (working, idle):
        Certification.objects.filter(person=profile.person, framework=framework).update(
            expires_on=timezone.localdate() - timedelta(days=1)
        )
    created = flag_expired_work()
    assert [alert.profile_id for alert in created if alert.profile_id in (working.pk, idle.pk)] == [
        working.pk
    ]
    assert created[0].kind == WorkforceAlert.Kind.MATCHES_REVIEW
    assert not [a for a in flag_expired_work() if a.profile_id == working.pk]  # idempotent


def _attend(profile: PeerProfile, hours: str, days_ago: int) -> None:
    module = TrainingModule.objects.create(
        programme=profile.programme,
        title=f"Test continuing {profile.pk}-{days_ago}",
        required=False,
        hours=Decimal(hours),
    )
    session = TrainingSession.objects.create(
        module=module,
        starts_at=timezone.now() - timedelta(days=days_ago),
        trainer="Test trainer",
        modality="video",
    )
    TrainingAttendance.objects.create(session=session, person=profile.person, hours=Decimal(hours))


def test_the_expiry_page_lists_expiring_expired_decertified_and_not_certified(
    world: World, django_assert_max_num_queries: object
) -> None:
    framework = state_certification(world.programme_a)
    today = timezone.localdate()
    # In training (no training hours of their own yet), whatever the demo requires.
    expiring, expired, withdrawn, declined = (make_profile(world.programme_a) for _ in range(4))
    soon = _certified(expiring, framework)
    soon.issued_on, soon.expires_on = today - timedelta(days=700), today + timedelta(days=30)
    soon.save()
    _attend(expiring, "5.5", days_ago=100)
    _attend(expiring, "9", days_ago=800)  # before the issue date: does not count
    gone = _certified(expired, framework)
    gone.issued_on, gone.expires_on = today - timedelta(days=800), today - timedelta(days=3)
    gone.save()
    decertify(certification=_certified(withdrawn, framework), decided_by=leader(), reason="x")
    certification_decide(
        profile=declined,
        framework=framework,
        status="not_certified",
        decided_by=leader(),
        recommendations="Retake the course next year.",
    )
    url = f"/programmes/{world.programme_a.pk}/workforce/certification/"
    client = client_for("coordinator")
    with django_assert_max_num_queries(15):  # type: ignore[operator]
        page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    for profile in (expiring, expired, withdrawn, declined):
        assert str(profile.person) in text
    assert "5.5 of 20.0 hours" in text and "Short of hours" in text
    assert "in 30 days" in text
    assert "No appeal" in text
    assert "Retake the course next year." in text
    assert AuditEvent.objects.filter(
        action="read", object_type="people.person", object_id=str(expired.person_id)
    ).exists()
    assert client_for("peer").get(url).status_code == 403


def test_the_daily_scan_command_flags_held_work_once(world: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    from peerbridge.workforce.capacity import capacity_reserve
    from peerbridge.workforce.models import CertificationFramework, WorkforceAlert
    from peerbridge.workforce.selectors import workforce_settings
    from tests.workforce.world import certify, make_profile

    framework = CertificationFramework.objects.create(
        organisation=world.programme_a.site.organisation, name="Scan credential", kind="state"
    )
    rules = workforce_settings(world.programme_a)
    rules.required_framework = framework
    rules.save()
    profile = make_profile(world.programme_a, ready=True, status="active")
    certificate = certify(profile, framework)
    capacity_reserve(profile=profile, kind="match", reference="match:scan", actor=None)
    certificate.expires_on = timezone.localdate() - timedelta(days=1)
    certificate.save()

    def scan() -> str:
        out = StringIO()
        call_command("workforce-scan", stdout=out)
        return out.getvalue()

    assert "Raised" in scan()
    assert (
        WorkforceAlert.objects.filter(
            profile=profile, kind="matches_review", resolved_at__isnull=True
        ).count()
        == 1
    )
    assert "Raised 0 " in scan()


# ---------------------------------------------------------------------------------------
# Another programme's decisions


SECRETS = ("Secret boundary reason.", "Secret incident evidence.", "Secret appeal grounds.")


def _decertified_in_a_required_by_b(world: World) -> tuple[PeerProfile, Certification, object]:
    """A person decertified in programme A under the framework programme B requires,
    with a profile in B too."""
    from peerbridge.workforce.services import settings_update

    framework = state_certification(world.programme_a)
    settings_update(programme=world.programme_b, actor=None, required_framework=framework)
    in_a = _active(world)
    supervisor = persona_user("supervisor")
    assert supervisor is not None
    session = record_session(world.programme_a, supervisor, [in_a])
    certification = _certified(in_a, framework)
    decertify(
        certification=certification,
        decided_by=leader(),
        reason=SECRETS[0],
        evidence=SECRETS[1],
        supervision_sessions=[session],
    )
    appeal_lodge(certification=certification, lodged_by=leader(), grounds=SECRETS[2])
    in_b = make_profile(world.programme_b, person=in_a.person)
    return in_b, certification, session


def test_another_programmes_decertification_shows_only_what_eligibility_reads(
    world: World,
) -> None:
    from peerbridge.organisations.roles import Role
    from tests.workforce.world_supervision import signed_in, staff_user

    in_b, certification, session = _decertified_in_a_required_by_b(world)
    page_url = f"/workforce/profiles/{in_b.pk}/certification/"
    api_url = f"/api/v1/workforce/profiles/{in_b.pk}/certifications"
    for role in (Role.COORDINATOR, Role.PROGRAMME_LEADER):
        client = signed_in(staff_user(world.programme_b, role))
        page = client.get(page_url)
        assert page.status_code == 200
        text = page.content.decode()
        assert certification.framework.name in text and "Withdrawn from" in text
        assert "Decided in another programme" in text
        assert not any(secret in text for secret in SECRETS)
        assert f"/workforce/supervision/{session.pk}/" not in text
        assert f"/workforce/certifications/{certification.pk}/" not in text  # no forms
        api = client.get(api_url)
        assert api.status_code == 200
        row = next(item for item in api.json()["items"] if item["id"] == certification.pk)
        assert not any(secret in api.content.decode() for secret in SECRETS)
        assert row["detail"] is False and row["programme_id"] is None
        assert row["status"] == "decertified"
        assert row["decertification"]["effective_on"] == str(timezone.localdate())
        assert row["decertification"]["reason"] is None
        assert row["decertification"]["supervision_session_ids"] is None
        assert row["decertification"]["appeal_notes"] is None
    # An admin certifies in programme A too: the whole decision, with its forms.
    text = client_for("admin").get(page_url).content.decode()
    assert all(secret in text for secret in SECRETS)
    assert f"/workforce/certifications/{certification.pk}/appeal/" in text
    row = client_for("admin").get(api_url).json()["items"][0]
    assert row["detail"] is True and row["decertification"]["evidence"] == SECRETS[1]
    assert row["decertification"]["supervision_session_ids"] == [session.pk]


def test_a_leader_of_the_peers_programme_only_decides_there(world: World) -> None:
    """Leader of B, reading B's page: may record B's decisions but not decertify or
    decide appeals on programme A's rows."""
    from peerbridge.organisations.roles import Role
    from tests.workforce.world_supervision import signed_in, staff_user

    in_b, certification, _session = _decertified_in_a_required_by_b(world)
    client = signed_in(staff_user(world.programme_b, Role.PROGRAMME_LEADER))
    text = client.get(f"/workforce/profiles/{in_b.pk}/certification/").content.decode()
    assert "Record a decision" in text and "Decide the appeal" not in text
    refused = client.post(
        f"/workforce/certifications/{certification.pk}/appeal/",
        {"step": "decide", "outcome": "overturned"},
    )
    assert refused.status_code == 404
    api = client.post(
        f"/api/v1/workforce/certifications/{certification.pk}/appeal",
        data={"step": "decide", "outcome": "overturned"},
        content_type="application/json",
    )
    assert api.status_code == 404


# ---------------------------------------------------------------------------------------
# Dates out of range


def test_dates_out_of_range_are_refused_with_422_not_a_crash(world: World) -> None:
    profile = _active(world)
    framework = state_certification(world.programme_a)
    page_url = f"/workforce/profiles/{profile.pk}/certification/"
    api_url = f"/api/v1/workforce/profiles/{profile.pk}/certifications"
    for field, value in (
        ("issued_on", "9999-06-01"),
        ("issued_on", "1899-01-01"),
        ("expires_on", "9999-12-31"),
    ):
        body = {"framework": framework.pk, "status": "certified", field: value}
        page = client_for("leader").post(page_url, body)
        assert page.status_code == 422, (field, value)
        assert "Give a date between" in page.content.decode()
        api = client_for("leader").post(
            api_url,
            data={"framework_id": framework.pk, "status": "certified", field: value},
            content_type="application/json",
        )
        assert api.status_code == 422, (field, value, api.content)
        assert set(api.json()["error"]["fields"]) == {field}
    assert not Certification.objects.filter(person=profile.person, framework=framework).exists()

    certification = _certified(profile, framework)
    page = client_for("leader").post(
        f"/workforce/certifications/{certification.pk}/decertify/",
        {"reason": "Boundaries.", "effective_on": "9999-12-31"},
    )
    assert page.status_code == 422
    api = client_for("leader").post(
        f"/api/v1/workforce/certifications/{certification.pk}/decertification",
        data={"reason": "Boundaries.", "effective_on": "9999-12-31"},
        content_type="application/json",
    )
    assert api.status_code == 422
    assert set(api.json()["error"]["fields"]) == {"effective_on"}
    certification.refresh_from_db()
    assert certification.status == Certification.Status.CERTIFIED


# ---------------------------------------------------------------------------------------
# Leaders do not decide about themselves


def test_a_leader_cannot_decide_about_their_own_certification(world: World) -> None:
    from tests.workforce.world_supervision import leader_who_is_a_peer, signed_in

    profile = leader_who_is_a_peer(world.programme_a)
    user = profile.person.user
    assert user is not None
    framework = state_certification(world.programme_a)
    with pytest.raises(ValidationError, match="your own certification"):
        certification_decide(
            profile=profile, framework=framework, status="certified", decided_by=user
        )
    client = signed_in(user)
    page_url = f"/workforce/profiles/{profile.pk}/certification/"
    own_page = client.get(page_url)
    assert own_page.status_code == 200 and "Record a decision" not in own_page.content.decode()
    assert (
        client.post(page_url, {"framework": framework.pk, "status": "certified"}).status_code == 403
    )
    api = client.post(
        f"/api/v1/workforce/profiles/{profile.pk}/certifications",
        data={"framework_id": framework.pk, "status": "certified"},
        content_type="application/json",
    )
    assert api.status_code == 422
    assert not Certification.objects.filter(person=profile.person, framework=framework).exists()

    certification = _certified(profile, framework)  # by another leader
    with pytest.raises(ValidationError, match="your own certification"):
        decertify(certification=certification, decided_by=user, reason="Covering myself.")
    decertify(certification=certification, decided_by=leader(), reason="Boundaries.")
    text = client.get(page_url).content.decode()
    assert "Appeal this decision" in text and "Decertify" not in text
    appeal_lodge(certification=certification, lodged_by=user, grounds="I disagree.")
    assert "Decide the appeal" not in client.get(page_url).content.decode()
    with pytest.raises(ValidationError, match="your own certification"):
        appeal_decide(certification=certification, decided_by=user, outcome="overturned")
    refused = client.post(
        f"/api/v1/workforce/certifications/{certification.pk}/appeal",
        data={"step": "decide", "outcome": "overturned"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    certification.refresh_from_db()
    assert certification.status == Certification.Status.DECERTIFIED


# ---------------------------------------------------------------------------------------
# The overview reads the eligibility service; alerts go through alert_raise


def test_a_decertification_shows_on_the_overview_from_its_effective_date(world: World) -> None:
    from peerbridge.workforce.certification_expiry import certification_overview

    profile = _active(world)
    certification = _certified(profile, state_certification(world.programme_a))
    later = timezone.localdate() + timedelta(days=7)
    decertify(certification=certification, decided_by=leader(), reason="x", effective_on=later)

    def decertified(on: object) -> set[int]:
        overview = certification_overview(user=leader(), programme=world.programme_a, on=on)
        return {row.certification.pk for row in overview.decertified}

    assert certification.pk not in decertified(timezone.localdate())
    assert certification.pk in decertified(later)


def test_a_decertification_joins_an_open_review_alert_instead_of_failing(world: World) -> None:
    from peerbridge.workforce.services import alert_raise

    profile = _active(world)
    hold_match(profile)
    already = alert_raise(profile=profile, kind=WorkforceAlert.Kind.MATCHES_REVIEW, detail="x")
    certification = _certified(profile, state_certification(world.programme_a))
    decertify(certification=certification, decided_by=leader(), reason="Boundaries.")
    open_alerts = WorkforceAlert.objects.filter(
        profile=profile, kind=WorkforceAlert.Kind.MATCHES_REVIEW, resolved_at__isnull=True
    )
    assert list(open_alerts) == [already]
    Certification.objects.filter(pk=certification.pk).update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    assert not [a for a in flag_expired_work() if a.profile_id == profile.pk]
    assert open_alerts.count() == 1
