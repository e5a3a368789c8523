"""Sending the outbox: email (with its calendar invitation), text messages and in-app
messages; retries with backoff until the last try; quiet hours; consent and addresses
asked again at send time; abandoned claims; the worker's round."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, time, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from peerbridge.core.models import ScheduledRun
from peerbridge.core.periodic import JOBS
from peerbridge.notifications.calendar import ics_event
from peerbridge.notifications.delivery import (
    MAX_ATTEMPTS,
    RECLAIM_AFTER,
    backoff,
    deliver_due,
    quiet_until,
)
from peerbridge.notifications.models import Channel, Notification, Preference
from peerbridge.notifications.services import notify
from peerbridge.people.models import ConsentScope, Person
from peerbridge.people.services import consent_withdraw
from tests.conftest import World, persona_user
from tests.notifications.conftest import sms_lines
from tests.notifications.world import TEST_KIND, participant, queued

Status = Notification.Status
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PHONE = "+44 7700 900123"


def days_ahead(days: int, hour: int, minute: int = 0) -> datetime:
    """A time of day a few days from now (roles and consents hold then; the test
    settings' time zone is UTC)."""
    day = (datetime.now(tz=UTC) + timedelta(days=days)).date()
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


class UnreachableSms:
    """A provider that is down (test double)."""

    def send(self, to: str, body: str) -> None:
        raise ConnectionRefusedError(f"cannot reach the provider for {to}")


class BrokenMail(BaseEmailBackend):
    """An SMTP server that refuses everything (test double)."""

    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("gone")


pytestmark = pytest.mark.usefixtures("clean_outbox")


def test_an_email_goes_out_with_its_calendar_invitation(world: World) -> None:
    person = participant(world.programme_a)
    invite = ics_event(
        uid="contact-1",
        starts_at=NOON + timedelta(days=1),
        ends_at=NOON + timedelta(days=1, hours=1),
        summary="Call with your peer supporter",
    )
    row = queued(channel=Channel.EMAIL, programme=world.programme_a, person=person, calendar=invite)

    assert deliver_due() == 1

    [sent] = mail.outbox
    assert sent.to == [person.email]
    assert sent.subject == "Something needs your attention"
    assert "http://testserver/messages/" in sent.body
    text = sent.message().as_string()
    assert "Content-Type: text/calendar" in text
    assert 'method="REQUEST"' in text
    assert 'filename="invite.ics"' in text
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Status.SENT, 1, "")
    assert row.sent_at is not None and row.claimed_at is None


def test_a_text_message_goes_through_the_sms_backend(world: World, sms_file: Path) -> None:
    person = participant(world.programme_a, phone=PHONE, channels=("sms",))
    row = queued(channel=Channel.SMS, programme=world.programme_a, person=person)

    assert deliver_due() == 1

    [sent] = sms_lines(sms_file)
    assert sent["to"] == PHONE
    assert sent["body"] == row.body
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_an_in_app_message_waiting_for_its_time_lands_in_the_inbox(world: World) -> None:
    user = persona_user("coordinator")
    row = queued(channel=Channel.IN_APP, programme=world.programme_a, user=user)

    assert deliver_due() == 1

    row.refresh_from_db()
    assert row.status == Status.SENT and row.sent_at is not None and row.read_at is None


def test_delivering_again_sends_nothing_twice(world: World) -> None:
    person = participant(world.programme_a)
    queued(channel=Channel.EMAIL, programme=world.programme_a, person=person)

    assert deliver_due() == 1
    assert deliver_due() == 0
    assert len(mail.outbox) == 1


def test_a_round_sends_at_most_its_limit(world: World) -> None:
    person = participant(world.programme_a)
    for _ in range(3):
        queued(channel=Channel.EMAIL, programme=world.programme_a, person=person)

    assert deliver_due(limit=2) == 2
    assert deliver_due(limit=2) == 1


def test_a_message_not_yet_due_waits(world: World) -> None:
    person = participant(world.programme_a)
    later = queued(
        channel=Channel.EMAIL,
        programme=world.programme_a,
        person=person,
        next_attempt_at=NOON + timedelta(hours=1),
    )

    assert deliver_due(now=NOON) == 0
    assert deliver_due(now=NOON + timedelta(hours=1)) == 1
    later.refresh_from_db()
    assert later.status == Status.SENT


def test_backoff_grows_five_fold_from_a_minute_to_at_most_six_hours() -> None:
    assert [backoff(n) for n in range(1, 9)] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=25),
        timedelta(minutes=125),
        timedelta(hours=6),
        timedelta(hours=6),
        timedelta(hours=6),
        timedelta(hours=6),
    ]
    assert backoff(50) == timedelta(hours=6)


@override_settings(SMS_BACKEND="tests.notifications.test_delivery.UnreachableSms")
def test_a_failing_message_is_retried_with_backoff_then_given_up(world: World) -> None:
    person = participant(world.programme_a, phone=PHONE, channels=("sms",))
    row = queued(channel=Channel.SMS, programme=world.programme_a, person=person)
    moment = NOON
    row.next_attempt_at = moment
    row.save(update_fields=["next_attempt_at"])

    for attempt in range(1, MAX_ATTEMPTS):
        assert deliver_due(now=moment) == 0
        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.PENDING, attempt)
        assert row.next_attempt_at == moment + backoff(attempt)
        # Not due a second earlier.
        assert deliver_due(now=row.next_attempt_at - timedelta(seconds=1)) == 0
        moment = row.next_attempt_at

    assert deliver_due(now=moment) == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, MAX_ATTEMPTS)
    # The kind of failure only: never the number the message was for.
    assert row.last_error == "ConnectionRefusedError"
    assert deliver_due(now=moment + timedelta(days=2)) == 0


@override_settings(EMAIL_BACKEND="tests.notifications.test_delivery.BrokenMail")
def test_a_refused_email_waits_a_minute_and_keeps_no_address(world: World) -> None:
    person = participant(world.programme_a)
    row = queued(
        channel=Channel.EMAIL, programme=world.programme_a, person=person, next_attempt_at=NOON
    )

    assert deliver_due(now=NOON + timedelta(days=1)) == 0

    row.refresh_from_db()
    assert row.status == Status.PENDING
    assert row.last_error == "SMTPServerDisconnected"
    assert row.next_attempt_at == NOON + timedelta(days=1, minutes=1)
    assert person.email not in row.last_error


def test_withdrawn_consent_between_queueing_and_sending_cancels_the_message(
    world: World, test_kind_templates: None
) -> None:
    person = participant(world.programme_a, scopes=(ConsentScope.CONTACT_EMAIL,))
    [row] = notify(kind=TEST_KIND, programme=world.programme_a, context={}, person=person)
    assert row.channel == Channel.EMAIL and row.status == Status.PENDING

    consent_withdraw(
        person=person,
        programme=world.programme_a,
        scopes=[ConsentScope.CONTACT_EMAIL],
        reason="No more emails",
        recorded_by=None,
    )
    assert deliver_due() == 0

    row.refresh_from_db()
    assert (row.status, row.last_error) == (Status.CANCELLED, "no consent")
    assert mail.outbox == []


def test_a_removed_phone_number_cancels_the_text_message(world: World, sms_file: Path) -> None:
    person = participant(world.programme_a, phone=PHONE, channels=("sms",))
    row = queued(channel=Channel.SMS, programme=world.programme_a, person=person)
    person.phone = ""
    person.save()

    assert deliver_due() == 0

    row.refresh_from_db()
    assert (row.status, row.last_error) == (Status.CANCELLED, "no address")
    assert not sms_file.exists()


def test_staff_get_work_messages_without_a_contact_consent(world: World) -> None:
    coordinator = persona_user("coordinator")
    assert coordinator is not None
    queued(channel=Channel.EMAIL, programme=world.programme_a, user=coordinator)

    assert deliver_due() == 1
    assert mail.outbox[0].to == [coordinator.email]


def _claimed(world: World, person: Person, *, at: datetime, attempts: int = 1) -> Notification:
    """An email a worker claimed `at` and has not finished sending."""
    return queued(
        channel=Channel.EMAIL,
        programme=world.programme_a,
        person=person,
        status=Status.SENDING,
        claimed_at=at,
        attempts=attempts,
    )


def test_a_claim_abandoned_by_a_crashed_worker_is_taken_up_again(world: World) -> None:
    person = participant(world.programme_a)
    recent = _claimed(world, person, at=NOON - RECLAIM_AFTER + timedelta(minutes=1))
    crashed = _claimed(world, person, at=NOON - RECLAIM_AFTER - timedelta(minutes=1))

    assert deliver_due(now=NOON) == 1

    recent.refresh_from_db()
    crashed.refresh_from_db()
    assert recent.status == Status.SENDING  # its worker may still be at it
    assert (crashed.status, crashed.attempts) == (Status.SENT, 2)


def test_a_message_that_keeps_killing_its_worker_is_given_up(world: World) -> None:
    person = participant(world.programme_a)
    row = _claimed(world, person, at=NOON - timedelta(hours=1), attempts=MAX_ATTEMPTS)

    assert deliver_due(now=NOON) == 0

    row.refresh_from_db()
    assert (row.status, row.last_error) == (Status.FAILED, "Interrupted")
    assert mail.outbox == []


# --- Quiet hours --------------------------------------------------------------------


def _quiet(start: str, end: str) -> Preference:
    return Preference(quiet_from=time.fromisoformat(start), quiet_until=time.fromisoformat(end))


@pytest.mark.parametrize(
    ("start", "end", "now", "expected"),
    [
        ("22:00", "07:00", "23:30", "2026-03-11T07:00"),
        ("22:00", "07:00", "03:00", "2026-03-10T07:00"),
        ("22:00", "07:00", "22:00", "2026-03-11T07:00"),
        ("22:00", "07:00", "07:00", None),
        ("22:00", "07:00", "12:00", None),
        ("13:00", "14:00", "13:15", "2026-03-10T14:00"),
        ("13:00", "14:00", "14:30", None),
        ("13:00", "13:00", "13:00", None),
    ],
)
def test_quiet_hours_end(start: str, end: str, now: str, expected: str | None) -> None:
    moment = datetime.fromisoformat(f"2026-03-10T{now}").replace(tzinfo=UTC)
    found = quiet_until(_quiet(start, end), moment)
    assert found == (
        None if expected is None else datetime.fromisoformat(expected).replace(tzinfo=UTC)
    )


def test_no_preference_means_no_quiet_hours() -> None:
    assert quiet_until(None, NOON) is None
    assert quiet_until(Preference(), NOON) is None


def test_quiet_hours_postpone_a_message_to_the_morning(world: World) -> None:
    person = participant(world.programme_a)
    Preference.objects.create(
        person=person, quiet_from=time(22, 0), quiet_until=time(7, 0), channels=["email"]
    )
    late = days_ahead(2, 23, 30)
    row = queued(
        channel=Channel.EMAIL, programme=world.programme_a, person=person, next_attempt_at=late
    )

    with time_machine.travel(late, tick=False):
        assert deliver_due() == 0
    row.refresh_from_db()
    morning = days_ahead(3, 7)
    assert (row.status, row.next_attempt_at, row.attempts) == (Status.PENDING, morning, 0)
    assert mail.outbox == []

    with time_machine.travel(morning - timedelta(minutes=1), tick=False):
        assert deliver_due() == 0
    with time_machine.travel(morning, tick=False):
        assert deliver_due() == 1
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_an_urgent_safety_message_ignores_quiet_hours(world: World) -> None:
    coordinator = persona_user("coordinator")
    assert coordinator is not None
    Preference.objects.update_or_create(
        user=coordinator, defaults={"quiet_from": time(22, 0), "quiet_until": time(7, 0)}
    )
    night = days_ahead(2, 2)
    urgent = queued(
        channel=Channel.EMAIL,
        programme=world.programme_a,
        user=coordinator,
        kind="safety_flag_escalated",
        next_attempt_at=night,
    )
    ordinary = queued(
        channel=Channel.EMAIL, programme=world.programme_a, user=coordinator, next_attempt_at=night
    )

    with time_machine.travel(night, tick=False):
        assert deliver_due() == 1

    urgent.refresh_from_db()
    ordinary.refresh_from_db()
    assert (urgent.status, ordinary.status) == (Status.SENT, Status.PENDING)
    assert ordinary.next_attempt_at == days_ahead(2, 7)


# --- The worker ---------------------------------------------------------------------


def _schedule_done() -> None:
    """The daily jobs ran just now: the worker's round is the outbox and the queue."""
    for name in JOBS:
        ScheduledRun.objects.update_or_create(
            name=name, defaults={"last_started_at": timezone.now()}
        )


def test_the_worker_sends_due_messages_each_round(world: World) -> None:
    _schedule_done()
    person = participant(world.programme_a)
    row = queued(channel=Channel.EMAIL, programme=world.programme_a, person=person)
    out = StringIO()

    call_command("worker", "--batch", "--interval", "0", stdout=out)

    assert out.getvalue() == "outbox: sent 1 message(s)\n"
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_the_worker_can_leave_the_outbox_alone(world: World) -> None:
    _schedule_done()
    person = participant(world.programme_a)
    row = queued(channel=Channel.EMAIL, programme=world.programme_a, person=person)

    call_command("worker", "--batch", "--messages", "0", stdout=StringIO())

    row.refresh_from_db()
    assert row.status == Status.PENDING
