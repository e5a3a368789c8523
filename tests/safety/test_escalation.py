"""Escalation: a flag nobody acknowledged by its deadline goes to the programme's
leader exactly once, however often the scan runs; an acknowledged flag never does."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from peerbridge.core.periodic import JOBS
from peerbridge.notifications.models import Notification
from peerbridge.organisations.models import RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.safety import services
from peerbridge.safety.escalation import escalate_overdue
from peerbridge.safety.models import FlagEvent, OnCallShift, RiskFlag
from peerbridge.safety.selectors import my_flags
from tests.conftest import World
from tests.safety.world import raise_flag, set_settings, user_of, working_match

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nobody_on_call(world: World) -> None:
    OnCallShift.objects.filter(programme=world.programme_a).delete()
    set_settings(world.programme_a, on_call=None, high_within_minutes=60)


def _escalations(flag: RiskFlag) -> int:
    return flag.events.filter(kind=FlagEvent.Kind.ESCALATED).count()


def test_an_unacknowledged_flag_escalates_to_the_leader_exactly_once(world: World) -> None:
    flag = raise_flag(working_match(world.programme_a), severity="high")
    leader = user_of("leader")
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        escalate_overdue(now=timezone.now())
    flag.refresh_from_db()
    assert flag.escalated_at is None  # not due yet
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        escalated = escalate_overdue(now=timezone.now())
    assert escalated >= 1
    flag.refresh_from_db()
    assert flag.escalated_to == leader
    assert flag.escalated_at == start + timedelta(minutes=61)
    assert flag.status == RiskFlag.Status.OPEN  # still waiting for someone to respond
    for minutes in (66, 71, 180, 60 * 24):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            escalate_overdue(now=timezone.now())
    flag.refresh_from_db()
    assert _escalations(flag) == 1
    assert flag.escalated_at == start + timedelta(minutes=61)
    channels = list(
        Notification.objects.filter(
            kind="safety_flag_escalated", user=leader, dedupe_key__startswith=f"flag:{flag.pk}:"
        ).values_list("channel", flat=True)
    )
    assert "in_app" in channels
    assert len(channels) == len(set(channels))  # one message per channel, not per scan
    # The leader finds it among the flags with them.
    assert flag in my_flags(leader).with_me


def test_an_acknowledged_flag_never_escalates(world: World) -> None:
    flag = raise_flag(working_match(world.programme_a), severity="high")
    services.flag_acknowledge(flag=flag, actor=user_of("supervisor"))
    start = timezone.now()
    for hours in (2, 24, 24 * 30):
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            escalate_overdue(now=timezone.now())
    flag.refresh_from_db()
    assert flag.escalated_at is None
    assert _escalations(flag) == 0


def test_a_resolved_flag_never_escalates(world: World) -> None:
    flag = raise_flag(working_match(world.programme_a), severity="high")
    services.flag_resolve(
        flag=flag,
        actor=user_of("leader"),
        actions=["no_further_action"],
        resolution="A misunderstanding, cleared up on the phone.",
    )
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        escalate_overdue(now=timezone.now())
    assert _escalations(flag) == 0


def test_a_medium_flag_waits_for_its_working_day_deadline(world: World) -> None:
    flag = raise_flag(working_match(world.programme_a), severity="medium")
    with time_machine.travel(flag.acknowledge_by - timedelta(minutes=1), tick=False):
        escalate_overdue(now=timezone.now())
    flag.refresh_from_db()
    assert flag.escalated_at is None
    with time_machine.travel(flag.acknowledge_by + timedelta(minutes=1), tick=False):
        escalate_overdue(now=timezone.now())
    flag.refresh_from_db()
    assert flag.escalated_to == user_of("leader")


def test_without_a_leader_the_organisation_admin_gets_the_escalation(world: World) -> None:
    flag = raise_flag(working_match(world.programme_a), severity="high")
    RoleAssignment.objects.filter(role=Role.PROGRAMME_LEADER, programme=world.programme_a).update(
        ended_at=timezone.now()
    )
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        escalate_overdue(now=timezone.now())
    flag.refresh_from_db()
    assert flag.escalated_to == user_of("admin")


def test_the_worker_job_escalates(world: World) -> None:
    flag = raise_flag(working_match(world.programme_a), severity="high")
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        result = JOBS["safety-escalate"].run(timezone.localdate())
    assert "Escalated" in result
    flag.refresh_from_db()
    assert flag.escalated_at is not None


def test_the_escalation_message_carries_no_names_or_summary(world: World) -> None:
    match = working_match(world.programme_a, given_name="Marlowe")
    flag = raise_flag(match, severity="high")
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        escalate_overdue(now=timezone.now())
    email = Notification.objects.get(
        kind="safety_flag_escalated",
        channel="email",
        user=user_of("leader"),
        dedupe_key__startswith=f"flag:{flag.pk}:",
    )
    assert "escalated to you" in email.body
    for secret in ("Marlowe", flag.summary, world.programme_a.name):
        assert secret not in email.body
        assert secret not in email.subject
