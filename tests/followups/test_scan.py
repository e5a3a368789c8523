"""The playbook scan: due items appear on their day, once, whatever the number of runs;
a worker that was down catches up; unless conditions, roles and message consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerbridge.followups.models import Action, Event, Role, Rule, Unless, WorkItem
from peerbridge.followups.presets import PRESETS, preset_apply
from peerbridge.followups.scan import scan
from peerbridge.matching import lifecycle
from peerbridge.matching.models import EndReason, MatchCheckIn
from peerbridge.notifications.models import Notification
from peerbridge.people.models import ConsentScope
from peerbridge.people.services import consent_withdraw
from peerbridge.support.configuration import support_settings
from tests.followups import world as w

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday morning
HEALTH_WORDS = (
    "hiv",
    "cancer",
    "diagnos",
    "disabilit",
    "surgery",
    "mastectomy",
    "transplant",
    "depress",
    "hospital",
    "discharge",
    "medication",
    "therapy",
    "condition",
    "illness",
    "addiction",
    "substance",
)


def travel(day: int, hour: int = 10) -> Any:
    return time_machine.travel(w.moment(day, hour, start=START), tick=False)


def items(rule: Rule) -> list[WorkItem]:
    return list(WorkItem.objects.filter(rule=rule).order_by("subject", "occurrence"))


@pytest.fixture
def parents(db: None) -> Any:
    """Programme D (support parents) with its preset applied on day 0 and one match
    accepted that day; the peer agreed to email."""
    programme = w.quiet_programme()
    with travel(0):
        playbook = preset_apply(
            programme=programme, key="parent_to_parent", actor=w.staff("leader.d")
        )
        enrolment = w.participant(programme)
        profile = w.peer(programme, consent_email=True)
        match = w.accepted_match(enrolment, profile)
    check, reminder, *_stall_and_closure = playbook.rules.order_by("position")
    return {"programme": programme, "match": match, "check": check, "reminder": reminder}


def test_programme_d_check_and_reminder_appear_on_their_days_once(
    parents: Any, django_capture_on_commit_callbacks: Any
) -> None:
    check, reminder, match = parents["check"], parents["reminder"], parents["match"]
    first_seen: dict[str, int] = {}
    for day in range(0, 31):
        for hour in (6, 18):  # twice a day, every day
            with travel(day, hour), django_capture_on_commit_callbacks(execute=True):
                scan()
            for name, rule in (("check", check), ("reminder", reminder)):
                if items(rule) and name not in first_seen:
                    first_seen[name] = day
    assert first_seen == {"check": 7, "reminder": 21}
    [check_item] = items(check)
    accepted_on = timezone.localdate(match.accepted_at)
    assert check_item.due_on == accepted_on + timedelta(days=7)
    assert check_item.overdue_on == accepted_on + timedelta(days=14)
    assert check_item.subject == f"match:{match.pk}"
    assert check_item.assignee is None and check_item.role == Role.COORDINATOR
    assert MatchCheckIn.objects.filter(match=match).count() == 2  # both sides, once
    [reminder_item] = items(reminder)
    assert reminder_item.due_on == accepted_on + timedelta(days=21)
    assert reminder_item.status == WorkItem.Status.SENT
    assert reminder_item.outcome == {"queued": True}
    # The outbox holds it (email, and in PeerBridge for the peer); the worker sends it.
    queued = Notification.objects.filter(dedupe_key=f"followups:item:{reminder_item.pk}")
    assert sorted(queued.values_list("channel", flat=True)) == ["email", "in_app"]
    with travel(31, 12):
        w.deliver()
    # The email says only that a message is waiting; the text itself is in PeerBridge.
    sent = [m for m in mail.outbox if m.to == [match.profile.person.user.email]]
    assert len(sent) == 1
    assert reminder.message not in sent[0].body
    assert "new message for you" in sent[0].body
    in_app = queued.get(channel="in_app")
    assert in_app.body == reminder.message


def test_a_worker_down_for_thirty_days_catches_up_with_each_weekly_call(db: None) -> None:
    programme = w.quiet_programme()
    with travel(0):
        playbook = preset_apply(programme=programme, key="before_discharge", actor=None)
        enrolment = w.participant(programme)
        profile = w.peer(programme)
        match = w.accepted_match(enrolment, profile)
    weekly = playbook.rules.get(event=Event.MATCH_ACCEPTED)
    with travel(3):
        scan()
    assert items(weekly) == []
    with travel(33):  # back after thirty days
        result = scan()
        again = scan()
    made = items(weekly)
    accepted_on = timezone.localdate(match.accepted_at)
    assert [i.occurrence for i in made] == [1, 2, 3, 4]
    assert [i.due_on for i in made] == [accepted_on + timedelta(days=7 * k) for k in (1, 2, 3, 4)]
    assert [i.overdue_on for i in made] == [i.due_on + timedelta(days=6) for i in made]
    assert {i.assignee_id for i in made} == {profile.person.user_id}
    assert {i.role for i in made} == {Role.PEER}
    assert result.created >= 4 and again.created == 0
    with travel(120):  # long after: twelve in all, never more
        scan()
    assert len(items(weekly)) == 12


def test_the_check_is_not_made_for_a_match_that_ended_first(parents: Any) -> None:
    with travel(3):
        lifecycle.match_end(
            parents["match"], reason=EndReason.PEER_UNAVAILABLE, note="", actor=None
        )
    with travel(25):
        scan()
    assert items(parents["check"]) == [] and items(parents["reminder"]) == []


def test_matched_before_discharge_only_for_those_not_yet_matched(db: None) -> None:
    programme = w.quiet_programme()
    with travel(0):
        playbook = preset_apply(programme=programme, key="before_discharge", actor=None)
        waiting = w.participant(programme)
        matched = w.participant(programme)
        w.accepted_match(matched, w.peer(programme))
        for enrolment in (waiting, matched):
            w.discharge(enrolment, timezone.localdate() + timedelta(days=5))
    before = playbook.rules.get(event=Event.DISCHARGE)
    with travel(2):
        scan()
    assert items(before) == []  # day 2: discharge is three days away
    with travel(3):
        scan()
    [made] = items(before)
    assert made.subject == f"enrolment:{waiting.pk}" and made.match is None
    assert made.due_on == timezone.localdate(START) + timedelta(days=3)
    assert made.overdue_on == timezone.localdate(START) + timedelta(days=5)


def test_crisis_transition_weekly_contact_stops_when_the_match_ends(db: None) -> None:
    programme = w.quiet_programme()
    with travel(0):
        playbook = preset_apply(programme=programme, key="crisis_transition", actor=None)
        enrolment = w.participant(programme)
        w.discharge(enrolment, timezone.localdate())
        profile = w.peer(programme)
        match = w.accepted_match(enrolment, profile)
    weekly = playbook.rules.get(event=Event.DISCHARGE)
    with travel(15):
        scan()
    assert [i.occurrence for i in items(weekly)] == [1, 2]
    assert {i.assignee_id for i in items(weekly)} == {profile.person.user_id}
    assert {i.match_id for i in items(weekly)} == {match.pk}
    with travel(16):
        lifecycle.match_end(match, reason=EndReason.NOT_A_FIT, note="", actor=None)
    with travel(40):
        scan()
    assert len(items(weekly)) == 2


def test_first_contact_and_check_in_answered_conditions(db: None) -> None:
    programme = w.quiet_programme()
    with travel(0):
        playbook = w.playbook_with(
            programme,
            Rule(
                title="Ask about the first call",
                event=Event.MATCH_ACCEPTED,
                offset_days=5,
                action=Action.WORK_ITEM,
                unless=Unless.FIRST_CONTACT,
            ),
            Rule(
                title="Chase the check-in",
                event=Event.MATCH_ACCEPTED,
                offset_days=5,
                action=Action.WORK_ITEM,
                unless=Unless.CHECK_IN_ANSWERED,
            ),
        )
        contacted, quiet = (w.new_match(programme) for _ in range(2))
        lifecycle.match_introduce(contacted, actor=None)
        lifecycle.match_confirm_first_contact(contacted, actor=None)
        from peerbridge.matching.check_ins import check_in_record

        for side in ("participant", "peer"):
            check_in_record(
                contacted, side=side, comfortable=True, wants_change=False, comment="", actor=None
            )
    first_call, chase = playbook.rules.order_by("position")
    with travel(6):
        scan()
    assert [i.match_id for i in items(first_call)] == [quiet.pk]
    assert [i.match_id for i in items(chase)] == [quiet.pk]


def test_assignee_follows_the_role(db: None) -> None:
    programme = w.quiet_programme()
    supervisor = w.staff("supervisor.a")
    with travel(0):
        playbook = w.playbook_with(
            programme,
            *(
                Rule(
                    title=f"For the {role}",
                    event=Event.MATCH_ACCEPTED,
                    offset_days=1,
                    action=Action.WORK_ITEM,
                    role=role,
                )
                for role in (Role.PEER, Role.SUPERVISOR, Role.COORDINATOR)
            ),
        )
        profile = w.peer(programme)
        profile.supervisor = supervisor
        profile.save(update_fields=["supervisor"])
        w.accepted_match(w.participant(programme), profile)
    with travel(1):
        scan()
    found = {i.role: i.assignee_id for i in WorkItem.objects.filter(rule__playbook=playbook)}
    assert found == {
        Role.PEER: profile.person.user_id,
        Role.SUPERVISOR: supervisor.pk,
        Role.COORDINATOR: None,
    }


def test_a_message_without_email_consent_is_not_sent_and_says_why(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    programme = w.quiet_programme()
    with travel(0):
        playbook = w.playbook_with(
            programme,
            w.hello_rule(offset_days=2),
        )
        agreed = w.participant(programme, email="agreed@example.org", consent_email=True)
        refused = w.participant(programme, email="refused@example.org")
        silent = w.participant(programme, consent_email=True)  # no address at all
        for enrolment in (agreed, refused, silent):
            w.accepted_match(enrolment, w.peer(programme))
    mail.outbox.clear()
    with travel(2), django_capture_on_commit_callbacks(execute=True):
        result = scan()
    rule = playbook.rules.get()
    by_enrolment = {i.enrolment_id: i for i in items(rule)}
    assert by_enrolment[agreed.pk].status == WorkItem.Status.SENT
    assert by_enrolment[refused.pk].status == WorkItem.Status.FAILED
    assert by_enrolment[refused.pk].outcome == {"reason": "no consent"}
    assert by_enrolment[silent.pk].outcome == {"reason": "no address"}
    # The scan queues all three; the worker reads consent and addresses as it queues.
    assert result.messages_queued == 3 and result.messages_failed == 0
    with travel(2):
        w.deliver()
    emails = ["agreed@example.org", "refused@example.org"]
    [sent] = w.mail_to(*emails)
    assert sent.to == ["agreed@example.org"]
    assert "Hello from your programme." not in sent.body  # the text stays in PeerBridge
    assert "new message for you" in sent.body
    assert "Example" not in sent.subject  # no name in the subject


def test_in_app_alone_reaches_the_team_but_not_a_participant(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    from peerbridge.core.models import User
    from peerbridge.followups.models import Recipient

    programme = w.quiet_programme()
    with travel(0):
        to_participant = w.hello_rule(offset_days=1)
        to_peer = Rule(
            title="Call them",
            event=Event.MATCH_ACCEPTED,
            offset_days=1,
            action=Action.MESSAGE,
            recipient=Recipient.PEER,
            message="Please call this week.",
        )
        playbook = w.playbook_with(programme, to_participant, to_peer)
        enrolment = w.participant(programme)  # no email consent
        person = enrolment.person
        person.user = User.objects.create_user(email=f"login-{person.pk}@example.org")
        person.save(update_fields=["user"])
        profile = w.peer(programme)
        peer_user = profile.person.user
        assert peer_user is not None
        peer_user.email = ""  # the peer has no address: PeerBridge itself still reaches them
        peer_user.save(update_fields=["email"])
        w.accepted_match(enrolment, profile)
    with travel(1), django_capture_on_commit_callbacks(execute=True):
        scan()
    participant_rule, peer_rule = playbook.rules.order_by("position")
    [to_them] = items(participant_rule)
    assert to_them.status == WorkItem.Status.FAILED and to_them.outcome == {"reason": "no consent"}
    assert not Notification.objects.filter(dedupe_key=f"followups:item:{to_them.pk}").exists()
    [to_peer_item] = items(peer_rule)
    assert to_peer_item.status == WorkItem.Status.SENT
    [in_app] = Notification.objects.filter(dedupe_key=f"followups:item:{to_peer_item.pk}")
    assert in_app.channel == "in_app" and in_app.body == "Please call this week."
    assert in_app.link == "/matching/my/"


def test_consent_withdrawn_before_the_worker_sends_stops_the_email(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    programme = w.quiet_programme()
    with travel(0):
        playbook = w.playbook_with(
            programme,
            w.hello_rule(offset_days=0),
        )
        enrolment = w.participant(programme, email="later@example.org", consent_email=True)
        w.accepted_match(enrolment, w.peer(programme))
    mail.outbox.clear()
    with travel(1), django_capture_on_commit_callbacks(execute=False) as queued:
        scan()
    consent_withdraw(
        person=enrolment.person,
        programme=programme,
        scopes=[ConsentScope.CONTACT_EMAIL],
        reason="Asked by phone",
        recorded_by=None,
    )
    for callback in queued:
        callback()
    [item] = items(playbook.rules.get())
    assert item.status == WorkItem.Status.FAILED and item.outcome["reason"] == "no consent"
    w.deliver()
    assert w.mail_to("later@example.org") == []
    assert not Notification.objects.filter(dedupe_key=f"followups:item:{item.pk}").exists()


def test_preset_messages_carry_no_health_details() -> None:
    messages = [r.message for p in PRESETS.values() for r in p.rules if r.message]
    assert messages, "a preset sends a message"
    for message in messages:
        lowered = message.lower()
        assert not [word for word in HEALTH_WORDS if word in lowered], message
        assert "{" not in message and "%(" not in message  # nothing filled in from records


def test_applying_a_playbook_does_not_reach_back_to_old_matches(db: None) -> None:
    programme = w.quiet_programme()
    with travel(0):
        old = w.new_match(programme)
    with travel(60):
        playbook = preset_apply(programme=programme, key="parent_to_parent", actor=None)
        scan()
    assert not WorkItem.objects.filter(rule__playbook=playbook, match=old).exists()


def test_a_switched_off_playbook_makes_nothing(parents: Any) -> None:
    playbook = parents["check"].playbook
    playbook.is_active = False
    playbook.save()
    with travel(10):
        scan()
    assert items(parents["check"]) == []


def test_the_scan_reads_a_fixed_number_of_queries_per_rule(db: None) -> None:
    programme = w.quiet_programme()
    support_settings(programme)  # made on first read: not part of the comparison
    with travel(0):
        preset_apply(programme=programme, key="before_discharge", actor=None)
        for _ in range(2):
            w.new_match(programme)
    with travel(8), CaptureQueriesContext(connection) as few:
        scan()
    with travel(0):
        for _ in range(6):
            w.new_match(programme)
    with travel(15), CaptureQueriesContext(connection) as many:
        scan()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_preset_apply_is_idempotent_and_refuses_unknown_presets(db: None) -> None:
    programme = w.quiet_programme()
    first = preset_apply(programme=programme, key="parent_to_parent", actor=None)
    second = preset_apply(programme=programme, key="parent_to_parent", actor=None)
    assert first.pk == second.pk and first.rules.count() == 5
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        preset_apply(programme=programme, key="no-such-preset", actor=None)
    assert "preset" in refused.value.message_dict


def test_the_scan_keeps_a_check_in_link_already_passed_on(db: None) -> None:
    from peerbridge.matching.check_ins import check_in_answer, check_in_open

    programme = w.quiet_programme()
    with travel(0):
        playbook = w.playbook_with(programme, w.check_rule())
        match = w.new_match(programme)
        _row, token = check_in_open(match, side="participant", actor=None)
    with travel(8):
        result = scan()
        check_in_answer(token=token, comfortable=True, wants_change=False, comment="")
    assert WorkItem.objects.filter(rule__playbook=playbook, match=match).count() == 1
    assert result.check_ins_opened == 1  # the peer's side; the participant's was open
    assert MatchCheckIn.objects.filter(match=match).count() == 2


def test_check_ins_are_started_in_a_fixed_number_of_queries(db: None) -> None:
    programme = w.quiet_programme()
    with travel(0):
        w.playbook_with(programme, w.check_rule())
        for _ in range(2):
            w.new_match(programme)
    with travel(8), CaptureQueriesContext(connection) as few:
        scan()
    with travel(0):
        for _ in range(6):
            w.new_match(programme)
    with travel(9), CaptureQueriesContext(connection) as many:
        result = scan()
    assert result.check_ins_opened == 12
    assert len(many.captured_queries) == len(few.captured_queries)
