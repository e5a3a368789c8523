"""The daily scan: every active rule makes the work items that are due.

For each rule it reads, in a fixed number of queries, the subjects (matches or
enrolments, read in followups.subjects) whose event date plus the rule's offset (plus
each repeat) has arrived, leaves out those where the rule's "unless" holds, and creates
one work item per due occurrence that does not exist yet. The unique (rule, subject,
occurrence) makes it idempotent: running it twice creates nothing twice, and a worker
that was down catches up with every occurrence due since, each with its own due date.

Occurrences that were over before the playbook existed are never made: applying a
playbook does not send reminders about matches made last year. Stalls and the end of
the programme are different: they describe a match under way as it is now, so a match
already stalled when the playbook is made is due at once.

Which matches are stalled is support.stalls' one definition (the coordinator's home
uses it too): no contact for the programme's contact cadence plus its stall grace days.
A stall's subject carries the date its silence began ("match:12:stall:20260302"), so
one stall makes one item however often the scan runs, and a later stall after a new
contact makes a new one. A contact logged since closes the open stall item as no
longer needed at the next scan; a recorded closure closes the programme-end item as
done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from peerbridge.core.audit import Action as AuditAction
from peerbridge.core.audit import audit_many
from peerbridge.followups.messages import REASON_NO_RECIPIENT
from peerbridge.followups.models import Action, Event, Recipient, Role, Rule, Unless, WorkItem
from peerbridge.followups.subjects import (
    UNDER_WAY,
    Subject,
    closure_of,
    due_subjects,
    local_date,
    stall_subject,
)
from peerbridge.followups.tasks import send_work_item_message
from peerbridge.matching.check_ins import check_ins_start
from peerbridge.matching.models import Match
from peerbridge.organisations.models import Programme
from peerbridge.outcomes.models import Assessment
from peerbridge.outcomes.schedules import Due, assessments_open
from peerbridge.support.configuration import support_settings
from peerbridge.support.stalls import IN_TOUCH, silent_since

logger = logging.getLogger(__name__)

# Events read from the match as it is now rather than from a date in its past.
STATE_EVENTS = frozenset({Event.STALLED, Event.PROGRAMME_END})


@dataclass
class ScanResult:
    today: date
    rules: int = 0
    created: int = 0
    retired: int = 0
    messages_queued: int = 0
    messages_failed: int = 0
    check_ins_opened: int = 0
    assessments_opened: int = 0
    failed_rules: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"{self.created} work item(s) from {self.rules} rule(s), "
            f"{self.retired} closed as overtaken; "
            f"{self.messages_queued} message(s) queued, {self.messages_failed} not sent; "
            f"{self.check_ins_opened} check-in(s) opened; "
            f"{self.assessments_opened} questionnaire(s) opened"
        )
        if self.failed_rules:
            text += f"; rules that failed: {', '.join(map(str, self.failed_rules))}"
        return text


def scan(*, today: date | None = None) -> ScanResult:
    """Create every work item due up to `today` (default: today, local time)."""
    day = today or timezone.localdate()
    result = ScanResult(today=day)
    rules = Rule.objects.filter(
        playbook__is_active=True, playbook__programme__status=Programme.Status.ACTIVE
    ).select_related("playbook__programme", "timepoint")
    for rule in rules:
        result.rules += 1
        try:
            _scan_rule(rule, day, result)
        except Exception:
            # One broken rule must not stop the others; the next run tries it again.
            logger.exception("Playbook rule %s failed in the scan", rule.pk)
            result.failed_rules.append(rule.pk)
    return result


def _scan_rule(rule: Rule, day: date, result: ScanResult) -> None:
    with transaction.atomic():
        # Two scans of one rule at once (a cron run beside the worker) take turns.
        Rule.objects.select_for_update().filter(pk=rule.pk).first()
        result.retired += _retire(rule)
        subjects = due_subjects(rule, day)
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
            _mark_messages(rule, new, {s.key: s for s in subjects})
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
        elif rule.action == Action.QUESTIONNAIRE:
            _open_assessments(rule, created, result)


def _due_items(
    rule: Rule,
    subject: Subject,
    day: date,
    made_on: date,
    existing: set[tuple[str, int]],
    stamp: datetime,
) -> list[WorkItem]:
    items = []
    reaches_back = rule.event in STATE_EVENTS
    for index in range(rule.repeat_times):
        occurrence = index + 1
        due_on = subject.event_on + timedelta(
            days=rule.offset_days + index * (rule.repeat_every_days or 0)
        )
        overdue_on = due_on + timedelta(days=rule.window_days)
        if due_on > day:
            break
        if (overdue_on < made_on and not reaches_back) or (subject.key, occurrence) in existing:
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


# --- Items the state has overtaken -----------------------------------------------------


def _retire(rule: Rule) -> int:
    """Close the rule's open items that no longer apply: a stall answered by a contact
    (or whose match is no longer under way), and after a participant's closure the
    programme-end item (done: the closure was the work) or any other item the closure
    makes pointless. Returns how many were closed."""
    if rule.action == Action.QUESTIONNAIRE:
        return _retire_answered(rule)
    if rule.event == Event.STALLED:
        return _retire_stalls(rule)
    if rule.event == Event.PROGRAMME_END or rule.unless == Unless.CLOSED:
        return _retire_closed(rule)
    return 0


def _open_items(rule: Rule) -> QuerySet[WorkItem]:
    return WorkItem.objects.filter(rule=rule, status=WorkItem.Status.OPEN)


def _close_items(ids: list[int], **changes: Any) -> int:
    if not ids:
        return 0
    # Only items still open: a person closing one at the same moment keeps their outcome.
    closed = WorkItem.objects.filter(pk__in=ids, status=WorkItem.Status.OPEN).update(**changes)
    audit_many(
        actor=None,
        action=AuditAction.UPDATE,
        object_type=WorkItem._meta.label_lower,
        object_ids=ids,
    )
    return closed


def _retire_stalls(rule: Rule) -> int:
    """Close open stall items whose episode is over: a contact since, or the match has
    left the statuses that can stall."""
    items = list(_open_items(rule).values_list("pk", "match_id", "subject"))
    if not items:
        return 0
    programme = rule.playbook.programme
    attempts = [programme.pk] if support_settings(programme).count_attempts_as_contact else []
    now_stalled_since = {
        pk: stall_subject(pk, local_date(since))
        for pk, since in Match.objects.filter(
            pk__in={match_id for _pk, match_id, _subject in items}, status__in=IN_TOUCH
        )
        .annotate(since=silent_since(attempts))
        .values_list("pk", "since")
    }
    overtaken = [
        pk for pk, match_id, subject in items if now_stalled_since.get(match_id) != subject
    ]
    return _close_items(overtaken, status=WorkItem.Status.CANCELLED, completed_at=timezone.now())


def _retire_answered(rule: Rule) -> int:
    """Close the questionnaire items whose assessment is over: done when completed,
    no longer needed when declined or its window closed."""
    if rule.timepoint_id is None:
        return 0
    assessment = Assessment.objects.filter(
        enrolment_id=OuterRef("enrolment_id"), timepoint_id=rule.timepoint_id
    )
    completed = assessment.filter(status=Assessment.Status.COMPLETED)
    done = list(_open_items(rule).filter(Exists(completed)).values_list("pk", flat=True))
    closed = _close_items(
        done,
        status=WorkItem.Status.DONE,
        completed_at=Subquery(completed.values("completed_at")[:1]),
    )
    over = assessment.filter(status__in=[Assessment.Status.DECLINED, Assessment.Status.EXPIRED])
    dropped = list(_open_items(rule).filter(Exists(over)).values_list("pk", flat=True))
    return closed + _close_items(
        dropped, status=WorkItem.Status.CANCELLED, completed_at=timezone.now()
    )


def _retire_closed(rule: Rule) -> int:
    closure = closure_of("enrolment_id")
    closed = list(_open_items(rule).filter(Exists(closure)).values_list("pk", flat=True))
    if rule.event != Event.PROGRAMME_END:
        return _close_items(closed, status=WorkItem.Status.CANCELLED, completed_at=timezone.now())
    done = _close_items(
        closed,
        status=WorkItem.Status.DONE,
        completed_at=Subquery(closure.values("closed_at")[:1]),
        completed_by=Subquery(closure.values("closed_by")[:1]),
    )
    # A match that ended another way (early, or completed without a closure) has no
    # programme end to close.
    ended = list(
        _open_items(rule)
        .exclude(Exists(closure))
        .exclude(match__status__in=UNDER_WAY)
        .values_list("pk", flat=True)
    )
    return done + _close_items(ended, status=WorkItem.Status.CANCELLED, completed_at=timezone.now())


# --- Actions --------------------------------------------------------------------------


def _mark_messages(rule: Rule, items: list[WorkItem], subjects: dict[str, Subject]) -> None:
    """A message goes to the outbox through the worker, which reads consent and the
    ways to reach the person at that moment (followups.messages). Here only a message
    with nobody to go to (a peer's message before any match) is marked not sent."""
    for item in items:
        subject = subjects[item.subject]
        person_id = (
            subject.participant_id
            if rule.recipient == Recipient.PARTICIPANT
            else subject.peer_person_id
        )
        if person_id is None:
            item.status = WorkItem.Status.FAILED
            item.outcome = {"reason": REASON_NO_RECIPIENT}
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


def _open_assessments(rule: Rule, created: list[WorkItem], result: ScanResult) -> None:
    """Open the participant's questionnaires at the rule's timepoint (and send the link
    where they can be reached); the work item asks the peer or coordinator to help."""
    if rule.timepoint is None:
        return
    result.assessments_opened += len(
        assessments_open(
            timepoint=rule.timepoint,
            due=[Due(enrolment_id=item.enrolment_id, due_on=item.due_on) for item in created],
        )
    )


def _open_check_ins(created: list[WorkItem], result: ScanResult) -> None:
    # Rows waiting for an answer, in one go; the coordinator sends or shows the links.
    result.check_ins_opened += check_ins_start(
        [item.match_id for item in created if item.match_id is not None], actor=None
    )
