"""Group sessions: a course's sessions generated weekly or fortnightly, added one by
one, moved and cancelled with calendar invitations and notices that name no group;
recording attendance and notes; and the attendance report, which must match the
Attendance rows."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from peerbridge.notifications.models import Channel, Notification
from peerbridge.support import group_sessions, groups
from peerbridge.support.group_selectors import attendance_report
from peerbridge.support.models import Attendance, GroupMember, GroupSession
from tests.conftest import World
from tests.support.world_groups import (
    fill,
    future_sessions,
    make_group,
    past_sessions,
    record,
    running_group,
    user_of,
)

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.get_default_timezone())


def _errors(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


def _invitations(**filters: Any) -> list[Notification]:
    return list(Notification.objects.filter(kind="support_group_session", **filters))


# ---------------------------------------------------------------------------------------
# Scheduling


@time_machine.travel(NOON, tick=False)
@pytest.mark.parametrize(("rhythm", "days"), [("weekly", 7), ("fortnightly", 14)])
def test_a_course_gets_its_sessions_from_the_first_date(
    world: World, rhythm: str, days: int
) -> None:
    group = make_group(world.programme_a, session_count=6, completion_sessions=4)
    first = NOON + timedelta(days=1, hours=6)
    sessions = group_sessions.sessions_generate(
        group=group, actor=None, first_starts_at=first, rhythm=rhythm
    )
    assert [s.number for s in sessions] == [1, 2, 3, 4, 5, 6]
    starts = [timezone.localtime(s.starts_at) for s in sessions]
    assert starts[0] == first
    assert {(b - a).days for a, b in zip(starts, starts[1:], strict=False)} == {days}
    assert {(s.hour, s.minute) for s in starts} == {(18, 0)}


def test_a_course_never_gets_more_than_its_sessions(world: World) -> None:
    group = make_group(world.programme_a, session_count=4, completion_sessions=4)
    future_sessions(group, 3)
    with pytest.raises(ValidationError) as error:
        future_sessions(group, 2)
    assert "count" in _errors(error)
    extra = group_sessions.session_add(
        group=group, actor=None, starts_at=timezone.now() + timedelta(days=40)
    )
    assert extra.number == 4
    with pytest.raises(ValidationError):
        group_sessions.session_add(
            group=group, actor=None, starts_at=timezone.now() + timedelta(days=50)
        )
    group_sessions.session_cancel(session=extra, actor=None)
    replacement = group_sessions.session_add(
        group=group, actor=None, starts_at=timezone.now() + timedelta(days=50)
    )
    assert replacement.number == 5  # numbers are never reused


def test_a_mutual_support_group_needs_a_count_to_generate(world: World) -> None:
    group = make_group(
        world.programme_a, kind="mutual_support", session_count=None, completion_sessions=None
    )
    with pytest.raises(ValidationError) as error:
        group_sessions.sessions_generate(
            group=group, actor=None, first_starts_at=timezone.now(), rhythm="weekly"
        )
    assert "count" in _errors(error)
    assert len(future_sessions(group, 10)) == 10


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"rhythm": "daily"}, "rhythm"),
        ({"count": 0}, "count"),
        ({"count": 201}, "count"),
        ({"count": "3"}, "count"),
        ({"count": True}, "count"),
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"first_starts_at": "tomorrow"}, "first_starts_at"),
        (
            {"first_starts_at": datetime(1999, 1, 1, tzinfo=timezone.get_default_timezone())},
            "first_starts_at",
        ),
    ],
)
def test_generating_checks_its_inputs(world: World, arguments: dict[str, Any], field: str) -> None:
    group = make_group(world.programme_a)
    values: dict[str, Any] = {
        "first_starts_at": timezone.now() + timedelta(days=1),
        "rhythm": "weekly",
        "count": 2,
    }
    values.update(arguments)
    with pytest.raises(ValidationError) as error:
        group_sessions.sessions_generate(group=group, actor=None, **values)
    assert field in _errors(error)
    assert not GroupSession.objects.filter(group=group).exists()


# ---------------------------------------------------------------------------------------
# Invitations


def test_members_and_facilitators_are_invited_without_the_group_name(world: World) -> None:
    group = running_group(world.programme_a, name="Heroin recovery circle", capacity=2)
    placed = fill(group, 3)  # two places, one waiting
    (session,) = future_sessions(group, 1)
    invited = _invitations(dedupe_key__startswith=f"gs:{session.pk}:")
    people = {n.person_id for n in invited}
    assert people >= {m.enrolment.person_id for m in placed[:2]}
    assert placed[2].enrolment.person_id not in people  # waiting: not invited
    facilitator = group.facilitators.get()
    assert facilitator.profile is not None
    assert facilitator.profile.person_id in people
    for message in invited:
        if message.channel in (Channel.EMAIL, Channel.SMS):
            assert "Heroin" not in message.subject + message.body
            assert "group session" in (message.subject + message.body).lower()
        if message.channel == Channel.EMAIL:
            assert "BEGIN:VEVENT" in message.calendar
            assert "Heroin" not in message.calendar
            assert f"group-session-{session.pk}@peerbridge" in message.calendar
    in_app = [n for n in invited if n.channel == Channel.IN_APP]
    assert in_app and all("Heroin recovery circle" in n.body for n in in_app)


def test_moving_a_session_sends_a_new_time_once(world: World) -> None:
    group = running_group(world.programme_a, capacity=2)
    fill(group, 2)
    (session,) = future_sessions(group, 1)
    mine = {"dedupe_key__startswith": f"gs:{session.pk}:"}
    before = len(_invitations(**mine))
    later = session.starts_at + timedelta(days=1)
    group_sessions.session_reschedule(session=session, actor=None, starts_at=later)
    moved = len(_invitations(**mine)) - before
    assert moved == before > 0  # everyone once more
    group_sessions.session_reschedule(session=session, actor=None, starts_at=later)
    group_sessions.session_reschedule(session=session, actor=None, topic="Sleep")
    assert len(_invitations(**mine)) - before == moved  # same time again, or only the topic
    emails = _invitations(channel=Channel.EMAIL, **mine)
    assert any("moved" in n.subject for n in emails)


def test_cancelling_a_session_tells_everyone(world: World) -> None:
    group = running_group(world.programme_a, capacity=2)
    members = fill(group, 2)
    (session,) = future_sessions(group, 1)
    group_sessions.session_cancel(session=session, actor=None)
    told = Notification.objects.filter(
        kind="support_group_session_cancelled", dedupe_key__startswith=f"gsc:{session.pk}:"
    )
    assert {m.enrolment.person_id for m in members} <= set(told.values_list("person", flat=True))
    with pytest.raises(ValidationError):
        group_sessions.session_cancel(session=session, actor=None)
    with pytest.raises(ValidationError) as error:
        group_sessions.session_reschedule(
            session=session, actor=None, starts_at=timezone.now() + timedelta(days=9)
        )
    assert "starts_at" in _errors(error)


def test_a_member_promoted_from_the_list_is_invited_to_the_sessions_ahead(world: World) -> None:
    group = running_group(world.programme_a, capacity=1)
    first, second = fill(group, 2)
    future_sessions(group, 3)
    assert not _invitations(person=second.enrolment.person)
    groups.member_leave(member=first, actor=None)
    assert len({n.dedupe_key for n in _invitations(person=second.enrolment.person)}) == 3


# ---------------------------------------------------------------------------------------
# Recording


def test_recording_marks_the_session_held_with_encrypted_notes(world: World) -> None:
    group = running_group(world.programme_a, capacity=2)
    one, two = fill(group, 2)
    (session,) = past_sessions(group, 1)
    record(session, {one: "present", two: "excused"}, notes="Talked about sleep.")
    session.refresh_from_db()
    assert session.status == GroupSession.Status.HELD
    assert session.notes == "Talked about sleep."
    assert session.recorded_at is not None
    marks = dict(Attendance.objects.filter(session=session).values_list("member_id", "status"))
    assert marks == {one.pk: "present", two.pk: "excused"}
    record(session, {two: "present"})  # a correction
    assert Attendance.objects.get(session=session, member=two).status == "present"
    assert Attendance.objects.filter(session=session).count() == 2


def test_a_session_is_recorded_only_once_started_running_and_not_cancelled(world: World) -> None:
    group = running_group(world.programme_a, capacity=2)
    (member,) = fill(group, 1)
    (ahead,) = future_sessions(group, 1)
    with pytest.raises(ValidationError):
        record(ahead, {member: "present"})
    (past,) = past_sessions(group, 1)
    planned = make_group(world.programme_a, name="Not started")
    (not_started,) = past_sessions(planned, 1)
    with pytest.raises(ValidationError):
        record(not_started, {})
    group_sessions.session_cancel(session=ahead, actor=None)
    assert record(past, {member: "absent"}).status == "held"


@pytest.mark.parametrize(
    "attendance",
    [
        {"999999999": "present"},
        {"not-a-number": "present"},
        {"MEMBER": "late"},
        {"MEMBER": None},
        ["present"],
    ],
)
def test_recording_refuses_unknown_members_and_statuses(world: World, attendance: Any) -> None:
    group = running_group(world.programme_a, capacity=2)
    (member,) = fill(group, 1)
    (session,) = past_sessions(group, 1)
    if isinstance(attendance, dict):
        attendance = {k.replace("MEMBER", str(member.pk)): v for k, v in attendance.items()}
    with pytest.raises(ValidationError) as error:
        group_sessions.session_record(session=session, actor=None, attendance=attendance, notes="")
    assert "attendance" in _errors(error)
    assert not Attendance.objects.filter(session=session).exists()


def test_a_member_of_another_group_cannot_be_marked(world: World) -> None:
    group = running_group(world.programme_a, capacity=2)
    other = running_group(world.programme_a, name="Other", capacity=2)
    (stranger,) = fill(other, 1)
    (session,) = past_sessions(group, 1)
    with pytest.raises(ValidationError):
        record(session, {stranger: "present"})


# ---------------------------------------------------------------------------------------
# The report


def test_the_attendance_report_matches_the_records(world: World) -> None:
    group = running_group(world.programme_a, capacity=4, session_count=5, completion_sessions=3)
    members = fill(group, 5)  # four places, one waiting
    sessions = past_sessions(group, 5)
    pattern = ["present", "absent", "excused", "present", "present", "absent"]
    for s_index, session in enumerate(sessions[:4]):
        marks = {
            member: pattern[(s_index + m_index) % len(pattern)]
            for m_index, member in enumerate(members[:4])
        }
        record(session, marks)
    groups.member_leave(member=members[3], actor=None)  # the waiting one takes the place

    report = attendance_report(group)

    rows = Attendance.objects.filter(session__group=group)
    per_session = Counter((a.session_id, a.status) for a in rows)
    per_member = Counter((a.member_id, a.status) for a in rows)
    assert [t.session.pk for t in report.totals] == [s.pk for s in sessions]
    for total in report.totals:
        for status in ("present", "absent", "excused"):
            assert getattr(total, status) == per_session[(total.session.pk, status)]
    shown = {row.member.pk: row for row in report.rows}
    assert set(shown) == {m.pk for m in members}  # the leaver keeps their record
    for member_id, row in shown.items():
        for status in ("present", "absent", "excused"):
            assert getattr(row, status) == per_member[(member_id, status)]
        marks = {number: mark for number, mark in row.cells if mark}
        assert len(marks) == rows.filter(member_id=member_id).count()
        left = GroupMember.objects.get(pk=member_id).status == "left"
        assert row.completes == (not left and per_member[(member_id, "present")] >= 3)
    assert report.present_total == rows.filter(status="present").count()
    assert report.completed_count == sum(1 for row in report.rows if row.completes)


def test_cancelled_sessions_are_not_columns_of_the_report(world: World) -> None:
    group = running_group(world.programme_a, capacity=2)
    fill(group, 1)
    sessions = future_sessions(group, 3)
    group_sessions.session_cancel(session=sessions[1], actor=user_of("coordinator"))
    report = attendance_report(group)
    assert [t.session.number for t in report.totals] == [1, 3]
