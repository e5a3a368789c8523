"""Engagement and recognition: milestones (months of service, hours of training and
supervision), announcements to a programme's team (in-app), and the team calendar with
who came."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.workforce import engagement
from peerbridge.workforce.engagement import (
    HOUR_MILESTONES,
    MONTH_MILESTONES,
    months_of_service,
    next_milestone,
    reached,
    recognition,
)
from peerbridge.workforce.models import (
    Announcement,
    PeerProfile,
    SupervisionSession,
    TeamEvent,
    TrainingAttendance,
    TrainingModule,
    TrainingSession,
)
from tests.conftest import World, client_for
from tests.workforce.world import make_profile
from tests.workforce.world_wellbeing import available_peer, client_of, user_of

# ---------------------------------------------------------------------------------------
# Milestones: pure


@pytest.mark.parametrize(
    ("since", "on", "months"),
    [
        (None, date(2026, 5, 1), 0),
        (date(2026, 6, 1), date(2026, 5, 1), 0),
        (date(2026, 1, 15), date(2026, 4, 14), 2),
        (date(2026, 1, 15), date(2026, 4, 15), 3),
        (date(2026, 1, 31), date(2026, 2, 28), 1),  # to the end of a shorter month
        (date(2024, 1, 31), date(2024, 2, 29), 1),
        (date(2024, 1, 30), date(2024, 2, 28), 0),
        (date(2021, 3, 1), date(2026, 3, 1), 60),
        (date(2025, 12, 20), date(2026, 1, 19), 0),
    ],
)
def test_months_of_service(since: date | None, on: date, months: int) -> None:
    assert months_of_service(since, on) == months


def test_milestones_reached_and_next() -> None:
    assert MONTH_MILESTONES == (3, 6, 12, 24, 36, 60)
    assert HOUR_MILESTONES == (10, 25, 50, 100, 250)
    assert reached(MONTH_MILESTONES, 2) == ()
    assert reached(MONTH_MILESTONES, 12) == (3, 6, 12)
    assert next_milestone(MONTH_MILESTONES, 12) == 24
    assert next_milestone(MONTH_MILESTONES, 60) is None
    assert reached(HOUR_MILESTONES, Decimal("9.9")) == ()
    assert reached(HOUR_MILESTONES, Decimal("10")) == (10,)
    assert reached(HOUR_MILESTONES, 250) == HOUR_MILESTONES
    assert next_milestone(HOUR_MILESTONES, Decimal("49.5")) == 50


def test_recognition_in_words() -> None:
    found = recognition(
        profile_id=1, activated_on=date(2025, 1, 10), on=date(2026, 2, 1), hours=Decimal("26")
    )
    assert found.months == 12 and found.months_reached == (3, 6, 12)
    assert found.hours_reached == (10, 25) and found.next_hours == 50
    assert found.labels == [
        "12 months of service",
        "6 months of service",
        "3 months of service",
        "25 hours of training and supervision",
        "10 hours of training and supervision",
    ]
    none = recognition(profile_id=2, activated_on=None, on=date(2026, 2, 1), hours=Decimal("0"))
    assert none.labels == [] and none.next_months == 3 and none.next_hours == 10


# ---------------------------------------------------------------------------------------
# Milestones: from the record


def _module(programme: Any, title: str) -> TrainingModule:
    return TrainingModule.objects.create(
        programme=programme, title=title, hours=Decimal("2"), required=False, order=90
    )


def _attend(profile: PeerProfile, module: TrainingModule, hours: str, when: datetime) -> None:
    session = TrainingSession.objects.create(
        module=module, starts_at=when, trainer="Trainer", modality="video"
    )
    TrainingAttendance.objects.create(
        session=session, person=profile.person, attended=True, hours=Decimal(hours)
    )


def _supervise(profile: PeerProfile, minutes: int, when: datetime) -> None:
    session = SupervisionSession.objects.create(
        programme=profile.programme,
        supervisor=user_of("supervisor"),
        held_at=when,
        duration_minutes=minutes,
        format="individual",
        kind="clinical",
    )
    session.peers.add(profile)


@pytest.mark.django_db
def test_milestones_count_training_and_supervision_hours_and_months(
    world: World, django_assert_num_queries: Any
) -> None:
    profile = make_profile(world.programme_a, status=PeerProfile.Status.ACTIVE)
    PeerProfile.objects.filter(pk=profile.pk).update(
        activated_on=timezone.localdate() - timedelta(days=400)
    )
    profile.refresh_from_db()
    past = timezone.now() - timedelta(days=20)
    module = _module(world.programme_a, "Test: milestones refresher")
    _attend(profile, module, "7.5", past)
    _supervise(profile, 150, past)  # 2.5 hours
    # None of these count: a session not yet held, another programme's training, an
    # absence, supervision still to come.
    _attend(profile, _module(world.programme_a, "Test: future"), "20", past + timedelta(days=60))
    _attend(profile, _module(world.programme_b, "Test: other programme"), "20", past)
    session = TrainingSession.objects.create(
        module=_module(world.programme_a, "Test: missed"),
        starts_at=past,
        trainer="T",
        modality="video",
    )
    TrainingAttendance.objects.create(
        session=session, person=profile.person, attended=False, hours=Decimal("20")
    )
    _supervise(profile, 600, timezone.now() + timedelta(days=3))
    others = [make_profile(world.programme_a, status=PeerProfile.Status.ACTIVE) for _ in range(3)]

    with django_assert_num_queries(2):
        found = engagement.recognitions([profile, *others])

    mine = found[profile.pk]
    assert mine.hours == Decimal("10.0")
    assert mine.hours_reached == (10,)
    assert mine.months == 13 and mine.months_reached == (3, 6, 12)
    assert all(found[o.pk].hours == 0 and found[o.pk].months == 0 for o in others)
    html = client_of_peer(profile).get(reverse("workforce:me")).content.decode()
    assert "12 months of service" in html and "10 hours of training and supervision" in html


def client_of_peer(profile: PeerProfile) -> Any:
    from peerbridge.organisations.roles import Role
    from peerbridge.organisations.services import role_grant

    assert profile.person.user is not None
    role_grant(
        user=profile.person.user,
        role=Role.PEER_SUPPORTER,
        granted_by=None,
        programme=profile.programme,
    )
    return client_of(profile)


# ---------------------------------------------------------------------------------------
# Announcements


def _announcements_url(world: World) -> str:
    return reverse("workforce:announcements", args=[world.programme_a.pk])


def _api(persona_or_client: Any, method: str, url: str, body: object = None) -> Any:
    client = (
        client_for(persona_or_client) if isinstance(persona_or_client, str) else persona_or_client
    )
    send = getattr(client, method)
    if body is None:
        return send(url)
    return send(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_announcements_reach_programme_a_peers_and_not_programme_bs_peer(world: World) -> None:
    response = client_for("coordinator").post(
        _announcements_url(world), {"title": "Team day moved", "body": "Now on Friday."}
    )
    assert response.status_code == 302
    note = Announcement.objects.get(programme=world.programme_a, title="Team day moved")
    assert note.published_by == user_of("coordinator")
    assert AuditEvent.objects.filter(
        object_type="workforce.announcement", object_id=str(note.pk), action="create"
    ).exists()
    page = client_for("peer").get(_announcements_url(world))
    assert page.status_code == 200 and "Team day moved" in page.content.decode()
    assert client_for("peer_other").get(_announcements_url(world)).status_code == 404
    api_url = f"/api/v1/programmes/{world.programme_a.pk}/workforce/announcements"
    titles = [row["title"] for row in _api("peer", "get", api_url).json()["items"]]
    assert "Team day moved" in titles
    assert _api("peer_other", "get", api_url).status_code == 404
    # On the peers' own pages: programme A's peer sees it, programme B's does not.
    a_peer, b_peer = available_peer(world.programme_a), available_peer(world.programme_b)
    assert "Team day moved" in client_of(a_peer).get(reverse("workforce:me")).content.decode()
    assert "Team day moved" not in client_of(b_peer).get(reverse("workforce:me")).content.decode()
    b_url = reverse("workforce:announcements", args=[world.programme_b.pk])
    assert "Team day moved" not in client_of(b_peer).get(b_url).content.decode()


@pytest.mark.django_db
def test_the_announcements_page_says_they_are_in_app_only(world: World) -> None:
    html = client_for("peer").get(_announcements_url(world)).content.decode()
    assert "does not send them by email or text message yet" in html
    assert 'name="title"' not in html  # peers read; they do not post
    assert (
        'name="title"' in client_for("coordinator").get(_announcements_url(world)).content.decode()
    )


@pytest.mark.django_db
def test_peers_and_supervisors_cannot_post_announcements(world: World) -> None:
    data = {"title": "Hi", "body": "Hello"}
    assert client_for("peer").post(_announcements_url(world), data).status_code == 403
    assert client_for("supervisor").post(_announcements_url(world), data).status_code == 403
    api_url = f"/api/v1/programmes/{world.programme_a.pk}/workforce/announcements"
    assert _api("supervisor", "post", api_url, data).status_code == 403
    assert _api("peer", "post", api_url, data).status_code == 403
    assert not Announcement.objects.filter(title="Hi").exists()


@pytest.mark.django_db
def test_announcements_through_the_api(world: World) -> None:
    api_url = f"/api/v1/programmes/{world.programme_a.pk}/workforce/announcements"
    response = _api("leader", "post", api_url, {"title": "New rota", "body": "See the calendar."})
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "New rota"
    listed = _api("coordinator", "get", f"{api_url}?page_size=1").json()
    assert listed["page_size"] == 1 and listed["count"] >= 1
    assert listed["items"][0]["title"] == "New rota"  # newest first
    blank = _api("leader", "post", api_url, {"title": "   ", "body": "x"})
    assert blank.status_code == 422 and "title" in blank.json()["error"]["fields"]


@pytest.mark.django_db
def test_a_blank_announcement_is_refused_on_the_page(world: World) -> None:
    response = client_for("coordinator").post(_announcements_url(world), {"title": "", "body": ""})
    assert response.status_code == 422


# ---------------------------------------------------------------------------------------
# The team calendar


def _events_url(world: World) -> str:
    return reverse("workforce:events", args=[world.programme_a.pk])


def _event(world: World, title: str, starts_at: datetime, **extra: Any) -> TeamEvent:
    return TeamEvent.objects.create(
        programme=world.programme_a,
        kind=extra.pop("kind", TeamEvent.Kind.TEAM_MEETING),
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        **extra,
    )


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.django_db
def test_the_coordinator_adds_an_event_and_the_team_sees_it_by_week(world: World) -> None:
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = client_for("coordinator").post(
        _events_url(world),
        {
            "kind": "training_day",
            "title": "Boundaries refresher",
            "starts_at": _local(start),
            "ends_at": _local(start + timedelta(hours=3)),
            "location": "Room 2",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    event = TeamEvent.objects.get(title="Boundaries refresher")
    assert response["Location"] == reverse("workforce:event", args=[event.pk])
    assert event.starts_at == start and event.created_by == user_of("coordinator")
    _event(world, "Summer picnic", start + timedelta(days=14), kind="social")
    _event(world, "Last month's meeting", timezone.now() - timedelta(days=5))
    html = client_for("peer").get(_events_url(world)).content.decode()
    assert "Boundaries refresher" in html and "Summer picnic" in html
    assert "Last month&#x27;s meeting" not in html and "Last month's meeting" not in html
    first, second = engagement.week_of(start), engagement.week_of(start + timedelta(days=14))
    assert first != second
    for monday in (first, second):
        assert f"Week of {monday.day} {monday.strftime('%b')} {monday.year}" in html
    assert 'name="title"' not in html  # peers read the calendar
    coordinator_page = client_for("coordinator").get(_events_url(world)).content.decode()
    assert "Last month&#x27;s meeting" in coordinator_page  # to record who came


@pytest.mark.django_db
def test_events_group_under_the_monday_of_their_week(world: World) -> None:
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.get_current_timezone())
    rows = [
        TeamEvent(title="a", starts_at=monday),
        TeamEvent(title="b", starts_at=monday + timedelta(days=6, hours=8)),  # Sunday
        TeamEvent(title="c", starts_at=monday + timedelta(days=7)),
    ]
    weeks = engagement.by_week(rows)
    assert [(w, [e.title for e in events]) for w, events in weeks] == [
        (date(2026, 3, 2), ["a", "b"]),
        (date(2026, 3, 9), ["c"]),
    ]


@pytest.mark.django_db
def test_an_event_ends_after_it_starts(world: World) -> None:
    start = timezone.now() + timedelta(days=1)
    response = client_for("coordinator").post(
        _events_url(world),
        {
            "kind": "social",
            "title": "Backwards",
            "starts_at": _local(start),
            "ends_at": _local(start),
        },
    )
    assert response.status_code == 422
    assert not TeamEvent.objects.filter(title="Backwards").exists()


@pytest.mark.django_db
def test_events_through_the_api(world: World) -> None:
    api_url = f"/api/v1/programmes/{world.programme_a.pk}/workforce/events"
    start = timezone.now() + timedelta(days=3)
    body = {
        "kind": "celebration",
        "title": "One year of the programme",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
    }
    response = _api("coordinator", "post", api_url, body)
    assert response.status_code == 201, response.content
    _event(world, "Already over", timezone.now() - timedelta(days=2))
    titles = [
        row["title"] for row in _api("peer", "get", f"{api_url}?page_size=200").json()["items"]
    ]
    assert "One year of the programme" in titles and "Already over" not in titles
    naive = {**body, "starts_at": "2027-01-01T10:00:00", "ends_at": "2027-01-01T11:00:00"}
    assert _api("coordinator", "post", api_url, naive).status_code == 422
    backwards = {**body, "ends_at": body["starts_at"]}
    assert _api("coordinator", "post", api_url, backwards).status_code == 422
    assert _api("peer_other", "get", api_url).status_code == 404


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field"),
    [
        ("9999-12-31T23:00-05:00", "9999-12-31T23:30-05:00", "starts_at"),
        ("0001-01-01T00:00+05:00", "0001-01-01T01:00+05:00", "starts_at"),
        (None, "9999-12-31T23:00-05:00", "ends_at"),
        ("+6y", "+6y1h", "starts_at"),
    ],
)
@pytest.mark.django_db
def test_event_times_far_outside_the_calendar_are_refused_not_a_500(
    world: World, starts_at: str | None, ends_at: str, field: str
) -> None:
    soon = timezone.now() + timedelta(days=1)
    far = timezone.now() + timedelta(days=6 * 365)
    times = {
        None: soon.isoformat(),
        "+6y": far.isoformat(),
        "+6y1h": (far + timedelta(hours=1)).isoformat(),
    }
    body = {
        "kind": "social",
        "title": "Far away",
        "starts_at": times.get(starts_at, starts_at),
        "ends_at": times.get(ends_at, ends_at),
    }
    api_url = f"/api/v1/programmes/{world.programme_a.pk}/workforce/events"
    response = _api("coordinator", "post", api_url, body)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    with pytest.raises(ValidationError) as refused:
        engagement.team_event_create(
            programme=world.programme_a,
            actor=user_of("coordinator"),
            kind="social",
            title="Far away",
            starts_at=datetime.fromisoformat(body["starts_at"]),
            ends_at=datetime.fromisoformat(body["ends_at"]),
        )
    assert field in refused.value.message_dict
    assert not TeamEvent.objects.filter(title="Far away").exists()


@pytest.mark.django_db
def test_a_far_event_on_the_page_is_refused_with_a_message(world: World) -> None:
    response = client_for("coordinator").post(
        _events_url(world),
        {
            "kind": "social",
            "title": "Far away",
            "starts_at": "9999-12-31T23:00",
            "ends_at": "9999-12-31T23:30",
        },
    )
    assert response.status_code == 422
    assert "five years from now" in response.content.decode()
    assert not TeamEvent.objects.filter(title="Far away").exists()


@pytest.mark.django_db
def test_an_event_within_five_years_is_accepted(world: World) -> None:
    start = timezone.now() + timedelta(days=4 * 365)
    event = engagement.team_event_create(
        programme=world.programme_a,
        actor=user_of("coordinator"),
        kind="social",
        title="Ten years of peer support",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    assert event.pk is not None


@pytest.mark.django_db
def test_the_coordinator_records_who_came(world: World) -> None:
    came = available_peer(world.programme_a)
    stayed_home = available_peer(world.programme_a)
    elsewhere = available_peer(world.programme_b)
    event = _event(world, "Team meeting", timezone.now() - timedelta(days=1))
    url = reverse("workforce:event", args=[event.pk])
    page = client_for("coordinator").get(url).content.decode()
    assert str(came.person) in page and str(elsewhere.person) not in page
    response = client_for("coordinator").post(url, {"attendees": [came.pk]})
    assert response.status_code == 302
    assert list(event.attendees.all()) == [came]
    assert AuditEvent.objects.filter(
        object_type="workforce.teamevent", object_id=str(event.pk), action="update"
    ).exists()
    refused = client_for("coordinator").post(url, {"attendees": [came.pk, elsewhere.pk]})
    assert refused.status_code == 422
    assert list(event.attendees.all()) == [came]
    peer_view = client_of(stayed_home).get(url)
    assert peer_view.status_code == 200
    assert "1 peer" in peer_view.content.decode()
    assert str(came.person) not in peer_view.content.decode()  # names for staff only
    assert client_of(came).post(url, {"attendees": [came.pk]}).status_code == 403
    assert client_of(elsewhere).get(url).status_code == 404


@pytest.mark.django_db
def test_attendance_waits_for_the_event_to_start(world: World) -> None:
    peer = available_peer(world.programme_a)
    event = _event(world, "Next week", timezone.now() + timedelta(days=7))
    with pytest.raises(ValidationError):
        engagement.event_attendance_record(
            event=event, actor=user_of("coordinator"), profiles=[peer]
        )
    response = client_for("coordinator").post(
        reverse("workforce:event", args=[event.pk]), {"attendees": [peer.pk]}
    )
    assert response.status_code == 422
    assert not event.attendees.exists()


# ---------------------------------------------------------------------------------------
# What comes next, in the peer's words


@pytest.mark.django_db
def test_my_page_says_what_comes_next_at_each_stage(world: World) -> None:
    from peerbridge.workforce.eligibility import standing
    from tests.workforce.world import add_required_module

    in_training = make_profile(world.programme_a)
    add_required_module(world.programme_a, "Test: listening skills")
    assert "Test: listening skills" in engagement.next_step(standing(in_training))
    peer = available_peer(world.programme_a)
    assert engagement.next_step(standing(peer)) == "You can be matched with someone new."
    PeerProfile.objects.filter(pk=peer.pk).update(paused_from=timezone.localdate())
    peer.refresh_from_db()
    assert "paused" in engagement.next_step(standing(peer))
    html = client_of(peer).get(reverse("workforce:me")).content.decode()
    assert "No new matches while you are paused." in html
    assert "You are paused." in html
