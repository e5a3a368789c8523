"""Two workers sending the outbox at the same moment on PostgreSQL: every message is
sent exactly once (rows are claimed with SKIP LOCKED before anything is sent)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core import mail

from peerbridge.notifications.delivery import deliver_due
from peerbridge.notifications.models import Channel, Notification
from tests.concurrency import race, race_programme, skip_unless_postgresql
from tests.notifications.world import participant, queued

MESSAGES = 40

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    skip_unless_postgresql("row locks are what this proves; SQLite runs one writer at a time")


def test_two_workers_send_each_message_exactly_once() -> None:
    programme = race_programme("outbox-race", "Outbox race programme")
    people = [participant(programme) for _ in range(4)]
    rows = [
        queued(channel=Channel.EMAIL, programme=programme, person=people[n % len(people)])
        for n in range(MESSAGES)
    ]
    others = Notification.objects.exclude(pk__in=[r.pk for r in rows])
    others.filter(status=Notification.Status.PENDING).update(status=Notification.Status.CANCELLED)
    mail.outbox.clear()
    sent: list[int] = []

    def worker() -> None:
        # Small batches, so the two workers take turns over the whole outbox.
        while (count := deliver_due(limit=7)) > 0:
            sent.append(count)

    outcomes = race([worker, worker])

    assert outcomes == ["ok", "ok"]
    assert sum(sent) == MESSAGES
    assert len(mail.outbox) == MESSAGES
    assert Counter(
        Notification.objects.filter(pk__in=[r.pk for r in rows]).values_list("status", flat=True)
    ) == {Notification.Status.SENT: MESSAGES}
    # Each recipient got exactly their own messages.
    addresses = Counter(m.to[0] for m in mail.outbox)
    assert addresses == Counter(people[n % len(people)].email for n in range(MESSAGES))
