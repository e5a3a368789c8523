"""Builders for the home page tests: a fresh programme with its own coordinator,
supervisor, peers and participants, so a home shows only what a test made. Rows are
written directly (the services are tested in their own apps); each builder fills in
what the services would."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count

from django.test import Client
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.followups.models import Action, Event, Playbook, Rule, WorkItem
from peerbridge.followups.models import Role as WorkRole
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.organisations.models import Programme
from peerbridge.organisations.roles import Role
from peerbridge.organisations.services import role_grant
from peerbridge.people.models import Consent, ConsentScope, Person
from peerbridge.people.services import person_create
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.safety.models import RiskFlag, Severity
from peerbridge.support.models import Contact, Mode, Setting
from peerbridge.support.stalls import last_contacts_refresh
from peerbridge.workforce.models import PeerProfile, WellbeingCheckIn, WorkforceAlert
from tests.followups.world import fresh_programme

_serial = count(1)

__all__ = ["fresh_programme"]


def login(role: str, programme: Programme, *, given_name: str = "") -> User:
    """A new login holding `role` in `programme`, with a person record."""
    n = next(_serial)
    user = User.objects.create_user(email=f"homes-{role}-{n}@example.org", password=None)
    person_create(
        given_name=given_name or f"{role.title()}{n}",
        family_name="Homes",
        created_by=None,
        user=user,
    )
    role_grant(user=user, role=role, granted_by=None, programme=programme)
    return user


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def peer(
    programme: Programme, *, supervisor: User | None = None, activated: date | None = None
) -> PeerProfile:
    """An available peer supporter who can sign in (peer role in the programme)."""
    user = login(Role.PEER_SUPPORTER, programme)
    today = timezone.localdate()
    return PeerProfile.objects.create(
        person=user.person,  # type: ignore[attr-defined]
        programme=programme,
        status=PeerProfile.Status.ACTIVE,
        alias=f"Alias{next(_serial)}",
        started_on=activated or today,
        activated_on=activated or today,
        max_matches=50,
        supervisor=supervisor,
        modalities=["telephone"],
    )


def participant(
    programme: Programme,
    *,
    name: str = "",
    status: str = EnrolmentStatus.ACTIVE,
    waiting_days: int = 0,
    with_login: bool = False,
) -> Enrolment:
    n = next(_serial)
    user = None
    if with_login:
        user = User.objects.create_user(email=f"homes-participant-{n}@example.org", password=None)
        role_grant(user=user, role=Role.PARTICIPANT, granted_by=None, programme=programme)
    person = person_create(
        given_name=name or f"Pat{n}", family_name=f"Surname{n}", created_by=None, user=user
    )
    since = timezone.now() - timedelta(days=waiting_days)
    return Enrolment.objects.create(
        person=person,
        programme=programme,
        status=status,
        source=Enrolment.Source.STAFF,
        received_at=since,
        waiting_since=since if status == EnrolmentStatus.WAITING else None,
    )


def match(
    enrolment: Enrolment,
    profile: PeerProfile,
    *,
    status: str = MatchStatus.ACTIVE,
    since: datetime | None = None,
) -> Match:
    """A match at `status`, each step dated `since` (default: now)."""
    at = since or timezone.now()
    working = status in (MatchStatus.INTRODUCED, MatchStatus.FIRST_CONTACT, MatchStatus.ACTIVE)
    return Match.objects.create(
        programme=enrolment.programme,
        enrolment=enrolment,
        profile=profile,
        status=status,
        status_changed_at=at,
        source=Match.Source.MANUAL,
        offered_at=at,
        respond_by=at + timedelta(days=3) if status == MatchStatus.OFFERED else None,
        accepted_at=at if working else None,
        introduced_at=at if working else None,
        first_contact_at=at if status in (MatchStatus.FIRST_CONTACT, MatchStatus.ACTIVE) else None,
        active_at=at if status == MatchStatus.ACTIVE else None,
        created_at=at,
    )


def contact(
    on: Match,
    *,
    at: datetime | None = None,
    next_contact_on: date | None = None,
    next_step: str = "",
    connected: bool = True,
    mode: str = Mode.PHONE,
) -> Contact:
    when = at or timezone.now()
    made = Contact.objects.create(
        match=on,
        programme=on.programme,
        enrolment=on.enrolment,
        profile=on.profile,
        occurred_at=when,
        connected=connected,
        duration_minutes=20 if connected else 0,
        mode=mode,
        setting=Setting.ONLINE,
        next_step=next_step,
        next_contact_on=next_contact_on,
        locked_at=when + timedelta(hours=48),
    )
    last_contacts_refresh([made.match_id])
    return made


def flag(
    enrolment: Enrolment,
    *,
    assigned_to: User | None = None,
    severity: str = Severity.MEDIUM,
    status: str = RiskFlag.Status.OPEN,
    deadline_in: timedelta = timedelta(hours=4),
    escalated: bool = False,
) -> RiskFlag:
    now = timezone.now()
    return RiskFlag.objects.create(
        programme=enrolment.programme,
        person=enrolment.person,
        enrolment=enrolment,
        severity=severity,
        source=RiskFlag.Source.STAFF,
        summary="Synthetic worry noted for a test.",
        status=status,
        assigned_to=assigned_to,
        acknowledge_by=now + deadline_in,
        acknowledged_at=now if status != RiskFlag.Status.OPEN else None,
        escalated_at=now if escalated else None,
    )


def rule(programme: Programme, *, role: str = WorkRole.COORDINATOR) -> Rule:
    playbook = Playbook.objects.create(programme=programme, name=f"Homes {next(_serial)}")
    return Rule.objects.create(
        playbook=playbook,
        title="Call to check in",
        event=Event.MATCH_ACCEPTED,
        offset_days=7,
        window_days=3,
        action=Action.WORK_ITEM,
        role=role,
    )


def work_item(
    by: Rule,
    enrolment: Enrolment,
    *,
    on: Match | None = None,
    due_in_days: int = 0,
    window_days: int = 3,
    assignee: User | None = None,
) -> WorkItem:
    due = timezone.localdate() + timedelta(days=due_in_days)
    subject = f"match:{on.pk}" if on is not None else f"enrolment:{enrolment.pk}"
    return WorkItem.objects.create(
        rule=by,
        programme=enrolment.programme,
        subject=subject,
        enrolment=enrolment,
        match=on,
        action=Action.WORK_ITEM,
        role=by.role,
        assignee=assignee,
        title=by.title,
        due_on=due,
        overdue_on=due + timedelta(days=window_days),
    )


def burnout(profile: PeerProfile) -> WorkforceAlert:
    return WorkforceAlert.objects.create(profile=profile, kind=WorkforceAlert.Kind.BURNOUT)


def pulse(profile: PeerProfile, value: int, *, days_ago: int) -> WellbeingCheckIn:
    return WellbeingCheckIn.objects.create(
        profile=profile,
        kind=WellbeingCheckIn.Kind.PULSE,
        pulse=value,
        completed_at=timezone.now() - timedelta(days=days_ago),
    )


def consent(person: Person, programme: Programme) -> Consent:
    return Consent.objects.create(
        person=person,
        programme=programme,
        scopes=[ConsentScope.PARTICIPATION, ConsentScope.CONTACT_EMAIL],
        method=Consent.Method.VERBAL,
    )
