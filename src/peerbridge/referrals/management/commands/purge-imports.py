"""`peerbridge purge-imports`: empty uploaded import files past their retention period.

Run it daily (cron or a scheduler). Previews never committed are discarded; committed
batches keep their counts but drop the rows that were left out.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from peerbridge.referrals.imports import import_batches_expire


class Command(BaseCommand):
    help = "Empty uploaded import files older than --days (default 14)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=14, help="Retention in days (min 1).")

    def handle(self, *args: Any, **options: Any) -> None:
        days = max(1, int(options["days"]))
        emptied = import_batches_expire(older_than_days=days)
        self.stdout.write(f"Emptied {emptied} import file(s) older than {days} days.")
