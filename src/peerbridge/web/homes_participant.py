"""A participant's home: for each programme they take part in, their peer (the name the
peer goes by, and how to reach them through the programme), their next contact, their
goals, the groups they belong to with the next session, and what they agreed to, with
the way to see and download everything held about them.

Only the participant's own record, in programmes where they hold the participant role
now. A fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.matching.models import Match
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import programmes_in_scope
from peerbridge.outcomes.models import Assessment
from peerbridge.people.models import Consent, Person
from peerbridge.people.selectors import own_person
from peerbridge.referrals.models import OPEN_STATUSES, Enrolment
from peerbridge.support.models import Contact, Goal, GroupMember, GroupSession
from peerbridge.web.homes import (
    CASELOAD_STATUSES,
    PARTICIPANT_HOME,
    Urgency,
    last_contacts,
    with_last_contact,
)
from peerbridge.workforce.models import PeerProfile

LIVE_PLACES = (GroupMember.Status.ENROLLED, GroupMember.Status.WAITING)


@dataclass(frozen=True)
class GroupPlace:
    member: GroupMember
    next_session_at: datetime | None


@dataclass(frozen=True)
class ProgrammePart:
    """The participant's part in one programme."""

    enrolment: Enrolment
    match: Match | None
    last_contact: Contact | None
    active_goals: int
    questionnaires_waiting: int
    groups: list[GroupPlace]
    consent: Consent | None

    @property
    def programme(self) -> Programme:
        return self.enrolment.programme

    @property
    def peer_name(self) -> str:
        if self.match is None:
            return ""
        return peer_name(self.match.profile)

    @property
    def peer_ways(self) -> list[str]:
        """How the peer can meet: the ways of meeting on their profile."""
        if self.match is None:
            return []
        labels = dict(Programme.Modality.choices)
        return [str(labels.get(m, m)) for m in self.match.profile.modalities or []]

    @property
    def next_contact_on(self) -> date | None:
        return self.last_contact.next_contact_on if self.last_contact is not None else None


def peer_name(profile: PeerProfile) -> str:
    """The name a peer goes by with participants: their alias, else their first name."""
    person = profile.person
    return str(profile.alias or person.preferred_name or person.given_name)


@dataclass(frozen=True)
class ParticipantHome:
    key = "participant"
    template = "web/home_participant.html"
    today: date
    person: Person | None
    parts: list[ProgrammePart]

    @property
    def urgency(self) -> Urgency:
        due = sum(
            1
            for part in self.parts
            if part.next_contact_on is not None and part.next_contact_on <= self.today
        )
        return Urgency(safety=0, due=due)

    @property
    def person_ids(self) -> set[int]:
        shown = {self.person.pk} if self.person is not None and self.parts else set()
        return shown | {p.match.profile.person_id for p in self.parts if p.match is not None}


def _enrolments(user: User, person: Person) -> list[Enrolment]:
    programmes = programmes_in_scope(user=user, policy=PARTICIPANT_HOME).values("pk")
    return list(
        Enrolment.objects.filter(
            person=person, status__in=OPEN_STATUSES, programme_id__in=programmes
        )
        .select_related("programme")
        .annotate(
            active_goals=Count("goals", filter=Q(goals__status=Goal.Status.ACTIVE)),
            questionnaires_waiting=Subquery(
                Assessment.objects.filter(
                    enrolment=OuterRef("pk"),
                    status__in=[Assessment.Status.OPEN, Assessment.Status.STARTED],
                    closes_on__gte=timezone.localdate(),
                )
                .values("enrolment")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
        )
        .order_by("programme__name", "pk")
    )


def _groups(enrolments: list[Enrolment], now: datetime) -> dict[int, list[GroupPlace]]:
    upcoming = GroupSession.objects.filter(
        group=OuterRef("group"), status=GroupSession.Status.SCHEDULED, starts_at__gte=now
    ).order_by("starts_at", "pk")
    found: dict[int, list[GroupPlace]] = defaultdict(list)
    for member in (
        GroupMember.objects.filter(enrolment__in=enrolments, status__in=LIVE_PLACES)
        .select_related("group")
        .annotate(next_session_at=Subquery(upcoming.values("starts_at")[:1]))
        .order_by("group__name", "pk")
    ):
        found[member.enrolment_id].append(
            GroupPlace(member=member, next_session_at=member.next_session_at)
        )
    return found


def _consents(person: Person, programme_ids: list[int]) -> dict[int, Consent]:
    """The newest consent decision in each programme."""
    newest: dict[int, Consent] = {}
    for consent in Consent.objects.filter(person=person, programme_id__in=programme_ids).order_by(
        "programme_id", "-recorded_at", "-id"
    ):
        newest.setdefault(consent.programme_id, consent)
    return newest


def participant_home(*, user: User, today: date | None = None) -> ParticipantHome:
    day = today or timezone.localdate()
    person = own_person(user)
    if person is None:
        return ParticipantHome(today=day, person=None, parts=[])
    enrolments = _enrolments(user, person)
    matches = list(
        with_last_contact(
            Match.objects.filter(enrolment__in=enrolments, status__in=CASELOAD_STATUSES)
        ).select_related("profile__person")
    )
    match_of = {m.enrolment_id: m for m in matches}
    contacts = last_contacts(matches)
    groups = _groups(enrolments, timezone.now())
    consents = _consents(person, [e.programme_id for e in enrolments])
    parts = []
    for enrolment in enrolments:
        match = match_of.get(enrolment.pk)
        parts.append(
            ProgrammePart(
                enrolment=enrolment,
                match=match,
                last_contact=contacts.get(match.pk) if match is not None else None,
                active_goals=enrolment.active_goals,  # type: ignore[attr-defined]
                questionnaires_waiting=enrolment.questionnaires_waiting or 0,  # type: ignore[attr-defined]
                groups=groups.get(enrolment.pk, []),
                consent=consents.get(enrolment.programme_id),
            )
        )
    return ParticipantHome(today=day, person=person, parts=parts)
