"""The participant's home: my peer, my next contact, my goals, my groups, my consent and
my data; only their own record; a query count that does not grow with the rows."""

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
from peerbridge.organisations.roles import Role
from peerbridge.support.models import Goal, Group, GroupMember, GroupSession
from tests.conftest import client_for
from tests.web import homes_world as w

NOON = datetime(2031, 3, 12, 12, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def at_noon() -> Any:
    with time_machine.travel(NOON, tick=False):
        yield


def _group(programme: Any, name: str) -> Group:
    group = Group.objects.create(
        programme=programme,
        name=name,
        kind=Group.Kind.COURSE,
        modality=Group.Modality.IN_PERSON,
        place="Community hall",
        capacity=12,
    )
    GroupSession.objects.create(
        group=group, number=1, starts_at=timezone.now() + timedelta(days=3, hours=2)
    )
    GroupSession.objects.create(
        group=group, number=2, starts_at=timezone.now() + timedelta(days=10)
    )
    return group


def _goals(enrolment: Any, count: int) -> None:
    for n in range(count):
        Goal.objects.create(enrolment=enrolment, text=f"Walk to the shop {n}")
    Goal.objects.create(enrolment=enrolment, text="Done already", status=Goal.Status.REACHED)


def test_the_participant_sees_their_peer_next_contact_goals_groups_and_consent(
    db: None, at_noon: None
) -> None:
    programme = w.fresh_programme()
    enrolment = w.participant(programme, with_login=True)
    profile = w.peer(programme)
    made = w.match(enrolment, profile, since=timezone.now() - timedelta(days=10))
    next_on = timezone.localdate() + timedelta(days=4)
    w.contact(made, at=timezone.now() - timedelta(days=2), next_contact_on=next_on)
    _goals(enrolment, 2)
    GroupMember.objects.create(
        group=_group(programme, "Living well course"),
        enrolment=enrolment,
        status=GroupMember.Status.ENROLLED,
    )
    w.consent(enrolment.person, programme)
    other = w.participant(programme, name="Someoneelse")
    w.match(other, w.peer(programme))
    user = enrolment.person.user

    response = w.client_of(user).get("/")

    page = response.content.decode()
    part = response.context["homes"][0].parts[0]
    assert part.match == made and part.next_contact_on == next_on
    assert part.active_goals == 2
    assert profile.alias in page and profile.person.family_name not in page
    assert "2 goals I am working on" in page
    assert f'href="/enrolments/{enrolment.pk}/goals/"' in page
    assert "Living well course" in page and "Community hall" in page
    assert "Being contacted by email" in page  # the consent scope agreed to
    assert 'href="/me/data/"' in page and 'href="/me/data/export.json"' in page
    assert "Someoneelse" not in page
    read = set(
        AuditEvent.objects.filter(actor_id=user.pk, action=AuditEvent.Action.READ)
        .filter(object_type="people.person")
        .values_list("object_id", flat=True)
    )
    assert read == {str(enrolment.person_id), str(profile.person_id)}


def test_a_waiting_participant_is_told_a_peer_is_being_found(db: None, at_noon: None) -> None:
    programme = w.fresh_programme()
    enrolment = w.participant(programme, status="waiting", with_login=True)
    page = w.client_of(enrolment.person.user).get("/home/participant/").content.decode()
    assert "We are finding the right peer for you" in page


def test_the_demo_participant_has_a_home(db: None) -> None:
    response = client_for("participant").get("/home/participant/")
    assert response.status_code == 200
    assert response.context["homes"][0].parts


def _add_rows(programme: Any, enrolment: Any, count: int) -> None:
    _goals(enrolment, count)
    for n in range(count):
        GroupMember.objects.create(
            group=_group(programme, f"Group {n}"),
            enrolment=enrolment,
            status=GroupMember.Status.ENROLLED,
        )
        w.consent(enrolment.person, programme)


def test_the_participant_home_query_count_does_not_grow_with_the_rows(
    db: None, at_noon: None
) -> None:
    programme = w.fresh_programme()
    enrolment = w.participant(programme, with_login=True)
    made = w.match(enrolment, w.peer(programme))
    client = w.client_of(enrolment.person.user)
    _add_rows(programme, enrolment, 2)
    w.contact(made)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/home/participant/").status_code == 200
    _add_rows(programme, enrolment, 10)
    for _n in range(10):
        w.contact(made)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/home/participant/")
    assert len(response.context["homes"][0].parts[0].groups) == 12
    assert len(many) == len(few)


def test_the_participant_home_is_for_participants(db: None) -> None:
    programme = w.fresh_programme()
    peer = w.peer(programme)
    assert w.client_of(peer.person.user).get("/home/participant/").status_code == 403
    coordinator = w.login(Role.COORDINATOR, programme)
    assert w.client_of(coordinator).get("/home/participant/").status_code == 403
