"""Supervision: assigning a supervisor of the programme, recording sessions (notes
encrypted and kept from peers and coordinators), when supervision is due, and the
supervisor's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.organisations.roles import Role
from peerbridge.organisations.services import role_grant
from peerbridge.workforce.models import (
    PeerProfile,
    SupervisionSession,
    WellbeingCheckIn,
    WorkforceAlert,
)
from peerbridge.workforce.selectors import workforce_settings
from peerbridge.workforce.supervision import (
    overdue_profile_ids,
    supervision_due,
    supervisor_assign,
)
from tests.conftest import World, client_for, persona_user
from tests.workforce.world import make_profile
from tests.workforce.world_supervision import (
    hold_match,
    peer_client,
    record_session,
    signed_in,
    staff_user,
)

pytestmark = pytest.mark.django_db
ACTIVE = PeerProfile.Status.ACTIVE


def _supervised(world: World, supervisor: User, *, cadence: int = 14) -> PeerProfile:
    rules = workforce_settings(world.programme_a)
    rules.supervision_cadence_days = cadence
    rules.save()
    profile = make_profile(world.programme_a, ready=True, status=ACTIVE)
    coordinator = persona_user("coordinator")
    assert coordinator is not None
    return supervisor_assign(profile=profile, supervisor=supervisor, assigned_by=coordinator)


def _row_of(page: str, name: str) -> str:
    """The table row naming a peer (rows end with </tr>)."""
    start = page.index(name)
    return page[start : page.index("</tr>", start)]


# ---------------------------------------------------------------------------------------
# The acceptance test


def test_supervision_due_on_a_date_shows_as_overdue_on_the_supervisors_page_the_next_day(
    world: World,
) -> None:
    supervisor = staff_user(world.programme_a)
    profile = _supervised(world, supervisor, cadence=14)
    name = str(profile.person)
    held = timezone.localtime().replace(second=0, microsecond=0)
    recorded = signed_in(supervisor).post(
        f"/programmes/{world.programme_a.pk}/workforce/supervision/new/",
        {
            "peers": [profile.pk],
            "format": "individual",
            "kind": "clinical",
            "held_at": held.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "50",
            "topics": ["caseload", "boundaries"],
            "notes": "Talked through a participant's relapse and the peer's own sleep.",
            "agreed_actions": "Bring the safety plan next time.",
        },
    )
    assert recorded.status_code == 302, recorded.content.decode()[:2000]
    due_on = held.date() + timedelta(days=14)

    with time_machine.travel(timezone.now() + timedelta(days=14), tick=False):
        assert timezone.localdate() == due_on
        page = signed_in(supervisor).get("/workforce/supervisor/")
        row = _row_of(page.content.decode(), name)
        assert f"{due_on.day} {due_on:%b %Y}" in row
        assert "Due today" in row and "Overdue" not in row
        api = signed_in(supervisor).get("/api/v1/workforce/supervisor").json()
        assert api["supervisees"][0]["overdue"] is False

    with time_machine.travel(timezone.now() + timedelta(days=15), tick=False):
        page = signed_in(supervisor).get("/workforce/supervisor/")
        row = _row_of(page.content.decode(), name)
        assert "Overdue by 1 day" in row
        assert "peer is overdue for supervision" in page.content.decode()
        api = signed_in(supervisor).get("/api/v1/workforce/supervisor").json()
        (supervisee,) = api["supervisees"]
        assert (supervisee["overdue"], supervisee["days_overdue"]) == (True, 1)
        assert supervisee["supervision_due_on"] == due_on.isoformat()
        assert overdue_profile_ids([profile]) == {profile.pk}


# ---------------------------------------------------------------------------------------
# When supervision is due


def test_before_any_session_supervision_is_due_a_cadence_after_becoming_available(
    world: World,
) -> None:
    supervisor = staff_user(world.programme_a)
    profile = _supervised(world, supervisor, cadence=14)
    today = timezone.localdate()
    profile.activated_on = today - timedelta(days=20)
    profile.save(update_fields=["activated_on"])
    due = supervision_due([profile])[profile.pk]
    assert due.last_on is None
    assert due.due_on == today - timedelta(days=6)
    assert due.overdue and due.days_overdue == 6
    record_session(world.programme_a, supervisor, [profile])
    due = supervision_due([profile])[profile.pk]
    assert (due.last_on, due.due_on, due.overdue) == (today, today + timedelta(days=14), False)
    # Looking back, a session held later does not count.
    earlier = supervision_due([profile], on=today - timedelta(days=1))[profile.pk]
    assert earlier.last_on is None and earlier.overdue


def test_supervision_due_reads_any_number_of_peers_in_two_queries(
    world: World, django_assert_num_queries: object
) -> None:
    supervisor = staff_user(world.programme_a)
    profiles = [_supervised(world, supervisor) for _ in range(5)]
    record_session(world.programme_a, supervisor, profiles[:3])
    with django_assert_num_queries(2):  # type: ignore[operator]
        found = supervision_due(profiles)
    assert sum(1 for due in found.values() if due.last_on) == 3


# ---------------------------------------------------------------------------------------
# Assigning a supervisor


def test_a_coordinator_assigns_only_a_supervisor_of_the_programme(world: World) -> None:
    profile = make_profile(world.programme_a, ready=True, status=ACTIVE)
    supervisor_a = persona_user("supervisor")
    assert supervisor_a is not None
    supervisor_b = User.objects.get(email="supervisor.b@demo.peerbridge.test")
    coordinator = client_for("coordinator")
    url = f"/workforce/profiles/{profile.pk}/supervisor/"
    page = coordinator.get(url)
    assert page.status_code == 200
    assert supervisor_a.display_name in page.content.decode()
    assert coordinator.post(url, {"supervisor": supervisor_b.pk}).status_code == 422
    assert coordinator.post(url, {"supervisor": supervisor_a.pk}).status_code == 302
    profile.refresh_from_db()
    assert profile.supervisor_id == supervisor_a.pk
    assert AuditEvent.objects.filter(
        action="update", object_type="workforce.peerprofile", object_id=str(profile.pk)
    ).exists()
    api = f"/api/v1/workforce/profiles/{profile.pk}/supervisor"
    coordinator_user = persona_user("coordinator")
    assert coordinator_user is not None
    for not_a_supervisor in (supervisor_b, coordinator_user):
        refused = coordinator.post(
            api, data={"supervisor_id": not_a_supervisor.pk}, content_type="application/json"
        )
        assert refused.status_code == 422
        assert set(refused.json()["error"]["fields"]) == {"supervisor_id"}
    cleared = coordinator.post(api, data={"supervisor_id": None}, content_type="application/json")
    assert cleared.status_code == 200 and cleared.json()["supervisor_id"] is None
    assert client_for("supervisor").post(url, {}).status_code == 403


def test_a_supervisor_over_the_programmes_site_may_be_assigned(world: World) -> None:
    regional = User.objects.create_user(email="wf-sup-site@example.org", password=None)
    role_grant(user=regional, role=Role.SUPERVISOR, granted_by=None, site=world.programme_a.site)
    profile = make_profile(world.programme_a, ready=True, status=ACTIVE)
    response = client_for("leader").post(
        f"/api/v1/workforce/profiles/{profile.pk}/supervisor",
        data={"supervisor_id": regional.pk},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["supervisor_id"] == regional.pk


# ---------------------------------------------------------------------------------------
# Sessions


def test_individual_supervision_is_with_one_peer_and_group_with_several(world: World) -> None:
    first = make_profile(world.programme_a, ready=True, status=ACTIVE)
    second = make_profile(world.programme_a, ready=True, status=ACTIVE)
    client = client_for("supervisor")
    url = f"/programmes/{world.programme_a.pk}/workforce/supervision/new/"
    assert client.get(url).status_code == 200
    body = {
        "peers": [first.pk, second.pk],
        "format": "individual",
        "kind": "peer",
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "90",
        "topics": ["team"],
    }
    refused = client.post(url, body)
    assert refused.status_code == 422
    assert "one peer supporter" in refused.content.decode()
    response = client.post(url, {**body, "format": "group"})
    assert response.status_code == 302
    session = SupervisionSession.objects.get(
        pk=int(response["Location"].rstrip("/").split("/")[-1])
    )
    assert set(session.peers.all()) == {first, second}
    assert session.supervisor == persona_user("supervisor")
    assert AuditEvent.objects.filter(
        action="create", object_type="workforce.supervisionsession", object_id=str(session.pk)
    ).exists()
    assert client_for("coordinator").get(url).status_code == 403


def test_the_api_refuses_sessions_in_the_future_with_others_peers_or_without_a_zone(
    world: World,
) -> None:
    mine = make_profile(world.programme_a, ready=True, status=ACTIVE)
    theirs = make_profile(world.programme_b, ready=True, status=ACTIVE)
    gone = make_profile(world.programme_a, ready=True, status=PeerProfile.Status.LEFT)
    url = f"/api/v1/programmes/{world.programme_a.pk}/workforce/supervision"
    valid = {
        "peer_ids": [mine.pk],
        "held_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "format": "individual",
        "kind": "clinical",
    }
    client = client_for("supervisor")
    cases = [
        ({"held_at": (timezone.now() + timedelta(days=1)).isoformat()}, "held_at"),
        ({"held_at": "2026-03-01T10:00:00"}, "held_at"),
        ({"peer_ids": [theirs.pk]}, "peer_ids"),
        ({"peer_ids": [gone.pk]}, "peer_ids"),
        ({"format": "group"}, "peers"),
    ]
    for change, field in cases:
        response = client.post(url, data={**valid, **change}, content_type="application/json")
        assert response.status_code == 422, (change, response.content)
        assert field in response.json()["error"]["fields"], change
    created = client.post(url, data=valid, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["peer_ids"] == [mine.pk]


def test_supervisor_notes_are_encrypted_and_never_shown_to_the_peer_or_a_coordinator(
    world: World,
) -> None:
    supervisor = persona_user("supervisor")
    assert supervisor is not None
    profile = make_profile(world.programme_a, ready=True, status=ACTIVE)
    secret = "Worried about drinking again since the funeral."
    session = record_session(world.programme_a, supervisor, [profile], notes=secret)
    with connection.cursor() as cursor:
        cursor.execute("SELECT notes FROM workforce_supervisionsession WHERE id = %s", [session.pk])
        (stored,) = cursor.fetchone()
    assert secret not in stored

    page = f"/workforce/supervision/{session.pk}/"
    api_one = f"/api/v1/workforce/supervision/{session.pk}"
    api_list = f"/api/v1/programmes/{world.programme_a.pk}/workforce/supervision"
    for persona in ("supervisor", "leader"):
        assert secret in client_for(persona).get(page).content.decode()
        assert client_for(persona).get(api_one).json()["notes"] == secret

    coordinator = client_for("coordinator")
    assert coordinator.get(page).status_code == 403
    assert coordinator.get(api_one).status_code == 403
    listed = coordinator.get(api_list)
    assert listed.status_code == 200
    row = next(item for item in listed.json()["items"] if item["id"] == session.pk)
    assert row["notes"] is None and row["agreed_actions"] is None

    peer = peer_client(profile)
    assert peer.get(page).status_code == 403
    assert peer.get(api_one).status_code == 404
    assert peer.get(api_list).status_code == 403
    for url in (
        f"/workforce/profiles/{profile.pk}/",
        f"/workforce/profiles/{profile.pk}/certification/",
    ):
        assert secret not in peer.get(url).content.decode()


# ---------------------------------------------------------------------------------------
# The supervisor's page


def _checkin(profile: PeerProfile, days_ago: int, **values: object) -> WellbeingCheckIn:
    return WellbeingCheckIn.objects.create(
        profile=profile, completed_at=timezone.now() - timedelta(days=days_ago), **values
    )


def _caseload(world: World, supervisor: User, n: int) -> list[PeerProfile]:
    profiles = []
    for i in range(n):
        profile = _supervised(world, supervisor)
        hold_match(profile)
        _checkin(profile, 40, kind="cbi", work_score=41.0, client_score=20.0)
        _checkin(profile, 30, kind="pulse", pulse=2)
        _checkin(profile, 20, kind="cbi", work_score=63.0, client_score=30.0, high=True)
        _checkin(profile, 10, kind="cbi", work_score=74.0, client_score=35.0, high=True)
        WorkforceAlert.objects.create(
            profile=profile, kind="burnout", created_at=timezone.now() - timedelta(days=9 - i)
        )
        record_session(world.programme_a, supervisor, [profile])
        profiles.append(profile)
    return profiles


def test_the_supervisors_page_reads_a_fixed_number_of_queries_whatever_the_caseload(
    world: World, django_assert_max_num_queries: object
) -> None:
    small, large = staff_user(world.programme_a), staff_user(world.programme_a)
    _caseload(world, small, 1)
    _caseload(world, large, 6)
    counts = []
    for supervisor in (small, large):
        client = signed_in(supervisor)
        client.get("/workforce/supervisor/")  # warm the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/workforce/supervisor/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    client = signed_in(large)
    with django_assert_max_num_queries(30):  # type: ignore[operator]
        client.get("/workforce/supervisor/")


def test_the_supervisors_page_shows_caseload_trend_hold_alerts_and_overdue_first(
    world: World,
) -> None:
    supervisor = staff_user(world.programme_a)
    recent, late = _caseload(world, supervisor, 2)
    late.activated_on = timezone.localdate() - timedelta(days=30)
    late.capacity_hold = True
    late.save(update_fields=["activated_on", "capacity_hold"])
    SupervisionSession.objects.filter(peers=late).delete()
    WorkforceAlert.objects.create(profile=late, kind="pulse_low")
    someone_elses = make_profile(world.programme_a, ready=True, status=ACTIVE)
    supervisor_a = persona_user("supervisor")
    assert supervisor_a is not None
    someone_elses.supervisor = supervisor_a
    someone_elses.save(update_fields=["supervisor"])

    text = signed_in(supervisor).get("/workforce/supervisor/").content.decode()
    assert text.index(str(late.person)) < text.index(str(recent.person))  # overdue first
    assert str(someone_elses.person) not in text
    row = _row_of(text, str(recent.person))
    assert f"1 / {recent.max_matches}" in row
    assert row.index("work 74") < row.index("work 63") < row.index("Low")
    assert "work 41" not in row  # only the last three check-ins
    assert "New matches on hold" in _row_of(text, str(late.person))
    assert "New matches on hold" not in row
    alerts = text[text.index("Open alerts, oldest first") :]
    assert alerts.index("High burnout") < alerts.index("Peer says they are struggling")
    assert AuditEvent.objects.filter(
        action="read", object_type="people.person", object_id=str(late.person_id)
    ).exists()

    api = signed_in(supervisor).get("/api/v1/workforce/supervisor").json()
    assert [s["profile_id"] for s in api["supervisees"]] == [late.pk, recent.pk]
    assert api["supervisees"][0]["overdue"] is True and api["supervisees"][0]["on_hold"]
    assert [c["work_score"] for c in api["supervisees"][1]["wellbeing"]] == [74.0, 63.0, None]
    assert [a["kind"] for a in api["alerts"]][-1] == "pulse_low"
    assert client_for("coordinator").get("/api/v1/workforce/supervisor").status_code == 403


def test_a_session_held_more_than_five_years_ago_is_refused(world: World) -> None:
    profile = make_profile(world.programme_a, ready=True, status=ACTIVE)
    long_ago = timezone.now() - timedelta(days=6 * 365)
    response = client_for("supervisor").post(
        f"/api/v1/programmes/{world.programme_a.pk}/workforce/supervision",
        data={
            "peer_ids": [profile.pk],
            "held_at": long_ago.isoformat(),
            "format": "individual",
            "kind": "clinical",
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"held_at"}
    page = client_for("supervisor").post(
        f"/programmes/{world.programme_a.pk}/workforce/supervision/new/",
        {
            "peers": [profile.pk],
            "format": "individual",
            "kind": "clinical",
            "held_at": "0001-01-01T10:00",
            "duration_minutes": "50",
        },
    )
    assert page.status_code == 422
    assert "last five years" in page.content.decode()
    assert not SupervisionSession.objects.filter(peers=profile).exists()
