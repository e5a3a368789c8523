"""`peerbridge workforce-scan`: the workforce's daily look for work needing review.

Expiry and pauses already stop new work the moment they apply (the eligibility service
reads dates on every request). This scan adds what a date cannot: a review alert on the
matches and groups a peer still holds after their required certification expired.
It is safe to run repeatedly; a profile never gets a second open alert.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peerbridge.workforce.certification_expiry import flag_expired_work


class Command(BaseCommand):
    help = "Flag the work of peers whose required certification expired (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        alerts = flag_expired_work()
        self.stdout.write(f"Raised {len(alerts)} review alert(s) for expired certifications.")
