"""Builders for notification tests: recipients with addresses and consent, outbox rows
written directly (delivery does not care how a row was queued), and a test-only kind
whose templates live under tests/notifications/templates."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.notifications.models import Channel, Notification
from peerbridge.organisations.models import Programme
from peerbridge.people.models import Consent, ConsentScope, Person
from peerbridge.people.services import consent_record, person_create
from tests.conftest import persona_user

TEST_KIND = "notifications_test_ping"
TEMPLATES_DIR = Path(__file__).parent / "templates"
_serial = count(1)


def participant(
    programme: Programme,
    *,
    scopes: tuple[str, ...] = (ConsentScope.CONTACT_EMAIL, ConsentScope.CONTACT_SMS),
    email: str = "",
    phone: str = "+44 7700 900123",
    login: bool = False,
    channels: tuple[str, ...] = ("email",),
) -> Person:
    """A participant (no staff role) with an address, a phone and consent to `scopes`."""
    n = next(_serial)
    user = (
        User.objects.create_user(email=f"notify-participant-{n}@example.org", password=None)
        if login
        else None
    )
    person = person_create(
        given_name="Test", family_name=f"Recipient {n}", created_by=None, user=user
    )
    person.email = email or f"recipient-{n}@example.org"
    person.phone = phone
    person.preferred_channels = list(channels)
    person.save()
    consent_record(
        person=person,
        programme=programme,
        scopes=list(scopes),
        method=Consent.Method.ONLINE,
        recorded_by=None,
    )
    return person


def user_for(persona: str) -> User:
    """The demo login of a signed-in persona."""
    user = persona_user(persona)
    assert user is not None
    return user


def sent_in_app(
    user: User, *, read: bool = False, minutes_ago: int = 0, **fields: Any
) -> Notification:
    """An in-app message sent `minutes_ago` (and read then, when `read`)."""
    moment = timezone.now() - timedelta(minutes=minutes_ago)
    return Notification.objects.create(
        kind=TEST_KIND,
        channel=fields.pop("channel", Channel.IN_APP),
        user=user,
        subject=fields.pop("subject", "Something needs your attention"),
        body=fields.pop("body", "Sam asked you to look at this."),
        link=fields.pop("link", "/messages/"),
        status=Notification.Status.SENT,
        created_at=moment,
        sent_at=moment,
        read_at=moment if read else None,
        **fields,
    )


def queued(
    *,
    channel: str,
    programme: Programme | None,
    person: Person | None = None,
    user: User | None = None,
    kind: str = TEST_KIND,
    calendar: str = "",
    **fields: Any,
) -> Notification:
    """A PENDING row due now, as notify would have written it."""
    return Notification.objects.create(
        kind=kind,
        channel=channel,
        programme=programme,
        person=person,
        user=user,
        subject=fields.pop("subject", "Something needs your attention"),
        body=fields.pop(
            "body", "Something in PeerBridge needs your attention. http://testserver/messages/"
        ),
        link=fields.pop("link", "/messages/"),
        calendar=calendar if channel == Channel.EMAIL else "",
        next_attempt_at=fields.pop("next_attempt_at", timezone.now()),
        **fields,
    )
