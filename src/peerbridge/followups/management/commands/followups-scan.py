"""`peerbridge followups-scan`: make the work items the programmes' playbooks have made
due (the worker runs this daily by itself; this command is for cron or a one-off run).

It is safe to run at any time and as often as you like: nothing is made twice, and a
run after a gap catches up with every occurrence due since, each with its own due date.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from peerbridge.followups.scan import scan


class Command(BaseCommand):
    help = "Create the playbooks' due work items, messages and check-ins (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today",
            default=None,
            help="Scan as of this date (YYYY-MM-DD; default: today). Not in the future.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("--today takes a date as YYYY-MM-DD.") from None
            if today > timezone.localdate():
                raise CommandError("--today cannot be in the future.")
        result = scan(today=today)
        self.stdout.write(str(result))
