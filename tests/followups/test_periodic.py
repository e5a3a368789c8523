"""The worker's schedule: each daily job runs once per period, a worker that was down
runs it when it is back, two workers at once run it once, and `peerbridge worker` and
`peerbridge followups-scan` run it."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone

from peerbridge.core.models import ScheduledRun
from peerbridge.core.periodic import JOBS, RETRY_AFTER, Job, claim, run_due_jobs

NOW = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)


def counting_jobs(calls: Counter[str], *, fail: bool = False) -> dict[str, Job]:
    def run(day: date) -> str:
        calls[day.isoformat()] += 1
        if fail:
            raise RuntimeError("boom")
        return f"ran for {day.isoformat()}"

    return {"test-job": Job("test-job", timedelta(days=1), run)}


def test_the_schedule_names_the_daily_jobs() -> None:
    assert set(JOBS) == {
        "followups-scan",
        "workforce-scan",
        "purge-imports",
        "safety-escalate",
        "notifications-digest",
        "outcomes-expire",
    }
    assert JOBS["safety-escalate"].period == timedelta(minutes=5)
    assert all(
        job.period == timedelta(days=1) for name, job in JOBS.items() if name != "safety-escalate"
    )


def test_a_job_runs_once_per_period_and_records_its_result(db: None) -> None:
    calls: Counter[str] = Counter()
    jobs = counting_jobs(calls)
    assert [r.name for r in run_due_jobs(NOW, jobs=jobs)] == ["test-job"]
    assert run_due_jobs(NOW + timedelta(minutes=5), jobs=jobs) == []
    assert run_due_jobs(NOW + timedelta(hours=23), jobs=jobs) == []
    row = ScheduledRun.objects.get(name="test-job")
    assert row.last_started_at == NOW and row.last_finished_at is not None
    assert row.last_result == "ran for 2026-05-04"
    assert len(run_due_jobs(NOW + timedelta(days=1), jobs=jobs)) == 1
    # down for a week: one run when back (the scan itself catches up)
    assert len(run_due_jobs(NOW + timedelta(days=8), jobs=jobs)) == 1
    assert sum(calls.values()) == 3


def test_a_failed_job_is_tried_again_after_an_hour(db: None) -> None:
    calls: Counter[str] = Counter()
    jobs = counting_jobs(calls, fail=True)
    [ran] = run_due_jobs(NOW, jobs=jobs)
    assert not ran.ok and ran.result == "failed: RuntimeError"
    assert run_due_jobs(NOW + RETRY_AFTER - timedelta(minutes=1), jobs=jobs) == []
    assert len(run_due_jobs(NOW + RETRY_AFTER, jobs=jobs)) == 1


def test_only_one_of_two_claims_wins(db: None) -> None:
    job = counting_jobs(Counter())["test-job"]
    assert [claim(job, NOW), claim(job, NOW)] == [True, False]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_run_a_job_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent connections are what this proves; SQLite has one writer")
    calls: Counter[str] = Counter()
    jobs = counting_jobs(calls)
    start = threading.Barrier(6)
    lock = threading.Lock()

    def contend() -> None:
        try:
            start.wait(timeout=30)
            run_due_jobs(NOW, jobs=jobs)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=contend) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with lock:
        assert sum(calls.values()) == 1


def test_the_worker_runs_due_jobs_at_start(db: None) -> None:
    out = StringIO()
    call_command("worker", "--batch", stdout=out)
    assert {row.name for row in ScheduledRun.objects.filter(last_finished_at__isnull=False)} >= {
        "followups-scan",
        "workforce-scan",
        "purge-imports",
    }
    assert "followups-scan:" in out.getvalue()
    again = StringIO()
    call_command("worker", "--batch", stdout=again)
    assert again.getvalue() == ""  # nothing due twice in a day


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
@pytest.mark.django_db(transaction=True)
def test_the_worker_still_works_the_queue_with_max_tasks() -> None:
    from django.core import mail

    from peerbridge.core.tasks import send_password_email
    from peerbridge.web.demo import load_demo

    load_demo()
    from peerbridge.core.models import User

    user = User.objects.get(email="coordinator.a@demo.peerbridge.test")
    # The worker's daily jobs run first and may queue playbook messages of their own;
    # count only the password emails this test queued.
    ScheduledRun.objects.all().delete()
    call_command("followups-scan", stdout=StringIO())
    call_command("workforce-scan", stdout=StringIO())
    call_command("purge-imports", stdout=StringIO())
    for name in ("followups-scan", "workforce-scan", "purge-imports"):
        ScheduledRun.objects.create(
            name=name, last_started_at=timezone.now(), last_finished_at=timezone.now()
        )
    mail.outbox.clear()
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.exclude(task_path="peerbridge.core.tasks.send_password_email").delete()
    for _ in range(3):
        send_password_email.enqueue(user_id=user.pk, kind="reset", site_url="http://testserver/")

    def password_emails() -> int:
        # The worker also sends the outbox (the demo's playbook messages among them).
        return sum("/accounts/password/reset/" in m.body for m in mail.outbox)

    call_command("worker", "--batch", "--max-tasks", "2", "--interval", "0", stdout=StringIO())
    assert password_emails() == 2
    call_command("worker", "--batch", "--interval", "0", stdout=StringIO())
    assert password_emails() == 3


def test_followups_scan_command(db: None) -> None:
    out = StringIO()
    call_command("followups-scan", stdout=out)
    assert "work item(s)" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("followups-scan", "--today", "not-a-date")
    with pytest.raises(CommandError):
        call_command(
            "followups-scan", "--today", (timezone.localdate() + timedelta(days=2)).isoformat()
        )
