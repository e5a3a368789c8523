"""Reads of training: the curriculum and its sessions, who is expected at a session, a
peer's training record and who is overdue, fetched and authorised together.

Whether a peer's training is complete, and whether their ongoing hours are overdue, is
read from `workforce.eligibility` (its Standing); nothing here decides it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_many
from peerbridge.organisations.models import Programme, RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import AnyUser, access_programme
from peerbridge.people.models import Person
from peerbridge.workforce.eligibility import Standing, standings
from peerbridge.workforce.models import (
    Competency,
    CompetencyCheck,
    PeerProfile,
    TrainingAttendance,
    TrainingModule,
    TrainingSession,
)
from peerbridge.workforce.selectors import as_pk, workforce_settings

PEERS = TrainingModule.Audience.PEERS
STAFF = TrainingModule.Audience.STAFF
# Who attends a peer module: peers in training and peers supporting people.
PEER_TRAINEES = (PeerProfile.Status.TRAINING, PeerProfile.Status.ACTIVE)
# Who attends a staff module: the programme's staff who are not peers.
STAFF_TRAINEES = frozenset(
    {Role.ORG_ADMIN, Role.PROGRAMME_LEADER, Role.COORDINATOR, Role.SUPERVISOR, Role.REFERRER}
)
UPCOMING = timedelta(weeks=8)
RECENT = timedelta(weeks=6)


# ---------------------------------------------------------------------------------------
# Fetch and authorise


def access_module(*, user: AnyUser, module_id: Any, policy: Policy) -> TrainingModule:
    """A module of a programme the user reaches under `policy` (404 outside scope, 403
    in scope without the right, as for its programme)."""
    module = TrainingModule.objects.filter(pk=as_pk(module_id)).first()
    if module is None:
        raise Http404
    module.programme = access_programme(user=user, programme_id=module.programme_id, policy=policy)
    return module


def access_session(*, user: AnyUser, session_id: Any, policy: Policy) -> TrainingSession:
    session = TrainingSession.objects.select_related("module").filter(pk=as_pk(session_id)).first()
    if session is None:
        raise Http404
    session.module.programme = access_programme(
        user=user, programme_id=session.module.programme_id, policy=policy
    )
    return session


# ---------------------------------------------------------------------------------------
# Reads: the curriculum and its sessions


@dataclass(frozen=True)
class Curriculum:
    modules: list[TrainingModule]
    upcoming: list[TrainingSession]
    recent: list[TrainingSession]


def _with_attendance_count(sessions: QuerySet[TrainingSession]) -> QuerySet[TrainingSession]:
    return sessions.select_related("module").annotate(
        attended_count=Count("attendance", filter=Q(attendance__attended=True))
    )


def curriculum(programme: Programme, *, now: datetime | None = None) -> Curriculum:
    """Modules in order (peers' then staff's), sessions over the coming weeks, and the
    past weeks' sessions (whose attendance may still need recording)."""
    now = now or timezone.now()
    sessions = list(
        _with_attendance_count(
            TrainingSession.objects.filter(
                module__programme=programme,
                starts_at__gte=now - RECENT,
                starts_at__lt=now + UPCOMING,
            )
        )
    )
    return Curriculum(
        modules=list(TrainingModule.objects.filter(programme=programme)),
        upcoming=[s for s in sessions if s.starts_at >= now],
        recent=[s for s in reversed(sessions) if s.starts_at < now],
    )


def module_sessions(module: TrainingModule) -> QuerySet[TrainingSession]:
    return _with_attendance_count(module.sessions.all()).order_by("-starts_at", "-id")


def programme_sessions(programme: Programme) -> QuerySet[TrainingSession]:
    return TrainingSession.objects.filter(module__programme=programme).select_related("module")


def competencies_of(programme: Programme) -> QuerySet[Competency]:
    return Competency.objects.filter(programme=programme)


# ---------------------------------------------------------------------------------------
# Reads: who is expected at a session


def _staff_assignments(programme: Programme) -> QuerySet[RoleAssignment]:
    now = timezone.now()
    organisation_id = programme.site.organisation_id
    return RoleAssignment.objects.filter(
        Q(programme=programme)
        | Q(site_id__in=programme.site.ancestor_ids())
        | Q(organisation_id=organisation_id, site__isnull=True, programme__isnull=True),
        Q(ended_at__isnull=True) | Q(ended_at__gt=now),
        role__in=STAFF_TRAINEES,
        started_at__lte=now,
    )


def programme_staff_people(programme: Programme) -> dict[int, tuple[Person, tuple[str, ...]]]:
    """The programme's non-peer staff with a person record, and their roles (one query)."""
    found: dict[int, tuple[Person, list[str]]] = {}
    for assignment in _staff_assignments(programme).select_related("user__person"):
        person = getattr(assignment.user, "person", None)
        if person is None:
            continue
        label = str(Role(assignment.role).label)
        roles = found.setdefault(person.pk, (person, []))[1]
        if label not in roles:
            roles.append(label)
    return {pk: (person, tuple(roles)) for pk, (person, roles) in found.items()}


def expected_people(module: TrainingModule) -> dict[int, tuple[Person, str]]:
    if module.audience == STAFF:
        return {
            pk: (person, ", ".join(roles))
            for pk, (person, roles) in programme_staff_people(module.programme).items()
        }
    profiles = PeerProfile.objects.filter(
        programme_id=module.programme_id, status__in=PEER_TRAINEES
    ).select_related("person")
    return {p.person_id: (p.person, p.get_status_display()) for p in profiles}


@dataclass(frozen=True)
class RosterRow:
    person: Person
    role: str
    attendance: TrainingAttendance | None

    @property
    def attended(self) -> bool:
        return self.attendance is not None and self.attendance.attended


def session_roster(*, user: AnyUser, session: TrainingSession) -> list[RosterRow]:
    """Everyone expected at the session, plus anyone already recorded, in a fixed number
    of queries. Each person listed is a read of their record (audited)."""
    people = expected_people(session.module)
    recorded = {
        row.person_id: row
        for row in TrainingAttendance.objects.filter(session=session).select_related("person")
    }
    for person_id, row in recorded.items():
        people.setdefault(person_id, (row.person, _("No longer on the list")))
    audit_many(
        actor=user, action=Action.READ, object_type="people.person", object_ids=sorted(people)
    )
    rows = [
        RosterRow(person=person, role=role, attendance=recorded.get(pk))
        for pk, (person, role) in people.items()
    ]
    return sorted(rows, key=lambda row: (str(row.person).casefold(), row.person.pk))


# ---------------------------------------------------------------------------------------
# Reads: a peer's training record, and who is overdue


@dataclass(frozen=True)
class ModuleProgress:
    module: TrainingModule
    done: bool
    done_on: date | None


@dataclass(frozen=True)
class CompetencyProgress:
    competency: Competency
    passed: bool
    latest: CompetencyCheck | None


@dataclass(frozen=True)
class TrainingRecord:
    profile: PeerProfile
    standing: Standing
    required: tuple[ModuleProgress, ...]
    optional: tuple[ModuleProgress, ...]
    competencies: tuple[CompetencyProgress, ...]
    checks: tuple[CompetencyCheck, ...]
    attendance: tuple[TrainingAttendance, ...]
    period_days: int

    @property
    def hours_in_period(self) -> Decimal:
        return self.standing.training_hours_in_period

    @property
    def hours_expected(self) -> Decimal:
        return self.standing.training_hours_expected

    @property
    def overdue(self) -> bool:
        return self.standing.ongoing_training_overdue


def training_record(profile: PeerProfile) -> TrainingRecord:
    """Required modules done or missing, optional ones, competency checks and ongoing
    hours, as `workforce.eligibility` sees them."""
    standing = standings([profile])[profile.pk]
    attendance = tuple(
        TrainingAttendance.objects.filter(
            person_id=profile.person_id, session__module__programme_id=profile.programme_id
        )
        .select_related("session__module")
        .order_by("-session__starts_at", "-id")
    )
    first_done: dict[int, date] = {}
    for row in reversed(attendance):
        if row.attended:
            first_done.setdefault(row.session.module_id, timezone.localdate(row.session.starts_at))
    modules = TrainingModule.objects.filter(
        programme_id=profile.programme_id, audience=PEERS, is_active=True
    )
    progress = [
        ModuleProgress(
            module=m,
            done=(m.title not in standing.missing_modules) if m.required else m.pk in first_done,
            done_on=first_done.get(m.pk),
        )
        for m in modules
    ]
    checks = tuple(
        CompetencyCheck.objects.filter(profile=profile).select_related(
            "competency", "assessed_by__person"
        )
    )
    latest: dict[int, CompetencyCheck] = {}
    for check in checks:  # newest first
        latest.setdefault(check.competency_id, check)
    competencies = tuple(
        CompetencyProgress(
            competency=c,
            passed=(c.name not in standing.missing_competencies)
            if c.required
            else (c.pk in latest and latest[c.pk].result == CompetencyCheck.Result.PASSED),
            latest=latest.get(c.pk),
        )
        for c in competencies_of(profile.programme)
    )
    return TrainingRecord(
        profile=profile,
        standing=standing,
        required=tuple(p for p in progress if p.module.required),
        optional=tuple(p for p in progress if not p.module.required),
        competencies=competencies,
        checks=checks,
        attendance=attendance,
        period_days=workforce_settings(profile.programme).ongoing_training_period_days,
    )


@dataclass(frozen=True)
class OverdueRow:
    profile: PeerProfile
    standing: Standing


def overdue_peers(*, user: AnyUser, programme: Programme) -> list[OverdueRow]:
    """Available peers whose ongoing training hours in the period are below the
    programme's expectation (fewest hours first). Audits each person listed."""
    profiles = list(
        PeerProfile.objects.filter(
            programme=programme, status=PeerProfile.Status.ACTIVE
        ).select_related("person")
    )
    found = standings(profiles)
    rows = [OverdueRow(p, found[p.pk]) for p in profiles if found[p.pk].ongoing_training_overdue]
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[row.profile.person_id for row in rows],
    )
    return sorted(rows, key=lambda r: (r.standing.training_hours_in_period, r.profile.pk))


@dataclass(frozen=True)
class StaffTrainingRow:
    person: Person
    roles: tuple[str, ...]
    attended_on: tuple[date | None, ...]  # per staff module, in module order


def staff_training(
    *, user: AnyUser, programme: Programme
) -> tuple[list[TrainingModule], list[StaffTrainingRow]]:
    """The programme's staff modules, and for each non-peer staff member when they last
    attended each one (None: not yet). Audits each person listed."""
    modules = list(TrainingModule.objects.filter(programme=programme, audience=STAFF))
    staff = programme_staff_people(programme)
    last: dict[tuple[int, int], datetime] = {
        (row["person_id"], row["session__module_id"]): row["last"]
        for row in TrainingAttendance.objects.filter(
            attended=True, person_id__in=list(staff), session__module__in=modules
        )
        .values("person_id", "session__module_id")
        .annotate(last=Max("session__starts_at"))
    }
    audit_many(
        actor=user, action=Action.READ, object_type="people.person", object_ids=sorted(staff)
    )
    rows = [
        StaffTrainingRow(
            person=person,
            roles=roles,
            attended_on=tuple(
                timezone.localdate(last[(pk, m.pk)]) if (pk, m.pk) in last else None
                for m in modules
            ),
        )
        for pk, (person, roles) in staff.items()
    ]
    return modules, sorted(rows, key=lambda r: (str(r.person).casefold(), r.person.pk))
