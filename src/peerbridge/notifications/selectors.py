"""Reads of the outbox: a signed-in person's in-app messages and preferences, and a
programme's delivery log for the staff who run it (never the subjects or bodies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from peerbridge.core.models import User
from peerbridge.notifications.models import Channel, Notification
from peerbridge.notifications.reach import preference_of, preferred_external
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser
from peerbridge.people.models import Person

# What the programme's outbox page may show about a message: how it went, not what it said.
OUTBOX_FIELDS = (
    "id",
    "kind",
    "channel",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "next_attempt_at",
    "sent_at",
)


def as_pk(value: Any) -> int:
    """An id from a URL: anything that is not a whole number is a 404."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def inbox(user: AnyUser) -> QuerySet[Notification]:
    """The user's own in-app messages, newest first."""
    if not isinstance(user, User):
        return Notification.objects.none()
    return Notification.objects.filter(
        user=user, channel=Channel.IN_APP, status=Notification.Status.SENT
    ).order_by("-created_at", "-id")


def unread_count(user: AnyUser) -> int:
    return inbox(user).filter(read_at__isnull=True).count()


def access_message(*, user: AnyUser, message_id: Any) -> Notification:
    """One of the user's own in-app messages; anyone else's is a 404."""
    found = inbox(user).filter(pk=as_pk(message_id)).first()
    if found is None:
        raise Http404
    return found


def outbox(programme: Programme, *, status: str = "", channel: str = "") -> QuerySet[Notification]:
    """A programme's messages, newest first, with their delivery state only. Unknown
    filter values are ignored."""
    rows = Notification.objects.filter(programme=programme)
    if status in Notification.Status.values:
        rows = rows.filter(status=status)
    if channel in Channel.values:
        rows = rows.filter(channel=channel)
    return rows.only(*OUTBOX_FIELDS).order_by("-created_at", "-id")


@dataclass(frozen=True)
class PreferenceView:
    """How the person is reached now: their saved choice, else the defaults."""

    channels: list[str]  # email and text message in order; [] = only in PeerBridge
    quiet_from: time | None
    quiet_until: time | None
    daily_digest: bool
    saved: bool


def preference_view(user: User) -> PreferenceView:
    person = Person.objects.filter(user=user).first()
    saved = preference_of(user=user, person=person)
    return PreferenceView(
        channels=[str(c) for c in preferred_external(saved, person)],
        quiet_from=saved.quiet_from if saved else None,
        quiet_until=saved.quiet_until if saved else None,
        daily_digest=saved.daily_digest if saved else True,
        saved=saved is not None,
    )
