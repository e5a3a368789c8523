"""The matching overview: counts per programme in reach, in a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from peerbridge.matching.models import Match, MatchStatus
from peerbridge.matching.overview import matching_overview
from peerbridge.organisations.models import Programme
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from tests.conftest import client_for, persona_user
from tests.workforce.world import make_profile

pytestmark = pytest.mark.django_db


def _offer(programme: Programme, enrolment: Enrolment, *, overdue: bool) -> Match:
    profile = make_profile(programme, status="active", ready=True)
    now = timezone.now()
    return Match.objects.create(
        programme=programme,
        enrolment=enrolment,
        profile=profile,
        status=MatchStatus.OFFERED,
        source=Match.Source.MANUAL,
        offered_at=now - timedelta(days=5),
        respond_by=now - timedelta(days=1) if overdue else now + timedelta(days=2),
    )


def test_counts_waiting_offers_and_overdue(world: object) -> None:
    coordinator = persona_user("coordinator")
    programme = Programme.objects.get(code="recovery-peers")
    waiting = list(
        Enrolment.objects.filter(programme=programme, status=EnrolmentStatus.WAITING).exclude(
            matches__status__in=[MatchStatus.PROPOSED, MatchStatus.OFFERED]
        )
    )
    assert len(waiting) >= 2
    before = {row.programme.code: row for row in matching_overview(user=coordinator)}
    _offer(programme, waiting[0], overdue=True)
    _offer(programme, waiting[1], overdue=False)
    rows = {row.programme.code: row for row in matching_overview(user=coordinator)}
    row, earlier = rows["recovery-peers"], before["recovery-peers"]
    assert row.waiting == earlier.waiting
    assert row.offers_open == earlier.offers_open + 2
    assert row.offers_overdue == earlier.offers_overdue + 1
    assert row.longest_wait_days is not None and row.longest_wait_days >= 0


def test_page_lists_programmes_in_constant_queries(
    world: object, django_assert_max_num_queries: object
) -> None:
    client = client_for("coordinator")
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        response = client.get("/matching/")
    assert response.status_code == 200
    assert "waiting for a peer" in response.content.decode()


def test_outside_roles_are_refused() -> None:
    assert client_for("peer").get("/matching/").status_code == 403
