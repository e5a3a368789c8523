"""The implementation dashboard: each figure against a programme built for the test,
small cells suppressed for evaluators, the page and the API, and a query count that
does not grow with the programme."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.disclosure import suppress_small_cells
from peerbridge.evaluation import implementation
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.organisations.models import Programme
from peerbridge.people.services import person_create
from peerbridge.referrals.models import Enrolment, EnrolmentStatus, EnrolmentStatusChange
from peerbridge.support.models import Contact
from peerbridge.workforce.models import PeerProfile, WellbeingCheckIn
from tests.conftest import World, client_for
from tests.evaluation.test_fidelity import user
from tests.workforce.world import add_required_module, make_profile

pytestmark = pytest.mark.django_db
_serial = count(1)


@dataclass
class Scene:
    programme: Programme
    trained: int
    untrained: int
    completed: int
    ended: int
    waits: list[int]


def _programme(world: World) -> Programme:
    n = next(_serial)
    return Programme.objects.create(
        site=world.riverside,
        code=f"implementation-{n}",
        name=f"Implementation test {n}",
        condition_area=Programme.ConditionArea.DIABETES,
        audience=Programme.Audience.PATIENTS,
        formats=["one_to_one"],
        modalities=["telephone"],
        contact_cadence_days=7,
        peer_pay=Programme.PeerPay.VOLUNTEER,
        status=Programme.Status.ACTIVE,
    )


def _enrolment(programme: Programme, *, waited_days: int) -> Enrolment:
    person = person_create(given_name="Test", family_name="Participant", created_by=None)
    now = timezone.now()
    enrolment = Enrolment.objects.create(
        person=person, programme=programme, source=Enrolment.Source.STAFF, status="completed"
    )
    start = now - timedelta(days=60)
    for to_status, at in (
        (EnrolmentStatus.ENROLLED, start - timedelta(days=1)),
        (EnrolmentStatus.WAITING, start),
        (EnrolmentStatus.MATCHED, start + timedelta(days=waited_days)),
        (EnrolmentStatus.COMPLETED, start + timedelta(days=50)),
    ):
        EnrolmentStatusChange.objects.create(
            enrolment=enrolment, to_status=to_status, changed_at=at
        )
    return enrolment


def build(world: World, *, trained: int, untrained: int = 1, matches: int = 6) -> Scene:
    programme = _programme(world)
    add_required_module(programme)
    peers = [
        make_profile(programme, ready=True, status=PeerProfile.Status.ACTIVE)
        for _n in range(trained)
    ]
    for _n in range(untrained):
        late = make_profile(programme, status=PeerProfile.Status.ACTIVE)
        late.activated_on = timezone.localdate() - timedelta(days=60)  # supervision overdue
        late.save(update_fields=["activated_on"])
    for number, peer in enumerate(peers):
        WellbeingCheckIn.objects.create(
            profile=peer,
            kind=WellbeingCheckIn.Kind.CBI,
            work_score=70.0 if number == 0 else 20.0,
            client_score=10.0,
        )
    waits = [3 + number for number in range(matches)]
    completed = ended = 0
    for number, waited in enumerate(waits):
        enrolment = _enrolment(programme, waited_days=waited)
        status = MatchStatus.COMPLETED if number % 3 else MatchStatus.ENDED
        completed += status == MatchStatus.COMPLETED
        ended += status == MatchStatus.ENDED
        match = Match.objects.create(
            programme=programme,
            enrolment=enrolment,
            profile=peers[number % len(peers)],
            status=status,
            source=Match.Source.MANUAL,
        )
        Contact.objects.create(
            match=match,
            programme=programme,
            enrolment=enrolment,
            profile=match.profile,
            occurred_at=timezone.now() - timedelta(days=5),
            mode="phone",
            setting="hospital" if number % 2 else "home",
            support_types=["emotional", "informational"] if number % 2 else ["emotional"],
            locked_at=timezone.now(),
        )
    return Scene(programme, trained, untrained, completed, ended, waits)


def _rows(counts: implementation.Counts) -> dict[str, int | None]:
    return {row.code: row.count for row in counts.rows}


def test_dashboard_figures_for_those_who_run_the_programme(world: World) -> None:
    scene = build(world, trained=6, untrained=1, matches=6)
    found = implementation.implementation_dashboard(user=user("admin"), programme=scene.programme)
    assert not found.suppressed
    assert found.active_peers == 7
    assert (found.training.part, found.training.total) == (6, 7)
    assert found.training.percent == pytest.approx(85.7)
    assert (found.supervision.part, found.supervision.total) == (6, 7)
    assert _rows(found.certification)["not_required"] == 7
    assert _rows(found.burnout) == {"high": 1, "not_high": 5, "none": 1}
    assert found.time_to_match.matched == 6
    assert found.time_to_match.median_days == pytest.approx(5.5)
    assert (found.match_success.part, found.match_success.total) == (4, 6)
    types = _rows(found.support_types)
    assert types["emotional"] == 6 and types["informational"] == 3 and types["appraisal"] == 0
    assert found.support_types.total == 6  # contacts, each counted once
    settings = _rows(found.settings)
    assert settings["hospital"] == 3 and settings["home"] == 3
    assert (found.medical.part, found.medical.total) == (3, 6)


def test_dashboard_suppresses_small_counts_for_evaluators(world: World) -> None:
    scene = build(world, trained=6, untrained=1, matches=6)
    found = implementation.implementation_dashboard(
        user=user("evaluator"), programme=scene.programme
    )
    assert found.suppressed
    assert found.active_peers == 7
    # 6 of 7 trained: the 1 untrained could be recovered, so both parts are hidden.
    assert found.training.part is None and found.training.percent is None
    assert found.training.total == 7
    assert _rows(found.burnout) == {"high": None, "not_high": 5, "none": None}
    assert found.time_to_match.median_days == pytest.approx(5.5)  # six matches: shown
    assert found.match_success.part is None  # 4 completed, 2 ended
    types = _rows(found.support_types)
    assert types["emotional"] == 6 and types["informational"] is None
    for counts in (found.certification, found.burnout, found.support_types, found.settings):
        for row in counts.rows:
            assert row.count is None or row.count >= 5


def test_shares_follow_the_disclosure_rule() -> None:
    assert implementation.share(2, 20, suppressed=True).percent is None
    assert implementation.share(18, 20, suppressed=True).percent is None
    assert implementation.share(10, 20, suppressed=True).percent == 50.0
    assert implementation.share(2, 3, suppressed=True).total is None
    assert implementation.share(2, 3, suppressed=False).percent == pytest.approx(66.7)
    shown = implementation.counts([("a", "A", 7), ("b", "B", 2), ("c", "C", 9)], suppressed=True)
    assert _rows(shown) == suppress_small_cells({"a": 7, "b": 2, "c": 9})


def test_waits_pair_each_match_with_the_wait_before_it(world: World) -> None:
    programme = _programme(world)
    enrolment = _enrolment(programme, waited_days=4)
    start = timezone.now() - timedelta(days=5)
    EnrolmentStatusChange.objects.create(
        enrolment=enrolment, to_status=EnrolmentStatus.WAITING, changed_at=start
    )
    EnrolmentStatusChange.objects.create(
        enrolment=enrolment, to_status=EnrolmentStatus.MATCHED, changed_at=start + timedelta(days=2)
    )
    assert sorted(round(w) for w in implementation.waits_to_match(programme)) == [2, 4]


def test_dashboard_page_and_api(world: World) -> None:
    scene = build(world, trained=5, untrained=0, matches=5)
    page = client_for("evaluator").get(
        reverse("evaluation:implementation", args=[scene.programme.pk])
    )
    assert page.status_code == 200
    assert "Training coverage" in page.content.decode()
    api = client_for("admin").get(f"/api/v1/programmes/{scene.programme.pk}/implementation")
    assert api.status_code == 200
    body: dict[str, Any] = api.json()
    assert body["training"] == {"part": 5, "total": 5, "percent": 100.0}
    assert body["suppressed"] is False
    denied = client_for("supervisor").get(f"/api/v1/programmes/{scene.programme.pk}/implementation")
    assert denied.status_code in (403, 404)
    assert set(denied.json()) == {"error"}
    assert (
        client_for("peer")
        .get(f"/api/v1/programmes/{world.programme_a.pk}/implementation")
        .status_code
        == 403
    )
    assert client_for("leader").get("/api/v1/programmes/abc/implementation").status_code == 422
    assert client_for("leader").get("/programmes/999999999/implementation/").status_code == 404


def _dashboard_queries(world: World, size: int) -> int:
    scene = build(world, trained=size, untrained=size // 2, matches=size)
    with CaptureQueriesContext(connection) as captured:
        implementation.implementation_dashboard(user=user("admin"), programme=scene.programme)
    return len(captured)


def test_dashboard_query_count_does_not_grow(world: World) -> None:
    assert _dashboard_queries(world, 2) == _dashboard_queries(world, 12)
