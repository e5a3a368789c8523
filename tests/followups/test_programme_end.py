"""The end of the programme through the playbooks: the programme's duration after the
first contact, the coordinator is asked to close the participant's time (summary, exit
questionnaire, thanks), unless that closure is recorded; a closure recorded after the
item was made closes it as done at the next scan."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from peerbridge.followups.models import Action, Event, Role, Rule, Unless, WorkItem
from peerbridge.followups.presets import PRESETS, preset_apply
from peerbridge.followups.scan import scan
from peerbridge.matching import lifecycle
from peerbridge.matching.models import EndReason
from peerbridge.support.closure import closure_record
from tests.followups import world as w

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
WEEKS = 12
END_DAY = WEEKS * 7


def travel(day: int, hour: int = 10) -> Any:
    return time_machine.travel(w.moment(day, hour, start=START), tick=False)


def day_of(day: int) -> Any:
    return timezone.localdate(w.moment(day, start=START))


def closure_rule() -> Rule:
    return Rule(
        title="Close: summary, exit questionnaire, thanks",
        event=Event.PROGRAMME_END,
        offset_days=0,
        window_days=14,
        action=Action.WORK_ITEM,
        role=Role.COORDINATOR,
        unless=Unless.CLOSED,
    )


def items(rule: Rule) -> list[WorkItem]:
    return list(WorkItem.objects.filter(rule=rule).order_by("pk"))


def close(match: Any, *, actor: Any = None) -> None:
    closure_record(
        enrolment=match.enrolment,
        actor=actor,
        summary="Twelve weeks of calls.",
        exit_questionnaire="not_used",
        send_thanks=False,
    )


@pytest.fixture
def ending(db: None) -> Any:
    """A twelve-week programme with the closure rule, and a match whose first contact
    was on day 0."""
    programme = w.quiet_programme()
    programme.duration_weeks = WEEKS
    programme.save(update_fields=["duration_weeks"])
    with travel(0):
        playbook = w.playbook_with(programme, closure_rule())
        match = w.under_way(programme)
    return {"programme": programme, "rule": playbook.rules.get(), "match": match}


def test_the_closure_item_appears_once_at_the_end_of_the_duration(ending: Any) -> None:
    rule, match = ending["rule"], ending["match"]
    with travel(END_DAY - 1):
        scan()
    assert items(rule) == []
    for day in range(END_DAY, END_DAY + 4):
        with travel(day):
            scan()
    [item] = items(rule)
    assert item.subject == f"match:{match.pk}" and item.match_id == match.pk
    assert item.title == "Close: summary, exit questionnaire, thanks"
    assert item.due_on == day_of(END_DAY) and item.overdue_on == day_of(END_DAY + 14)
    assert item.role == Role.COORDINATOR and item.assignee_id is None


def test_a_closure_recorded_first_means_no_item(ending: Any) -> None:
    with travel(END_DAY - 3):
        close(ending["match"])
    with travel(END_DAY + 1):
        scan()
    assert items(ending["rule"]) == []


def test_a_closure_after_the_item_closes_it_as_done_at_the_next_scan(ending: Any) -> None:
    coordinator = w.staff("coordinator.a")
    with travel(END_DAY):
        scan()
    [item] = items(ending["rule"])
    with travel(END_DAY + 2):
        close(ending["match"], actor=coordinator)
    item.refresh_from_db()
    assert item.status == WorkItem.Status.OPEN  # support never reaches up to followups
    with travel(END_DAY + 3):
        result = scan()
    item.refresh_from_db()
    assert item.status == WorkItem.Status.DONE and result.retired == 1
    assert item.completed_by_id == coordinator.pk
    assert timezone.localdate(item.completed_at) == day_of(END_DAY + 2)


def test_a_match_ended_early_has_no_programme_end(ending: Any) -> None:
    with travel(END_DAY):
        scan()
    [item] = items(ending["rule"])
    with travel(END_DAY + 1):
        lifecycle.match_end(ending["match"], reason=EndReason.PEER_UNAVAILABLE, note="", actor=None)
        scan()
    item.refresh_from_db()
    assert item.status == WorkItem.Status.CANCELLED


def test_a_programme_without_a_duration_has_no_end(db: None) -> None:
    programme = w.quiet_programme()
    assert programme.duration_weeks is None
    with travel(0):
        playbook = w.playbook_with(programme, closure_rule())
        w.under_way(programme)
    with travel(400):
        scan()
    assert items(playbook.rules.get()) == []


def test_closure_cancels_the_open_stall_item_of_the_match(ending: Any) -> None:
    programme, match = ending["programme"], ending["match"]
    with travel(0):
        stall = w.playbook_with(
            programme,
            Rule(
                title="Get back in touch",
                event=Event.STALLED,
                offset_days=0,
                action=Action.WORK_ITEM,
                role=Role.PEER,
            ),
            name="Stalls",
        ).rules.get()
    with travel(30):
        scan()
    [stalled] = items(stall)
    with travel(31):
        close(match)
        scan()
    stalled.refresh_from_db()
    assert stalled.status == WorkItem.Status.CANCELLED


def test_every_preset_watches_stalls_and_closes_at_the_end(db: None) -> None:
    for spec in (spec for spec in PRESETS.values() if spec.pathway):
        events = [(r.event, r.role, r.offset_days) for r in spec.rules]
        assert (Event.STALLED, Role.PEER, 0) in events, spec.key
        assert (Event.STALLED, Role.COORDINATOR, 7) in events, spec.key
        [closing] = [r for r in spec.rules if r.event == Event.PROGRAMME_END]
        assert closing.unless == Unless.CLOSED and closing.role == Role.COORDINATOR


def test_a_preset_applied_makes_the_closure_item(ending: Any) -> None:
    programme, match = ending["programme"], ending["match"]
    with travel(1):
        playbook = preset_apply(programme=programme, key="crisis_transition", actor=None)
    with travel(END_DAY):
        scan()
    made = WorkItem.objects.filter(rule__playbook=playbook, rule__event=Event.PROGRAMME_END)
    assert [item.match_id for item in made] == [match.pk]


def test_any_rule_unless_closed_skips_and_retires_closed_participants(ending: Any) -> None:
    programme, match = ending["programme"], ending["match"]
    with travel(0):
        weekly = w.playbook_with(
            programme,
            Rule(
                title="Weekly call",
                event=Event.FIRST_CONTACT,
                offset_days=7,
                repeat_every_days=7,
                repeat_times=4,
                action=Action.WORK_ITEM,
                role=Role.PEER,
                unless=Unless.CLOSED,
            ),
            name="Weekly",
        ).rules.get()
    with travel(8):
        scan()
    [first] = items(weekly)
    with travel(9):
        close(match)
    with travel(30):
        scan()
    first.refresh_from_db()
    assert first.status == WorkItem.Status.CANCELLED
    assert items(weekly) == [first]  # no more calls for a closed participant
