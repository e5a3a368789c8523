"""Which matches and enrolments a playbook rule acts on: the subjects the scan reads.

Each reading takes a fixed number of queries and leaves out the subjects where the rule's
"unless" holds, or (stalls aside) whose every occurrence is made already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from peerbridge.followups.models import MATCH_EVENTS, Event, Rule, Unless
from peerbridge.matching.models import (
    LIVE_MATCH_STATUSES,
    WORKING_STATUSES,
    Match,
    MatchCheckIn,
    MatchStatus,
)
from peerbridge.people.models import LivedExperience
from peerbridge.referrals.models import OPEN_STATUSES, Enrolment, EnrolmentStatus
from peerbridge.support.configuration import support_settings
from peerbridge.support.models import Closure
from peerbridge.support.stalls import quiet_days, stalled_matches

MATCH_DATE_FIELDS = {
    Event.MATCH_ACCEPTED: "accepted_at",
    Event.MATCH_INTRODUCED: "introduced_at",
    Event.FIRST_CONTACT: "first_contact_at",
}
CLOSED_MATCH_STATUSES = (MatchStatus.COMPLETED, MatchStatus.ENDED)
NEVER_STARTED = (MatchStatus.CANCELLED, MatchStatus.DECLINED)
# Matches whose support is under way: the ones that can stall or reach the programme's end.
UNDER_WAY = (MatchStatus.FIRST_CONTACT, MatchStatus.ACTIVE)


@dataclass(frozen=True)
class Subject:
    """One match or enrolment a rule may act on, read with what the rule needs."""

    key: str
    event_on: date
    enrolment_id: int
    match_id: int | None
    participant_id: int
    peer_person_id: int | None
    peer_user_id: int | None
    supervisor_id: int | None
    match_status: str


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def local_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localdate(value)
    return value


def _last_offset(rule: Rule) -> int:
    return rule.offset_days + (rule.repeat_every_days or 0) * (rule.repeat_times - 1)


def _event_bounds(rule: Rule, day: date) -> tuple[date, date]:
    """The event dates worth reading: the first occurrence is due by `day`, and the
    last occurrence's window had not closed before the playbook was made."""
    made_on = timezone.localdate(rule.playbook.created_at)
    earliest = made_on - timedelta(days=_last_offset(rule) + rule.window_days)
    latest = day - timedelta(days=rule.offset_days)
    return earliest, latest


def due_subjects(rule: Rule, day: date) -> list[Subject]:
    """The subjects of `rule` with at least one occurrence that may be due by `day`."""
    if rule.event == Event.STALLED:
        return _stall_subjects(rule, day)
    if rule.event == Event.PROGRAMME_END:
        return _programme_end_subjects(rule, day)
    if rule.event in MATCH_EVENTS:
        return _match_subjects(rule, day)
    return _enrolment_subjects(rule, day)


def _made(rule: Rule) -> Count:
    """How many items the rule has made for the subject (of `repeat_times`)."""
    return Count("work_items", filter=Q(work_items__rule=rule))


def _match_subjects(rule: Rule, day: date) -> list[Subject]:
    date_field = MATCH_DATE_FIELDS[Event(rule.event)]
    earliest, latest = _event_bounds(rule, day)
    matches = (
        Match.objects.filter(programme_id=rule.playbook.programme_id)
        .exclude(status__in=NEVER_STARTED)
        .filter(
            **{
                f"{date_field}__gte": _day_start(earliest),
                f"{date_field}__lt": _day_start(latest + timedelta(days=1)),
            }
        )
    )
    return _match_rows(rule, matches, date_field)


def _under_way(rule: Rule) -> QuerySet[Match]:
    return Match.objects.filter(programme_id=rule.playbook.programme_id, status__in=UNDER_WAY)


def _programme_end_subjects(rule: Rule, day: date) -> list[Subject]:
    """Matches under way whose first contact was the programme's duration ago (plus the
    rule's offset). A programme without a set duration has no end to count to."""
    weeks = rule.playbook.programme.duration_weeks
    if not weeks:
        return []
    length = timedelta(weeks=weeks)
    latest = day - timedelta(days=rule.offset_days) - length
    matches = _under_way(rule).filter(first_contact_at__lt=_day_start(latest + timedelta(days=1)))
    return _match_rows(rule, matches, "first_contact_at", shift=length)


def stall_subject(match_id: int, since: date) -> str:
    """One stall episode of a match: the match and the date its silence began."""
    return f"match:{match_id}:stall:{since:%Y%m%d}"


def _stall_subjects(rule: Rule, day: date) -> list[Subject]:
    """The programme's stalled matches (support.stalls says which), the rule's offset
    later; the event is the day the match stalled."""
    programme = rule.playbook.programme
    quiet = quiet_days(programme, support_settings(programme))
    matches = stalled_matches([programme], day, offset_days=rule.offset_days)
    return _match_rows(rule, matches, "since", shift=timedelta(days=quiet), episodes=True)


def _match_rows(
    rule: Rule,
    matches: QuerySet[Match],
    date_field: str,
    *,
    shift: timedelta = timedelta(0),
    episodes: bool = False,
) -> list[Subject]:
    """The subjects among `matches` where the rule's "unless" does not hold, the event
    dated from `date_field` (plus `shift`). With `episodes` each stall is its own
    subject; otherwise subjects with every occurrence made are left out in the query."""
    matches = _match_unless(matches, Unless(rule.unless))
    if not episodes:
        matches = matches.annotate(made=_made(rule)).filter(made__lt=rule.repeat_times)
    rows = matches.values(
        "pk",
        date_field,
        "status",
        "enrolment_id",
        "enrolment__person_id",
        "profile__person_id",
        "profile__person__user_id",
        "profile__supervisor_id",
    ).order_by("pk")
    subjects = []
    for row in rows:
        on = local_date(row[date_field])
        subjects.append(
            Subject(
                key=stall_subject(row["pk"], on) if episodes else f"match:{row['pk']}",
                event_on=on + shift,
                enrolment_id=row["enrolment_id"],
                match_id=row["pk"],
                participant_id=row["enrolment__person_id"],
                peer_person_id=row["profile__person_id"],
                peer_user_id=row["profile__person__user_id"],
                supervisor_id=row["profile__supervisor_id"],
                match_status=row["status"],
            )
        )
    return subjects


def _both_answered(check_ins: QuerySet[MatchCheckIn]) -> Q:
    answered = check_ins.filter(answered_at__isnull=False)
    return Exists(answered.filter(side=MatchCheckIn.Side.PARTICIPANT)) & Exists(
        answered.filter(side=MatchCheckIn.Side.PEER)
    )


def closure_of(enrolment_ref: str) -> QuerySet[Closure]:
    return Closure.objects.filter(enrolment=OuterRef(enrolment_ref))


def _match_unless(matches: QuerySet[Match], unless: Unless) -> QuerySet[Match]:
    if unless == Unless.MATCH_CLOSED:
        return matches.exclude(status__in=CLOSED_MATCH_STATUSES)
    if unless == Unless.FIRST_CONTACT:
        return matches.filter(first_contact_at__isnull=True)
    if unless == Unless.CHECK_IN_ANSWERED:
        return matches.exclude(_both_answered(MatchCheckIn.objects.filter(match=OuterRef("pk"))))
    if unless == Unless.MATCHED:
        working = Match.objects.filter(
            enrolment=OuterRef("enrolment_id"), status__in=WORKING_STATUSES
        )
        return matches.exclude(Exists(working))
    if unless == Unless.CLOSED:
        return matches.exclude(Exists(closure_of("enrolment_id")))
    return matches


def _enrolment_subjects(rule: Rule, day: date) -> list[Subject]:
    earliest, latest = _event_bounds(rule, day)
    enrolments = Enrolment.objects.filter(
        programme_id=rule.playbook.programme_id, status__in=OPEN_STATUSES
    )
    if rule.event == Event.WAITING:
        event_field = "waiting_since"
        enrolments = enrolments.filter(
            waiting_since__gte=_day_start(earliest),
            waiting_since__lt=_day_start(latest + timedelta(days=1)),
        )
    else:
        event_field = "discharge_on"
        discharge = LivedExperience.objects.filter(
            person=OuterRef("person_id"),
            programme=OuterRef("programme_id"),
            perspective=LivedExperience.Perspective.FACING,
            since_kind=LivedExperience.SinceKind.DISCHARGE,
        ).values("since")[:1]
        enrolments = enrolments.annotate(discharge_on=Subquery(discharge)).filter(
            discharge_on__gte=earliest, discharge_on__lte=latest
        )
    enrolments = _enrolment_unless(enrolments, Unless(rule.unless))
    current = Match.objects.filter(enrolment=OuterRef("pk"), status__in=WORKING_STATUSES).order_by(
        "-created_at", "-id"
    )
    rows = (
        enrolments.annotate(
            made=_made(rule),
            current_match=Subquery(current.values("pk")[:1]),
            current_status=Subquery(current.values("status")[:1]),
            peer_person=Subquery(current.values("profile__person_id")[:1]),
            peer_user=Subquery(current.values("profile__person__user_id")[:1]),
            peer_supervisor=Subquery(current.values("profile__supervisor_id")[:1]),
        )
        .filter(made__lt=rule.repeat_times)
        .values(
            "pk",
            event_field,
            "person_id",
            "current_match",
            "current_status",
            "peer_person",
            "peer_user",
            "peer_supervisor",
        )
        .order_by("pk")
    )
    return [_enrolment_subject(row, event_field) for row in rows]


def _enrolment_subject(row: dict[str, Any], event_field: str) -> Subject:
    return Subject(
        key=f"enrolment:{row['pk']}",
        event_on=local_date(row[event_field]),
        enrolment_id=row["pk"],
        match_id=row["current_match"],
        participant_id=row["person_id"],
        peer_person_id=row["peer_person"],
        peer_user_id=row["peer_user"],
        supervisor_id=row["peer_supervisor"],
        match_status=row["current_status"] or "",
    )


def _enrolment_unless(enrolments: QuerySet[Enrolment], unless: Unless) -> QuerySet[Enrolment]:
    matches = Match.objects.filter(enrolment=OuterRef("pk"))
    working = matches.filter(status__in=WORKING_STATUSES)
    if unless == Unless.MATCHED:
        return enrolments.exclude(
            status__in=(EnrolmentStatus.MATCHED, EnrolmentStatus.ACTIVE)
        ).exclude(Exists(working))
    if unless == Unless.FIRST_CONTACT:
        return enrolments.exclude(Exists(working.filter(first_contact_at__isnull=False)))
    if unless == Unless.CHECK_IN_ANSWERED:
        return enrolments.exclude(
            _both_answered(
                MatchCheckIn.objects.filter(
                    match__enrolment=OuterRef("pk"), match__status__in=WORKING_STATUSES
                )
            )
        )
    if unless == Unless.MATCH_CLOSED:
        # The participant's match has ended and no other has begun.
        closed = matches.filter(status__in=CLOSED_MATCH_STATUSES)
        live = matches.filter(status__in=LIVE_MATCH_STATUSES)
        return enrolments.exclude(Exists(closed) & ~Exists(live))
    if unless == Unless.CLOSED:
        return enrolments.exclude(Exists(closure_of("pk")))
    return enrolments
