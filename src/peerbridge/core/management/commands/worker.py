"""`peerbridge worker`: run background tasks from the database queue."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the PeerBridge background worker (all queues) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="Stop after this many tasks (for tests)."
        )
        parser.add_argument(
            "--batch", action="store_true", help="Run what is due, then exit (for cron or tests)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        arguments = ["--queue-name", "*", "--interval", str(options["interval"]), "--no-reload"]
        if options["max_tasks"] is not None:
            arguments += ["--max-tasks", str(options["max_tasks"])]
        if options["batch"]:
            arguments.append("--batch")
        call_command("db_worker", *arguments)
