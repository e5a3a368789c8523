"""A peer supporter's home, "my people today": each person they support with the last
contact, the next step and the next contact date, the work due for them and any open
risk flag, with a big button to log a contact; then offers waiting for the peer's
answer, the group sessions they facilitate next and their own wellbeing.

People with something due today or overdue come first. A fixed number of queries
whatever the size of the caseload."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.followups.models import Action as WorkAction
from peerbridge.followups.models import Role as WorkRole
from peerbridge.followups.models import WorkItem
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.organisations.selectors import programmes_in_scope
from peerbridge.safety.models import RiskFlag
from peerbridge.support.models import Contact, GroupSession
from peerbridge.web.homes import (
    CASELOAD_STATUSES,
    LIST_LIMIT,
    PEER_HOME,
    Urgency,
    first_name,
    last_contacts,
    with_last_contact,
)
from peerbridge.workforce.models import PeerProfile
from peerbridge.workforce.wellbeing import CheckInDue, checkins_due

UNRESOLVED_FLAG = (RiskFlag.Status.OPEN, RiskFlag.Status.ACKNOWLEDGED)


@dataclass(frozen=True)
class PersonRow:
    """One person in the peer's caseload."""

    match: Match
    name: str
    last_contact: Contact | None
    due_items: tuple[WorkItem, ...]
    flags: tuple[RiskFlag, ...]
    today: date

    @property
    def next_contact_on(self) -> date | None:
        return self.last_contact.next_contact_on if self.last_contact is not None else None

    @property
    def next_step(self) -> str:
        return str(self.last_contact.next_step) if self.last_contact is not None else ""

    @property
    def contact_overdue(self) -> bool:
        return self.next_contact_on is not None and self.next_contact_on < self.today

    @property
    def contact_due_today(self) -> bool:
        return self.next_contact_on == self.today

    @property
    def items_overdue(self) -> bool:
        return any(item.overdue_on < self.today for item in self.due_items)

    @property
    def is_due(self) -> bool:
        """Something for this person is due today or overdue."""
        return bool(self.due_items) or (
            self.next_contact_on is not None and self.next_contact_on <= self.today
        )

    @property
    def open_flag(self) -> bool:
        return any(flag.status == RiskFlag.Status.OPEN for flag in self.flags)

    def sort_key(self) -> tuple[int, date, str]:
        return (
            0 if self.is_due or self.flags else 1,
            self.next_contact_on or date.max,
            self.name,
        )


@dataclass(frozen=True)
class ProfileStatus:
    """The peer's own standing in one programme: paused, on hold, check-in due."""

    profile: PeerProfile
    paused: bool
    checkin: CheckInDue | None


@dataclass(frozen=True)
class PeerHome:
    key = "peer"
    template = "web/home_peer.html"
    today: date
    people: list[PersonRow]
    offers: list[Match]
    sessions: list[GroupSession]
    statuses: list[ProfileStatus]
    other_items: list[WorkItem] = field(default_factory=list)

    @property
    def due_count(self) -> int:
        return sum(1 for row in self.people if row.is_due)

    @property
    def urgency(self) -> Urgency:
        flagged = sum(1 for row in self.people if row.open_flag)
        return Urgency(
            safety=flagged, due=self.due_count + len(self.offers) + len(self.other_items)
        )

    @property
    def person_ids(self) -> set[int]:
        return {row.match.enrolment.person_id for row in self.people} | {
            item.enrolment.person_id for item in self.other_items
        }


def peer_profiles(user: User) -> list[PeerProfile]:
    """The user's profiles in programmes where they hold the peer role now."""
    programmes = programmes_in_scope(user=user, policy=PEER_HOME)
    return list(
        PeerProfile.objects.filter(person__user=user, programme__in=programmes)
        .exclude(status=PeerProfile.Status.LEFT)
        .select_related("programme")
        .order_by("programme__name", "pk")
    )


def _caseload(profiles: list[PeerProfile]) -> list[Match]:
    matches = Match.objects.filter(profile__in=profiles, status__in=CASELOAD_STATUSES)
    return list(with_last_contact(matches).select_related("enrolment__person", "programme"))


def _due_items(user: User, matches: list[Match], today: date) -> list[WorkItem]:
    """Open work due today or overdue for this peer, in programmes where they hold the
    peer role: assigned to them, or the peer's part of a playbook for one of their
    matches."""
    mine = Q(assignee_id=user.pk) | Q(
        match_id__in=[m.pk for m in matches], role=WorkRole.PEER, assignee__isnull=True
    )
    programmes = programmes_in_scope(user=user, policy=PEER_HOME).values("pk")
    return list(
        WorkItem.objects.filter(
            mine,
            status=WorkItem.Status.OPEN,
            action=WorkAction.WORK_ITEM,
            due_on__lte=today,
            programme_id__in=programmes,
        )
        .select_related("enrolment__person")
        .order_by("overdue_on", "due_on", "pk")
    )


def _flags(matches: list[Match]) -> dict[tuple[int, int], list[RiskFlag]]:
    """Unresolved flags about the people in the caseload, in the match's programme,
    keyed by (programme, person)."""
    if not matches:
        return {}
    about = Q()
    for programme_id in {m.programme_id for m in matches}:
        people = [m.enrolment.person_id for m in matches if m.programme_id == programme_id]
        about |= Q(programme_id=programme_id, person_id__in=people)
    found: dict[tuple[int, int], list[RiskFlag]] = defaultdict(list)
    for flag in RiskFlag.objects.filter(about, status__in=UNRESOLVED_FLAG).order_by(
        "acknowledge_by", "pk"
    ):
        found[(flag.programme_id, flag.person_id)].append(flag)
    return found


def _offers(profiles: list[PeerProfile]) -> list[Match]:
    return list(
        Match.objects.filter(profile__in=profiles, status=MatchStatus.OFFERED)
        .select_related("programme")
        .order_by("respond_by", "pk")
    )


def _sessions(profiles: list[PeerProfile], now: datetime) -> list[GroupSession]:
    return list(
        GroupSession.objects.filter(
            group__facilitators__profile__in=profiles,
            group__facilitators__removed_at__isnull=True,
            status=GroupSession.Status.SCHEDULED,
            starts_at__gte=now,
        )
        .select_related("group")
        .distinct()
        .order_by("starts_at", "pk")[:LIST_LIMIT]
    )


def _items_by_match(
    items: list[WorkItem], matches: list[Match]
) -> tuple[dict[int, list[WorkItem]], list[WorkItem]]:
    """Work items under the match they concern (by match, else by enrolment), and those
    about no one in the caseload."""
    match_ids = {m.pk for m in matches}
    by_enrolment = {m.enrolment_id: m.pk for m in matches}
    by_match: dict[int, list[WorkItem]] = defaultdict(list)
    other: list[WorkItem] = []
    for item in items:
        owner = item.match_id if item.match_id in match_ids else None
        owner = owner or by_enrolment.get(item.enrolment_id)
        if owner is None:
            other.append(item)
        else:
            by_match[owner].append(item)
    return by_match, other


def peer_home(*, user: User, today: date | None = None) -> PeerHome:
    day = today or timezone.localdate()
    profiles = peer_profiles(user)
    matches = _caseload(profiles)
    contacts = last_contacts(matches)
    by_match, other = _items_by_match(_due_items(user, matches, day) if profiles else [], matches)
    flags = _flags(matches)
    rows = [
        PersonRow(
            match=m,
            name=first_name(m.enrolment.person),
            last_contact=contacts.get(m.pk),
            due_items=tuple(by_match.get(m.pk, ())),
            flags=tuple(flags.get((m.programme_id, m.enrolment.person_id), ())),
            today=day,
        )
        for m in matches
    ]
    rows.sort(key=PersonRow.sort_key)
    checkins = checkins_due(profiles) if profiles else {}
    return PeerHome(
        today=day,
        people=rows,
        offers=_offers(profiles),
        sessions=_sessions(profiles, timezone.now()),
        statuses=[
            ProfileStatus(profile=p, paused=p.is_paused(day), checkin=checkins.get(p.pk))
            for p in profiles
        ],
        other_items=other,
    )
