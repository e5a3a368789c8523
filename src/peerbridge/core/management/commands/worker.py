"""`peerbridge worker`: run background tasks from the database queue, the daily jobs
of the schedule (core.periodic) when they are due, and send the outbox's due messages
(notifications.delivery).

The loop: run the jobs that are due (at start, then every --schedule-every seconds),
work through the queue until it is empty, send the outbox's due messages (in batches
of --messages), wait --interval seconds, again. With --batch it does one round and
exits (for cron or tests); --max-tasks stops after that many tasks. Several workers may
run side by side: a job is claimed by exactly one of them, the queue hands each task to
one worker, and each message is claimed by one worker.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from peerbridge.core.periodic import run_due_jobs

logger = logging.getLogger(__name__)


class QueueWorker(Worker):
    """django-tasks-db's worker, counting the tasks it ran across rounds."""

    tasks_run = 0

    def run_task(self, db_task_result: DBTaskResult[Any, Any]) -> None:
        try:
            super().run_task(db_task_result)
        finally:
            self.tasks_run += 1

    def reached_limit(self) -> bool:
        return self.max_tasks is not None and self.tasks_run >= self.max_tasks


def _queue_backend() -> bool:
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


class Command(BaseCommand):
    help = "Run the PeerBridge background worker (all queues and the daily jobs) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument(
            "--schedule-every",
            type=float,
            default=300.0,
            help="Seconds between looks at the schedule of daily jobs (default 300).",
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="Stop after this many tasks (for tests)."
        )
        parser.add_argument(
            "--messages",
            type=int,
            default=100,
            help="Outbox messages claimed at a time (default 100; 0 sends none).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run the due jobs and the queued tasks, then exit (for cron or tests).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = max(0.0, float(options["interval"]))
        schedule_every = max(1.0, float(options["schedule_every"]))
        max_tasks = options["max_tasks"]
        worker = QueueWorker(
            queue_names=["*"],
            interval=interval,
            batch=True,  # each round drains the queue and returns to this loop
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=max_tasks if max_tasks and max_tasks > 0 else None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        if not options["batch"]:
            worker.configure_signals()
        has_queue = _queue_backend()
        if not has_queue:
            logger.warning("The task backend is not the database: running the schedule only.")
        next_look = 0.0
        while worker.running:
            if time.monotonic() >= next_look:
                self._run_schedule(worker)
                next_look = time.monotonic() + schedule_every
            if has_queue and worker.running:
                worker.run()
            if worker.running:
                self._deliver(worker, limit=max(0, int(options["messages"])))
            if options["batch"] or worker.reached_limit() or not worker.running:
                break
            time.sleep(interval)

    def _run_schedule(self, worker: QueueWorker) -> None:
        if not connection.in_atomic_block:  # a test's transaction must survive
            close_old_connections()
        # While a job runs, a stop signal waits for it to finish (as for a task).
        worker.running_task = True
        try:
            for ran in run_due_jobs(timezone.now()):
                self.stdout.write(f"{ran.name}: {ran.result}")
        finally:
            worker.running_task = False

    def _deliver(self, worker: QueueWorker, *, limit: int) -> None:
        # Imported here, as the schedule's jobs are: core sits below every app.
        from peerbridge.notifications.delivery import deliver_all_due

        if not limit:
            return
        if not connection.in_atomic_block:
            close_old_connections()
        worker.running_task = True
        try:
            sent = deliver_all_due(limit=limit)
        except Exception:
            # A database hiccup must not stop the worker: the rows wait for the next round.
            logger.exception("Sending the outbox failed")
            return
        finally:
            worker.running_task = False
        if sent:
            self.stdout.write(f"outbox: sent {sent} message(s)")
