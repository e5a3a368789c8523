"""`peerbridge rotate-keys`: re-encrypt every encrypted value under the first key.

Rotation: `peerbridge generate-key`, put the new key FIRST in FIELD_ENCRYPTION_KEYS
(keep the old ones after it), restart, run `peerbridge rotate-keys`, then remove the old
keys. `--check` only verifies that every value decrypts with the configured keys.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peerbridge.core.crypto import DecryptionError
from peerbridge.core.rotation import rotate_all, verify_all


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field under the newest key (see docs/operations.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Only verify every value decrypts."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if not options["check"]:
                for count in rotate_all():
                    self.stdout.write(
                        f"{count.model}: {count.rows} rows, {count.values} values re-encrypted"
                    )
            opened = verify_all()
        except DecryptionError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"All {opened} encrypted values decrypt."))
