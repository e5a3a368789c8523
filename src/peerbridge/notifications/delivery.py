"""Sending what the outbox holds: the worker calls `deliver_due` every round.

A due row (PENDING with next_attempt_at <= now) is claimed before it is sent: on
PostgreSQL by locking rows with SKIP LOCKED and marking them SENDING in one transaction;
elsewhere by one conditional UPDATE per row (SQLite runs one writer at a time anyway).
Either way two workers never claim the same row, so each message is sent once.

At send time the address is looked up afresh and consent is asked again (reach.refusal):
a participant who withdrew consent after the message was queued is not contacted, and
the row is CANCELLED with the reason. Quiet hours postpone everything except urgent
safety kinds to the end of the quiet period. A failure is retried with exponential
backoff (1, 5, 25 minutes, ... at most 6 hours apart) until MAX_ATTEMPTS, then the row
is FAILED; `last_error` holds the exception's class name only, never an address. A
worker that dies mid-send leaves a SENDING row; after RECLAIM_AFTER it is due again
(that message may then go twice, which beats never: the provider saw it or it did not).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from email.mime.text import MIMEText
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from peerbridge.notifications import reach
from peerbridge.notifications.models import Channel, Notification, Preference
from peerbridge.notifications.sms import SmsBackend, get_backend

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RECLAIM_AFTER = timedelta(minutes=10)
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_FACTOR = 5
BACKOFF_CAP = timedelta(hours=6)
# Kinds that reach people during their quiet hours: a risk flag cannot wait for morning.
URGENT_KIND_PREFIXES = ("safety_",)
INTERRUPTED = "Interrupted"  # last_error of a row whose worker died too often

Status = Notification.Status


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: 1, 5, 25, 125 minutes, then 6 hours."""
    # The exponent is bounded so a large count cannot overflow a timedelta.
    steps = int(BACKOFF_FACTOR ** min(max(0, attempts - 1), 10))
    return min(BACKOFF_FIRST * steps, BACKOFF_CAP)


def is_urgent(kind: str) -> bool:
    return kind.startswith(URGENT_KIND_PREFIXES)


def quiet_until(preference: Preference | None, now: datetime) -> datetime | None:
    """When the recipient's quiet hours end, if `now` falls inside them (local time of
    the site, settings.TIME_ZONE); None outside quiet hours. Quiet hours may wrap
    midnight: 22:00 to 07:00 holds from 22:00 until 07:00 the next morning."""
    if preference is None or preference.quiet_from is None or preference.quiet_until is None:
        return None
    start, end = preference.quiet_from, preference.quiet_until
    if start == end:
        return None
    local = timezone.localtime(now)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= clock < end
        ends_on = local.date()
    else:
        inside = clock >= start or clock < end
        ends_on = local.date() if clock < end else local.date() + timedelta(days=1)
    if not inside:
        return None
    return _local_moment(ends_on, end, now)


def _local_moment(day: date, clock: time, now: datetime) -> datetime:
    moment = timezone.make_aware(datetime.combine(day, clock))
    return max(moment, now + timedelta(seconds=1))


def _due(now: datetime) -> Q:
    pending = Q(status=Status.PENDING, next_attempt_at__lte=now)
    abandoned = Q(status=Status.SENDING, claimed_at__lte=now - RECLAIM_AFTER)
    return pending | abandoned


def claim_due(*, now: datetime, limit: int) -> list[int]:
    """Mark up to `limit` due rows SENDING for this worker and answer their ids. Each
    claim counts as an attempt, so a message that kills its worker is given up."""
    due = _due(now)
    candidates = Notification.objects.filter(due).order_by("next_attempt_at", "id")
    claim = {"status": Status.SENDING, "claimed_at": now, "attempts": F("attempts") + 1}
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            ids = list(
                candidates.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit]
            )
            Notification.objects.filter(pk__in=ids).update(**claim)
        return ids
    won = []
    for pk in candidates.values_list("pk", flat=True)[:limit]:
        if Notification.objects.filter(due, pk=pk).update(**claim) == 1:
            won.append(pk)
    return won


class _Mail:
    """One email connection for a round, opened on first use and reopened after a
    failure (an SMTP server may drop the connection with the error)."""

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None

    def send(self, row: Notification, to: str) -> None:
        message = EmailMessage(
            subject=row.subject,
            body=row.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
        )
        if row.calendar:
            invite = MIMEText(row.calendar, "calendar", "utf-8")
            invite.set_param("method", "REQUEST")
            invite.add_header("Content-Disposition", "attachment", filename="invite.ics")
            message.attach(invite)
        try:
            if self._connection is None:
                self._connection = get_connection(fail_silently=False)
                self._connection.open()  # kept open for the round, not one per message
            message.connection = self._connection
            message.send()
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001, S110 - a broken connection is dropped anyway
                pass
            self._connection = None


class _Round:
    """What one call of deliver_due shares: the clock, the connections, and the
    recipients' preferences and work roles (looked up once per recipient)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.mail = _Mail()
        self._sms: SmsBackend | None = None
        self._preferences: dict[tuple[int | None, int | None], Preference | None] = {}
        self._staff: dict[tuple[int | None, int | None], bool] = {}

    @property
    def sms(self) -> SmsBackend:
        if self._sms is None:
            self._sms = get_backend()
        return self._sms

    def preference(self, row: Notification) -> Preference | None:
        key = (row.person_id, row.user_id)
        if key not in self._preferences:
            self._preferences[key] = reach.preference_of(user=row.user, person=row.person)
        return self._preferences[key]

    def staff(self, row: Notification) -> bool:
        key = (row.user_id, row.programme_id)
        if key not in self._staff:
            self._staff[key] = reach.works_in(row.user, row.programme)
        return self._staff[key]


def _finish(row: Notification, **changes: Any) -> bool:
    """Record the outcome of this worker's claim (unless another worker has since
    reclaimed the row)."""
    return (
        Notification.objects.filter(
            pk=row.pk, status=Status.SENDING, claimed_at=row.claimed_at
        ).update(claimed_at=None, **changes)
        == 1
    )


def _failed(row: Notification, error: Exception, now: datetime) -> None:
    name = type(error).__name__[:200]
    logger.warning(
        "Notification %s (%s) not sent on try %s: %s", row.pk, row.channel, row.attempts, name
    )
    if row.attempts >= MAX_ATTEMPTS:
        _finish(row, status=Status.FAILED, last_error=name)
    else:
        _finish(
            row, status=Status.PENDING, last_error=name, next_attempt_at=now + backoff(row.attempts)
        )


def _send(row: Notification, work: _Round) -> bool:
    """Send one claimed row; True when it went."""
    now = work.now
    if row.attempts > MAX_ATTEMPTS:
        _finish(row, status=Status.FAILED, last_error=INTERRUPTED)
        return False
    if row.channel == Channel.IN_APP:
        return _finish(row, status=Status.SENT, sent_at=now, last_error="")
    refused = reach.refusal(
        row.channel,
        user=row.user,
        person=row.person,
        programme=row.programme,
        staff=work.staff(row),
    )
    if refused:
        _finish(row, status=Status.CANCELLED, last_error=refused)
        return False
    if not is_urgent(row.kind):
        later = quiet_until(work.preference(row), now)
        if later is not None:
            # Waiting out quiet hours is not a failed try.
            _finish(row, status=Status.PENDING, next_attempt_at=later, attempts=row.attempts - 1)
            return False
    to = reach.address_for(row.channel, user=row.user, person=row.person)
    try:
        if row.channel == Channel.EMAIL:
            work.mail.send(row, to)
        else:
            work.sms.send(to, row.body)
    except Exception as error:  # noqa: BLE001 - any failure is retried, then reported
        _failed(row, error, now)
        return False
    return _finish(row, status=Status.SENT, sent_at=now, last_error="")


@contextmanager
def _round(now: datetime) -> Iterator[_Round]:
    work = _Round(now)
    try:
        yield work
    finally:
        work.mail.close()


def _deliver_batch(now: datetime, limit: int) -> tuple[int, int]:
    """Claim and send one batch: (claimed, sent)."""
    ids = claim_due(now=now, limit=max(0, limit))
    if not ids:
        return 0, 0
    rows = Notification.objects.filter(pk__in=ids).select_related("person", "user", "programme")
    sent = 0
    with _round(now) as work:
        for row in rows.order_by("next_attempt_at", "id"):
            if _send(row, work):
                sent += 1
    return len(ids), sent


def deliver_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Send up to `limit` due messages; answer how many were sent. Safe to run in
    several workers at once, and again at any time (nothing is sent twice)."""
    _claimed, sent = _deliver_batch(now or timezone.now(), limit)
    return sent


def deliver_all_due(*, limit: int = 100, batches: int = 10) -> int:
    """The worker's round: batches of `limit` until nothing due is left (or `batches`
    were sent, so the queue and the schedule get their turn); how many were sent."""
    sent = 0
    for _ in range(max(1, batches)):
        claimed, batch_sent = _deliver_batch(timezone.now(), limit)
        sent += batch_sent
        if claimed < limit:
            break
    return sent
