"""Capacity is reserved through one service that locks the peer's row: on PostgreSQL,
parallel reservations from separate connections never push a peer past capacity."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from peerbridge.organisations.services import (
    organisation_create,
    programme_create,
    site_create,
)
from peerbridge.people.services import person_create
from peerbridge.workforce.capacity import CapacityRefused, capacity_reserve
from peerbridge.workforce.models import CapacityReservation, PeerProfile
from peerbridge.workforce.services import profile_open

CAPACITY = 3
CONTENDERS = 12


def _available_peer() -> PeerProfile:
    organisation = organisation_create(name="Race Org", slug="race-org", created_by=None)
    site = site_create(
        organisation=organisation,
        parent=None,
        name="Race HQ",
        code="race-hq",
        level="national",
        created_by=None,
    )
    programme = programme_create(
        site=site,
        created_by=None,
        code="race-programme",
        name="Race programme",
        condition_area="diabetes",
        audience="patients",
        formats=["one_to_one"],
        modalities=["telephone"],
        contact_cadence_days=14,
        peer_pay="volunteer",
        status="active",
    )
    person = person_create(given_name="Ada", family_name="Racer", created_by=None)
    profile = profile_open(person=person, programme=programme, actor=None, status="active")
    profile.max_matches = CAPACITY
    profile.save(update_fields=["max_matches"])
    return profile


@pytest.mark.django_db(transaction=True)
def test_parallel_reservations_never_exceed_capacity() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what this proves; SQLite runs one writer at a time")
    profile = _available_peer()
    start = threading.Barrier(CONTENDERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def contend(n: int) -> None:
        try:
            start.wait(timeout=30)
            capacity_reserve(profile=profile, kind="match", reference=f"match:{n}", actor=None)
            outcome = "reserved"
        except CapacityRefused as refused:
            outcome = refused.blockers[0].reason.value
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(CONTENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(outcomes) == {"reserved": CAPACITY, "at_capacity": CONTENDERS - CAPACITY}
    live = CapacityReservation.objects.filter(profile=profile, released_at__isnull=True)
    assert live.count() == CAPACITY
