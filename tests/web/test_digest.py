"""The coordinators' daily digest: counts only for the programmes each coordinator or
leader runs, one a day (idempotent), none of zeros, none when turned off."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerbridge.core.periodic import JOBS
from peerbridge.notifications.models import Channel, Notification, Preference
from peerbridge.organisations.models import RoleAssignment
from peerbridge.organisations.roles import Role
from peerbridge.web import digest
from peerbridge.web.digest import KIND, digest_key, send_daily_digests
from peerbridge.web.homes_coordinator import ProgrammeCounts, programme_counts
from tests.web import homes_world as w

NOON = datetime(2031, 3, 12, 12, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def at_noon() -> Any:
    with time_machine.travel(NOON, tick=False):
        yield


def _busy_programme() -> Any:
    """2 waiting, 1 follow-up due, 1 stalled match, 1 open flag, 1 peer overdue for
    supervision with a burnout alert."""
    programme = w.fresh_programme()
    for days in (3, 8):
        w.participant(programme, name="Digestname", status="waiting", waiting_days=days)
    w.work_item(w.rule(programme), w.participant(programme), due_in_days=-1)
    peer = w.peer(programme)
    stalled = w.match(w.participant(programme), peer, since=timezone.now() - timedelta(days=40))
    w.contact(stalled, at=timezone.now() - timedelta(days=30))
    w.flag(w.participant(programme, name="Flaggedname"))
    tired = w.peer(programme, activated=timezone.localdate() - timedelta(days=30))
    w.burnout(tired)
    return programme


def _digests(user: Any) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=KIND).order_by("channel"))


def test_each_coordinator_and_leader_gets_one_digest_of_counts(db: None, at_noon: None) -> None:
    programme = _busy_programme()
    coordinator = w.login(Role.COORDINATOR, programme)
    leader = w.login(Role.PROGRAMME_LEADER, programme)
    peer = w.peer(programme)
    day = timezone.localdate()

    assert send_daily_digests(day=day) >= 2

    for user in (coordinator, leader):
        rows = _digests(user)
        assert {row.channel for row in rows} == {Channel.IN_APP, Channel.EMAIL}
        assert {row.dedupe_key for row in rows} == {digest_key(user.pk, day)}
        assert all(row.link == "/" for row in rows)
    in_app = next(r for r in _digests(coordinator) if r.channel == Channel.IN_APP)
    assert "2 people waiting to be matched" in in_app.body
    assert "1 follow-up due" in in_app.body
    assert "1 match without recent contact" in in_app.body
    assert "1 open risk flag" in in_app.body
    assert "1 peer supporter overdue for supervision" in in_app.body
    assert "1 wellbeing alert" in in_app.body
    email = next(r for r in _digests(coordinator) if r.channel == Channel.EMAIL)
    for secret in ("Digestname", "Flaggedname", programme.name):
        assert secret not in email.body and secret not in email.subject
    assert _digests(peer.person.user) == []


def test_the_digest_is_sent_once_a_day(db: None, at_noon: None) -> None:
    programme = _busy_programme()
    coordinator = w.login(Role.COORDINATOR, programme)
    day = timezone.localdate()
    send_daily_digests(day=day)
    queued = Notification.objects.filter(kind=KIND).count()

    assert send_daily_digests(day=day) == 0
    assert Notification.objects.filter(kind=KIND).count() == queued
    assert len(_digests(coordinator)) == 2

    with time_machine.travel(NOON + timedelta(days=1), tick=False):
        send_daily_digests(day=day + timedelta(days=1))
    assert len(_digests(coordinator)) == 4


def test_nobody_gets_a_digest_of_zeros_or_one_they_turned_off(db: None, at_noon: None) -> None:
    quiet = w.fresh_programme()
    idle = w.login(Role.COORDINATOR, quiet)
    busy = _busy_programme()
    declined = w.login(Role.COORDINATOR, busy)
    Preference.objects.create(user=declined, daily_digest=False)
    on_person = w.login(Role.PROGRAMME_LEADER, busy)
    Preference.objects.create(person=on_person.person, daily_digest=False)
    former = w.login(Role.COORDINATOR, busy)
    RoleAssignment.objects.filter(user=former).update(ended_at=timezone.now() - timedelta(days=1))
    wanted = w.login(Role.COORDINATOR, busy)

    send_daily_digests(day=timezone.localdate())

    for user in (idle, declined, on_person, former):
        assert _digests(user) == []
    assert len(_digests(wanted)) == 2


def test_the_digest_job_is_in_the_schedule(db: None, at_noon: None) -> None:
    programme = _busy_programme()
    coordinator = w.login(Role.COORDINATOR, programme)
    result = JOBS["notifications-digest"].run(timezone.localdate())
    assert result.startswith("Queued")
    assert _digests(coordinator)


def test_the_digest_reads_counts_in_a_fixed_number_of_queries(
    db: None, at_noon: None, monkeypatch: Any
) -> None:
    """Each recipient needs a few queries of the outbox's own; the counts over all the
    programmes take a number of queries that does not grow with their rows."""
    programme = _busy_programme()
    w.login(Role.COORDINATOR, programme)
    used: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> dict[int, ProgrammeCounts]:
        with CaptureQueriesContext(connection) as queries:
            result = programme_counts(*args, **kwargs)
        used.append(len(queries))
        return result

    monkeypatch.setattr(digest, "programme_counts", counted)
    send_daily_digests(day=timezone.localdate())
    for _n in range(10):
        w.participant(programme, status="waiting", waiting_days=2)
        w.flag(w.participant(programme))
    send_daily_digests(day=timezone.localdate() + timedelta(days=1))
    assert len(used) == 2 and used[0] == used[1]
