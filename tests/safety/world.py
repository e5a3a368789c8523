"""Builders for the safety tests: a working match with its peer (supervised by persona
"supervisor"), contacts logged in it, groups with a session, and flags raised through
the service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.matching.models import Match
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Person
from peerbridge.safety import services
from peerbridge.safety.configuration import safety_settings
from peerbridge.safety.models import RiskFlag, SafetySettings
from peerbridge.support.models import Contact, Facilitator, Group, GroupMember, GroupSession
from peerbridge.support.stalls import last_contacts_refresh
from peerbridge.workforce.models import PeerProfile
from tests.conftest import persona_user
from tests.support.world import active_match

SUMMARY = "Said they had stopped taking their medication and felt hopeless."


def user_of(persona: str) -> User:
    user = persona_user(persona)
    assert user is not None
    return user


def client_as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def peer_of(match: Match) -> User:
    user = match.profile.person.user
    assert user is not None
    return user


def working_match(programme: Programme, **kwargs: Any) -> Match:
    """An active match whose peer can sign in and is supervised by "supervisor"."""
    return active_match(programme, **kwargs)


def contact_in(match: Match, *, logged_by: User | None = None) -> Contact:
    """A phone call logged an hour ago (rows made directly: the contact services are
    another module's)."""
    now = timezone.now()
    made = Contact.objects.create(
        match=match,
        programme=match.programme,
        enrolment=match.enrolment,
        profile=match.profile,
        occurred_at=now - timedelta(hours=1),
        duration_minutes=20,
        mode="phone",
        setting="home",
        logged_by=logged_by or peer_of(match),
        locked_at=now + timedelta(hours=48),
    )
    last_contacts_refresh([made.match_id])
    return made


def group_with_session(
    programme: Programme,
    *,
    facilitator: PeerProfile | None = None,
    members: list[Any] | None = None,
    modality: str = Group.Modality.ONLINE,
    moderator: User | None = None,
) -> GroupSession:
    """A running group (rows made directly) with one held session, a peer facilitator
    and the given enrolments as members."""
    group = Group.objects.create(
        programme=programme,
        name="Tuesday evening circle",
        kind=Group.Kind.MUTUAL_SUPPORT,
        modality=modality,
        online_link="https://meet.example.org/circle" if modality != "in_person" else "",
        capacity=12,
        moderator=moderator,
        status=Group.Status.RUNNING,
    )
    if facilitator is not None:
        Facilitator.objects.create(group=group, profile=facilitator)
    for enrolment in members or []:
        GroupMember.objects.create(
            group=group,
            enrolment=enrolment,
            status=GroupMember.Status.ENROLLED,
            enrolled_at=timezone.now(),
        )
    return GroupSession.objects.create(
        group=group, number=1, starts_at=timezone.now() - timedelta(hours=2)
    )


def raise_flag(
    match: Match,
    *,
    severity: str = "medium",
    raised_by: User | None = None,
    contact: Contact | None = None,
    summary: str = SUMMARY,
) -> RiskFlag:
    """A flag about the match's participant, raised by its peer through the service."""
    return services.flag_raise(
        programme=match.programme,
        person=match.enrolment.person,
        enrolment=match.enrolment,
        severity=severity,
        summary=summary,
        source=RiskFlag.Source.CONTACT if contact is not None else RiskFlag.Source.STAFF,
        contact=contact,
        raised_by=raised_by if raised_by is not None else peer_of(match),
    )


def flag_about(
    programme: Programme, person: Person, *, severity: str = "medium", raised_by: User | None
) -> RiskFlag:
    return services.flag_raise(
        programme=programme,
        person=person,
        severity=severity,
        summary=SUMMARY,
        source=RiskFlag.Source.STAFF,
        raised_by=raised_by,
    )


def set_settings(programme: Programme, **values: Any) -> SafetySettings:
    """Change the programme's safety settings directly (tests of other rules)."""
    row = safety_settings(programme)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row
