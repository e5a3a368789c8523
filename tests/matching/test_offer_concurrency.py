"""Simultaneous offers on PostgreSQL: many coordinators offering one peer to different
waiting participants at the same moment never push the peer past capacity, and two
offers for the same participant never both stand."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from peerbridge.matching.lifecycle import match_create
from peerbridge.matching.models import LIVE_MATCH_STATUSES, Match
from peerbridge.organisations.models import Programme
from peerbridge.referrals.models import Enrolment
from peerbridge.workforce.capacity import CapacityRefused
from peerbridge.workforce.models import CapacityReservation, PeerProfile
from tests.concurrency import race, race_programme, skip_unless_postgresql
from tests.matching.world_lifecycle import waiting_enrolment
from tests.workforce.world import make_profile

CAPACITY = 3
CONTENDERS = 12

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    skip_unless_postgresql("row locks are what this proves; SQLite runs one writer at a time")


def _programme() -> Programme:
    return race_programme("offer-race", "Offer race programme")


def _peer(programme: Programme, capacity: int) -> PeerProfile:
    return make_profile(
        programme, ready=True, status=PeerProfile.Status.ACTIVE, max_matches=capacity
    )


def _refusal(error: Exception) -> str:
    """The field or reason an offer was refused on."""
    if isinstance(error, CapacityRefused):
        return error.blockers[0].reason.value
    if isinstance(error, ValidationError):
        return ",".join(sorted(error.message_dict))
    raise error


def _race(attempts: list[Callable[[], object]]) -> list[str]:
    """Each says "offered", or the field or reason it was refused on."""
    return race(attempts, done="offered", refusal=_refusal)


def test_simultaneous_offers_never_exceed_the_peers_capacity() -> None:
    programme = _programme()
    profile = _peer(programme, CAPACITY)
    enrolments = [waiting_enrolment(programme) for _ in range(CONTENDERS)]

    def offer(enrolment: Enrolment) -> Callable[[], object]:
        return lambda: match_create(
            enrolment=enrolment, profile=profile, source=Match.Source.MANUAL, actor=None
        )

    outcomes = _race([offer(enrolment) for enrolment in enrolments])

    assert Counter(outcomes) == {"offered": CAPACITY, "at_capacity": CONTENDERS - CAPACITY}
    live = CapacityReservation.objects.filter(profile=profile, released_at__isnull=True)
    assert live.count() == CAPACITY
    matches = Match.objects.filter(profile=profile)
    assert matches.count() == CAPACITY  # the refused offers left nothing behind
    assert {f"match:{pk}" for pk in matches.values_list("pk", flat=True)} == set(
        live.values_list("reference", flat=True)
    )


def test_simultaneous_offers_for_one_participant_leave_one_standing() -> None:
    programme = _programme()
    enrolment = waiting_enrolment(programme)
    peers = [_peer(programme, 5) for _ in range(4)]

    def offer(profile: PeerProfile) -> Callable[[], object]:
        return lambda: match_create(
            enrolment=enrolment, profile=profile, source=Match.Source.MANUAL, actor=None
        )

    outcomes = _race([offer(profile) for profile in peers])

    assert Counter(outcomes) == {"offered": 1, "enrolment": len(peers) - 1}
    live = Match.objects.filter(enrolment=enrolment, status__in=sorted(LIVE_MATCH_STATUSES))
    assert live.count() == 1
    assert CapacityReservation.objects.filter(released_at__isnull=True).count() == 1
