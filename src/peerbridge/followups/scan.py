"""The daily scan: every active rule makes the work items that are due.

For each rule it reads, in a fixed number of queries, the subjects (matches or
enrolments) whose event date plus the rule's offset (plus each repeat) has arrived,
leaves out those where the rule's "unless" holds, and creates one work item per due
occurrence that does not exist yet. The unique (rule, subject, occurrence) makes it
idempotent: running it twice creates nothing twice, and a worker that was down catches
up with every occurrence due since, each with its own due date.

Occurrences that were over before the playbook existed are never made: applying a
playbook does not send reminders about matches made last year.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from peerbridge.core.audit import Action as AuditAction
from peerbridge.core.audit import audit_many
from peerbridge.followups.messages import REASON_NO_RECIPIENT, reach_by_email
from peerbridge.followups.models import (
    MATCH_EVENTS,
    Action,
    Event,
    Recipient,
    Role,
    Rule,
    Unless,
    WorkItem,
)
from peerbridge.followups.tasks import send_work_item_message
from peerbridge.matching.check_ins import check_ins_start
from peerbridge.matching.models import (
    LIVE_MATCH_STATUSES,
    WORKING_STATUSES,
    Match,
    MatchCheckIn,
    MatchStatus,
)
from peerbridge.organisations.models import Programme
from peerbridge.people.models import LivedExperience
from peerbridge.referrals.models import OPEN_STATUSES, Enrolment, EnrolmentStatus

logger = logging.getLogger(__name__)

MATCH_DATE_FIELDS = {
    Event.MATCH_ACCEPTED: "accepted_at",
    Event.MATCH_INTRODUCED: "introduced_at",
    Event.FIRST_CONTACT: "first_contact_at",
}
CLOSED_MATCH_STATUSES = (MatchStatus.COMPLETED, MatchStatus.ENDED)
NEVER_STARTED = (MatchStatus.CANCELLED, MatchStatus.DECLINED)


@dataclass
class ScanResult:
    today: date
    rules: int = 0
    created: int = 0
    messages_queued: int = 0
    messages_failed: int = 0
    check_ins_opened: int = 0
    failed_rules: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"{self.created} work item(s) from {self.rules} rule(s); "
            f"{self.messages_queued} message(s) queued, {self.messages_failed} not sent; "
            f"{self.check_ins_opened} check-in(s) opened"
        )
        if self.failed_rules:
            text += f"; rules that failed: {', '.join(map(str, self.failed_rules))}"
        return text


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


def scan(*, today: date | None = None) -> ScanResult:
    """Create every work item due up to `today` (default: today, local time)."""
    day = today or timezone.localdate()
    result = ScanResult(today=day)
    rules = Rule.objects.filter(
        playbook__is_active=True, playbook__programme__status=Programme.Status.ACTIVE
    ).select_related("playbook")
    for rule in rules:
        result.rules += 1
        try:
            _scan_rule(rule, day, result)
        except Exception:
            # One broken rule must not stop the others; the next run tries it again.
            logger.exception("Playbook rule %s failed in the scan", rule.pk)
            result.failed_rules.append(rule.pk)
    return result


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _local_date(value: date | datetime) -> date:
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


def _scan_rule(rule: Rule, day: date, result: ScanResult) -> None:
    with transaction.atomic():
        # Two scans of one rule at once (a cron run beside the worker) take turns.
        Rule.objects.select_for_update().filter(pk=rule.pk).first()
        subjects = _subjects(rule, day)
        if not subjects:
            return
        existing = set(
            WorkItem.objects.filter(rule=rule, subject__in=[s.key for s in subjects]).values_list(
                "subject", "occurrence"
            )
        )
        stamp = timezone.now()
        made_on = timezone.localdate(rule.playbook.created_at)
        new = [
            item
            for subject in subjects
            for item in _due_items(rule, subject, day, made_on, existing, stamp)
        ]
        if not new:
            return
        if rule.action == Action.MESSAGE:
            _decide_messages(rule, new, {s.key: s for s in subjects})
        WorkItem.objects.bulk_create(new, ignore_conflicts=True)
        created = list(WorkItem.objects.filter(rule=rule, created_at=stamp))
        audit_many(
            actor=None,
            action=AuditAction.CREATE,
            object_type=WorkItem._meta.label_lower,
            object_ids=[item.pk for item in created],
        )
        result.created += len(created)
        if rule.action == Action.MESSAGE:
            _queue_messages(created, result)
        elif rule.action == Action.CHECK_IN:
            _open_check_ins(created, result)


def _due_items(
    rule: Rule,
    subject: Subject,
    day: date,
    made_on: date,
    existing: set[tuple[str, int]],
    stamp: datetime,
) -> list[WorkItem]:
    items = []
    for index in range(rule.repeat_times):
        occurrence = index + 1
        due_on = subject.event_on + timedelta(
            days=rule.offset_days + index * (rule.repeat_every_days or 0)
        )
        overdue_on = due_on + timedelta(days=rule.window_days)
        if due_on > day:
            break
        if overdue_on < made_on or (subject.key, occurrence) in existing:
            continue
        items.append(
            WorkItem(
                rule=rule,
                programme_id=rule.playbook.programme_id,
                subject=subject.key,
                occurrence=occurrence,
                enrolment_id=subject.enrolment_id,
                match_id=subject.match_id,
                action=rule.action,
                role=rule.role,
                assignee_id=_assignee(rule, subject),
                title=rule.title,
                due_on=due_on,
                overdue_on=overdue_on,
                created_at=stamp,
            )
        )
    return items


def _assignee(rule: Rule, subject: Subject) -> int | None:
    if rule.action == Action.MESSAGE or rule.role == Role.COORDINATOR:
        return None  # the programme's queue
    if rule.role == Role.PEER:
        return subject.peer_user_id
    return subject.supervisor_id


# --- Subjects -------------------------------------------------------------------------


def _subjects(rule: Rule, day: date) -> list[Subject]:
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
    matches = _match_unless(matches, Unless(rule.unless))
    rows = (
        matches.annotate(made=_made(rule))
        .filter(made__lt=rule.repeat_times)
        .values(
            "pk",
            date_field,
            "status",
            "enrolment_id",
            "enrolment__person_id",
            "profile__person_id",
            "profile__person__user_id",
            "profile__supervisor_id",
        )
        .order_by("pk")
    )
    return [
        Subject(
            key=f"match:{row['pk']}",
            event_on=_local_date(row[date_field]),
            enrolment_id=row["enrolment_id"],
            match_id=row["pk"],
            participant_id=row["enrolment__person_id"],
            peer_person_id=row["profile__person_id"],
            peer_user_id=row["profile__person__user_id"],
            supervisor_id=row["profile__supervisor_id"],
            match_status=row["status"],
        )
        for row in rows
    ]


def _both_answered(check_ins: QuerySet[MatchCheckIn]) -> Q:
    answered = check_ins.filter(answered_at__isnull=False)
    return Exists(answered.filter(side=MatchCheckIn.Side.PARTICIPANT)) & Exists(
        answered.filter(side=MatchCheckIn.Side.PEER)
    )


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
        event_on=_local_date(row[event_field]),
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
    return enrolments


# --- Actions --------------------------------------------------------------------------


def _decide_messages(rule: Rule, items: list[WorkItem], subjects: dict[str, Subject]) -> None:
    """Mark each message as queued, or not sent with the reason, before it is saved."""
    recipients: dict[str, int | None] = {}
    for key, subject in subjects.items():
        recipients[key] = (
            subject.participant_id
            if rule.recipient == Recipient.PARTICIPANT
            else subject.peer_person_id
        )
    reach = reach_by_email(
        [pk for pk in recipients.values() if pk is not None],
        programme_id=rule.playbook.programme_id,
    )
    for item in items:
        person_id = recipients[item.subject]
        found = reach.get(person_id) if person_id is not None else None
        reason = REASON_NO_RECIPIENT if found is None else found.reason
        if reason:
            item.status = WorkItem.Status.FAILED
            item.outcome = {"reason": reason}
        else:
            item.status = WorkItem.Status.SENT
            item.outcome = {}


def _queue_messages(created: list[WorkItem], result: ScanResult) -> None:
    for item in created:
        if item.status == WorkItem.Status.SENT:
            transaction.on_commit(partial(send_work_item_message.enqueue, work_item_id=item.pk))
            result.messages_queued += 1
        else:
            result.messages_failed += 1


def _open_check_ins(created: list[WorkItem], result: ScanResult) -> None:
    # Rows waiting for an answer, in one go; the coordinator sends or shows the links.
    result.check_ins_opened += check_ins_start(
        [item.match_id for item in created if item.match_id is not None], actor=None
    )
