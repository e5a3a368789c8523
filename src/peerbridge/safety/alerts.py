"""The messages safety sends through the outbox: a flag to acknowledge, a flag escalated
to the leader, a serious incident reported.

Email and text bodies say only that something needs attention, by when, and give the
link: never the person, the programme (its name can name a condition) or the summary.
In-app bodies may name the person the flag is about, never the summary."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.notifications.models import Notification
from peerbridge.notifications.services import notify
from peerbridge.safety.models import Incident, RiskFlag, Severity

KIND_RAISED = "safety_flag_raised"
KIND_ESCALATED = "safety_flag_escalated"
KIND_INCIDENT = "safety_incident_reported"


def first_name(flag: RiskFlag) -> str:
    person = flag.person
    return str(person.preferred_name or person.given_name)


def _same_local_day(a: datetime, b: datetime) -> bool:
    return timezone.localdate(a) == timezone.localdate(b)


def flag_context(flag: RiskFlag) -> dict[str, object]:
    """What the flag templates show (`link`, the flag page's address, is added by
    `notify`): the deadline, whether it is urgent, and for in-app messages the first
    name of the person it is about."""
    return {
        "acknowledge_by": flag.acknowledge_by,
        "same_day": _same_local_day(flag.acknowledge_by, timezone.now()),
        "urgent": flag.severity == Severity.HIGH,
        "person_name": first_name(flag),
    }


def _key(base: str, user: User, several: bool) -> str:
    return f"{base}:user:{user.pk}" if several else base


def _send_about_flag(
    flag: RiskFlag, recipients: Iterable[User], *, kind: str, dedupe: str, urgent: bool
) -> list[Notification]:
    """One message about the flag to each recipient (a dedupe key per recipient when
    there are several)."""
    users = list(recipients)
    context = flag_context(flag)
    sent: list[Notification] = []
    for user in users:
        sent += notify(
            kind=kind,
            programme=flag.programme,
            context=context,
            user=user,
            link=reverse("safety:flag", args=[flag.pk]),
            dedupe_key=_key(dedupe, user, len(users) > 1),
            urgent=urgent,
        )
    return sent


def send_flag_to_acknowledge(
    flag: RiskFlag, recipients: Iterable[User], *, dedupe: str
) -> list[Notification]:
    """Ask the assignee (or each leader, when no one else was found) to acknowledge."""
    return _send_about_flag(
        flag, recipients, kind=KIND_RAISED, dedupe=dedupe, urgent=flag.severity == Severity.HIGH
    )


def send_flag_escalated(flag: RiskFlag, recipients: Iterable[User]) -> list[Notification]:
    """Tell the leaders a flag was not acknowledged in time (urgent: ignores quiet
    hours). One message per leader and channel, however often the scan runs."""
    return _send_about_flag(
        flag, recipients, kind=KIND_ESCALATED, dedupe=f"flag:{flag.pk}:escalated", urgent=True
    )


def send_incident_reported(incident: Incident, recipients: Iterable[User]) -> list[Notification]:
    path = reverse("safety:incident", args=[incident.pk])
    context = {"kind": str(incident.get_kind_display())}
    sent: list[Notification] = []
    for user in recipients:
        sent += notify(
            kind=KIND_INCIDENT,
            programme=incident.programme,
            context=context,
            user=user,
            link=path,
            dedupe_key=f"incident:{incident.pk}:reported:user:{user.pk}",
            urgent=True,
        )
    return sent
