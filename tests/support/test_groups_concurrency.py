"""Simultaneous requests on PostgreSQL: many coordinators adding people to one group at
the same moment never fill more places than it has (the rest wait, in order), one
participant added twice at once gets one place, and a group never gets a fourth
facilitator."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from peerbridge.organisations.models import Programme
from peerbridge.referrals.models import Enrolment
from peerbridge.support import groups
from peerbridge.support.models import Facilitator, Group, GroupMember
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
    return race_programme("group-race", "Group race programme")


def _group(programme: Programme) -> Group:
    return groups.group_create(
        programme=programme,
        actor=None,
        data={
            "name": "Race course",
            "kind": "course",
            "modality": "in_person",
            "place": "Hall",
            "capacity": CAPACITY,
            "session_count": 4,
        },
    )


def _refusal(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return ",".join(sorted(error.message_dict))
    raise error


def test_simultaneous_enrolments_never_exceed_the_places() -> None:
    programme = _programme()
    group = _group(programme)
    enrolments = [waiting_enrolment(programme) for _ in range(CONTENDERS)]

    def add(enrolment: Enrolment) -> Callable[[], object]:
        return lambda: groups.member_add(group=group, enrolment=enrolment, actor=None)

    outcomes = race([add(e) for e in enrolments], done="added", refusal=_refusal)

    assert Counter(outcomes) == {"added": CONTENDERS}
    statuses = Counter(GroupMember.objects.filter(group=group).values_list("status", flat=True))
    assert statuses == {"enrolled": CAPACITY, "waiting": CONTENDERS - CAPACITY}
    # The places went to the first to join, and the list is in joining order.
    rows = list(GroupMember.objects.filter(group=group).order_by("joined_at", "pk"))
    assert [m.status for m in rows] == ["enrolled"] * CAPACITY + ["waiting"] * (
        CONTENDERS - CAPACITY
    )


def test_one_participant_added_twice_at_once_gets_one_place() -> None:
    programme = _programme()
    group = _group(programme)
    enrolment = waiting_enrolment(programme)

    outcomes = race(
        [lambda: groups.member_add(group=group, enrolment=enrolment, actor=None)] * 4,
        done="added",
        refusal=_refusal,
    )

    assert Counter(outcomes) == {"added": 1, "enrolment": 3}
    assert GroupMember.objects.filter(group=group).count() == 1


def test_simultaneous_facilitators_stop_at_three() -> None:
    programme = _programme()
    group = _group(programme)
    peers = [
        make_profile(programme, ready=True, status=PeerProfile.Status.ACTIVE) for _ in range(6)
    ]

    def add(profile: PeerProfile) -> Callable[[], object]:
        return lambda: groups.facilitator_add(group=group, actor=None, profile=profile)

    outcomes = race([add(p) for p in peers], done="added", refusal=_refusal)

    assert Counter(outcomes) == {"added": 3, "peer": 3}
    assert Facilitator.objects.filter(group=group, removed_at__isnull=True).count() == 3
    held = CapacityReservation.objects.filter(reference=f"group:{group.pk}", released_at=None)
    assert held.count() == 3
