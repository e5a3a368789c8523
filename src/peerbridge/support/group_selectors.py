"""Reads of groups, scoped: staff over a programme reach its groups; a peer reaches the
groups they facilitate (a live facilitation). 404 outside the user's reach, 403 in
reach without the right.

Lists and the attendance report read in a fixed number of queries whatever the number
of groups, members or sessions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from peerbridge.core.access import Policy, role_policy
from peerbridge.core.audit import Action, audit_many
from peerbridge.core.models import User
from peerbridge.matching.selectors import staff_only
from peerbridge.organisations.models import Programme, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.support import policies
from peerbridge.support.models import Attendance, Facilitator, Group, GroupMember, GroupSession
from peerbridge.workforce.selectors import as_pk

E = EnrolmentStatus
MS = GroupMember.Status
# An enrolment that may take a place in a group: in the programme and not closed.
LIVE_ENROLMENT_STATUSES = frozenset({E.ENROLLED, E.WAITING, E.MATCHED, E.ACTIVE})
# Members holding one of the group's places.
PLACED = (MS.ENROLLED, MS.COMPLETED)
# Members still in the group or on its list (one such row per enrolment and group).
CURRENT = (MS.ENROLLED, MS.WAITING, MS.COMPLETED)
# Staff who may moderate an online group or co-facilitate as a professional.
PROFESSIONAL = role_policy(
    "support.group_professional",
    {Role.ORG_ADMIN, Role.PROGRAMME_LEADER, Role.COORDINATOR, Role.SUPERVISOR},
    "Staff of a programme who may moderate or co-facilitate its groups.",
)


# ---------------------------------------------------------------------------------------
# Scope


def _scope(user: AnyUser, policy: Policy) -> Q | None:
    if not user.is_authenticated:
        return None
    parts: list[Q] = []
    staff = staff_only(policy)
    if staff is not None:
        programme_ids = list(
            programmes_in_scope(user=user, policy=staff).values_list("pk", flat=True)
        )
        if programme_ids:
            parts.append(Q(programme_id__in=programme_ids))
    if Role.PEER_SUPPORTER in policy.roles:
        facilitated = Facilitator.objects.filter(
            removed_at__isnull=True, profile__person__user_id=user.pk
        ).values("group_id")
        parts.append(Q(pk__in=facilitated))
    if not parts:
        return None
    scope = parts[0]
    for part in parts[1:]:
        scope |= part
    return scope


def groups_in_scope(user: AnyUser, *, policy: Policy = policies.GROUP_VIEW) -> QuerySet[Group]:
    """The groups `user` reaches under `policy`: the programmes' groups for staff, and
    the groups a peer facilitates."""
    scope = _scope(user, policy)
    if scope is None:
        return Group.objects.none()
    return Group.objects.filter(scope).select_related("programme", "moderator__person")


def facilitated_groups(user: AnyUser) -> QuerySet[Group]:
    """The groups the user facilitates now, as a peer or a professional, or moderates."""
    if not user.is_authenticated:
        return Group.objects.none()
    live = Facilitator.objects.filter(removed_at__isnull=True)
    mine = live.filter(Q(profile__person__user_id=user.pk) | Q(user_id=user.pk))
    return Group.objects.filter(
        Q(pk__in=mine.values("group_id")) | Q(moderator_id=user.pk)
    ).select_related("programme", "moderator__person")


def access_group(*, user: AnyUser, group_id: Any, policy: Policy) -> Group:
    """Fetch a group for `policy`: 404 outside the user's reach, 403 when they may see
    it but not do this."""
    pk = as_pk(group_id)
    group = groups_in_scope(user, policy=policy).filter(pk=pk).first()
    if group is None:
        if policy is not policies.GROUP_VIEW and groups_in_scope(user).filter(pk=pk).exists():
            raise PermissionDenied
        raise Http404
    return group


def access_group_session(*, group: Group, number: Any) -> GroupSession:
    """A session, by its number, of a group the caller already reached."""
    session = GroupSession.objects.filter(group=group, number=as_pk(number)).first()
    if session is None:
        raise Http404
    session.group = group
    return session


InGroup = TypeVar("InGroup", GroupMember, Facilitator)


def _one_of_group(rows: QuerySet[InGroup], *, group: Group, pk: Any) -> InGroup:
    """A row of a group the caller already reached, by its id (404 when not there)."""
    found = rows.filter(group=group, pk=as_pk(pk)).first()
    if found is None:
        raise Http404
    found.group = group
    return found


def access_group_member(*, group: Group, member_id: Any) -> GroupMember:
    rows = GroupMember.objects.select_related("enrolment__person")
    return _one_of_group(rows, group=group, pk=member_id)


def access_facilitator(*, group: Group, facilitator_id: Any) -> Facilitator:
    rows = Facilitator.objects.select_related("profile__person", "user__person")
    return _one_of_group(rows, group=group, pk=facilitator_id)


def may_act(user: AnyUser, group: Group, policy: Policy) -> bool:
    """Whether the user, who reaches the group, may also do what `policy` covers."""
    return groups_in_scope(user, policy=policy).filter(pk=group.pk).exists()


# ---------------------------------------------------------------------------------------
# Staff who may moderate or co-facilitate


def programme_professionals(programme: Programme) -> QuerySet[User]:
    """Logins holding a staff role over the programme now (in it, or in a site above)."""
    now = timezone.now()
    held = RoleAssignment.objects.filter(
        role__in=sorted(PROFESSIONAL.roles), started_at__lte=now
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
    scope = Q(programme=programme) | Q(site_id__in=programme.site.ancestor_ids())
    return (
        User.objects.filter(pk__in=held.filter(scope).values("user_id"), is_active=True)
        .select_related("person")
        .order_by("email")
    )


def is_professional(user: User | None, programme: Programme) -> bool:
    return user is not None and programme_professionals(programme).filter(pk=user.pk).exists()


# ---------------------------------------------------------------------------------------
# Lists


def with_counts(groups: QuerySet[Group]) -> QuerySet[Group]:
    """Groups with what a list shows: places taken, waiting, live facilitators and the
    next scheduled session, as columns of the one query."""
    next_session = (
        GroupSession.objects.filter(
            group=OuterRef("pk"),
            status=GroupSession.Status.SCHEDULED,
            starts_at__gte=timezone.now(),
        )
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    placed = GroupMember.objects.filter(group=OuterRef("pk"), status__in=PLACED)
    waiting = GroupMember.objects.filter(group=OuterRef("pk"), status=MS.WAITING)
    return groups.annotate(
        placed_count=_count(placed),
        waiting_count=_count(waiting),
        next_session_at=Subquery(next_session),
    ).prefetch_related(
        Prefetch(
            "facilitators",
            queryset=Facilitator.objects.filter(removed_at__isnull=True).select_related(
                "profile__person", "user__person"
            ),
            to_attr="live_facilitators",
        )
    )


def _count(rows: QuerySet[Any]) -> Subquery:
    counted = rows.order_by().values("group").annotate(n=Count("pk")).values("n")
    return Subquery(counted)


def audit_facilitators(user: AnyUser, groups: Iterable[Group]) -> None:
    """Facilitators shown are people read: one audit row each."""
    person_ids: set[int] = set()
    for group in groups:
        for facilitator in getattr(group, "live_facilitators", []):
            if facilitator.profile is not None:
                person_ids.add(facilitator.profile.person_id)
    audit_people(user, person_ids)


def audit_members(user: AnyUser, members: Iterable[GroupMember]) -> None:
    audit_people(user, [member.enrolment.person_id for member in members])


def audit_people(user: AnyUser, person_ids: Iterable[int]) -> None:
    """Each person shown is a read of their record."""
    shown = sorted(set(person_ids))
    if shown:
        audit_many(actor=user, action=Action.READ, object_type="people.person", object_ids=shown)


def live_facilitators(group: Group) -> list[Facilitator]:
    return list(
        Facilitator.objects.filter(group=group, removed_at__isnull=True)
        .select_related("profile__person", "user__person")
        .order_by("added_at", "pk")
    )


def group_members(group: Group, *, statuses: Iterable[str] = CURRENT) -> list[GroupMember]:
    """Members in place order: enrolled and completed first, then the waiting list in
    the order people joined it."""
    rows = list(
        GroupMember.objects.filter(group=group, status__in=list(statuses))
        .select_related("enrolment__person")
        .order_by("joined_at", "pk")
    )
    for row in rows:
        row.group = group
    return sorted(rows, key=lambda m: (m.status == MS.WAITING, m.joined_at, m.pk))


def sessions_of(group: Group) -> list[GroupSession]:
    rows = list(GroupSession.objects.filter(group=group).order_by("starts_at", "number", "pk"))
    for row in rows:
        row.group = group
    return rows


def candidate_enrolments(group: Group, *, search: str = "", limit: int = 20) -> list[Enrolment]:
    """Enrolments of the group's programme that may take a place: live, and not already
    in the group or on its list; matching `search` on a name when given."""
    current = GroupMember.objects.filter(group=group, status__in=CURRENT).values("enrolment_id")
    rows = (
        Enrolment.objects.filter(
            programme_id=group.programme_id, status__in=sorted(LIVE_ENROLMENT_STATUSES)
        )
        .exclude(pk__in=current)
        .select_related("person")
    )
    search = " ".join(search.split())[:100]
    for word in search.split(" ") if search else []:
        rows = rows.filter(
            Q(person__given_name__icontains=word)
            | Q(person__family_name__icontains=word)
            | Q(person__preferred_name__icontains=word)
        )
    return list(rows.order_by("person__given_name", "person__family_name", "pk")[:limit])


# ---------------------------------------------------------------------------------------
# The attendance report


@dataclass
class ReportRow:
    member: GroupMember
    # (session number, attendance status) for each session; "" when not recorded
    cells: list[tuple[int, str]]
    present: int = 0
    absent: int = 0
    excused: int = 0
    completes: bool = False


@dataclass
class SessionTotals:
    session: GroupSession
    present: int = 0
    absent: int = 0
    excused: int = 0


@dataclass
class AttendanceReport:
    group: Group
    sessions: list[GroupSession]
    rows: list[ReportRow]
    totals: list[SessionTotals]
    completion_sessions: int | None
    statuses: dict[str, str] = field(default_factory=dict)

    @property
    def completed_count(self) -> int:
        return sum(1 for row in self.rows if row.completes)

    @property
    def present_total(self) -> int:
        return sum(t.present for t in self.totals)


def attendance_report(group: Group) -> AttendanceReport:
    """Members (everyone who held a place or has attendance) by sessions that were not
    cancelled, with totals per session and per member and who reaches completion.
    Three queries, whatever the size of the group."""
    sessions = [s for s in sessions_of(group) if s.status != GroupSession.Status.CANCELLED]
    marks: dict[tuple[int, int], str] = {
        (row.member_id, row.session_id): row.status
        for row in Attendance.objects.filter(session__group=group).only(
            "member_id", "session_id", "status"
        )
    }
    attended = {member_id for member_id, _session in marks}
    members = [
        m
        for m in group_members(group, statuses=[*PLACED, MS.LEFT])
        if m.status != MS.LEFT or m.pk in attended
    ]
    needed = group.completion_sessions
    totals = [SessionTotals(session=s) for s in sessions]
    rows: list[ReportRow] = []
    for member in members:
        row = ReportRow(member=member, cells=[])
        for column, session in enumerate(sessions):
            mark = marks.get((member.pk, session.pk), "")
            row.cells.append((session.number, mark))
            if mark:
                setattr(row, mark, getattr(row, mark) + 1)
                setattr(totals[column], mark, getattr(totals[column], mark) + 1)
        row.completes = bool(needed) and member.status != MS.LEFT and row.present >= (needed or 0)
        rows.append(row)
    return AttendanceReport(
        group=group,
        sessions=sessions,
        rows=rows,
        totals=totals,
        completion_sessions=needed,
        statuses={value: str(label) for value, label in Attendance.Status.choices},
    )


def present_counts(group: Group) -> dict[int, int]:
    """Sessions attended by each member of the group (sessions not cancelled)."""
    rows = (
        Attendance.objects.filter(session__group=group, status=Attendance.Status.PRESENT)
        .exclude(session__status=GroupSession.Status.CANCELLED)
        .values("member_id")
        .annotate(n=Count("pk"))
    )
    return {row["member_id"]: row["n"] for row in rows}


# ---------------------------------------------------------------------------------------
# For the participant's home page


def groups_of_enrolments(enrolment_ids: Iterable[int]) -> dict[int, list[GroupMember]]:
    """The groups each enrolment is in, waiting for, or completed, with the group and
    its next scheduled session (`member.next_session_at`), in two queries at most.
    Groups that were cancelled are left out; each list is in joining order."""
    ids = sorted({int(pk) for pk in enrolment_ids})
    found: dict[int, list[GroupMember]] = defaultdict(list)
    if not ids:
        return {}
    next_session = (
        GroupSession.objects.filter(
            group=OuterRef("group_id"),
            status=GroupSession.Status.SCHEDULED,
            starts_at__gte=timezone.now(),
        )
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    rows = (
        GroupMember.objects.filter(enrolment_id__in=ids, status__in=CURRENT)
        .exclude(group__status=Group.Status.CANCELLED)
        .select_related("group", "group__programme")
        .annotate(next_session_at=Subquery(next_session))
        .order_by("joined_at", "pk")
    )
    for row in rows:
        found[row.enrolment_id].append(row)
    return dict(found)
