"""The coordinator's home: waiting (with waiting time), follow-ups due, stalled
matches, open escalations, supervision overdue and burnout alerts, each with a count and
a link to its full list; nothing from programmes they do not run; a query count that
does not grow with the rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.matching.models import MatchStatus
from peerbridge.organisations.roles import Role
from peerbridge.referrals.models import EnrolmentStatus
from peerbridge.safety.models import RiskFlag
from peerbridge.support.models import SupportSettings
from peerbridge.support.stalls import stalled_matches
from peerbridge.web.homes_coordinator import ProgrammeCounts, programme_counts
from tests.web import homes_world as w

NOON = datetime(2031, 3, 12, 12, 0, tzinfo=ZoneInfo("UTC"))
WAITING = EnrolmentStatus.WAITING


@pytest.fixture
def at_noon() -> Any:
    with time_machine.travel(NOON, tick=False):
        yield


def _days_ago(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


def _stalled(programme: Any, profile: Any, name: str) -> Any:
    """In touch, last contact 30 days ago: past a 14-day cadence plus 3 days' grace."""
    made = w.match(w.participant(programme, name=name), profile, since=_days_ago(40))
    w.contact(made, at=_days_ago(30))
    return made


def _world(programme: Any) -> dict[str, Any]:
    """One of everything a coordinator should see, and things they should not."""
    peer = w.peer(programme)
    overdue_peer = w.peer(programme, activated=timezone.localdate() - timedelta(days=40))
    w.burnout(overdue_peer)
    w.participant(programme, name="Waitedlong", status=WAITING, waiting_days=9)
    w.participant(programme, name="Waitedshort", status=WAITING, waiting_days=1)
    rule = w.rule(programme)
    due_for = w.participant(programme, name="Followme")
    w.work_item(rule, due_for, due_in_days=-4)  # overdue
    w.work_item(rule, w.participant(programme, name="Notyetdue"), due_in_days=3)
    stalled = _stalled(programme, peer, "Stalledone")
    silent = w.match(w.participant(programme, name="Neverrang"), peer, since=_days_ago(25))
    recent = w.match(w.participant(programme, name="Intouch"), peer, since=_days_ago(40))
    w.contact(recent, at=_days_ago(2))
    w.match(w.participant(programme, name="Endedold"), peer, status=MatchStatus.ENDED)
    late = w.flag(w.participant(programme, name="Lateflag"), deadline_in=timedelta(hours=-2))
    soon = w.flag(w.participant(programme, name="Soonflag"), deadline_in=timedelta(hours=3))
    escalated = w.flag(
        w.participant(programme, name="Escalatedflag"),
        status=RiskFlag.Status.ACKNOWLEDGED,
        deadline_in=timedelta(hours=-30),
        escalated=True,
    )
    w.flag(w.participant(programme, name="Handledflag"), status=RiskFlag.Status.ACKNOWLEDGED)
    w.flag(w.participant(programme, name="Closedflag"), status=RiskFlag.Status.RESOLVED)
    return {
        "stalled": stalled,
        "silent": silent,
        "flags": [late, escalated, soon],
        "overdue_peer": overdue_peer,
    }


def test_the_coordinator_sees_what_needs_attention_in_their_programme(
    db: None, at_noon: None
) -> None:
    programme = w.fresh_programme()
    made = _world(programme)
    elsewhere = w.fresh_programme()
    w.participant(elsewhere, name="Otherprog", status=WAITING, waiting_days=30)
    _stalled(elsewhere, w.peer(elsewhere), "Otherstall")
    coordinator = w.login(Role.COORDINATOR, programme)

    response = w.client_of(coordinator).get("/")

    page = response.content.decode()
    home = response.context["homes"][0]
    assert home.counts == ProgrammeCounts(
        waiting=2, due=1, stalled=2, open_flags=3, supervision_overdue=1, burnout_alerts=1
    )
    assert [row.enrolment.person.given_name for row in home.waiting] == [
        "Waitedlong",
        "Waitedshort",
    ]
    assert [row.days_waiting for row in home.waiting] == [9, 1]
    assert "waiting 9 days" in page
    assert [m.pk for m in home.stalled] == [made["stalled"].pk, made["silent"].pk]
    assert [f.pk for f in home.flags] == [f.pk for f in made["flags"]]
    assert [row.profile.pk for row in home.supervision] == [made["overdue_peer"].pk]
    for shown in ("Followme", "Stalledone", "Neverrang", "Lateflag", "Escalatedflag"):
        assert shown in page
    for hidden in ("Notyetdue", "Intouch", "Endedold", "Handledflag", "Closedflag", "Otherprog"):
        assert hidden not in page
    assert "Otherstall" not in page
    for link in (
        "/matching/",
        "/followups/",
        f"/programmes/{programme.pk}/flags/",
        f"/programmes/{programme.pk}/workforce/",
        f"/matching/enrolments/{home.waiting[0].enrolment.pk}/",
    ):
        assert f'href="{link}"' in page


def test_stalled_counts_attempts_only_where_the_programme_says_so(db: None, at_noon: None) -> None:
    programme = w.fresh_programme()
    peer = w.peer(programme)
    made = w.match(w.participant(programme), peer, since=_days_ago(40))
    w.contact(made, at=_days_ago(30))
    w.contact(made, at=_days_ago(1), connected=False)
    day = timezone.localdate()
    assert list(stalled_matches([programme], day)) == [made]
    SupportSettings.objects.create(programme=programme, count_attempts_as_contact=True)
    assert list(stalled_matches([programme], day)) == []


def test_stalled_waits_for_the_cadence_plus_the_grace(db: None, at_noon: None) -> None:
    programme = w.fresh_programme()  # cadence 14 days
    made = w.match(w.participant(programme), w.peer(programme), since=_days_ago(40))
    w.contact(made, at=_days_ago(16))
    day = timezone.localdate()
    assert list(stalled_matches([programme], day)) == []  # 16 < 14 + 3
    SupportSettings.objects.create(programme=programme, stall_grace_days=1)
    assert list(stalled_matches([programme], day)) == [made]  # 16 > 14 + 1


def test_the_coordinator_home_audits_the_people_it_shows(db: None, at_noon: None) -> None:
    programme = w.fresh_programme()
    waiting = w.participant(programme, status=WAITING, waiting_days=2)
    coordinator = w.login(Role.COORDINATOR, programme)
    w.client_of(coordinator).get("/home/coordinator/")
    read = set(
        AuditEvent.objects.filter(actor_id=coordinator.pk, action=AuditEvent.Action.READ)
        .filter(object_type="people.person")
        .values_list("object_id", flat=True)
    )
    assert read == {str(waiting.person_id)}


def _add_rows(programme: Any, peer: Any, rule: Any, count: int) -> None:
    for n in range(count):
        w.participant(programme, status=WAITING, waiting_days=n + 1)
        w.work_item(rule, w.participant(programme), due_in_days=-n)
        _stalled(programme, peer, f"Stall{n}")
        w.flag(w.participant(programme), deadline_in=timedelta(hours=n - 3))
        tired = w.peer(programme, activated=timezone.localdate() - timedelta(days=60))
        w.burnout(tired)


def _query_count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/", "/home/coordinator/"])
def test_the_coordinator_home_query_count_does_not_grow_with_the_rows(
    db: None, at_noon: None, url: str
) -> None:
    programme = w.fresh_programme()
    peer = w.peer(programme)
    rule = w.rule(programme)
    coordinator = w.login(Role.COORDINATOR, programme)
    client = w.client_of(coordinator)
    _add_rows(programme, peer, rule, 2)
    few = _query_count(client, url)
    _add_rows(programme, peer, rule, 10)
    many = _query_count(client, url)
    counts = client.get(url).context["homes"][0].counts
    assert counts.waiting == counts.stalled == counts.open_flags == 12
    assert counts.burnout_alerts == counts.supervision_overdue == 12
    assert many == few


def test_programme_counts_need_a_fixed_number_of_queries(db: None, at_noon: None) -> None:
    programmes = [w.fresh_programme() for _n in range(2)]
    for programme in programmes:
        _add_rows(programme, w.peer(programme), w.rule(programme), 2)
    with CaptureQueriesContext(connection) as two:
        counts = programme_counts(programmes, day=timezone.localdate())
    more = programmes + [w.fresh_programme() for _n in range(3)]
    for programme in more[2:]:
        _add_rows(programme, w.peer(programme), w.rule(programme), 3)
    with CaptureQueriesContext(connection) as five:
        more_counts = programme_counts(more, day=timezone.localdate())
    assert len(two) == len(five)
    assert counts[programmes[0].pk].waiting == 2
    assert more_counts[more[4].pk].stalled == 3


def test_the_coordinator_home_is_for_those_who_run_programmes(db: None) -> None:
    programme = w.fresh_programme()
    peer = w.peer(programme)
    assert w.client_of(peer.person.user).get("/home/coordinator/").status_code == 403
    leader = w.login(Role.PROGRAMME_LEADER, programme)
    assert w.client_of(leader).get("/home/coordinator/").status_code == 200
    assert w.client_of(leader).post("/home/coordinator/").status_code == 405
