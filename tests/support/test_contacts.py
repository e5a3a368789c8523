"""The contact services: logging a contact or an attempt in a match under way, every
refused value on its field, first contact confirmed by the first contact that
connected, navigation referrals made during a contact, the edit window, amendments
with their trail, and who reads a private note."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from peerbridge.core.models import AuditEvent
from peerbridge.matching.models import Match, MatchStatus
from peerbridge.people.models import IssueTag
from peerbridge.referrals.models import NavigationReferral
from peerbridge.support.configuration import support_settings, support_settings_update
from peerbridge.support.contact_selectors import NoteReach, amendment_trail, note_reach
from peerbridge.support.contacts import (
    ContactLocked,
    contact_amend,
    contact_edit,
    contact_log,
)
from peerbridge.support.models import Contact, ContactAmendment, SupportSettings
from tests.conftest import World
from tests.referrals.directory_world import full_consent, make_service
from tests.support.world import active_match, demo_user, peer_user_of, user_of

pytestmark = pytest.mark.django_db

M = MatchStatus
VALID: dict[str, Any] = {"mode": "phone", "setting": "online", "duration_minutes": 20}


def _log(match: Match, **changes: Any) -> Contact:
    return contact_log(match=match, actor=peer_user_of(match), data={**VALID, **changes})


def _errors(match: Match, **changes: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        _log(match, **changes)
    return caught.value.message_dict


# ----------------------------------------------------------------------------- logging


def test_a_peer_logs_a_contact_that_locks_after_the_programmes_window(world: World) -> None:
    support_settings_update(
        programme=world.programme_a, actor=None, changes={"edit_window_hours": 6}
    )
    match = active_match(world.programme_a)
    IssueTag.objects.get_or_create(programme=world.programme_a, name="Returning to work")
    contact = _log(
        match,
        connected=True,
        travel_minutes=15,
        setting="clinic",
        support_types=["emotional", "informational"],
        topics=["returning TO work", "garden visits", "Garden  visits"],
        transport_provided=True,
        next_step="Call after the clinic appointment",
        next_contact_on=timezone.localdate() + timedelta(days=7),
        private_note="Sounded tired.",
    )
    contact.refresh_from_db()
    assert (contact.match, contact.programme, contact.enrolment, contact.profile) == (
        match,
        match.programme,
        match.enrolment,
        match.profile,
    )
    assert contact.support_types == ["informational", "emotional"]
    assert contact.topics == ["Returning to work", "garden visits"]
    assert contact.private_note == "Sounded tired."
    assert contact.logged_by == peer_user_of(match)
    assert contact.locked_at == contact.created_at + timedelta(hours=6)
    assert AuditEvent.objects.filter(
        action="create", object_type="support.contact", object_id=str(contact.pk)
    ).exists()


def test_the_settings_row_is_made_with_defaults_on_first_read(world: World) -> None:
    SupportSettings.objects.filter(programme=world.programme_b).delete()
    rules = support_settings(world.programme_b)
    assert rules.pk is not None
    assert (rules.edit_window_hours, rules.stall_grace_days, rules.count_attempts_as_contact) == (
        48,
        3,
        False,
    )


def test_settings_refuse_values_out_of_range(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        support_settings_update(
            programme=world.programme_a, actor=None, changes={"edit_window_hours": 0}
        )
    assert "edit_window_hours" in caught.value.message_dict


def test_an_attempt_that_did_not_connect_is_logged(world: World) -> None:
    match = active_match(world.programme_a)
    contact = _log(match, connected=False, duration_minutes=0, mode="text")
    assert (contact.connected, contact.duration_minutes) == (False, 0)


NOW_PLUS_HOUR = "now+1h"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"mode": "carrier pigeon"}, "mode"),
        ({"mode": None}, "mode"),
        ({"setting": "moon"}, "setting"),
        ({"duration_minutes": -1}, "duration_minutes"),
        ({"duration_minutes": 24 * 60 + 1}, "duration_minutes"),
        ({"duration_minutes": "ten"}, "duration_minutes"),
        ({"duration_minutes": True}, "duration_minutes"),
        ({"travel_minutes": -5}, "travel_minutes"),
        ({"connected": "yes"}, "connected"),
        ({"transport_provided": 1}, "transport_provided"),
        ({"support_types": ["spiritual"]}, "support_types"),
        ({"support_types": "emotional"}, "support_types"),
        ({"topics": [f"topic {n}" for n in range(9)]}, "topics"),
        ({"topics": ["x" * 41]}, "topics"),
        ({"topics": "sleep"}, "topics"),
        ({"topics": ["bad\x00topic"]}, "topics"),
        ({"next_step": "x" * 1001}, "next_step"),
        ({"next_step": 5}, "next_step"),
        ({"private_note": "a\x00b"}, "private_note"),
        ({"next_contact_on": "tomorrow"}, "next_contact_on"),
        ({"occurred_at": "2024-01-01T10:00"}, "occurred_at"),
        ({"occurred_at": None}, "occurred_at"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"connected": False, "duration_minutes": 10}, "duration_minutes"),
        (
            {"connected": False, "duration_minutes": 0, "support_types": ["emotional"]},
            "support_types",
        ),
    ],
)
def test_every_refused_value_is_an_error_on_its_field(
    world: World, changes: dict[str, Any], field: str
) -> None:
    match = active_match(world.programme_a)
    assert field in _errors(match, **changes)
    assert not Contact.objects.filter(match=match).exists()


def test_all_errors_come_together(world: World) -> None:
    match = active_match(world.programme_a)
    errors = _errors(match, mode="x", setting="y", duration_minutes=-1)
    assert {"mode", "setting", "duration_minutes"} <= set(errors)


@time_machine.travel("2025-03-12 11:00:00+00:00", tick=False)
def test_times_and_dates_out_of_range_are_refused(world: World) -> None:
    match = active_match(world.programme_a)
    now = timezone.now()
    assert "occurred_at" in _errors(match, occurred_at=now + timedelta(hours=1))
    assert "occurred_at" in _errors(match, occurred_at=match.created_at - timedelta(days=1))
    assert "next_contact_on" in _errors(
        match, next_contact_on=timezone.localdate() - timedelta(days=1)
    )
    assert "next_contact_on" in _errors(
        match, next_contact_on=timezone.localdate() + timedelta(days=400)
    )
    # A little clock drift on the phone is allowed.
    assert _log(match, occurred_at=now + timedelta(minutes=2)).pk


@pytest.mark.parametrize("status", [M.OFFERED, M.ACCEPTED, M.COMPLETED, M.ENDED])
def test_a_match_not_under_way_takes_no_contact(world: World, status: str) -> None:
    match = active_match(world.programme_a, status=status)
    assert "match" in _errors(match)


def test_another_peer_cannot_log_in_a_match(world: World) -> None:
    match = active_match(world.programme_a)
    other = peer_user_of(active_match(world.programme_a))
    with pytest.raises(PermissionDenied):
        contact_log(match=match, actor=other, data=VALID)
    with pytest.raises(PermissionDenied):
        contact_log(match=match, actor=demo_user("coordinator.b"), data=VALID)


def test_a_coordinator_logs_for_the_peer_but_keeps_no_private_note(world: World) -> None:
    match = active_match(world.programme_a)
    coordinator = user_of("coordinator")
    contact = contact_log(match=match, actor=coordinator, data=VALID)
    assert contact.logged_by == coordinator
    with pytest.raises(ValidationError) as caught:
        contact_log(match=match, actor=coordinator, data={**VALID, "private_note": "Hm."})
    assert "private_note" in caught.value.message_dict


# ----------------------------------------------------------------------- first contact


def test_the_first_contact_that_connected_confirms_first_contact(world: World) -> None:
    with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
        match = active_match(world.programme_a, status=M.INTRODUCED)
    _log(match, connected=False, duration_minutes=0)
    match.refresh_from_db()
    assert (match.status, match.first_contact_at) == (M.INTRODUCED, None)
    when = timezone.now() - timedelta(minutes=30)
    _log(match, occurred_at=when)
    match.refresh_from_db()
    assert match.status == M.FIRST_CONTACT
    assert match.first_contact_at == when
    # Later contacts leave the match as it is.
    _log(match)
    match.refresh_from_db()
    assert (match.status, match.first_contact_at) == (M.FIRST_CONTACT, when)


def test_editing_an_attempt_into_a_contact_confirms_first_contact(world: World) -> None:
    match = active_match(world.programme_a, status=M.INTRODUCED)
    attempt = _log(match, connected=False, duration_minutes=0)
    contact_edit(attempt, actor=peer_user_of(match), data={"connected": True})
    match.refresh_from_db()
    assert match.status == M.FIRST_CONTACT


# ------------------------------------------------------------------ navigation referrals


def _consent_to_referrals(match: Match) -> None:
    from peerbridge.people.services import consent_record

    consent_record(
        person=match.enrolment.person,
        programme=match.programme,
        scopes=full_consent(match.programme),
        method="verbal",
        recorded_by=None,
    )


def test_referrals_made_during_a_contact_are_kept_with_it(world: World) -> None:
    match = active_match(world.programme_a)
    _consent_to_referrals(match)
    service = make_service(name="Food bank", categories=["food", "housing"])
    contact = _log(match, navigation_referrals=[{"service_id": service.pk, "need": "food"}])
    referral = contact.navigation_referrals.get()
    assert (referral.service, referral.need, referral.enrolment) == (
        service,
        "food",
        match.enrolment,
    )
    assert referral.made_by == peer_user_of(match)


@pytest.mark.parametrize(
    "entry",
    [
        {"service_id": 0, "need": "food"},
        {"service_id": "1", "need": "food"},
        {"need": "food"},
        {"service_id": None, "need": "food"},
        "food bank",
    ],
)
def test_a_referral_to_no_such_service_is_refused(world: World, entry: Any) -> None:
    match = active_match(world.programme_a)
    assert "navigation_referrals" in _errors(match, navigation_referrals=[entry])
    assert not Contact.objects.filter(match=match).exists()


def test_a_referral_for_a_need_the_service_does_not_meet_is_refused(world: World) -> None:
    match = active_match(world.programme_a)
    _consent_to_referrals(match)
    service = make_service(categories=["housing"])
    errors = _errors(match, navigation_referrals=[{"service_id": service.pk, "need": "food"}])
    assert "navigation_referrals" in errors
    assert not Contact.objects.filter(match=match).exists()
    assert not NavigationReferral.objects.filter(enrolment=match.enrolment).exists()


def test_a_referral_without_consent_is_refused_and_nothing_is_kept(world: World) -> None:
    from peerbridge.people.services import consent_record

    match = active_match(world.programme_a)
    service = make_service(categories=["housing"])
    consent_record(
        person=match.enrolment.person,
        programme=match.programme,
        scopes=["contact_phone"],
        method="verbal",
        recorded_by=None,
    )
    errors = _errors(match, navigation_referrals=[{"service_id": service.pk, "need": "housing"}])
    assert "navigation_referrals" in errors
    assert not Contact.objects.filter(match=match).exists()


# -------------------------------------------------------------- edit window, amendments


def test_the_author_edits_within_the_window_and_not_after(world: World) -> None:
    match = active_match(world.programme_a)
    peer = peer_user_of(match)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        contact = _log(match)
        traveller.shift(timedelta(hours=47))
        contact = contact_edit(contact, actor=peer, data={"duration_minutes": 35})
        assert contact.duration_minutes == 35
        traveller.shift(timedelta(hours=1, seconds=1))
        with pytest.raises(ContactLocked):
            contact_edit(contact, actor=peer, data={"duration_minutes": 40})
    contact.refresh_from_db()
    assert contact.duration_minutes == 35
    assert not contact.amendments.exists()


def test_only_the_author_or_staff_who_log_change_a_contact(world: World) -> None:
    match = active_match(world.programme_a)
    contact = contact_log(match=match, actor=user_of("coordinator"), data=VALID)
    for outsider in (peer_user_of(match), user_of("supervisor"), demo_user("coordinator.b")):
        with pytest.raises(PermissionDenied):
            contact_edit(contact, actor=outsider, data={"duration_minutes": 5})
    contact_edit(contact, actor=user_of("leader"), data={"duration_minutes": 5})


def test_a_locked_contact_is_amended_with_a_reason_and_a_trail(world: World) -> None:
    match = active_match(world.programme_a)
    peer = peer_user_of(match)
    contact = _log(match, private_note="First thoughts.")
    with time_machine.travel(contact.locked_at + timedelta(minutes=1), tick=False):
        with pytest.raises(ValidationError) as caught:
            contact_amend(contact, actor=peer, data={"duration_minutes": 25}, reason="  ")
        assert "reason" in caught.value.message_dict
        with pytest.raises(ValidationError):
            contact_amend(contact, actor=peer, data={"duration_minutes": 20}, reason="Same")
        amendment = contact_amend(
            contact,
            actor=peer,
            data={"duration_minutes": 25, "private_note": "Second thoughts."},
            reason="I had the length wrong.",
        )
        contact_amend(contact, actor=peer, data={"mode": "video"}, reason="It was a video call.")
    contact.refresh_from_db()
    assert (contact.duration_minutes, contact.mode, contact.private_note) == (
        25,
        "video",
        "Second thoughts.",
    )
    assert json.loads(amendment.changes) == {
        "duration_minutes": [20, 25],
        "private_note": ["First thoughts.", "Second thoughts."],
    }
    assert amendment.reason == "I had the length wrong."
    assert amendment.amended_by == peer
    assert list(contact.amendments.values_list("reason", flat=True)) == [
        "I had the length wrong.",
        "It was a video call.",
    ]
    # The changes are stored encrypted: the database does not hold the note in clear.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT changes FROM support_contactamendment WHERE id = %s", [amendment.pk])
        stored = cursor.fetchone()[0]
    assert "Second thoughts" not in stored


def test_a_contact_in_its_window_is_edited_not_amended(world: World) -> None:
    match = active_match(world.programme_a)
    contact = _log(match)
    with pytest.raises(ValidationError):
        contact_amend(contact, actor=peer_user_of(match), data={"mode": "video"}, reason="Why")
    assert not ContactAmendment.objects.filter(contact=contact).exists()


def test_an_amendment_keeps_a_next_contact_date_that_has_since_passed(world: World) -> None:
    match = active_match(world.programme_a)
    contact = _log(match, next_contact_on=timezone.localdate() + timedelta(days=2))
    with time_machine.travel(timezone.now() + timedelta(days=5), tick=False):
        contact_amend(contact, actor=peer_user_of(match), data={"mode": "video"}, reason="Video")
    contact.refresh_from_db()
    assert contact.mode == "video"


# ------------------------------------------------------------------------ private notes


def _reach(who: Any, match: Match) -> NoteReach:
    return note_reach(user_of(who) if isinstance(who, str) else who, match)


def test_a_private_note_is_read_by_its_peer_supervisor_and_leaders_only(world: World) -> None:
    match = active_match(world.programme_a)  # supervised by persona "supervisor"
    contact = _log(match, private_note="Worried about money.")
    assert _reach(peer_user_of(match), match).may_read(contact)
    assert _reach("supervisor", match).may_read(contact)
    assert _reach("leader", match).may_read(contact)
    assert _reach("admin", match).may_read(contact)
    assert not _reach("coordinator", match).may_read(contact)
    assert not _reach(demo_user("leader.b"), match).may_read(contact)
    assert not _reach(peer_user_of(active_match(world.programme_a)), match).may_read(contact)


def test_a_supervisor_reads_only_their_own_supervisees_notes(world: World) -> None:
    match = active_match(world.programme_a)
    match.profile.supervisor = demo_user("supervisor.b")
    match.profile.save(update_fields=["supervisor"])
    contact = _log(match, private_note="Note.")
    assert not _reach("supervisor", match).may_read(contact)
    # Supervisor B supervises the peer but holds no supervisor role over programme A.
    assert not _reach(demo_user("supervisor.b"), match).may_read(contact)


def test_the_trail_hides_a_changed_note_from_those_who_may_not_read_it(world: World) -> None:
    match = active_match(world.programme_a)
    peer = peer_user_of(match)
    contact = _log(match, private_note="Before.")
    with time_machine.travel(contact.locked_at + timedelta(minutes=1), tick=False):
        contact_amend(contact, actor=peer, data={"private_note": "After."}, reason="Typo")
    contact.refresh_from_db()
    peer_view = amendment_trail(contact, _reach(peer, match))
    coordinator_view = amendment_trail(contact, _reach("coordinator", match))
    assert [(x.before, x.after, x.hidden) for x in peer_view[0].lines] == [
        ("Before.", "After.", False)
    ]
    assert [(x.before, x.after, x.hidden) for x in coordinator_view[0].lines] == [
        (None, None, True)
    ]
