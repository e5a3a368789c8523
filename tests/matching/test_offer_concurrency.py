"""Simultaneous offers on PostgreSQL: many coordinators offering one peer to different
waiting participants at the same moment never push the peer past capacity, and two
offers for the same participant never both stand."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from peerbridge.matching.lifecycle import match_create
from peerbridge.matching.models import LIVE_MATCH_STATUSES, Match
from peerbridge.organisations.models import Programme
from peerbridge.organisations.services import organisation_create, programme_create, site_create
from peerbridge.referrals.models import Enrolment
from peerbridge.referrals.services import ReferralDetails, enrol_with_consent, referral_create
from peerbridge.workforce.capacity import CapacityRefused
from peerbridge.workforce.models import CapacityReservation, PeerProfile
from tests.workforce.world import make_profile

CAPACITY = 3
CONTENDERS = 12

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what this proves; SQLite runs one writer at a time")


def _programme() -> Programme:
    organisation = organisation_create(name="Offer Race", slug="offer-race", created_by=None)
    site = site_create(
        organisation=organisation,
        parent=None,
        name="Offer Race HQ",
        code="offer-race-hq",
        level="national",
        created_by=None,
    )
    return programme_create(
        site=site,
        created_by=None,
        code="offer-race",
        name="Offer race programme",
        condition_area="diabetes",
        audience="patients",
        formats=["one_to_one"],
        modalities=["telephone"],
        contact_cadence_days=14,
        peer_pay="volunteer",
        status="active",
    )


def _waiting(programme: Programme, n: int) -> Enrolment:
    enrolment = referral_create(
        programme=programme,
        details=ReferralDetails(
            given_name="Race", family_name=f"Participant {n}", phone=f"+4477009{n:05d}"
        ),
        source=Enrolment.Source.STAFF,
        referred_by=None,
        contact_scopes=["contact_phone"],
    ).enrolment
    return enrol_with_consent(
        enrolment=enrolment,
        scopes=["participation", "contact_phone"],
        method="verbal",
        enrolled_by=None,
    )


def _peer(programme: Programme, capacity: int) -> PeerProfile:
    return make_profile(
        programme, ready=True, status=PeerProfile.Status.ACTIVE, max_matches=capacity
    )


def _race(attempts: list[Callable[[], object]]) -> list[str]:
    """Run the attempts at the same moment from separate connections; each says
    "offered", or the field or reason it was refused on."""
    start = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def contend(attempt: Callable[[], object]) -> None:
        try:
            start.wait(timeout=30)
            attempt()
            outcome = "offered"
        except CapacityRefused as refused:
            outcome = refused.blockers[0].reason.value
        except ValidationError as refused:
            outcome = ",".join(sorted(refused.message_dict))
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=contend, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_simultaneous_offers_never_exceed_the_peers_capacity() -> None:
    programme = _programme()
    profile = _peer(programme, CAPACITY)
    enrolments = [_waiting(programme, n) for n in range(CONTENDERS)]

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
    enrolment = _waiting(programme, 999)
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
