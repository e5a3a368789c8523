"""The contact pages: the quick log with its defaults, field errors and the worried
box, the contact history (paginated, constant queries, private notes by role) and a
contact's page with its edit and amendment forms, and the support settings page."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peerbridge.core.models import AuditEvent, User
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.support.configuration import support_settings
from peerbridge.support.contacts import contact_log
from peerbridge.support.models import Contact
from tests.conftest import World, client_for
from tests.support.world import active_match, demo_user, peer_user_of, queries_for

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "mode": "phone",
        "connected": "on",
        "duration_minutes": "15",
        "setting": "online",
        "support_types": ["emotional", "appraisal"],
        "other_topics": "money, sleep",
        "next_step": "Call on Friday",
        "next_contact_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "travel_minutes": "",
        "private_note": "Tired but hopeful.",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def _log(match: Match, **data: Any) -> Contact:
    values = {"mode": "phone", "setting": "online", "duration_minutes": 10} | data
    return contact_log(match=match, actor=peer_user_of(match), data=values)


# ------------------------------------------------------------------------- quick log


def test_the_quick_log_shows_who_and_starts_from_the_last_contact(world: World) -> None:
    match = active_match(world.programme_a, given_name="Marisol")
    _log(match, mode="in_person", setting="clinic")
    response = _client(peer_user_of(match)).get(reverse("support:contact_log", args=[match.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Marisol" in page
    form = response.context["form"]
    assert (form["mode"].value(), form["setting"].value()) == ("in_person", "clinic")
    assert form["connected"].value() is True
    assert "<details" in page and "private_note" in page
    assert "I am worried about their safety" in page


def test_a_peer_logs_a_call_and_goes_home(world: World) -> None:
    match = active_match(world.programme_a)
    client = _client(peer_user_of(match))
    response = client.post(reverse("support:contact_log", args=[match.pk]), _form())
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    contact = Contact.objects.get(match=match)
    assert (contact.mode, contact.duration_minutes, contact.connected) == ("phone", 15, True)
    assert contact.support_types == ["emotional", "appraisal"]
    assert contact.topics[0] == "money"
    assert contact.private_note == "Tired but hopeful."
    follow = client.get(response["Location"])
    assert "is logged" in follow.content.decode()


def test_being_worried_leads_on_to_raising_a_flag_from_the_contact(world: World) -> None:
    match = active_match(world.programme_a)
    response = _client(peer_user_of(match)).post(
        reverse("support:contact_log", args=[match.pk]), _form(worried="on")
    )
    contact = Contact.objects.get(match=match)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/contacts/{contact.pk}/flag/")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mode": None}, "mode"),
        ({"mode": "pigeon"}, "mode"),
        ({"setting": None}, "setting"),
        ({"occurred_at": "not a time"}, "occurred_at"),
        ({"occurred_at": "2999-01-01T10:00"}, "occurred_at"),
        ({"duration_minutes": "-3"}, "duration_minutes"),
        ({"duration_minutes": "9999"}, "duration_minutes"),
        ({"connected": None, "duration_minutes": "10"}, "duration_minutes"),
        ({"support_types": ["magic"]}, "support_types"),
        ({"other_topics": "x" * 45}, "topics"),
        ({"next_contact_on": "2001-01-01"}, "next_contact_on"),
        ({"referral_need": "food"}, "referral_service"),
        ({"referral_service": "999999", "referral_need": "food"}, "referral_service"),
    ],
)
def test_a_refused_value_is_shown_on_its_field(
    world: World, changes: dict[str, Any], field: str
) -> None:
    match = active_match(world.programme_a)
    response = _client(peer_user_of(match)).post(
        reverse("support:contact_log", args=[match.pk]), _form(**changes)
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert field in form.errors or (field == "topics" and form.non_field_errors())
    assert 'aria-invalid="true"' in response.content.decode() or form.non_field_errors()
    assert not Contact.objects.filter(match=match).exists()


def test_a_match_that_ended_takes_no_contact_from_the_page(world: World) -> None:
    match = active_match(world.programme_a, status=MatchStatus.COMPLETED)
    client = _client(peer_user_of(match))
    page = client.get(reverse("support:contact_log", args=[match.pk]))
    assert page.status_code == 200
    assert "until the match ends" in page.content.decode()
    response = client.post(reverse("support:contact_log", args=[match.pk]), _form())
    assert response.status_code == 422
    assert not Contact.objects.filter(match=match).exists()


def test_another_peers_match_is_not_found(world: World) -> None:
    match = active_match(world.programme_a)
    other = _client(peer_user_of(active_match(world.programme_a)))
    for url in (
        reverse("support:contact_log", args=[match.pk]),
        reverse("support:contacts", args=[match.pk]),
    ):
        assert other.get(url).status_code == 404
    assert other.post(reverse("support:contact_log", args=[match.pk]), _form()).status_code == 404
    contact = _log(match)
    assert other.get(reverse("support:contact", args=[contact.pk])).status_code == 404
    assert (
        _client(demo_user("coordinator.b"))
        .get(reverse("support:contact", args=[contact.pk]))
        .status_code
        == 404
    )


def test_ids_that_are_not_numbers_are_not_found(world: World) -> None:
    client = client_for("coordinator")
    for url in ("/matches/abc/contacts/", "/contacts/1x/", "/matches/99999999/contacts/new/"):
        assert client.get(url).status_code == 404


# ------------------------------------------------------------------------- history


def test_the_history_shows_notes_only_to_those_who_read_them(world: World) -> None:
    match = active_match(world.programme_a)
    _log(match, private_note="Money worries.", next_step="Send the leaflet")
    url = reverse("support:contacts", args=[match.pk])
    for user, sees in (
        (peer_user_of(match), True),
        (demo_user("supervisor.a"), True),
        (demo_user("leader.a"), True),
        (demo_user("coordinator.a"), False),
    ):
        page = _client(user).get(url).content.decode()
        assert "Send the leaflet" in page
        assert ("Money worries." in page) is sees, user.email


def test_the_history_is_audited_and_paginated(world: World) -> None:
    match = active_match(world.programme_a)
    for _ in range(22):
        _log(match)
    client = client_for("coordinator")
    url = reverse("support:contacts", args=[match.pk])
    first = client.get(url)
    assert len(first.context["rows"]) == 20
    assert len(client.get(url + "?page=2").context["rows"]) == 2
    assert AuditEvent.objects.filter(action="read", object_type="support.contact").count() >= 22
    assert AuditEvent.objects.filter(
        action="read", object_type="people.person", object_id=str(match.enrolment.person_id)
    ).exists()


def test_the_history_costs_the_same_queries_for_more_contacts(world: World) -> None:
    match = active_match(world.programme_a)
    client = _client(peer_user_of(match))
    url = reverse("support:contacts", args=[match.pk])

    _log(match)
    _log(match)
    few = queries_for(client, url)
    for _ in range(10):
        _log(match, support_types=["emotional"], topics=["sleep"])
    assert queries_for(client, url) == few


# ------------------------------------------------------------------------- contact page


def test_the_author_changes_a_contact_in_its_window(world: World) -> None:
    match = active_match(world.programme_a)
    contact = _log(match)
    client = _client(peer_user_of(match))
    url = reverse("support:contact", args=[contact.pk])
    assert "Change this contact" in client.get(url).content.decode()
    response = client.post(url, _form(duration_minutes="45"))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.duration_minutes == 45


def test_after_the_window_a_change_needs_a_reason_and_leaves_a_trail(world: World) -> None:
    match = active_match(world.programme_a)
    contact = _log(match)
    url = reverse("support:contact", args=[contact.pk])
    with time_machine.travel(contact.locked_at + timedelta(hours=1), tick=False):
        client = _client(peer_user_of(match))  # signed in after the journey in time
        page = client.get(url).content.decode()
        assert "Amend this contact" in page
        as_shown = {
            "occurred_at": timezone.localtime(contact.occurred_at).strftime("%Y-%m-%dT%H:%M"),
            "mode": "phone",
            "connected": "on",
            "duration_minutes": "30",
            "setting": "online",
        }
        refused = client.post(url, as_shown)
        assert refused.status_code == 422
        assert "reason" in refused.context["form"].errors
        done = client.post(url, {**as_shown, "reason": "It was longer."})
        assert done.status_code == 302
        trail = client.get(url).content.decode()
    assert "It was longer." in trail
    contact.refresh_from_db()
    assert contact.duration_minutes == 30
    # Only what changed is in the trail: the time sent back to the minute is not.
    assert json.loads(contact.amendments.get().changes) == {"duration_minutes": [10, 30]}


def test_a_supervisor_reads_a_contact_but_cannot_change_it(world: World) -> None:
    match = active_match(world.programme_a)
    contact = _log(match, private_note="Note for supervision.")
    client = _client(demo_user("supervisor.a"))
    url = reverse("support:contact", args=[contact.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Note for supervision." in page.content.decode()
    assert page.context["form"] is None
    assert client.post(url, _form()).status_code == 403


def test_a_coordinator_changes_a_contact_without_seeing_its_note(world: World) -> None:
    match = active_match(world.programme_a)
    contact = _log(match, private_note="Kept private.")
    client = client_for("coordinator")
    url = reverse("support:contact", args=[contact.pk])
    assert "Kept private." not in client.get(url).content.decode()
    assert client.post(url, _form(duration_minutes="12", private_note=None)).status_code == 302
    contact.refresh_from_db()
    assert (contact.duration_minutes, contact.private_note) == (12, "Kept private.")


# ------------------------------------------------------------------------- settings


def test_a_leader_sets_the_edit_window(world: World) -> None:
    url = reverse("support:settings", args=[world.programme_a.pk])
    client = client_for("leader")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"edit_window_hours": "0", "stall_grace_days": "3"})
    assert bad.status_code == 422
    assert "edit_window_hours" in bad.context["form"].errors
    done = client.post(url, {"edit_window_hours": "12", "stall_grace_days": "5"})
    assert done.status_code == 302
    world.programme_a.refresh_from_db()
    rules = support_settings(world.programme_a)
    assert (rules.edit_window_hours, rules.stall_grace_days, rules.count_attempts_as_contact) == (
        12,
        5,
        False,
    )
    assert client_for("coordinator").get(url).status_code == 403
    assert _client(demo_user("leader.b")).get(url).status_code == 404
