"""Two escalation scans at the same moment on PostgreSQL (as two workers would run
them): each overdue flag is escalated exactly once, with one message per channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from peerbridge.core.models import User
from peerbridge.notifications.models import Notification
from peerbridge.organisations.roles import Role
from peerbridge.organisations.services import role_grant
from peerbridge.people.services import person_create
from peerbridge.referrals.models import Enrolment
from peerbridge.safety import services
from peerbridge.safety.escalation import escalate_overdue
from peerbridge.safety.models import FlagEvent, RiskFlag
from tests.concurrency import race, race_programme, skip_unless_postgresql

pytestmark = pytest.mark.django_db(transaction=True)
FLAGS = 5
SCANS = 4


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    skip_unless_postgresql("row locks are what this proves; SQLite runs one writer at a time")


def test_simultaneous_scans_escalate_each_flag_once() -> None:
    programme = race_programme("escalation-race", "Escalation race programme")
    leader = User.objects.create_user(email="leader@escalation-race.example.org")
    role_grant(user=leader, role=Role.PROGRAMME_LEADER, granted_by=None, programme=programme)
    flags = []
    for n in range(FLAGS):
        person = person_create(given_name=f"Racer{n}", family_name="Test", created_by=None)
        Enrolment.objects.create(person=person, programme=programme, source="staff")
        flags.append(
            services.flag_raise(
                programme=programme,
                person=person,
                severity="high",
                summary="Overdue on purpose.",
                source=RiskFlag.Source.STAFF,
                raised_by=None,
            )
        )
    later = timezone.now() + timedelta(hours=2)
    counts: list[int] = []

    def scan() -> None:
        counts.append(escalate_overdue(now=later))

    outcomes = race([scan for _ in range(SCANS)])

    assert outcomes == ["ok"] * SCANS
    # Every flag escalated by these scans (ours, and any overdue flag already in the
    # database) was counted by exactly one of them.
    assert sum(counts) == RiskFlag.objects.filter(escalated_at=later).count()
    ids = [flag.pk for flag in flags]
    escalated = FlagEvent.objects.filter(flag_id__in=ids, kind=FlagEvent.Kind.ESCALATED)
    assert escalated.count() == FLAGS
    assert set(escalated.values_list("to_id", flat=True)) == {leader.pk}
    assert RiskFlag.objects.filter(pk__in=ids, escalated_at=later).count() == FLAGS
    in_app = Notification.objects.filter(
        kind="safety_flag_escalated", channel="in_app", user=leader
    )
    assert in_app.count() == FLAGS
    # A later scan finds nothing left to do.
    assert escalate_overdue(now=later + timedelta(minutes=5)) == 0
