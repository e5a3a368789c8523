"""The worker's schedule: jobs that run once per period (the daily scans).

`run_due_jobs(now)` runs every job whose last start is older than its period, so a
worker that was down runs it as soon as it is back (each scan catches up by itself).
A job is claimed with one conditional UPDATE of its ScheduledRun row: of two workers
looking at the same moment, exactly one sees its update change a row and runs the job.
A job that fails is tried again after RETRY_AFTER rather than a whole period later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from peerbridge.core.models import ScheduledRun

logger = logging.getLogger(__name__)

DAY = timedelta(days=1)
RETRY_AFTER = timedelta(hours=1)
RESULT_MAX = 200


@dataclass(frozen=True)
class Job:
    """A named piece of periodic work; `run` takes the local date and returns a
    sentence for the record (counts only, never personal data)."""

    name: str
    period: timedelta
    run: Callable[[date], str]
    description: str = ""


def _followups_scan(day: date) -> str:
    from peerbridge.followups.scan import scan

    return str(scan(today=day))


def _workforce_scan(day: date) -> str:
    from peerbridge.workforce.certification_expiry import flag_expired_work

    alerts = flag_expired_work(on=day)
    return f"Raised {len(alerts)} review alert(s) for expired certifications."


def _safety_escalate(day: date) -> str:
    from peerbridge.safety.escalation import escalate_overdue

    # Deadlines are to the minute: this job reads the clock rather than the day.
    escalated = escalate_overdue(now=timezone.now())
    return f"Escalated {escalated} unacknowledged risk flag(s) to the programme leader."


def _notifications_digest(day: date) -> str:
    from peerbridge.web.digest import send_daily_digests

    sent = send_daily_digests(day=day)
    return f"Queued {sent} daily digest(s)."


def _outcomes_expire(day: date) -> str:
    from peerbridge.outcomes.schedules import expire_past

    closed = expire_past(today=day)
    return f"Closed {closed} questionnaire window(s) that had passed."


IMPORT_RETENTION_DAYS = 14
ESCALATION_EVERY = timedelta(minutes=5)


def _purge_imports(day: date) -> str:
    from peerbridge.referrals.imports import import_batches_expire

    emptied = import_batches_expire(older_than_days=IMPORT_RETENTION_DAYS)
    return f"Emptied {emptied} import file(s) older than {IMPORT_RETENTION_DAYS} days."


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "outcomes-expire",
            DAY,
            _outcomes_expire,
            "Close questionnaire windows that have passed (answers so far are kept).",
        ),
        Job(
            "followups-scan",
            DAY,
            _followups_scan,
            "Make the playbooks' due work items, messages and check-ins.",
        ),
        Job(
            "workforce-scan",
            DAY,
            _workforce_scan,
            "Flag the work of peers whose required certification expired.",
        ),
        Job(
            "purge-imports",
            DAY,
            _purge_imports,
            "Empty uploaded import files past their retention period.",
        ),
        Job(
            "safety-escalate",
            ESCALATION_EVERY,
            _safety_escalate,
            "Escalate risk flags not acknowledged by their deadline to the programme leader.",
        ),
        Job(
            "notifications-digest",
            DAY,
            _notifications_digest,
            "Queue each coordinator's daily digest of what is due.",
        ),
    )
}


@dataclass(frozen=True)
class JobRun:
    name: str
    ok: bool
    result: str


def _ensure_row(name: str) -> None:
    if ScheduledRun.objects.filter(name=name).exists():
        return
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(name=name)
    except IntegrityError:
        pass  # another worker made it first


def claim(job: Job, now: datetime) -> bool:
    """Mark the job started at `now` if its last start is older than its period. The
    condition and the write are one UPDATE, so only one caller wins."""
    _ensure_row(job.name)
    due = Q(last_started_at__isnull=True) | Q(last_started_at__lte=now - job.period)
    return ScheduledRun.objects.filter(due, name=job.name).update(last_started_at=now) == 1


def _finish(job: Job, now: datetime, *, ok: bool, result: str) -> None:
    changes: dict[str, object] = {
        "last_finished_at": timezone.now(),
        "last_result": result[:RESULT_MAX],
    }
    if not ok:
        # Not a whole period: try again after RETRY_AFTER.
        changes["last_started_at"] = now - job.period + RETRY_AFTER
    ScheduledRun.objects.filter(name=job.name).update(**changes)


def run_job(job: Job, now: datetime) -> JobRun:
    """Run a claimed job and record how it ended."""
    try:
        result = job.run(timezone.localdate(now))
    except Exception as error:
        logger.exception("Periodic job %s failed", job.name)
        text = f"failed: {type(error).__name__}"
        _finish(job, now, ok=False, result=text)
        return JobRun(job.name, False, text)
    _finish(job, now, ok=True, result=result)
    return JobRun(job.name, True, result)


def run_due_jobs(
    now: datetime | None = None, *, jobs: dict[str, Job] | None = None
) -> list[JobRun]:
    """Run each job that is due, once, and say what ran."""
    moment = now or timezone.now()
    ran = []
    for job in (JOBS if jobs is None else jobs).values():
        if claim(job, moment):
            ran.append(run_job(job, moment))
    return ran
