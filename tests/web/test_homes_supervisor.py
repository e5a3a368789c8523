"""The supervisor's home: supervisees with caseload, last supervision and wellbeing
trend; flags assigned to them awaiting acknowledgement, by deadline; wellbeing alerts.
Only their own supervisees and flags; a query count that does not grow with the rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerbridge.matching.models import MatchStatus
from peerbridge.organisations.roles import Role
from peerbridge.safety.models import RiskFlag
from peerbridge.web.homes import LIST_LIMIT
from peerbridge.web.homes_supervisor import BETTER, STEADY, SUPERVISEE_LIMIT, WORSE
from peerbridge.workforce.models import SupervisionSession, WellbeingCheckIn
from tests.web import homes_world as w

NOON = datetime(2031, 3, 12, 12, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def at_noon() -> Any:
    with time_machine.travel(NOON, tick=False):
        yield


def _supervision(programme: Any, supervisor: Any, profile: Any, days_ago: int) -> None:
    session = SupervisionSession.objects.create(
        programme=programme,
        supervisor=supervisor,
        held_at=timezone.now() - timedelta(days=days_ago),
        format=SupervisionSession.Format.INDIVIDUAL,
        kind=SupervisionSession.Kind.CLINICAL,
    )
    session.peers.add(profile)


def test_the_supervisor_sees_supervisees_flags_and_alerts(db: None, at_noon: None) -> None:
    programme = w.fresh_programme()
    supervisor = w.login(Role.SUPERVISOR, programme)
    someone_else = w.login(Role.SUPERVISOR, programme)
    longago = timezone.localdate() - timedelta(days=60)
    rising = w.peer(programme, supervisor=supervisor, activated=longago)
    falling = w.peer(programme, supervisor=supervisor, activated=longago)
    not_mine = w.peer(programme, supervisor=someone_else)
    _supervision(programme, supervisor, rising, days_ago=3)
    for profile, values in ((rising, (2, 4)), (falling, (5, 2))):
        for days_ago, value in zip((10, 1), values, strict=True):
            w.pulse(profile, value, days_ago=days_ago)
    for _n in range(2):
        w.match(w.participant(programme), rising)
    w.match(w.participant(programme), rising, status=MatchStatus.ENDED)
    w.burnout(falling)
    w.burnout(not_mine)
    later = w.flag(w.participant(programme, name="Laterflag"), assigned_to=supervisor)
    sooner = w.flag(
        w.participant(programme, name="Soonerflag"),
        assigned_to=supervisor,
        deadline_in=timedelta(hours=-1),
    )
    w.flag(w.participant(programme, name="Othersflag"), assigned_to=someone_else)
    w.flag(
        w.participant(programme, name="Seenflag"),
        assigned_to=supervisor,
        status=RiskFlag.Status.ACKNOWLEDGED,
    )

    response = w.client_of(supervisor).get("/")

    page = response.content.decode()
    home = response.context["homes"][0]
    rows = {row.profile.pk: row for row in home.supervisees}
    assert set(rows) == {rising.pk, falling.pk}
    assert rows[rising.pk].caseload == 2 and rows[rising.pk].trend == BETTER
    assert rows[rising.pk].due.last_on == timezone.localdate() - timedelta(days=3)
    assert rows[falling.pk].trend == WORSE and rows[falling.pk].due.overdue
    assert [row.profile.pk for row in home.supervisees][0] == falling.pk  # overdue first
    assert [f.pk for f in home.flags] == [sooner.pk, later.pk]
    assert [a.profile_id for a in home.alerts] == [falling.pk]
    assert "Soonerflag" in page and "Laterflag" in page
    assert "Othersflag" not in page and "Seenflag" not in page
    assert str(not_mine.person) not in page
    assert "better than last time" in page and "worse than last time" in page


def test_the_trend_compares_check_ins_of_the_same_kind(db: None, at_noon: None) -> None:
    from peerbridge.web.homes_supervisor import trend

    programme = w.fresh_programme()
    profile = w.peer(programme)
    cbi = WellbeingCheckIn(
        profile=profile, kind=WellbeingCheckIn.Kind.CBI, work_score=50.0, client_score=50.0
    )
    calmer = WellbeingCheckIn(
        profile=profile, kind=WellbeingCheckIn.Kind.CBI, work_score=48.0, client_score=50.0
    )
    pulse = WellbeingCheckIn(profile=profile, kind=WellbeingCheckIn.Kind.PULSE, pulse=3)
    assert trend([]) is None
    assert trend([pulse, cbi]) is None  # nothing of the same kind to compare with
    assert trend([calmer, pulse, cbi]) == STEADY


def _add_rows(programme: Any, supervisor: Any, count: int) -> None:
    for n in range(count):
        profile = w.peer(
            programme,
            supervisor=supervisor,
            activated=timezone.localdate() - timedelta(days=30 + n),
        )
        w.match(w.participant(programme), profile)
        w.pulse(profile, 2, days_ago=5)
        w.pulse(profile, 4, days_ago=1)
        w.burnout(profile)
        _supervision(programme, supervisor, profile, days_ago=n + 1)
        w.flag(w.participant(programme), assigned_to=supervisor)


@pytest.mark.parametrize("url", ["/", "/home/supervisor/"])
def test_the_supervisor_home_query_count_does_not_grow_with_the_rows(
    db: None, at_noon: None, url: str
) -> None:
    programme = w.fresh_programme()
    supervisor = w.login(Role.SUPERVISOR, programme)
    client = w.client_of(supervisor)
    _add_rows(programme, supervisor, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _add_rows(programme, supervisor, 10)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    home = response.context["homes"][0]
    assert home.supervisee_total == home.flag_total == home.alert_total == 12
    assert len(home.supervisees) == 12  # under SUPERVISEE_LIMIT
    assert len(home.flags) == len(home.alerts) == LIST_LIMIT  # the rest are a link away
    assert len(many) == len(few)


def test_the_supervisor_home_lists_a_bounded_number_of_supervisees(db: None, at_noon: None) -> None:
    programme = w.fresh_programme()
    supervisor = w.login(Role.SUPERVISOR, programme)
    _add_rows(programme, supervisor, SUPERVISEE_LIMIT + 3)
    response = w.client_of(supervisor).get("/home/supervisor/")
    home = response.context["homes"][0]
    assert home.supervisee_total == SUPERVISEE_LIMIT + 3
    assert len(home.supervisees) == SUPERVISEE_LIMIT
    assert home.more_supervisees == 3
    assert "3 more peers are on the supervision page." in response.content.decode()


def test_the_supervisor_home_is_for_supervisors(db: None) -> None:
    programme = w.fresh_programme()
    coordinator = w.login(Role.COORDINATOR, programme)
    assert w.client_of(coordinator).get("/home/supervisor/").status_code == 403
