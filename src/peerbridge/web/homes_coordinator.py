"""A coordinator's home: for the programmes they run, who is waiting to be matched (and
for how long), follow-ups due, stalled matches, open escalations, peers overdue for
supervision and burnout alerts. Each section has a count, the first rows and a link to
its full list page.

`programme_counts` counts the six per programme in a fixed number of queries; the home
sums them, and the daily digest (`web.digest`) sends them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.followups.models import WorkItem
from peerbridge.matching.models import Match
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope, user_roles
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.safety.models import RiskFlag
from peerbridge.support.stalls import stalled_matches
from peerbridge.web.homes import (
    COORDINATOR_HOME,
    LIST_LIMIT,
    Urgency,
)
from peerbridge.workforce import policies as workforce_policies
from peerbridge.workforce.models import PeerProfile, WorkforceAlert
from peerbridge.workforce.supervision import SupervisionDue, supervision_due


@dataclass(frozen=True)
class ProgrammeCounts:
    """What needs attention in one programme (or, summed, in several)."""

    waiting: int = 0
    due: int = 0
    stalled: int = 0
    open_flags: int = 0
    supervision_overdue: int = 0
    burnout_alerts: int = 0

    def __add__(self, other: ProgrammeCounts) -> ProgrammeCounts:
        return ProgrammeCounts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def summed(counts: Iterable[ProgrammeCounts]) -> ProgrammeCounts:
    total = ProgrammeCounts()
    for one in counts:
        total = total + one
    return total


# ---------------------------------------------------------------------------------------
# The sections' rows, as querysets over a set of programmes


def waiting_enrolments(programme_ids: Iterable[int]) -> QuerySet[Enrolment]:
    """Waiting to be matched, the longest waiting first."""
    return Enrolment.objects.filter(
        programme_id__in=list(programme_ids), status=EnrolmentStatus.WAITING
    ).order_by(Coalesce("waiting_since", "received_at").asc(), "pk")


def due_work_items(programme_ids: Iterable[int], day: date) -> QuerySet[WorkItem]:
    """Open work items due today or overdue, the most overdue first."""
    return WorkItem.objects.filter(
        programme_id__in=list(programme_ids), status=WorkItem.Status.OPEN, due_on__lte=day
    ).order_by("overdue_on", "due_on", "pk")


def open_escalations(programme_ids: Iterable[int]) -> QuerySet[RiskFlag]:
    """Flags waiting for acknowledgement, and escalated flags not yet resolved: those
    past their deadline first, then by deadline."""
    now = timezone.now()
    return (
        RiskFlag.objects.filter(programme_id__in=list(programme_ids))
        .filter(
            Q(status=RiskFlag.Status.OPEN)
            | Q(status=RiskFlag.Status.ACKNOWLEDGED, escalated_at__isnull=False)
        )
        .annotate(
            overdue_first=Case(
                When(status=RiskFlag.Status.OPEN, acknowledge_by__lt=now, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("overdue_first", "acknowledge_by", "pk")
    )


def burnout_alerts(programme_ids: Iterable[int]) -> QuerySet[WorkforceAlert]:
    return WorkforceAlert.objects.filter(
        profile__programme_id__in=list(programme_ids),
        kind=WorkforceAlert.Kind.BURNOUT,
        resolved_at__isnull=True,
    ).order_by("created_at", "pk")


def _working_profiles(programme_ids: Iterable[int]) -> list[PeerProfile]:
    return list(
        PeerProfile.objects.filter(programme_id__in=list(programme_ids))
        .exclude(status=PeerProfile.Status.LEFT)
        .select_related("person", "programme")
    )


def overdue_supervision(profiles: list[PeerProfile], day: date) -> list[SupervisionDue]:
    """Workforce's answer on who is overdue for supervision, the most overdue first."""
    due = supervision_due(profiles, on=day)
    return sorted((d for d in due.values() if d.overdue), key=lambda d: (d.due_on, d.profile_id))


def _per_programme(rows: QuerySet[Any], field: str = "programme_id") -> dict[int, int]:
    return {
        int(row[field]): int(row["n"])
        for row in rows.values(field).annotate(n=Count("pk")).order_by()
    }


@dataclass(frozen=True)
class Supervision:
    """The programmes' working peers and those overdue for supervision."""

    profiles: list[PeerProfile]
    overdue: list[SupervisionDue]

    @classmethod
    def of(cls, programme_ids: list[int], day: date) -> Supervision:
        profiles = _working_profiles(programme_ids) if programme_ids else []
        return cls(profiles=profiles, overdue=overdue_supervision(profiles, day))


def programme_counts(
    programmes: list[Programme], *, day: date, supervision: Supervision | None = None
) -> dict[int, ProgrammeCounts]:
    """The six counts for each programme, in a fixed number of queries."""
    ids = [p.pk for p in programmes]
    if not ids:
        return {}
    peers = supervision or Supervision.of(ids, day)
    waiting = _per_programme(waiting_enrolments(ids))
    due = _per_programme(due_work_items(ids, day))
    stalled = _per_programme(stalled_matches(programmes, day))
    flags = _per_programme(open_escalations(ids))
    burnout = _per_programme(burnout_alerts(ids), "profile__programme_id")
    programme_of = {p.pk: p.programme_id for p in peers.profiles}
    supervision_by_programme: dict[int, int] = defaultdict(int)
    for overdue in peers.overdue:
        supervision_by_programme[programme_of[overdue.profile_id]] += 1
    return {
        pk: ProgrammeCounts(
            waiting=waiting.get(pk, 0),
            due=due.get(pk, 0),
            stalled=stalled.get(pk, 0),
            open_flags=flags.get(pk, 0),
            supervision_overdue=supervision_by_programme.get(pk, 0),
            burnout_alerts=burnout.get(pk, 0),
        )
        for pk in ids
    }


# ---------------------------------------------------------------------------------------
# The home


@dataclass(frozen=True)
class WaitingRow:
    enrolment: Enrolment
    days_waiting: int


@dataclass(frozen=True)
class SupervisionRow:
    profile: PeerProfile
    due: SupervisionDue


@dataclass(frozen=True)
class CoordinatorHome:
    key = "coordinator"
    template = "web/home_coordinator.html"
    today: date
    programmes: list[Programme]
    counts: ProgrammeCounts
    by_programme: dict[int, ProgrammeCounts]
    waiting: list[WaitingRow]
    due: list[WorkItem]
    stalled: list[Match]
    flags: list[RiskFlag]
    supervision: list[SupervisionRow]
    burnout: list[WorkforceAlert]
    supervises: bool  # may open the workforce supervisor page

    def programmes_with(self, name: str) -> list[tuple[Programme, int]]:
        """The programmes with something in section `name`, and how many."""
        found = []
        for programme in self.programmes:
            n = getattr(self.by_programme[programme.pk], name)
            if n:
                found.append((programme, n))
        return found

    @property
    def flag_programmes(self) -> list[tuple[Programme, int]]:
        return self.programmes_with("open_flags")

    @property
    def supervision_programmes(self) -> list[tuple[Programme, int]]:
        return self.programmes_with("supervision_overdue")

    @property
    def burnout_programmes(self) -> list[tuple[Programme, int]]:
        return self.programmes_with("burnout_alerts")

    @property
    def overdue_flags(self) -> int:
        now = timezone.now()
        return sum(
            1 for f in self.flags if f.status == RiskFlag.Status.OPEN and f.acknowledge_by < now
        )

    @property
    def urgency(self) -> Urgency:
        return Urgency(
            safety=self.overdue_flags,
            due=self.counts.due + self.counts.stalled + self.counts.burnout_alerts,
        )

    @property
    def person_ids(self) -> set[int]:
        shown = {row.enrolment.person_id for row in self.waiting}
        shown |= {item.enrolment.person_id for item in self.due}
        shown |= {m.enrolment.person_id for m in self.stalled}
        shown |= {m.profile.person_id for m in self.stalled}
        shown |= {flag.person_id for flag in self.flags}
        shown |= {row.profile.person_id for row in self.supervision}
        shown |= {alert.profile.person_id for alert in self.burnout}
        return shown


def coordinator_programmes(user: AnyUser) -> list[Programme]:
    return list(programmes_in_scope(user=user, policy=COORDINATOR_HOME).order_by("name", "pk"))


def coordinator_home(*, user: User, today: date | None = None) -> CoordinatorHome:
    day = today or timezone.localdate()
    programmes = coordinator_programmes(user)
    ids = [p.pk for p in programmes]
    peers = Supervision.of(ids, day)
    by_programme = programme_counts(programmes, day=day, supervision=peers)
    profile_by_id = {p.pk: p for p in peers.profiles}
    waiting = list(waiting_enrolments(ids).select_related("person", "programme")[:LIST_LIMIT])
    return CoordinatorHome(
        today=day,
        programmes=programmes,
        counts=summed(by_programme.values()),
        by_programme=by_programme,
        waiting=[
            WaitingRow(
                enrolment=e,
                days_waiting=(day - timezone.localdate(e.waiting_since or e.received_at)).days,
            )
            for e in waiting
        ],
        due=list(
            due_work_items(ids, day).select_related("enrolment__person", "programme")[:LIST_LIMIT]
        ),
        stalled=list(
            stalled_matches(programmes, day).select_related(
                "enrolment__person", "profile__person", "programme"
            )[:LIST_LIMIT]
        ),
        flags=list(open_escalations(ids).select_related("person", "programme")[:LIST_LIMIT]),
        supervision=[
            SupervisionRow(profile=profile_by_id[d.profile_id], due=d)
            for d in peers.overdue[:LIST_LIMIT]
        ],
        burnout=list(
            burnout_alerts(ids).select_related("profile__person", "profile__programme")[:LIST_LIMIT]
        ),
        supervises=bool(user_roles(user) & workforce_policies.SUPERVISE.roles),
    )
