"""Engagement and recognition: milestones a peer has reached (months of service, hours
of training and supervision), the programme's announcements to its team, and the team
calendar (meetings, training days, socials, celebrations) with who came.

Announcements are in-app only: there is no notifications app yet, so peers read them on
their own workforce page and the announcements page.

Milestones are pure functions over values read in a fixed number of queries
(`recognitions`). Services (writes, audited) and selectors (reads that authorise as they
fetch) follow; last, `peer_home` gathers the peer's own workforce page.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from peerbridge.core.access import Policy
from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser, programmes_in_scope
from peerbridge.workforce import policies, wellbeing
from peerbridge.workforce.eligibility import Blocker, Reason, Standing, standings
from peerbridge.workforce.models import Announcement, PeerProfile, TeamEvent, TrainingAttendance
from peerbridge.workforce.pipeline import STAGE_LABELS
from peerbridge.workforce.selectors import as_pk, own_profiles

MONTH_MILESTONES: tuple[int, ...] = (3, 6, 12, 24, 36, 60)
# Team events start and end within this window around now: a year back (to record who
# came), about five years ahead.
EVENT_PAST = timedelta(days=366)
EVENT_FUTURE = timedelta(days=5 * 365 + 1)
HOUR_MILESTONES: tuple[int, ...] = (10, 25, 50, 100, 250)

# ---------------------------------------------------------------------------------------
# Milestones (pure)


def months_of_service(since: date | None, on: date) -> int:
    """Whole months from `since` to `on`; a month that ends on a shorter month's last day
    counts (31 January to 28 February is one month)."""
    if since is None or since > on:
        return 0
    months = (on.year - since.year) * 12 + on.month - since.month
    last_day = calendar.monthrange(on.year, on.month)[1]
    if on.day < since.day and on.day != last_day:
        months -= 1
    return max(months, 0)


def reached(thresholds: Sequence[int], value: float | Decimal) -> tuple[int, ...]:
    return tuple(t for t in thresholds if value >= t)


def next_milestone(thresholds: Sequence[int], value: float | Decimal) -> int | None:
    return next((t for t in thresholds if value < t), None)


@dataclass(frozen=True)
class Recognition:
    profile_id: int
    months: int
    hours: Decimal
    months_reached: tuple[int, ...]
    hours_reached: tuple[int, ...]
    next_months: int | None
    next_hours: int | None

    @property
    def labels(self) -> list[str]:
        """The milestones reached, highest first, in words."""
        found = [
            ngettext("%(n)s month of service", "%(n)s months of service", n) % {"n": n}
            for n in reversed(self.months_reached)
        ]
        found += [
            _("%(n)s hours of training and supervision") % {"n": n}
            for n in reversed(self.hours_reached)
        ]
        return found


def recognition(
    *, profile_id: int, activated_on: date | None, on: date, hours: Decimal
) -> Recognition:
    months = months_of_service(activated_on, on)
    return Recognition(
        profile_id=profile_id,
        months=months,
        hours=hours,
        months_reached=reached(MONTH_MILESTONES, months),
        hours_reached=reached(HOUR_MILESTONES, hours),
        next_months=next_milestone(MONTH_MILESTONES, months),
        next_hours=next_milestone(HOUR_MILESTONES, hours),
    )


def recognitions(
    profiles: Iterable[PeerProfile], *, on: date | None = None
) -> dict[int, Recognition]:
    """Milestones of each profile in two queries: hours of the programme's training the
    person attended, and minutes of supervision the profile took part in (both counted
    once held)."""
    profiles = list(profiles)
    if not profiles:
        return {}
    day = on or timezone.localdate()
    now = timezone.now()
    training: dict[tuple[int, int], Decimal] = {
        (row["person_id"], row["session__module__programme_id"]): row["total"] or Decimal("0")
        for row in TrainingAttendance.objects.filter(
            person_id__in={p.person_id for p in profiles},
            attended=True,
            session__starts_at__lte=now,
            session__module__programme_id__in={p.programme_id for p in profiles},
        )
        .values("person_id", "session__module__programme_id")
        .annotate(total=Sum("hours"))
    }
    supervision: dict[int, int] = {
        row["pk"]: row["minutes"] or 0
        for row in PeerProfile.objects.filter(
            pk__in=[p.pk for p in profiles], supervision_sessions__held_at__lte=now
        )
        .values("pk")
        .annotate(minutes=Sum("supervision_sessions__duration_minutes"))
    }
    result = {}
    for profile in profiles:
        hours = training.get((profile.person_id, profile.programme_id), Decimal("0")) + (
            Decimal(supervision.get(profile.pk, 0)) / 60
        )
        result[profile.pk] = recognition(
            profile_id=profile.pk,
            activated_on=profile.activated_on,
            on=day,
            hours=hours.quantize(Decimal("0.1")),
        )
    return result


# ---------------------------------------------------------------------------------------
# Announcements and team events: services


@transaction.atomic
def announcement_publish(
    *, programme: Programme, actor: User, title: str, body: str
) -> Announcement:
    """Post an announcement to everyone on the programme's team (in-app)."""
    announcement = Announcement(
        programme=programme, title=title.strip(), body=body.strip(), published_by=actor
    )
    announcement.full_clean()
    announcement.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=announcement)
    return announcement


def _check_event_times(starts_at: datetime, ends_at: datetime) -> None:
    problems: dict[str, str] = {}
    now = timezone.now()
    for name, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if timezone.is_naive(moment):
            problems[name] = _("Give the time with its time zone.")
        elif not now - EVENT_PAST <= moment <= now + EVENT_FUTURE:
            problems[name] = _("Choose a time between a year ago and five years from now.")
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def team_event_create(
    *,
    programme: Programme,
    actor: User,
    kind: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    location: str = "",
    description: str = "",
) -> TeamEvent:
    """Add an event to the team calendar. Its times are checked before anything else
    reads them: a time far outside the calendar (year 9999) is refused, not stored."""
    _check_event_times(starts_at, ends_at)
    event = TeamEvent(
        programme=programme,
        kind=kind,
        title=title.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        location=location.strip(),
        description=description.strip(),
        created_by=actor,
    )
    event.full_clean()
    event.save()
    audit_instance(actor=actor, action=Action.CREATE, instance=event)
    return event


@transaction.atomic
def event_attendance_record(
    *, event: TeamEvent, actor: User, profiles: Iterable[PeerProfile]
) -> TeamEvent:
    """Record which of the programme's peers came (replacing what was recorded)."""
    profiles = list(profiles)
    if event.starts_at > timezone.now():
        raise ValidationError({"attendees": _("Record who came once the event has started.")})
    if any(p.programme_id != event.programme_id for p in profiles):
        raise ValidationError({"attendees": _("Choose peers of this programme.")})
    event.attendees.set(profiles)
    audit_instance(actor=actor, action=Action.UPDATE, instance=event)
    return event


# ---------------------------------------------------------------------------------------
# Selectors


def team_programmes(user: AnyUser) -> QuerySet[Programme]:
    return programmes_in_scope(user=user, policy=policies.TEAM_VIEW)


def programme_announcements(programme: Programme) -> QuerySet[Announcement]:
    return Announcement.objects.filter(programme=programme).order_by("-published_at", "-id")


def upcoming_events(programme: Programme, *, now: datetime | None = None) -> QuerySet[TeamEvent]:
    """Events not yet over, soonest first."""
    return TeamEvent.objects.filter(
        programme=programme, ends_at__gte=now or timezone.now()
    ).order_by("starts_at", "id")


def recent_events(programme: Programme, *, days: int = 30) -> QuerySet[TeamEvent]:
    """Events over in the last `days` days, newest first (to record who came)."""
    now = timezone.now()
    return TeamEvent.objects.filter(
        programme=programme, ends_at__lt=now, ends_at__gte=now - timedelta(days=days)
    ).order_by("-starts_at", "-id")


def latest_per_programme(
    programme_ids: Iterable[int], *, per: int = 3
) -> tuple[dict[int, list[Announcement]], dict[int, list[TeamEvent]]]:
    """The newest announcements and the next events of each programme, two queries."""
    ids = list(programme_ids)
    announcements: dict[int, list[Announcement]] = {pk: [] for pk in ids}
    for row in (
        Announcement.objects.filter(programme_id__in=ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("programme_id")],
                order_by=[F("published_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=per)
        .order_by("programme_id", "-published_at", "-id")
    ):
        announcements[row.programme_id].append(row)
    events: dict[int, list[TeamEvent]] = {pk: [] for pk in ids}
    for event in (
        TeamEvent.objects.filter(programme_id__in=ids, ends_at__gte=timezone.now())
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("programme_id")],
                order_by=[F("starts_at").asc(), F("id").asc()],
            )
        )
        .filter(rank__lte=per)
        .order_by("programme_id", "starts_at", "id")
    ):
        events[event.programme_id].append(event)
    return announcements, events


def week_of(moment: datetime) -> date:
    """The Monday of the (local) week a moment falls in."""
    day = timezone.localdate(moment)
    return day - timedelta(days=day.weekday())


def by_week(events: Iterable[TeamEvent]) -> list[tuple[date, list[TeamEvent]]]:
    """Events (in order) grouped under the Monday of their week."""
    weeks: dict[date, list[TeamEvent]] = {}
    for event in events:
        weeks.setdefault(week_of(event.starts_at), []).append(event)
    return list(weeks.items())


def may_announce(user: AnyUser, programme: Programme) -> bool:
    return programmes_in_scope(user=user, policy=policies.ANNOUNCE).filter(pk=programme.pk).exists()


def access_event(*, user: AnyUser, event_id: object, policy: Policy) -> TeamEvent:
    """A team event for `policy` (TEAM_VIEW to read, ANNOUNCE to record who came): 404
    outside the user's team, 403 inside it without the right."""
    pk = as_pk(event_id)
    event = TeamEvent.objects.select_related("programme").filter(pk=pk).first()
    if event is None or not team_programmes(user).filter(pk=event.programme_id).exists():
        raise Http404
    if not programmes_in_scope(user=user, policy=policy).filter(pk=event.programme_id).exists():
        raise PermissionDenied
    return event


def team_profiles(programme: Programme) -> QuerySet[PeerProfile]:
    """The programme's peers who can come to team events (not those who left)."""
    return (
        PeerProfile.objects.filter(programme=programme)
        .exclude(status=PeerProfile.Status.LEFT)
        .select_related("person")
        .order_by("person__given_name", "person__family_name", "pk")
    )


def audit_attendees(*, user: AnyUser, profiles: Iterable[PeerProfile]) -> None:
    """Showing peers' names is a read of their records."""
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=sorted({p.person_id for p in profiles}),
    )


# ---------------------------------------------------------------------------------------
# The peer's own workforce page


@dataclass(frozen=True)
class PeerHomeRow:
    """One of the peer's places in a programme, as they see it."""

    profile: PeerProfile
    standing: Standing
    due: wellbeing.CheckInDue
    recognition: Recognition
    announcements: list[Announcement]
    events: list[TeamEvent]

    @property
    def stage_label(self) -> str:
        return str(STAGE_LABELS[self.standing.stage])

    @property
    def next_step(self) -> str:
        return next_step(self.standing)

    @property
    def paused(self) -> bool:
        return self.standing.paused

    @property
    def pause_planned(self) -> bool:
        start = self.profile.paused_from
        return start is not None and start > self.standing.on

    @property
    def under_review(self) -> bool:
        """Paused (or to be) by the programme for review: only its staff end it."""
        return wellbeing.under_review(self.profile, self.standing.on)


def next_step(standing: Standing) -> str:
    """What comes next for the peer, in their words."""
    stage = standing.stage
    if stage == "training":
        return _("Still to complete: %s.") % "; ".join(
            (*standing.missing_modules, *standing.missing_competencies)
        )
    if stage == "agreements":
        return _("Still to sign: %s.") % "; ".join(standing.unsigned_agreements)
    if stage in ("certification", "decertified"):
        return standing.certification.detail or _("Talk to your coordinator.")
    if stage == "ready":
        return _("All done: your coordinator will make you available to support people.")
    if stage == "left":
        return _("You have left this programme. Thank you for all you gave.")
    if standing.may_take_match:
        return _("You can be matched with someone new.")
    return " ".join(_to_the_peer(blocker) for blocker in standing.match_blockers)


def _to_the_peer(blocker: Blocker) -> str:
    """A reason for no new matches, said to the peer rather than about them."""
    if blocker.reason == Reason.BURNT_OUT:
        return _("No new matches for now: your supervisor will talk with you first.")
    if blocker.reason == Reason.PAUSED:
        return _("No new matches while you are paused.")
    if blocker.reason == Reason.AT_CAPACITY:
        return _("You are supporting as many people as agreed.")
    return blocker.detail


def peer_home(*, user: AnyUser) -> list[PeerHomeRow]:
    """Everything on the peer's own page, for all their programmes, in a fixed number of
    queries. Reading their own record is audited like any other read."""
    profiles = list(own_profiles(user).order_by("programme__name", "pk"))
    if not profiles:
        return []
    audit_many(
        actor=user,
        action=Action.READ,
        object_type="people.person",
        object_ids=sorted({p.person_id for p in profiles}),
    )
    found = standings(profiles)
    due = wellbeing.checkins_due(profiles)
    recognised = recognitions(profiles)
    announcements, events = latest_per_programme({p.programme_id for p in profiles})
    return [
        PeerHomeRow(
            profile=p,
            standing=found[p.pk],
            due=due[p.pk],
            recognition=recognised[p.pk],
            announcements=announcements[p.programme_id],
            events=events[p.programme_id],
        )
        for p in profiles
    ]
