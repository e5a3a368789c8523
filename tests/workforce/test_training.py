"""Training: the seeded curriculum, the gate (required modules, competency checks and
agreements before any match), sessions and attendance, ongoing training hours with
overdue flags, staff training, the pages and the API."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.workforce.curriculum_seed import seed_agreements, seed_curriculum
from peerbridge.workforce.eligibility import Reason, standing
from peerbridge.workforce.models import (
    AgreementText,
    Competency,
    CompetencyCheck,
    PeerProfile,
    TrainingAttendance,
    TrainingModule,
    TrainingSession,
)
from peerbridge.workforce.services import profile_activate, settings_update
from peerbridge.workforce.training import (
    attendance_record,
    attendance_save_roster,
    competency_check_record,
    module_create,
    module_update,
    session_schedule,
)
from peerbridge.workforce.training_selectors import session_roster
from tests.conftest import World, client_for
from tests.workforce.world import make_profile
from tests.workforce.world_training import (
    attend_required_modules,
    held_session,
    pass_required_competencies,
    peer_client,
    sign_everything,
    staff,
)

pytestmark = pytest.mark.django_db


def _reasons(profile: PeerProfile) -> set[str]:
    return {b.reason.value for b in standing(profile).common_blockers}


def _optional_module(world: World, title: str = "Optional test module") -> TrainingModule:
    return module_create(
        programme=world.programme_a,
        actor=staff("coordinator"),
        title=title,
        hours=Decimal("2"),
        required=False,
    )


# ---------------------------------------------------------------------------------------
# The seeded curriculum


def test_seed_is_idempotent_and_complete(world: World) -> None:
    programme = world.programme_b
    seed_curriculum(programme)
    seed_agreements(programme)
    counts = (
        TrainingModule.objects.filter(programme=programme).count(),
        Competency.objects.filter(programme=programme).count(),
        AgreementText.objects.filter(programme=programme).count(),
    )
    seed_curriculum(programme)
    seed_agreements(programme)
    assert counts == (
        TrainingModule.objects.filter(programme=programme).count(),
        Competency.objects.filter(programme=programme).count(),
        AgreementText.objects.filter(programme=programme).count(),
    )
    modules = list(TrainingModule.objects.filter(programme=programme, audience="peers"))
    titles = [m.title for m in modules if m.required]
    for topic in (
        "Active listening",
        "Psychological first aid",
        "Referrals",
        "Boundaries and disclosure",
        "Confidentiality and documentation",
        "Risk assessment",
        "Cultural safety",
    ):
        assert any(title.startswith(topic) for title in titles), topic
    assert titles.index("Active listening") < titles.index("Cultural safety")
    assert any(not m.required for m in modules)
    assert all(m.objectives and m.hours > 0 for m in modules)
    assert TrainingModule.objects.filter(programme=programme, audience="staff").exists()
    required = set(
        Competency.objects.filter(programme=programme, required=True).values_list("name", flat=True)
    )
    assert {
        "Listening role-play",
        "Recognising risk and escalating",
        "Boundaries and safe disclosure",
    } <= required


# ---------------------------------------------------------------------------------------
# The gate


def test_the_gate_opens_only_after_modules_competencies_and_agreements(world: World) -> None:
    programme = world.programme_a
    seed_curriculum(programme)
    seed_agreements(programme)
    profile = make_profile(programme)
    assert {Reason.UNTRAINED, Reason.AGREEMENTS_UNSIGNED} <= _reasons(profile)

    attend_required_modules(profile)
    found = standing(profile)
    assert found.missing_modules == ()
    assert found.missing_competencies  # competency checks still to pass
    assert Reason.UNTRAINED in _reasons(profile)

    pass_required_competencies(profile)
    assert standing(profile).trained
    assert Reason.UNTRAINED not in _reasons(profile)
    assert Reason.AGREEMENTS_UNSIGNED in _reasons(profile)

    sign_everything(profile)
    reasons = _reasons(profile)
    assert Reason.UNTRAINED not in reasons and Reason.AGREEMENTS_UNSIGNED not in reasons


def test_a_not_yet_check_after_a_pass_keeps_the_gate_closed(world: World) -> None:
    programme = world.programme_a
    seed_curriculum(programme)
    profile = make_profile(programme)
    pass_required_competencies(profile)
    listening = Competency.objects.get(programme=programme, name="Listening role-play")
    competency_check_record(
        profile=profile,
        competency=listening,
        actor=staff("supervisor"),
        result=CompetencyCheck.Result.NOT_YET,
        evidence="Gave advice instead of listening.",
    )
    assert "Listening role-play" in standing(profile).missing_competencies


def test_a_retired_module_is_no_longer_required(world: World) -> None:
    profile = make_profile(world.programme_a)
    module = module_create(
        programme=world.programme_a, actor=None, title="Retiring soon", required=True
    )
    assert "Retiring soon" in standing(profile).missing_modules
    module = module_update(module=module, actor=staff("coordinator"), is_active=False)
    assert "Retiring soon" not in standing(profile).missing_modules
    with pytest.raises(ValidationError) as refused:
        held_session(module)
    assert "module" in refused.value.message_dict


def test_competency_checks_need_evidence_and_another_assessor(world: World) -> None:
    seed_curriculum(world.programme_a)
    profile = make_profile(world.programme_a)
    competency = Competency.objects.get(programme=world.programme_a, name="Listening role-play")
    with pytest.raises(ValidationError) as blank:
        competency_check_record(
            profile=profile,
            competency=competency,
            actor=staff("supervisor"),
            result="passed",
            evidence="  ",
        )
    assert "evidence" in blank.value.message_dict
    assert profile.person.user is not None
    with pytest.raises(ValidationError):
        competency_check_record(
            profile=profile,
            competency=competency,
            actor=profile.person.user,
            result="passed",
            evidence="I did well.",
        )
    other = Competency.objects.create(programme=world.programme_b, name="Elsewhere")
    with pytest.raises(ValidationError) as wrong:
        competency_check_record(
            profile=profile,
            competency=other,
            actor=staff("supervisor"),
            result="passed",
            evidence="Seen.",
        )
    assert "competency" in wrong.value.message_dict


# ---------------------------------------------------------------------------------------
# Attendance


def test_attendance_defaults_to_the_sessions_hours_and_can_be_corrected(world: World) -> None:
    module = _optional_module(world)
    session = held_session(module, hours=Decimal("1.5"))
    profile = make_profile(world.programme_a)
    rows = attendance_record(
        session=session, actor=staff("coordinator"), person_ids=[profile.person_id]
    )
    assert [(r.attended, r.hours) for r in rows] == [(True, Decimal("1.5"))]
    assert AuditEvent.objects.filter(
        object_type="workforce.trainingattendance", object_id=str(rows[0].pk), action="create"
    ).exists()
    attendance_save_roster(session=session, actor=staff("coordinator"), present=[])
    row = TrainingAttendance.objects.get(session=session, person=profile.person)
    assert (row.attended, row.hours) == (False, Decimal("0"))


def test_attendance_refuses_people_not_expected_and_sessions_not_yet_held(world: World) -> None:
    module = _optional_module(world)
    peer = make_profile(world.programme_a)
    stranger = make_profile(world.programme_b)
    past = held_session(module)
    with pytest.raises(ValidationError) as unknown:
        attendance_record(session=past, actor=None, person_ids=[stranger.person_id])
    assert "person_ids" in unknown.value.message_dict
    future = session_schedule(
        module=module,
        actor=None,
        starts_at=timezone.now() + timedelta(days=7),
        trainer="Trainer",
        modality="video",
    )
    with pytest.raises(ValidationError) as early:
        attendance_record(session=future, actor=None, person_ids=[peer.person_id])
    assert "session" in early.value.message_dict
    assert not TrainingAttendance.objects.filter(person__in=[peer.person, stranger.person]).exists()


def test_the_attendance_screen_lists_peers_and_saves_ticks(
    world: World, django_assert_max_num_queries: Any
) -> None:
    module = _optional_module(world)
    session = held_session(module)
    training, active = make_profile(world.programme_a), make_profile(world.programme_a)
    active.status = PeerProfile.Status.ACTIVE
    active.save(update_fields=["status"])
    left = make_profile(world.programme_a)
    left.status = PeerProfile.Status.LEFT
    left.save(update_fields=["status"])
    url = reverse("workforce:training_session", args=[session.pk])
    client = client_for("coordinator")

    with django_assert_max_num_queries(40) as few:
        page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert str(training.person) in html and str(active.person) in html
    assert f'value="{left.person_id}"' not in html
    for _extra in range(4):
        make_profile(world.programme_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200

    saved = client.post(url, {"present": [training.person_id, active.person_id]})
    assert saved.status_code == 302
    rows = TrainingAttendance.objects.filter(session=session)
    assert {(r.person_id, r.attended, r.hours) for r in rows} == {
        (training.person_id, True, module.hours),
        (active.person_id, True, module.hours),
    }
    refused = client.post(url, {"present": [left.person_id]})
    assert refused.status_code == 422


def test_staff_modules_list_staff_and_record_their_training(world: World) -> None:
    module = module_create(
        programme=world.programme_a,
        actor=None,
        title="Working with peers (test)",
        audience=TrainingModule.Audience.STAFF,
    )
    session = held_session(module)
    roster = session_roster(user=staff("coordinator"), session=session)
    listed = {row.person.user_id for row in roster}
    assert {staff("coordinator").pk, staff("supervisor").pk, staff("leader").pk} <= listed
    peer = make_profile(world.programme_a)
    assert peer.person.user_id not in listed
    coordinator_person = staff("coordinator").person
    attendance_record(session=session, actor=staff("leader"), person_ids=[coordinator_person.pk])
    with pytest.raises(ValidationError):
        attendance_record(session=session, actor=None, person_ids=[peer.person_id])

    page = client_for("supervisor").get(
        reverse("workforce:training_overdue", args=[world.programme_a.pk])
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "Working with peers (test)" in html
    assert timezone.localdate(session.starts_at).strftime("%-d %b %Y") in html


# ---------------------------------------------------------------------------------------
# Ongoing training


def test_ongoing_hours_overdue_flips_with_a_session_inside_the_period(world: World) -> None:
    settings_update(
        programme=world.programme_a,
        actor=None,
        ongoing_training_hours=Decimal("4"),
        ongoing_training_period_days=90,
    )
    profile = make_profile(world.programme_a, status=PeerProfile.Status.ACTIVE)
    module = _optional_module(world, "Refresher: motivational interviewing")
    assert standing(profile).ongoing_training_overdue

    long_ago = held_session(module, days_ago=120, hours=Decimal("4"))
    attendance_record(session=long_ago, actor=None, person_ids=[profile.person_id])
    assert standing(profile).ongoing_training_overdue  # outside the period

    recent = held_session(module, days_ago=10, hours=Decimal("4"))
    attendance_record(session=recent, actor=None, person_ids=[profile.person_id])
    found = standing(profile)
    assert not found.ongoing_training_overdue
    assert found.training_hours_in_period == Decimal("4")


def test_the_overdue_page_lists_behind_peers_in_fixed_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    settings_update(programme=world.programme_a, actor=None, ongoing_training_hours=Decimal("900"))
    behind = make_profile(world.programme_a, status=PeerProfile.Status.ACTIVE)
    url = reverse("workforce:training_overdue", args=[world.programme_a.pk])
    client = client_for("coordinator")
    with django_assert_max_num_queries(40) as few:
        page = client.get(url)
    assert str(behind.person) in page.content.decode()
    for _extra in range(4):
        make_profile(world.programme_a, status=PeerProfile.Status.ACTIVE)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


# ---------------------------------------------------------------------------------------
# Pages


def test_coordinators_build_the_curriculum_and_schedule_sessions(world: World) -> None:
    client = client_for("coordinator")
    url = reverse("workforce:training", args=[world.programme_a.pk])
    added = client.post(
        url,
        {
            "title": "Grief and loss",
            "objectives": "Sit with grief.",
            "hours": "2.5",
            "required": "",
            "audience": "peers",
        },
    )
    assert added.status_code == 302
    module = TrainingModule.objects.get(programme=world.programme_a, title="Grief and loss")
    assert not module.required and module.hours == Decimal("2.5")
    duplicate = client.post(url, {"title": "grief and loss", "hours": "1", "audience": "peers"})
    assert duplicate.status_code == 422

    schedule = reverse("workforce:training_session_new", args=[module.pk])
    when = (timezone.localtime() + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M")
    scheduled = client.post(
        schedule,
        {
            "starts_at": when,
            "trainer": "Sam",
            "modality": "video",
            "location": "https://meet.example.org/x",
        },
    )
    assert scheduled.status_code == 302
    assert TrainingSession.objects.filter(module=module, trainer="Sam").exists()
    listing = client_for("supervisor").get(url).content.decode()
    assert "Grief and loss" in listing and "Sam" in listing
    assert client_for("supervisor").post(url, {"title": "X"}).status_code == 403

    edit = reverse("workforce:training_module", args=[module.pk])
    assert client.get(edit).status_code == 200
    retired = client.post(
        edit, {"title": "Grief and loss", "hours": "2.5", "audience": "peers", "order": "3"}
    )
    assert retired.status_code == 302
    module.refresh_from_db()
    assert not module.is_active and module.order == 3


@pytest.mark.parametrize(
    "starts_at",
    [
        "9999-12-31T23:00-05:00",  # past the calendar's end once stored in UTC
        "0001-01-01T01:00+05:00",  # before its start
        "9999-12-31T23:59",
        "2999-06-01T10:00",
    ],
)
def test_a_session_starts_within_five_years_on_the_page_and_the_api(
    world: World, starts_at: str
) -> None:
    module = _optional_module(world)
    client = client_for("coordinator")
    page = client.post(
        reverse("workforce:training_session_new", args=[module.pk]),
        {"starts_at": starts_at, "trainer": "Sam", "modality": "video"},
    )
    assert page.status_code == 422
    assert "within five years" in page.content.decode()
    api = _post(
        client,
        f"/api/v1/workforce/modules/{module.pk}/sessions",
        {"starts_at": starts_at, "trainer": "Sam", "modality": "video"},
    )
    assert api.status_code == 422
    assert set(api.json()["error"]["fields"]) == {"starts_at"}
    assert not TrainingSession.objects.filter(module=module).exists()


def test_the_service_bounds_a_sessions_start_either_way(world: World) -> None:
    module = _optional_module(world)
    now = timezone.now()
    for far in (now + timedelta(days=6 * 365), now - timedelta(days=6 * 365)):
        with pytest.raises(ValidationError) as refused:
            session_schedule(
                module=module, actor=None, starts_at=far, trainer="Sam", modality="video"
            )
        assert "starts_at" in refused.value.message_dict
    for near in (now + timedelta(days=4 * 365), now - timedelta(days=4 * 365)):
        assert session_schedule(
            module=module, actor=None, starts_at=near, trainer="Sam", modality="video"
        ).pk


def test_a_peer_reads_their_own_training_record_and_an_assessor_records_a_check(
    world: World,
) -> None:
    seed_curriculum(world.programme_a)
    profile = make_profile(world.programme_a)
    url = reverse("workforce:profile_training", args=[profile.pk])
    mine = peer_client(profile)
    page = mine.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your training" in html and "Still to do:" in html
    assert "Record a competency check" not in html
    competency = Competency.objects.get(programme=world.programme_a, name="Listening role-play")
    data = {"competency": competency.pk, "result": "passed", "evidence": "Reflected feelings."}
    assert mine.post(url, data).status_code == 403

    supervisor = client_for("supervisor")
    assert supervisor.post(url, {**data, "evidence": ""}).status_code == 422
    assert supervisor.post(url, data).status_code == 302
    check = CompetencyCheck.objects.get(profile=profile)
    assert check.evidence == "Reflected feelings."
    assert "Listening role-play" not in standing(profile).missing_competencies


def test_competencies_page_adds_a_competency(world: World) -> None:
    url = reverse("workforce:competencies", args=[world.programme_a.pk])
    assert client_for("supervisor").post(url, {"name": "Group facilitation"}).status_code == 403
    assert client_for("coordinator").post(url, {"name": "Group facilitation"}).status_code == 302
    assert Competency.objects.filter(
        programme=world.programme_a, name="Group facilitation"
    ).exists()
    assert "Group facilitation" in client_for("supervisor").get(url).content.decode()


# ---------------------------------------------------------------------------------------
# API


def _post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_api_curriculum_sessions_attendance_and_record(world: World) -> None:
    seed_curriculum(world.programme_a)
    seed_agreements(world.programme_a)
    coordinator = client_for("coordinator")
    base = f"/api/v1/programmes/{world.programme_a.pk}/workforce/modules"
    created = _post(coordinator, base, {"title": "API module", "hours": "1.5", "required": False})
    assert created.status_code == 201, created.content
    module_id = created.json()["id"]
    listed = coordinator.get(base).json()
    assert listed["count"] >= 10 and {"items", "page", "page_size"} <= set(listed)

    patched = coordinator.patch(
        f"/api/v1/workforce/modules/{module_id}",
        data=json.dumps({"objectives": "New", "hours": None}),
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["objectives"] == "New" and patched.json()["hours"] == "1.5"

    when = (timezone.now() - timedelta(days=1)).isoformat()
    session = _post(
        coordinator,
        f"/api/v1/workforce/modules/{module_id}/sessions",
        {"starts_at": when, "trainer": "Ana", "modality": "in_person"},
    )
    assert session.status_code == 201
    assert session.json()["credit_hours"] == "1.5"
    sessions = coordinator.get(f"/api/v1/workforce/modules/{module_id}/sessions").json()
    assert sessions["count"] == 1

    profile = make_profile(world.programme_a)
    attended = _post(
        coordinator,
        f"/api/v1/workforce/sessions/{session.json()['id']}/attendance",
        {"person_ids": [profile.person_id]},
    )
    assert attended.status_code == 200
    assert attended.json()[0]["hours"] == "1.5"

    competency = Competency.objects.get(programme=world.programme_a, name="Listening role-play")
    checked = _post(
        client_for("supervisor"),
        f"/api/v1/workforce/profiles/{profile.pk}/competency-checks",
        {"competency_id": competency.pk, "result": "passed", "evidence": "Good role-play."},
    )
    assert checked.status_code == 201
    mine = peer_client(profile).get(f"/api/v1/workforce/profiles/{profile.pk}/training")
    assert mine.status_code == 200
    record = mine.json()
    assert record["trained"] is False
    assert any(m["module_id"] == module_id and m["done"] for m in record["optional_modules"])
    assert all(not m["done"] for m in record["required_modules"])
    listening = next(c for c in record["competencies"] if c["competency_id"] == competency.pk)
    assert listening["passed"] is True
    assert record["competency_checks"][0]["evidence"] == "Good role-play."

    peer_try = _post(
        peer_client(make_profile(world.programme_a)),
        f"/api/v1/workforce/profiles/{profile.pk}/competency-checks",
        {"competency_id": competency.pk, "result": "passed", "evidence": "x"},
    )
    assert peer_try.status_code == 404


def test_a_trained_signed_peer_becomes_available(world: World) -> None:
    """The whole way through these services: the lead's activation then succeeds unless
    the programme also requires a certification."""
    programme = world.programme_a
    seed_curriculum(programme)
    seed_agreements(programme)
    profile = make_profile(programme)
    attend_required_modules(profile)
    pass_required_competencies(profile)
    sign_everything(profile)
    remaining = _reasons(profile) - {Reason.NOT_ACTIVE, Reason.UNCERTIFIED}
    assert remaining == set()
    if Reason.UNCERTIFIED not in _reasons(profile):
        assert profile_activate(profile=profile, actor=staff("coordinator")).status == "active"
