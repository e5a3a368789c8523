"""Supervision: who supervises each peer, the sessions they hold (individual or group,
clinical or peer supervision, encrypted notes and agreed actions), when the next one is
due at the programme's cadence, and the supervisor's page.

`supervision_due(profiles)` is the one answer to "when is this peer's supervision due,
and is it overdue?": the supervisor's page reads it, and so can the coordinator's
pipeline. A peer is overdue the day after their due date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.workforce import policies, services
from peerbridge.workforce.eligibility import Standing, standings
from peerbridge.workforce.models import (
    PeerProfile,
    SupervisionSession,
    WellbeingCheckIn,
    WorkforceAlert,
)
from peerbridge.workforce.selectors import as_pk, programme_supervisors, settings_for, supervisees

NOTES_MAX = 10000
TREND_LENGTH = 3
RECENT_SESSIONS = 10
OLDEST_SESSION_DAYS = 5 * 365  # sessions are recorded soon after; older is a typo
Format = SupervisionSession.Format


# ---------------------------------------------------------------------------------------
# When supervision is due


@dataclass(frozen=True)
class SupervisionDue:
    profile_id: int
    on: date
    cadence_days: int
    last_on: date | None
    due_on: date

    @property
    def overdue(self) -> bool:
        return self.on > self.due_on

    @property
    def days_overdue(self) -> int:
        return max((self.on - self.due_on).days, 0)

    @property
    def due_today(self) -> bool:
        return self.on == self.due_on


def _day_after(day: date) -> datetime:
    return datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )


def supervision_due(
    profiles: Iterable[PeerProfile], *, on: date | None = None
) -> dict[int, SupervisionDue]:
    """For each profile (keyed by id): the last session on or before `on`, and the due
    date: the last session plus the programme's cadence, or, before any session, the day
    the peer became available (else started) plus the cadence. Two queries."""
    profiles = list(profiles)
    if not profiles:
        return {}
    day = on or timezone.localdate()
    rules = settings_for({p.programme_id for p in profiles})
    through = SupervisionSession.peers.through
    last_held: dict[int, datetime] = {
        row["peerprofile_id"]: row["last"]
        for row in through.objects.filter(
            peerprofile_id__in=[p.pk for p in profiles],
            supervisionsession__held_at__lt=_day_after(day),
        )
        .values("peerprofile_id")
        .annotate(last=Max("supervisionsession__held_at"))
    }
    result: dict[int, SupervisionDue] = {}
    for profile in profiles:
        cadence = rules[profile.programme_id].supervision_cadence_days
        held = last_held.get(profile.pk)
        last_on = timezone.localtime(held).date() if held is not None else None
        start = last_on or profile.activated_on or profile.started_on
        result[profile.pk] = SupervisionDue(
            profile_id=profile.pk,
            on=day,
            cadence_days=cadence,
            last_on=last_on,
            due_on=start + timedelta(days=cadence),
        )
    return result


def overdue_profile_ids(profiles: Iterable[PeerProfile], *, on: date | None = None) -> set[int]:
    """The peers (not those who have left) whose supervision is overdue."""
    working = [p for p in profiles if p.status != PeerProfile.Status.LEFT]
    return {pk for pk, due in supervision_due(working, on=on).items() if due.overdue}


# ---------------------------------------------------------------------------------------
# Supervisor assignment


def supervisor_choices(programme: Programme) -> QuerySet[User]:
    """The programme's supervisors (`selectors.programme_supervisors`) who can sign in."""
    return programme_supervisors(programme).filter(is_active=True).select_related("person")


def supervisor_assign(
    *, profile: PeerProfile, supervisor: User | None, assigned_by: User
) -> PeerProfile:
    """Give the peer a supervisor of their programme (or none)."""
    if (
        supervisor is not None
        and not supervisor_choices(profile.programme).filter(pk=supervisor.pk).exists()
    ):
        raise ValidationError({"supervisor": _("Choose a supervisor of this programme.")})
    return services.profile_update(profile=profile, actor=assigned_by, supervisor=supervisor)


# ---------------------------------------------------------------------------------------
# Sessions


def _notes(value: str, name: str) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError({name: _("Null characters are not allowed.")})
    if len(value) > NOTES_MAX:
        raise ValidationError({name: _("Keep this to %(max)d characters.") % {"max": NOTES_MAX}})
    return value


def _check_peers(programme: Programme, peers: Sequence[PeerProfile], format: str) -> None:
    if not peers:
        raise ValidationError({"peers": _("Choose the peer supporters supervised.")})
    if any(p.programme_id != programme.pk or p.status == PeerProfile.Status.LEFT for p in peers):
        raise ValidationError({"peers": _("Choose peer supporters of this programme.")})
    if format == Format.INDIVIDUAL and len(peers) != 1:
        raise ValidationError({"peers": _("Individual supervision is with one peer supporter.")})
    if format == Format.GROUP and len(peers) < 2:
        raise ValidationError({"peers": _("Group supervision is with two or more peers.")})


@transaction.atomic
def session_record(
    *,
    programme: Programme,
    supervisor: User,
    peers: Iterable[PeerProfile],
    held_at: datetime,
    format: str,
    kind: str,
    duration_minutes: int = 60,
    topics: Sequence[str] = (),
    notes: str = "",
    agreed_actions: str = "",
) -> SupervisionSession:
    """Record a supervision session held with one peer or a group."""
    chosen = list({p.pk: p for p in peers}.values())
    _check_peers(programme, chosen, format)
    if timezone.is_naive(held_at):
        raise ValidationError({"held_at": _("Give the time with its time zone.")})
    if held_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"held_at": _("Record a session once it has been held.")})
    if held_at < timezone.now() - timedelta(days=OLDEST_SESSION_DAYS):
        raise ValidationError({"held_at": _("Record sessions held in the last five years.")})
    session = SupervisionSession(
        programme=programme,
        supervisor=supervisor,
        held_at=held_at,
        duration_minutes=duration_minutes,
        format=format,
        kind=kind,
        topics=list(topics),
        notes=_notes(notes, "notes"),
        agreed_actions=_notes(agreed_actions, "agreed_actions"),
    )
    session.full_clean()
    session.save()
    session.peers.set(chosen)
    audit_instance(actor=supervisor, action=Action.CREATE, instance=session)
    return session


def access_session(*, user: AnyUser, supervision_id: Any, policy: Policy) -> SupervisionSession:
    """A supervision session through its programme's scope (404 outside it, 403 for
    staff who see the programme's workforce without the right). Each peer in it is a
    read of their record, audited."""
    pk = as_pk(supervision_id)
    session = (
        SupervisionSession.objects.filter(pk=pk)
        .select_related("programme", "supervisor__person")
        .prefetch_related("peers__person")
        .first()
    )
    if session is None:
        raise Http404
    if not programmes_in_scope(user=user, policy=policy).filter(pk=session.programme_id).exists():
        visible = (
            programmes_in_scope(user=user, policy=policies.WORKFORCE_VIEW)
            .filter(pk=session.programme_id)
            .exists()
        )
        if visible:
            raise PermissionDenied
        raise Http404
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[p.person_id for p in session.peers.all()],
    )
    return session


def may_read_notes(user: AnyUser, session: SupervisionSession) -> bool:
    """Notes and agreed actions are for those who supervise in the programme."""
    return (
        programmes_in_scope(user=user, policy=policies.SUPERVISE)
        .filter(pk=session.programme_id)
        .exists()
    )


def topic_labels(session: SupervisionSession) -> list[str]:
    return [str(SupervisionSession.Topic(topic).label) for topic in session.topics]


def programme_sessions(programme: Programme) -> QuerySet[SupervisionSession]:
    return (
        SupervisionSession.objects.filter(programme=programme)
        .select_related("supervisor__person")
        .prefetch_related("peers__person")
        .order_by("-held_at", "-id")
    )


def audit_sessions_listed(*, user: AnyUser, sessions: Iterable[SupervisionSession]) -> None:
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=sorted({p.person_id for s in sessions for p in s.peers.all()}),
    )


def peers_for_session(programme: Programme) -> QuerySet[PeerProfile]:
    """The peers a session can be recorded with."""
    return (
        PeerProfile.objects.filter(programme=programme)
        .exclude(status=PeerProfile.Status.LEFT)
        .select_related("person")
        .order_by("person__family_name", "person__given_name", "pk")
    )


# ---------------------------------------------------------------------------------------
# The supervisor's page


@dataclass(frozen=True)
class SuperviseeRow:
    profile: PeerProfile
    standing: Standing
    due: SupervisionDue
    checkins: tuple[WellbeingCheckIn, ...]  # newest first
    open_alerts: int


@dataclass(frozen=True)
class SupervisorPage:
    on: date
    rows: list[SuperviseeRow]
    alerts: list[WorkforceAlert]  # oldest first
    recent_sessions: list[SupervisionSession]
    programmes: list[Programme]  # where the user may record a session

    @property
    def overdue_count(self) -> int:
        return sum(1 for row in self.rows if row.due.overdue)


def recent_checkins(profile_ids: Iterable[int]) -> dict[int, list[WellbeingCheckIn]]:
    """The last three check-ins of each peer, newest first, in one query."""
    found: dict[int, list[WellbeingCheckIn]] = defaultdict(list)
    ranked = (
        WellbeingCheckIn.objects.filter(profile_id__in=list(profile_ids))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("profile_id")],
                order_by=[F("completed_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=TREND_LENGTH)
        .order_by("profile_id", "-completed_at", "-id")
    )
    for checkin in ranked:
        found[checkin.profile_id].append(checkin)
    return found


def supervisor_page(*, user: AnyUser, on: date | None = None) -> SupervisorPage:
    """The user's supervisees with caseload, supervision due (overdue first), wellbeing
    trend and open alerts, in a fixed number of queries. Each peer shown is a read."""
    day = on or timezone.localdate()
    profiles = list(supervisees(user).order_by("person__family_name", "person__given_name", "pk"))
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[p.person_id for p in profiles],
    )
    ids = [p.pk for p in profiles]
    found = standings(profiles, on=day)
    due = supervision_due(profiles, on=day)
    checkins = recent_checkins(ids)
    alerts = list(
        WorkforceAlert.objects.filter(profile_id__in=ids, resolved_at__isnull=True)
        .select_related("profile__person", "profile__programme")
        .order_by("created_at", "id")
    )
    alert_counts: dict[int, int] = defaultdict(int)
    for alert in alerts:
        alert_counts[alert.profile_id] += 1
    rows = [
        SuperviseeRow(
            profile=p,
            standing=found[p.pk],
            due=due[p.pk],
            checkins=tuple(checkins.get(p.pk, ())),
            open_alerts=alert_counts[p.pk],
        )
        for p in profiles
    ]
    rows.sort(key=lambda row: (not row.due.overdue, row.due.due_on))
    return SupervisorPage(
        on=day,
        rows=rows,
        alerts=alerts,
        recent_sessions=list(
            SupervisionSession.objects.filter(supervisor_id=user.pk)
            .select_related("programme")
            .annotate(peer_count=Count("peers"))
            .order_by("-held_at", "-id")[:RECENT_SESSIONS]
        ),
        programmes=list(
            programmes_in_scope(user=user, policy=policies.SUPERVISE).exclude(
                status=Programme.Status.CLOSED
            )
        ),
    )
