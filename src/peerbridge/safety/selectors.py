"""Reads of risk flags, scoped: staff over a programme see its flags; a peer sees the
flags about the participants matched to them now; whoever raised a flag, or was sent
it, or had it escalated to them sees it. 404 outside the user's reach, 403 in reach
without the right. Each page or answer that shows flags audits a read of the people.

The `open_flags_*` selectors feed the home pages: unresolved flags (waiting for
acknowledgement or acknowledged), overdue first, then by deadline; each carries an
`overdue` attribute."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_many
from peerbridge.core.models import User
from peerbridge.matching.models import WORKING_STATUSES, Match
from peerbridge.organisations.models import Programme
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope, user_roles
from peerbridge.referrals.models import OPEN_STATUSES, Enrolment
from peerbridge.safety import policies
from peerbridge.safety.models import FlagEvent, RiskFlag
from peerbridge.safety.services import may_handle
from peerbridge.support.models import Contact, Facilitator, GroupMember, GroupSession
from peerbridge.workforce.models import PeerProfile
from peerbridge.workforce.selectors import as_pk

Status = RiskFlag.Status
UNRESOLVED = (Status.OPEN, Status.ACKNOWLEDGED)
FLAG_RELATED = (
    "programme",
    "person",
    "enrolment",
    "raised_by__person",
    "assigned_to__person",
    "escalated_to__person",
)
# The filters of a programme's list: "" is every unresolved flag.
FILTERS: dict[str, tuple[str, ...]] = {
    "": UNRESOLVED,
    "open": (Status.OPEN,),
    "acknowledged": (Status.ACKNOWLEDGED,),
    "resolved": (Status.RESOLVED,),
}


def staff_only(policy: Policy) -> Policy | None:
    """The policy's staff roles: a peer role reaches a peer's own flags, never the
    programme's."""
    roles = frozenset(policy.roles - {Role.PEER_SUPPORTER})
    return replace(policy, roles=roles) if roles else None


# Staff over a programme who see its flags (the list page): FLAG_VIEW without peers.
STAFF_VIEW = replace(
    policies.FLAG_VIEW, roles=frozenset(policies.FLAG_VIEW.roles - {Role.PEER_SUPPORTER})
)


def staff_programme_ids(user: AnyUser, policy: Policy = policies.FLAG_VIEW) -> list[int]:
    staff = staff_only(policy)
    if staff is None:
        return []
    return list(programmes_in_scope(user=user, policy=staff).values_list("pk", flat=True))


def peer_enrolment_ids(user: AnyUser) -> QuerySet[Match, Any]:
    """The enrolments of the participants matched to this peer now (a subquery)."""
    if not user.is_authenticated:
        return Match.objects.none().values("enrolment_id")
    return Match.objects.filter(
        profile__person__user_id=int(user.pk), status__in=WORKING_STATUSES
    ).values("enrolment_id")


def _scope(user: AnyUser) -> Q | None:
    if not user.is_authenticated:
        return None
    scope = Q(assigned_to_id=user.pk) | Q(escalated_to_id=user.pk) | Q(raised_by_id=user.pk)
    programme_ids = staff_programme_ids(user)
    if programme_ids:
        scope |= Q(programme_id__in=programme_ids)
    if Role.PEER_SUPPORTER in user_roles(user):
        scope |= Q(enrolment_id__in=peer_enrolment_ids(user))
    return scope


def flags_in_scope(user: AnyUser) -> QuerySet[RiskFlag]:
    scope = _scope(user)
    if scope is None:
        return RiskFlag.objects.none()
    return RiskFlag.objects.filter(scope).select_related(*FLAG_RELATED)


def with_overdue(flags: QuerySet[RiskFlag], now: datetime | None = None) -> QuerySet[RiskFlag]:
    """Overdue first (waiting for acknowledgement past the deadline), then by deadline."""
    moment = now or timezone.now()
    return flags.annotate(
        overdue=Case(
            When(status=Status.OPEN, acknowledge_by__lt=moment, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    ).order_by("-overdue", "acknowledge_by", "pk")


def audit_flags_read(user: AnyUser, flags: Iterable[RiskFlag]) -> None:
    """Showing flags is a read of each person they are about."""
    person_ids = sorted({flag.person_id for flag in flags})
    if person_ids:
        audit_many(
            actor=user, action=Action.READ, object_type="people.person", object_ids=person_ids
        )


def access_flag(user: AnyUser, flag_id: Any, policy: Policy = policies.FLAG_VIEW) -> RiskFlag:
    """Fetch a flag for `policy`: 404 outside the user's reach; 403 to handle it
    without being its assignee, a supervisor or a leader over the programme."""
    pk = as_pk(flag_id)
    flag = (
        flags_in_scope(user)
        .select_related(
            "programme__site",
            "acknowledged_by__person",
            "resolved_by__person",
            "contact",
            "group_session__group",
        )
        .filter(pk=pk)
        .first()
    )
    if flag is None:
        raise Http404
    if policy is policies.FLAG_HANDLE and not (isinstance(user, User) and may_handle(user, flag)):
        raise PermissionDenied
    audit_flags_read(user, [flag])
    return flag


def trail(flag: RiskFlag) -> list[FlagEvent]:
    return list(flag.events.select_related("by__person", "to__person").order_by("at", "pk"))


def programme_flags(
    programme: Programme, *, status: str = "", now: datetime | None = None
) -> QuerySet[RiskFlag]:
    """A programme's flags for its list page: unresolved by default, overdue first."""
    statuses = FILTERS.get(status, UNRESOLVED)
    flags = RiskFlag.objects.filter(programme=programme, status__in=statuses).select_related(
        *FLAG_RELATED
    )
    if statuses == (Status.RESOLVED,):
        return with_overdue(flags, now).order_by("-resolved_at", "-pk")
    return with_overdue(flags, now)


@dataclass(frozen=True)
class MyFlags:
    """Flags sent or escalated to me that are not resolved, and (for a peer) the
    unresolved flags I raised."""

    with_me: list[RiskFlag]
    raised: list[RiskFlag]

    @property
    def overdue_count(self) -> int:
        return sum(1 for flag in self.with_me if getattr(flag, "overdue", False))


def my_flags(user: AnyUser, *, now: datetime | None = None) -> MyFlags:
    if not user.is_authenticated:
        return MyFlags([], [])
    unresolved = RiskFlag.objects.filter(status__in=UNRESOLVED).select_related(*FLAG_RELATED)
    mine = Q(assigned_to_id=user.pk) | Q(escalated_to_id=user.pk)
    with_me = list(with_overdue(unresolved.filter(mine), now))
    raised = list(with_overdue(unresolved.filter(raised_by_id=user.pk).exclude(mine), now))
    audit_flags_read(user, [*with_me, *raised])
    return MyFlags(with_me, raised)


# ---------------------------------------------------------------------------------------
# For the home pages (they audit what they show, through `audit_flags_read`)


def open_flags_for_user(user: AnyUser, *, limit: int = 100) -> list[RiskFlag]:
    """The unresolved flags this user reaches (staff: their programmes'; a peer: raised
    by them or about their participants; anyone: sent or escalated to them)."""
    return list(with_overdue(flags_in_scope(user).filter(status__in=UNRESOLVED))[:limit])


def _grouped(flags: QuerySet[RiskFlag], key: str) -> dict[int, list[RiskFlag]]:
    grouped: dict[int, list[RiskFlag]] = defaultdict(list)
    for flag in with_overdue(flags.filter(status__in=UNRESOLVED).select_related(*FLAG_RELATED)):
        grouped[getattr(flag, key)].append(flag)
    return dict(grouped)


def open_flags_by_programme(programme_ids: Iterable[int]) -> dict[int, list[RiskFlag]]:
    """Unresolved flags per programme, in one query (the caller authorised the ids)."""
    return _grouped(RiskFlag.objects.filter(programme_id__in=list(programme_ids)), "programme_id")


def open_flags_by_person(person_ids: Iterable[int]) -> dict[int, list[RiskFlag]]:
    """Unresolved flags per person, in one query (the caller authorised the ids)."""
    return _grouped(RiskFlag.objects.filter(person_id__in=list(person_ids)), "person_id")


# ---------------------------------------------------------------------------------------
# Where a flag is raised from


def is_staff_over(user: AnyUser, programme_id: int, policy: Policy) -> bool:
    return programme_id in staff_programme_ids(user, policy)


def access_contact_for_flag(user: AnyUser, contact_id: Any) -> Contact:
    """A contact to raise a flag from: the peer of the contact or who logged it, or
    staff over its programme; 404 for anyone else."""
    pk = as_pk(contact_id)
    contact = (
        Contact.objects.select_related(
            "programme", "enrolment__person", "profile__person", "profile__supervisor"
        )
        .filter(pk=pk)
        .first()
    )
    if contact is None or not user.is_authenticated:
        raise Http404
    own = user.pk in {contact.profile.person.user_id, contact.logged_by_id}
    if not own and not is_staff_over(user, contact.programme_id, policies.FLAG_RAISE):
        raise Http404
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[contact.enrolment.person_id],
    )
    return contact


def facilitates(user: AnyUser, session: GroupSession) -> bool:
    if not user.is_authenticated:
        return False
    group = session.group
    if group.moderator_id == user.pk:
        return True
    return (
        Facilitator.objects.filter(group_id=group.pk, removed_at__isnull=True)
        .filter(Q(user_id=user.pk) | Q(profile__person__user_id=user.pk))
        .exists()
    )


def access_session_for_flag(user: AnyUser, session_id: Any) -> GroupSession:
    """A group session to raise a flag from: its facilitators and moderator, or staff
    over its programme; 404 for anyone else."""
    pk = as_pk(session_id)
    session = GroupSession.objects.select_related("group__programme").filter(pk=pk).first()
    if session is None:
        raise Http404
    if not may_flag_from(user, session):
        raise Http404
    return session


def may_flag_from(user: AnyUser, session: GroupSession) -> bool:
    """Whether the user may raise a flag from the group session: its facilitators and
    moderator, and staff over its programme (for the session page's link)."""
    return facilitates(user, session) or is_staff_over(
        user, session.group.programme_id, policies.FLAG_RAISE
    )


@dataclass(frozen=True)
class PersonChoice:
    """Someone a flag may be about: a participant (with their enrolment) or a peer."""

    key: str
    label: str
    person_id: int
    enrolment: Enrolment | None


def _participant_choice(enrolment: Enrolment, label: str) -> PersonChoice:
    return PersonChoice(f"e{enrolment.pk}", label, enrolment.person_id, enrolment)


def people_to_flag(user: AnyUser, programme: Programme) -> list[PersonChoice]:
    """Staff choose among the programme's open enrolments and its peers; a peer among
    the participants matched to them."""
    participant, peer = _("participant"), _("peer supporter")
    if is_staff_over(user, programme.pk, policies.FLAG_RAISE):
        enrolments = Enrolment.objects.filter(
            programme=programme, status__in=OPEN_STATUSES
        ).select_related("person")
        profiles = (
            PeerProfile.objects.filter(programme=programme)
            .exclude(status=PeerProfile.Status.LEFT)
            .select_related("person")
        )
    else:
        enrolments = Enrolment.objects.filter(
            programme=programme, pk__in=peer_enrolment_ids(user)
        ).select_related("person")
        profiles = PeerProfile.objects.none()
    choices = [_participant_choice(e, f"{e.person} ({participant})") for e in enrolments]
    choices += [
        PersonChoice(f"p{p.pk}", f"{p.person} ({peer})", p.person_id, None) for p in profiles
    ]
    return sorted(choices, key=lambda c: c.label.casefold())


def people_in_session(session: GroupSession) -> list[PersonChoice]:
    """The group's members and its peer facilitators."""
    participant, peer = _("participant"), _("peer supporter")
    members = GroupMember.objects.filter(
        group_id=session.group_id,
        status__in=[GroupMember.Status.ENROLLED, GroupMember.Status.COMPLETED],
    ).select_related("enrolment__person")
    facilitators = Facilitator.objects.filter(
        group_id=session.group_id, removed_at__isnull=True, profile__isnull=False
    ).select_related("profile__person")
    choices = [
        _participant_choice(m.enrolment, f"{m.enrolment.person} ({participant})") for m in members
    ]
    choices += [
        PersonChoice(f"f{f.pk}", f"{f.profile.person} ({peer})", f.profile.person_id, None)
        for f in facilitators
        if f.profile is not None
    ]
    return sorted(choices, key=lambda c: c.label.casefold())


def audit_choices(user: AnyUser, choices: list[PersonChoice]) -> None:
    """A list of names to choose from is a read of each person on it."""
    if choices:
        audit_many(
            actor=user,
            action=Action.READ,
            object_type="people.person",
            object_ids=sorted({c.person_id for c in choices}),
        )
