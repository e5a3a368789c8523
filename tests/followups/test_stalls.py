"""Stalls through the playbooks: a match under way with no contact for longer than the
programme's cadence plus its grace days makes one work item per stall, however often
the scan runs; a contact since closes it; a later stall makes a new one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerbridge.followups.models import Action, Event, Role, Rule, WorkItem
from peerbridge.followups.presets import preset_apply
from peerbridge.followups.scan import scan
from peerbridge.followups.subjects import stall_subject
from peerbridge.matching import lifecycle
from peerbridge.matching.models import EndReason
from peerbridge.support.configuration import support_settings, support_settings_update
from tests.followups import world as w

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday morning
# The fresh programme's cadence is 14 days; the default grace is 3: stalled on day 17.
STALL_DAY = 17


def travel(day: int, hour: int = 10) -> Any:
    return time_machine.travel(w.moment(day, hour, start=START), tick=False)


def stall_rule(*, offset_days: int = 0, role: str = Role.PEER) -> Rule:
    return Rule(
        title="Get back in touch",
        event=Event.STALLED,
        offset_days=offset_days,
        window_days=3,
        action=Action.WORK_ITEM,
        role=role,
    )


def items(rule: Rule) -> list[WorkItem]:
    return list(WorkItem.objects.filter(rule=rule).order_by("created_at", "pk"))


def day_of(day: int) -> Any:
    return timezone.localdate(w.moment(day, start=START))


@pytest.fixture
def stalling(db: None) -> Any:
    """A quiet programme with a stall rule for the peer, and a match whose first contact
    was confirmed on day 0 (no contact logged since)."""
    programme = w.quiet_programme()
    support_settings(programme)
    with travel(0):
        playbook = w.playbook_with(programme, stall_rule())
        match = w.under_way(programme)
    return {"programme": programme, "rule": playbook.rules.get(), "match": match}


def test_a_stalled_match_produces_one_work_item_not_one_per_scan(stalling: Any) -> None:
    rule, match = stalling["rule"], stalling["match"]
    for day in range(STALL_DAY):
        with travel(day):
            scan()
    assert items(rule) == []  # within the cadence and grace: not stalled yet
    for day in range(STALL_DAY, STALL_DAY + 5):  # five scans over five days
        with travel(day):
            scan()
    [item] = items(rule)
    assert item.subject == stall_subject(match.pk, day_of(0)) == f"match:{match.pk}:stall:20260302"
    assert item.match_id == match.pk and item.enrolment_id == match.enrolment_id
    assert item.due_on == day_of(STALL_DAY) and item.overdue_on == day_of(STALL_DAY + 3)
    assert item.role == Role.PEER and item.assignee_id == match.profile.person.user_id
    assert item.status == WorkItem.Status.OPEN


def test_a_contact_since_closes_the_item_and_a_later_stall_makes_a_second(stalling: Any) -> None:
    rule, match = stalling["rule"], stalling["match"]
    with travel(STALL_DAY):
        scan()
    [first] = items(rule)
    with travel(20):
        w.contact(match)
        result = scan()
    first.refresh_from_db()
    assert first.status == WorkItem.Status.CANCELLED  # "No longer needed"
    assert first.completed_at is not None and result.retired == 1
    with travel(20 + STALL_DAY - 1):
        scan()
    assert len(items(rule)) == 1  # the new silence is not long enough yet
    with travel(20 + STALL_DAY):
        scan()
        scan()
    first_again, second = items(rule)
    assert first_again.pk == first.pk
    assert second.subject == stall_subject(match.pk, day_of(20))
    assert second.due_on == day_of(20 + STALL_DAY) and second.status == WorkItem.Status.OPEN


def test_attempts_keep_a_match_from_stalling_only_when_the_programme_says_so(
    stalling: Any,
) -> None:
    rule, match, programme = stalling["rule"], stalling["match"], stalling["programme"]
    with travel(10):
        w.contact(match, connected=False)
    with travel(STALL_DAY):
        scan()
    [item] = items(rule)
    assert item.subject == stall_subject(match.pk, day_of(0))
    support_settings_update(
        programme=programme, actor=None, changes={"count_attempts_as_contact": True}
    )
    with travel(STALL_DAY + 1):
        scan()
    item.refresh_from_db()
    assert item.status == WorkItem.Status.CANCELLED  # the attempt on day 10 now counts
    with travel(10 + STALL_DAY):
        scan()
    assert [i.subject for i in items(rule)][-1] == stall_subject(match.pk, day_of(10))


def test_the_grace_days_come_from_the_support_settings(stalling: Any) -> None:
    rule, programme = stalling["rule"], stalling["programme"]
    support_settings_update(programme=programme, actor=None, changes={"stall_grace_days": 10})
    with travel(STALL_DAY):
        scan()
    assert items(rule) == []
    with travel(14 + 10):
        scan()
    assert len(items(rule)) == 1


def test_only_matches_under_way_stall_and_an_ended_match_closes_its_item(db: None) -> None:
    programme = w.quiet_programme()
    with travel(0):
        playbook = w.playbook_with(programme, stall_rule())
        waiting_for_first_call = w.new_match(programme)
        ending = w.under_way(programme)
    rule = playbook.rules.get()
    with travel(STALL_DAY + 10):
        scan()
    [item] = items(rule)
    assert item.match_id == ending.pk  # an accepted match is chased by other rules
    assert waiting_for_first_call.pk not in {i.match_id for i in items(rule)}
    with travel(STALL_DAY + 11):
        lifecycle.match_end(ending, reason=EndReason.PEER_UNAVAILABLE, note="", actor=None)
        scan()
    item.refresh_from_db()
    assert item.status == WorkItem.Status.CANCELLED
    assert len(items(rule)) == 1


def test_the_coordinator_hears_a_week_later_only_if_still_stalled(db: None) -> None:
    programme = w.quiet_programme()
    with travel(0):
        playbook = preset_apply(programme=programme, key="parent_to_parent", actor=None)
        quiet, resumed = w.under_way(programme), w.under_way(programme)
    peer_rule, coordinator_rule = playbook.rules.filter(event=Event.STALLED).order_by("position")
    with travel(STALL_DAY):
        scan()
    assert {i.match_id for i in items(peer_rule)} == {quiet.pk, resumed.pk}
    assert items(coordinator_rule) == []
    with travel(STALL_DAY + 2):
        w.contact(resumed)
    for day in range(STALL_DAY + 2, STALL_DAY + 9):
        with travel(day):
            scan()
    [for_coordinator] = items(coordinator_rule)
    assert for_coordinator.match_id == quiet.pk and for_coordinator.assignee_id is None
    assert for_coordinator.due_on == day_of(STALL_DAY + 7)
    statuses = {i.match_id: i.status for i in items(peer_rule)}
    assert statuses == {quiet.pk: WorkItem.Status.OPEN, resumed.pk: WorkItem.Status.CANCELLED}


def test_a_match_already_stalled_when_the_playbook_is_made_is_due_at_once(db: None) -> None:
    programme = w.quiet_programme()
    with travel(0):
        match = w.under_way(programme)
    with travel(60):
        playbook = w.playbook_with(programme, stall_rule())
        scan()
    [item] = items(playbook.rules.get())
    assert item.match_id == match.pk
    assert item.due_on == day_of(STALL_DAY)  # when it stalled: overdue, and shown so


def test_a_closed_item_is_not_reopened_and_a_done_one_stays_done(stalling: Any) -> None:
    rule = stalling["rule"]
    with travel(STALL_DAY):
        scan()
    [item] = items(rule)
    WorkItem.objects.filter(pk=item.pk).update(status=WorkItem.Status.DONE)
    with travel(STALL_DAY + 3):
        scan()
    item.refresh_from_db()
    assert item.status == WorkItem.Status.DONE and len(items(rule)) == 1


def test_the_stall_scan_reads_a_fixed_number_of_queries(db: None) -> None:
    programme = w.quiet_programme()
    support_settings(programme)
    with travel(0):
        w.playbook_with(programme, stall_rule(), stall_rule(offset_days=7, role=Role.COORDINATOR))
        w.under_way(programme)
    with travel(STALL_DAY):
        scan()  # one open stall item before each measured scan
    with travel(1):
        for _ in range(2):
            w.contact(w.under_way(programme))
    with travel(STALL_DAY + 1), CaptureQueriesContext(connection) as few:
        first = scan()
    with travel(2):
        for _ in range(12):
            w.contact(w.under_way(programme))
    with travel(STALL_DAY + 2), CaptureQueriesContext(connection) as many:
        second = scan()
    assert first.created == 2 and second.created == 12
    assert len(many.captured_queries) == len(few.captured_queries)


def test_stall_subjects_fit_the_column_for_any_id() -> None:
    longest = stall_subject(2**63 - 1, datetime(2026, 12, 31, tzinfo=UTC).date())
    assert len(longest) <= WorkItem._meta.get_field("subject").max_length  # type: ignore[operator]
