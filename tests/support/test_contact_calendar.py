"""The next contact planned in a contact goes into the peer's own calendar as an
all-day event that names nobody; the stall definition reads the match's last contact
times, which the contact services keep."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from peerbridge.core.models import User
from peerbridge.matching.models import Match
from peerbridge.support.contacts import contact_edit, contact_log
from tests.conftest import World
from tests.support.world import active_match, peer_user_of

pytestmark = pytest.mark.django_db


def test_the_next_contact_downloads_as_an_all_day_event_without_names(world: World) -> None:
    match = active_match(world.programme_a)
    peer = peer_user_of(match)
    day = timezone.localdate() + timedelta(days=5)
    contact = contact_log(
        match=match, actor=peer, data={"mode": "phone", "setting": "home", "next_contact_on": day}
    )
    client = Client()
    client.force_login(peer)
    response = client.get(f"/contacts/{contact.pk}/next-contact.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert event.decoded("dtstart") == day
    assert event.decoded("dtend") == day + timedelta(days=1)
    assert str(event["summary"]) == "Peer support contact"
    text = response.content.decode()
    person = match.enrolment.person
    for name in (person.given_name, person.family_name, match.programme.name):
        assert name not in text
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert f"/contacts/{contact.pk}/next-contact.ics" in page


def test_no_planned_contact_no_calendar_and_no_reach_outside_scope(world: World) -> None:
    match = active_match(world.programme_a)
    peer = peer_user_of(match)
    contact = contact_log(match=match, actor=peer, data={"mode": "phone", "setting": "home"})
    client = Client()
    client.force_login(peer)
    assert client.get(f"/contacts/{contact.pk}/next-contact.ics").status_code == 404
    assert client.get("/contacts/99999999/next-contact.ics").status_code == 404


def test_the_match_keeps_its_last_contact_and_attempt_times(world: World) -> None:
    match = active_match(world.programme_a)
    peer = peer_user_of(match)
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        _log_two_and_edit(match, peer)


def _log_two_and_edit(match: Match, peer: User) -> None:
    now = timezone.now().replace(microsecond=0)
    called = contact_log(
        match=match,
        actor=peer,
        data={"mode": "phone", "setting": "home", "occurred_at": now - timedelta(hours=3)},
    )
    contact_log(
        match=match,
        actor=peer,
        data={
            "mode": "phone",
            "setting": "home",
            "connected": False,
            "duration_minutes": 0,
            "occurred_at": now - timedelta(hours=1),
        },
    )
    kept = Match.objects.get(pk=match.pk)
    assert kept.last_contact_at == now - timedelta(hours=3)
    assert kept.last_attempt_at == now - timedelta(hours=1)
    contact_edit(called, actor=peer, data={"occurred_at": now - timedelta(minutes=30)})
    kept = Match.objects.get(pk=match.pk)
    assert kept.last_contact_at == now - timedelta(minutes=30)
    assert kept.last_attempt_at == now - timedelta(minutes=30)
