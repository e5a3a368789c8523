"""A supervisor's home: their supervisees (caseload size, last supervision and when the
next is due, and which way their wellbeing is going from recent check-ins), the risk
flags assigned to them that wait for acknowledgement (by deadline) and open wellbeing
alerts about their supervisees. A fixed number of queries whatever the rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from peerbridge.core.models import User
from peerbridge.organisations.selectors import programmes_in_scope
from peerbridge.safety import policies as safety_policies
from peerbridge.safety.models import RiskFlag
from peerbridge.web.homes import CASELOAD_STATUSES, LIST_LIMIT, Urgency
from peerbridge.workforce.models import PeerProfile, WellbeingCheckIn, WorkforceAlert
from peerbridge.workforce.selectors import supervisees
from peerbridge.workforce.supervision import SupervisionDue, recent_checkins, supervision_due

WELLBEING_ALERTS = (WorkforceAlert.Kind.BURNOUT, WorkforceAlert.Kind.PULSE_LOW)
# The home lists this many supervisees (overdue and alerted first); the supervisor page
# lists them all.
SUPERVISEE_LIMIT = 30
# A change in wellbeing (0-100, higher is better) smaller than this is "about the same".
STEADY_WITHIN = 5.0


@dataclass(frozen=True)
class Trend:
    arrow: str
    label: str | Promise


BETTER = Trend("↑", _("better than last time"))
WORSE = Trend("↓", _("worse than last time"))
STEADY = Trend("→", _("about the same as last time"))


def wellbeing(checkin: WellbeingCheckIn) -> float | None:
    """A check-in on one scale, 0 (worst) to 100 (best): a pulse of 1-5, or the
    burnout inventory's scores (0-100, higher is more burnt out) turned round."""
    if checkin.kind == WellbeingCheckIn.Kind.PULSE:
        return None if checkin.pulse is None else (checkin.pulse - 1) * 25.0
    scores = [
        s
        for s in (checkin.personal_score, checkin.work_score, checkin.client_score)
        if s is not None
    ]
    return 100.0 - sum(scores) / len(scores) if scores else None


def trend(checkins: Sequence[WellbeingCheckIn]) -> Trend | None:
    """The newest check-in against the one before it of the same kind (newest first);
    None until there are two to compare."""
    if not checkins:
        return None
    newest = checkins[0]
    earlier = next((c for c in checkins[1:] if c.kind == newest.kind), None)
    if earlier is None:
        return None
    now, before = wellbeing(newest), wellbeing(earlier)
    if now is None or before is None:
        return None
    if now - before > STEADY_WITHIN:
        return BETTER
    if before - now > STEADY_WITHIN:
        return WORSE
    return STEADY


@dataclass(frozen=True)
class SuperviseeRow:
    profile: PeerProfile
    caseload: int
    due: SupervisionDue
    trend: Trend | None
    open_alerts: int


@dataclass(frozen=True)
class SupervisorHome:
    key = "supervisor"
    template = "web/home_supervisor.html"
    today: date
    supervisees: list[SuperviseeRow]  # the first SUPERVISEE_LIMIT
    flags: list[RiskFlag]  # the first LIST_LIMIT
    alerts: list[WorkforceAlert]  # the first LIST_LIMIT
    supervisee_total: int
    flag_total: int
    alert_total: int
    overdue_supervision: int
    now: datetime = field(default_factory=timezone.now)

    @property
    def more_supervisees(self) -> int:
        return self.supervisee_total - len(self.supervisees)

    @property
    def urgency(self) -> Urgency:
        return Urgency(safety=self.flag_total, due=self.alert_total + self.overdue_supervision)

    @property
    def person_ids(self) -> set[int]:
        return (
            {row.profile.person_id for row in self.supervisees}
            | {flag.person_id for flag in self.flags}
            | {alert.profile.person_id for alert in self.alerts}
        )


def flags_to_acknowledge(user: User) -> QuerySet[RiskFlag]:
    """Flags assigned to the user and not yet acknowledged, in programmes where they may
    still handle flags, by deadline."""
    programmes = programmes_in_scope(user=user, policy=safety_policies.FLAG_HANDLE).values("pk")
    return RiskFlag.objects.filter(
        assigned_to_id=user.pk, status=RiskFlag.Status.OPEN, programme_id__in=programmes
    ).order_by("acknowledge_by", "pk")


def supervisor_home(*, user: User, today: date | None = None) -> SupervisorHome:
    day = today or timezone.localdate()
    profiles = list(
        supervisees(user)
        .annotate(caseload=Count("matches", filter=Q(matches__status__in=CASELOAD_STATUSES)))
        .order_by("person__family_name", "person__given_name", "pk")
    )
    ids = [p.pk for p in profiles]
    due = supervision_due(profiles, on=day)
    open_alerts = WorkforceAlert.objects.filter(
        profile_id__in=ids, kind__in=WELLBEING_ALERTS, resolved_at__isnull=True
    )
    alert_counts: dict[int, int] = defaultdict(
        int,
        open_alerts.values_list("profile_id").annotate(n=Count("pk")).order_by(),
    )
    profiles.sort(key=lambda p: (not due[p.pk].overdue, -alert_counts[p.pk], due[p.pk].due_on))
    shown = profiles[:SUPERVISEE_LIMIT]
    checkins = recent_checkins([p.pk for p in shown])
    rows = [
        SuperviseeRow(
            profile=p,
            caseload=p.caseload,
            due=due[p.pk],
            trend=trend(checkins.get(p.pk, [])),
            open_alerts=alert_counts[p.pk],
        )
        for p in shown
    ]
    flags = flags_to_acknowledge(user)
    return SupervisorHome(
        today=day,
        supervisees=rows,
        flags=list(flags.select_related("person", "programme")[:LIST_LIMIT]),
        alerts=list(
            open_alerts.select_related("profile__person", "profile__programme").order_by(
                "created_at", "pk"
            )[:LIST_LIMIT]
        ),
        supervisee_total=len(profiles),
        flag_total=flags.count(),
        alert_total=sum(alert_counts.values()),
        overdue_supervision=sum(1 for p in profiles if due[p.pk].overdue),
    )
