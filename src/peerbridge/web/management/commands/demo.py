"""`peerbridge demo`: load the demo organisation, programmes and logins (idempotent)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from peerbridge.web.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo organisation, its eight programmes and a login for every role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="Print every demo login, not one per role."
        )
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Load even when DEBUG is off (the demo logins share a published password).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "The demo creates logins with a published password; it runs only with "
                "DEBUG=true (or --allow-without-debug on a throwaway database)."
            )
        logins = load_demo()
        shown = logins if options["all"] else self._one_per_role(logins)
        self.stdout.write(self.style.SUCCESS("Demo loaded. Sign in at http://127.0.0.1:8000/"))
        self.stdout.write(f"Password for every demo login: {DEMO_PASSWORD}")
        width = max(len(login.email) for login in shown)
        for login in shown:
            self.stdout.write(f"  {login.email:<{width}}  {login.role} - {login.scope}")
        if not options["all"]:
            self.stdout.write(
                "Every programme has the same logins with its letter (a to h): "
                "leader.X, coordinator.X, supervisor.X, peer.X, peer2.X, participant.X, "
                "and oncall.X. `peerbridge demo --all` lists them."
            )
        self.stdout.write(
            "oncall.a to oncall.h are the supervisors on each programme's on-call rota "
            "this week: risk flags raised in the programme go to them to acknowledge."
        )

    @staticmethod
    def _one_per_role(logins: list[Any]) -> list[Any]:
        shown: list[Any] = []
        seen: set[str] = set()
        for login in logins:
            if login.role not in seen or login.email.startswith("peer.b@"):
                seen.add(login.role)
                shown.append(login)
        return shown
