"""The demo's support and safety: contacts only in working matches of their peer, some
matches stalled (with their work item), goals with rising ratings, groups within their
places (a waiting list, a moderated online group, attendance for held sessions only),
safety settings with crisis resources, this week's on-call login, flags in every state
with their deadlines, incidents and preferences; every creation audited; the peer's
home lists their people; a second load adds nothing."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

import pytest
from django.db import models
from django.db.models import Count, Max, Q
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.followups.models import Event, Rule, WorkItem
from peerbridge.followups.subjects import stall_subject
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.notifications.models import Preference
from peerbridge.organisations.models import Programme, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.safety.models import (
    FlagEvent,
    Incident,
    OnCallShift,
    RiskFlag,
    SafetySettings,
    Severity,
)
from peerbridge.safety.services import ACTIONS
from peerbridge.support.configuration import support_settings
from peerbridge.support.models import (
    Attendance,
    Contact,
    Goal,
    GoalRating,
    Group,
    GroupMember,
    GroupSession,
)
from peerbridge.web.demo import DEMO_DOMAIN, PROGRAMMES, load_demo
from peerbridge.web.demo_support_safety import CRISIS_RESOURCES, OPEN_HIGH_FLAGS
from tests.conftest import client_for, persona_user

pytestmark = pytest.mark.django_db
M = MatchStatus
CONTACT_STATUSES = (M.INTRODUCED, M.FIRST_CONTACT, M.ACTIVE)
SUPPORT_MODELS: tuple[type[models.Model], ...] = (
    Contact,
    Goal,
    GoalRating,
    Group,
    GroupMember,
    GroupSession,
    Attendance,
    RiskFlag,
    FlagEvent,
    Incident,
    OnCallShift,
    Preference,
)


def demo_programmes() -> dict[str, Programme]:
    codes = {spec["code"]: spec["letter"] for spec in PROGRAMMES}
    return {codes[p.code]: p for p in Programme.objects.filter(code__in=list(codes))}


def user(local: str) -> User:
    return User.objects.get(email=f"{local}@{DEMO_DOMAIN}")


# ---------------------------------------------------------------------------------------
# Contacts


def test_every_contact_belongs_to_a_working_match_of_its_peer() -> None:
    contacts = list(Contact.objects.select_related("match", "match__programme", "profile__person"))
    assert len(contacts) >= 150
    now = timezone.now()
    for contact in contacts:
        match = contact.match
        assert match.status in CONTACT_STATUSES, contact.pk
        assert (contact.programme_id, contact.enrolment_id, contact.profile_id) == (
            match.programme_id,
            match.enrolment_id,
            match.profile_id,
        )
        assert contact.logged_by_id == contact.profile.person.user_id
        assert match.created_at <= contact.occurred_at <= now
        assert contact.occurred_at <= contact.created_at <= now
        window = datetime.timedelta(hours=support_settings(match.programme).edit_window_hours)
        assert contact.locked_at == contact.created_at + window
        if contact.connected:
            assert match.first_contact_at is not None
            assert contact.occurred_at >= match.first_contact_at
        else:
            assert contact.duration_minutes == 0 and contact.support_types == []


def test_contacts_have_the_variety_of_the_work() -> None:
    contacts = Contact.objects.all()
    assert contacts.filter(connected=False).count() >= 10
    assert set(contacts.values_list("mode", flat=True)) >= {"phone", "in_person"}
    assert len(set(contacts.values_list("setting", flat=True))) >= 4
    types = {kind for row in contacts.values_list("support_types", flat=True) for kind in row}
    assert types == {"informational", "instrumental", "emotional", "affiliational", "appraisal"}
    assert any(contact.private_note for contact in contacts)
    assert sum(bool(contact.next_step) for contact in contacts) >= 50
    assert contacts.filter(transport_provided=True).exists()


def test_every_match_past_first_contact_has_contacts_and_some_have_stalled() -> None:
    started = Match.objects.filter(
        status__in=[M.FIRST_CONTACT, M.ACTIVE],
        first_contact_at__isnull=False,
        programme__in=demo_programmes().values(),
    ).annotate(last=Max("contacts__occurred_at", filter=Q(contacts__connected=True)))
    now = timezone.now()
    stalled: dict[int, list[Match]] = defaultdict(list)
    for match in started.select_related("programme"):
        assert match.last is not None, match.pk
        # Silent for longer than cadence and grace, by a day more than the time this
        # test session may have run since the demo was loaded (and scanned).
        quiet = (
            match.programme.contact_cadence_days
            + support_settings(match.programme).stall_grace_days
        )
        if now - match.last > datetime.timedelta(days=quiet + 1):
            stalled[match.programme_id].append(match)
    assert len(stalled) >= 6  # most programmes have a stalled match
    # The stall rules made one item for each stall, whatever the number of scans.
    stall_rules = Rule.objects.filter(event=Event.STALLED, playbook__is_active=True)
    for rule in stall_rules.filter(offset_days=0):
        for match in stalled.get(rule.playbook.programme_id, []):
            subject = stall_subject(match.pk, timezone.localdate(match.last))
            assert WorkItem.objects.filter(rule=rule, subject=subject).count() == 1


# ---------------------------------------------------------------------------------------
# Goals


def test_goals_have_two_to_five_ratings_mostly_rising() -> None:
    goals = list(Goal.objects.prefetch_related("ratings").select_related("enrolment"))
    assert len(goals) >= 20
    today = timezone.localdate()
    rising = 0
    for goal in goals:
        ratings = list(goal.ratings.all())
        assert 2 <= len(ratings) <= 5, goal.pk
        days = [r.rated_on for r in ratings]
        assert days == sorted(days)
        assert timezone.localdate(goal.created_at) <= days[0] and days[-1] <= today
        assert all(0 <= r.rating <= 10 for r in ratings)
        rising += ratings[-1].rating > ratings[0].rating
    assert rising >= 0.7 * len(goals)


# ---------------------------------------------------------------------------------------
# Groups


def test_groups_keep_within_their_places_and_record_attendance_of_held_sessions() -> None:
    groups = list(Group.objects.filter(programme__in=demo_programmes().values()))
    assert len(groups) >= 6
    kinds = Counter((g.kind, g.modality) for g in groups)
    assert kinds[(Group.Kind.COURSE, Group.Modality.IN_PERSON)] >= 3
    assert kinds[(Group.Kind.MUTUAL_SUPPORT, Group.Modality.ONLINE)] >= 2
    waiting_somewhere = False
    now = timezone.now()
    for group in groups:
        counts = Counter(group.members.values_list("status", flat=True))
        placed = counts[GroupMember.Status.ENROLLED] + counts[GroupMember.Status.COMPLETED]
        waiting = counts[GroupMember.Status.WAITING]
        assert placed <= group.capacity
        assert placed + waiting <= group.capacity + waiting
        assert waiting == 0 or placed == group.capacity  # no one waits for a free place
        waiting_somewhere |= waiting > 0
        assert 1 <= group.facilitators.filter(removed_at__isnull=True).count() <= 3
        if group.modality == Group.Modality.ONLINE:
            assert group.moderator is not None and group.online_link
        sessions = list(group.sessions.annotate(marked=Count("attendance")))
        if group.kind == Group.Kind.COURSE:
            assert 6 <= len(sessions) == group.session_count <= 8
        assert any(s.status == GroupSession.Status.HELD for s in sessions)
        for session in sessions:
            assert (session.marked > 0) == (session.status == GroupSession.Status.HELD)
            assert session.status != GroupSession.Status.HELD or session.starts_at <= now
    assert waiting_somewhere
    marked = Attendance.objects.select_related("member")
    assert all(a.member.status != GroupMember.Status.WAITING for a in marked)


# ---------------------------------------------------------------------------------------
# Safety


def test_every_programme_has_crisis_resources_and_an_on_call_login_this_week() -> None:
    for letter, programme in demo_programmes().items():
        settings = SafetySettings.objects.get(programme=programme)
        assert settings.crisis_resources == CRISIS_RESOURCES
        assert "0800 000 000" in settings.crisis_resources
        on_call = user(f"oncall.{letter}")
        assert RoleAssignment.objects.filter(
            user=on_call, programme=programme, role=Role.SUPERVISOR, ended_at__isnull=True
        ).exists()
        shift = OnCallShift.objects.get(programme=programme)
        assert shift.user == on_call
        starts = timezone.localtime(shift.starts_at)
        assert starts.weekday() == 0 and starts.time() == datetime.time(0)
        assert shift.ends_at - shift.starts_at == datetime.timedelta(days=7)


def test_flags_have_deadlines_and_every_state_is_shown() -> None:
    flags = list(RiskFlag.objects.select_related("programme").prefetch_related("events"))
    assert len(flags) >= 3 * len(demo_programmes())
    for flag in flags:
        assert flag.acknowledge_by > flag.raised_at
        kinds = [event.kind for event in flag.events.all()]
        assert kinds[0] == FlagEvent.Kind.RAISED and FlagEvent.Kind.NOTIFIED in kinds
        assert flag.assigned_to is not None
        if flag.severity == Severity.HIGH:
            assert flag.acknowledge_by - flag.raised_at == datetime.timedelta(hours=1)
        if flag.status == RiskFlag.Status.RESOLVED:
            assert flag.actions and set(flag.actions) <= set(ACTIONS) and flag.resolution
            assert flag.raised_at < flag.acknowledged_at < flag.resolved_at  # type: ignore[operator]
        if flag.escalated_at is not None:
            assert flag.acknowledged_at is None and flag.escalated_at > flag.acknowledge_by
            assert RoleAssignment.objects.filter(
                user=flag.escalated_to, role=Role.PROGRAMME_LEADER, programme=flag.programme
            ).exists()
    open_high = [f for f in flags if f.status == RiskFlag.Status.OPEN and f.escalated_at is None]
    assert {f.programme.code for f in open_high} == {
        spec["code"] for spec in PROGRAMMES if spec["letter"] in OPEN_HIGH_FLAGS
    }
    assert all(f.severity == Severity.HIGH and f.contact_id for f in open_high)
    states = Counter(f.status for f in flags)
    assert states[RiskFlag.Status.ACKNOWLEDGED] and states[RiskFlag.Status.RESOLVED]
    assert sum(f.escalated_at is not None for f in flags) >= len(demo_programmes())


def test_incidents_of_each_kind_are_logged() -> None:
    incidents = Incident.objects.all()
    assert set(incidents.values_list("kind", flat=True)) == set(Incident.Kind.values)
    online = incidents.get(kind=Incident.Kind.ONLINE_GROUP)
    assert online.group is not None and online.group.moderator is not None
    assert incidents.filter(status=Incident.Status.CLOSED).exclude(outcome="").exists()


def test_some_people_chose_how_to_be_reached() -> None:
    chosen = Preference.objects.filter(user__email__endswith=DEMO_DOMAIN)
    assert chosen.count() >= 5
    assert chosen.filter(quiet_from__isnull=False).exists()
    assert chosen.filter(daily_digest=False).exists()


# ---------------------------------------------------------------------------------------
# Homes, audit, idempotence


def test_the_peer_login_has_people_on_their_home() -> None:
    peer = persona_user("peer")
    assert peer is not None
    caseload = Match.objects.filter(
        profile__person__user=peer, status__in=CONTACT_STATUSES
    ).select_related("enrolment__person")
    assert caseload.exists()
    assert Contact.objects.filter(match__in=caseload).exists()
    page = client_for("peer").get("/")
    assert page.status_code == 200
    text = page.content.decode()
    for match in caseload:
        person = match.enrolment.person
        assert (person.preferred_name or person.given_name) in text


def test_creations_are_audited() -> None:
    for model in (Contact, Goal, GoalRating, Group, GroupMember, RiskFlag, Incident):
        label = model._meta.label_lower
        created = AuditEvent.objects.filter(object_type=label, action=AuditEvent.Action.CREATE)
        assert created.count() >= model.objects.count(), label


def test_loading_twice_changes_nothing() -> None:
    before = [m.objects.count() for m in (*SUPPORT_MODELS, AuditEvent, User)]  # type: ignore[attr-defined]
    load_demo()
    after = [m.objects.count() for m in (*SUPPORT_MODELS, AuditEvent, User)]  # type: ignore[attr-defined]
    assert after == before
