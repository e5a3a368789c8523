"""Lists of flags: a programme's flags (overdue first, by deadline, with filters) and
"my flags", each in a number of queries that does not grow with the rows; the
selectors the home pages use; who sees which flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.safety import services
from peerbridge.safety.models import OnCallShift, RiskFlag
from peerbridge.safety.selectors import (
    open_flags_by_person,
    open_flags_by_programme,
    open_flags_for_user,
)
from tests.conftest import World, client_for
from tests.safety.world import client_as, peer_of, raise_flag, set_settings, user_of, working_match

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nobody_on_call(world: World) -> None:
    OnCallShift.objects.filter(programme=world.programme_a).delete()
    set_settings(world.programme_a, on_call=None)


def _overdue(flag: RiskFlag, hours: int = 1) -> RiskFlag:
    flag.acknowledge_by = timezone.now() - timedelta(hours=hours)
    flag.save(update_fields=["acknowledge_by"])
    return flag


def _queries(client: object, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return len(captured)


def test_programme_flags_come_overdue_first_then_by_deadline(world: World) -> None:
    match = working_match(world.programme_a)
    low = raise_flag(match, severity="low")
    high = raise_flag(match, severity="high")
    late = _overdue(raise_flag(match, severity="medium"))
    acknowledged = raise_flag(match, severity="high")
    services.flag_acknowledge(flag=acknowledged, actor=user_of("supervisor"))
    response = client_for("supervisor").get(reverse("safety:flags", args=[world.programme_a.pk]))
    listed = [f.pk for f in response.context["page"].object_list]
    mine = [pk for pk in listed if pk in {low.pk, high.pk, late.pk, acknowledged.pk}]
    assert mine[0] == late.pk
    assert mine.index(high.pk) < mine.index(low.pk)
    assert acknowledged.pk in mine
    assert "Overdue" in response.content.decode()


@pytest.mark.parametrize(
    ("status", "expected"),
    [("open", {"open"}), ("acknowledged", {"acknowledged"}), ("resolved", {"resolved"})],
)
def test_the_filters_show_one_status(world: World, status: str, expected: set[str]) -> None:
    match = working_match(world.programme_a)
    raise_flag(match)
    services.flag_acknowledge(flag=raise_flag(match), actor=user_of("leader"))
    services.flag_resolve(
        flag=raise_flag(match),
        actor=user_of("leader"),
        actions=["referred_on"],
        resolution="Referred to the crisis team.",
    )
    url = reverse("safety:flags", args=[world.programme_a.pk]) + f"?status={status}"
    response = client_for("leader").get(url)
    assert {f.status for f in response.context["page"].object_list} == expected


def test_the_default_list_leaves_resolved_flags_out(world: World) -> None:
    match = working_match(world.programme_a)
    resolved = raise_flag(match)
    services.flag_resolve(
        flag=resolved, actor=user_of("leader"), actions=["referred_on"], resolution="Done."
    )
    for query in ("", "?status=nonsense"):
        url = reverse("safety:flags", args=[world.programme_a.pk]) + query
        listed = {f.pk for f in client_for("leader").get(url).context["page"].object_list}
        assert resolved.pk not in listed


def test_the_programme_list_takes_the_same_queries_for_2_or_12_flags(world: World) -> None:
    url = reverse("safety:flags", args=[world.programme_a.pk])
    leader = client_for("leader")
    match = working_match(world.programme_a)
    for _ in range(2):
        raise_flag(match)
    few = _queries(leader, url)
    for n in range(10):
        other = working_match(world.programme_a, given_name=f"Person{n}")
        raise_flag(other, raised_by=user_of("coordinator"))
    many = _queries(leader, url)
    assert many == few


def test_my_flags_lists_what_is_with_me_and_takes_constant_queries(world: World) -> None:
    supervisor = client_for("supervisor")
    url = reverse("safety:my_flags")
    match = working_match(world.programme_a)
    for _ in range(2):
        raise_flag(match)
    few = _queries(supervisor, url)
    for _ in range(10):
        raise_flag(match)
    many = _queries(supervisor, url)
    assert many == few
    mine = supervisor.get(url).context["mine"]
    assert len(mine.with_me) >= 12
    assert all(
        user_of("supervisor").pk in {f.assigned_to_id, f.escalated_to_id} for f in mine.with_me
    )


def test_a_peer_sees_the_flags_they_raised_on_my_flags(world: World) -> None:
    match = working_match(world.programme_a)
    flag = raise_flag(match)
    mine = client_as(peer_of(match)).get(reverse("safety:my_flags")).context["mine"]
    assert [f.pk for f in mine.raised] == [flag.pk]
    assert mine.with_me == []


def test_peers_and_outsiders_do_not_get_the_programmes_list(world: World) -> None:
    url = reverse("safety:flags", args=[world.programme_a.pk])
    assert client_for("peer").get(url).status_code == 403
    assert client_for("peer_other").get(url).status_code == 404
    assert client_for("participant").get(url).status_code == 403
    assert client_for("coordinator").get(url).status_code == 200


def test_listing_flags_audits_reading_each_person(world: World) -> None:
    flag = raise_flag(working_match(world.programme_a))
    client_for("leader").get(reverse("safety:flags", args=[world.programme_a.pk]))
    assert AuditEvent.objects.filter(
        actor=user_of("leader"), action="read", object_id=str(flag.person_id)
    ).exists()


# ---------------------------------------------------------------------------------------
# The home pages' selectors


def test_open_flags_for_a_user_follow_their_reach(world: World) -> None:
    match = working_match(world.programme_a)
    flag = raise_flag(match)
    late = _overdue(raise_flag(match))
    elsewhere = raise_flag(working_match(world.programme_b), raised_by=user_of("peer_other"))
    supervisor_sees = [f.pk for f in open_flags_for_user(user_of("supervisor"))]
    assert supervisor_sees.index(late.pk) < supervisor_sees.index(flag.pk)  # overdue first
    assert elsewhere.pk not in supervisor_sees
    late_row = next(f for f in open_flags_for_user(user_of("supervisor")) if f.pk == late.pk)
    assert late_row.overdue is True
    assert {f.pk for f in open_flags_for_user(peer_of(match))} == {flag.pk, late.pk}
    assert open_flags_for_user(user_of("participant")) == []


def test_open_flags_by_programme_and_by_person_in_one_query_each(world: World) -> None:
    match = working_match(world.programme_a)
    flags = [raise_flag(match) for _ in range(3)]
    services.flag_resolve(
        flag=flags[0], actor=user_of("leader"), actions=["referred_on"], resolution="Done."
    )
    with CaptureQueriesContext(connection) as captured:
        by_programme = open_flags_by_programme([world.programme_a.pk, world.programme_b.pk])
    assert len(captured) == 1
    assert {f.pk for f in flags[1:]} <= {f.pk for f in by_programme[world.programme_a.pk]}
    assert flags[0].pk not in {f.pk for f in by_programme[world.programme_a.pk]}
    person = match.enrolment.person_id
    with CaptureQueriesContext(connection) as captured:
        by_person = open_flags_by_person([person])
    assert len(captured) == 1
    assert [f.pk for f in by_person[person]] == sorted(
        (f.pk for f in flags[1:]), key=lambda pk: (RiskFlag.objects.get(pk=pk).acknowledge_by, pk)
    )
