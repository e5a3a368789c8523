"""Group sessions: schedule them one by one or as a weekly or fortnightly run (a
course's N sessions from its first date), move or cancel them, and record a session as
held with its attendance and the facilitators' notes (kept encrypted).

Each change locks the group row first (see groups.py). Everyone in the group gets an
invitation when a session is scheduled or moved, and a notice when one is cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.core.models import User
from peerbridge.support import group_messages
from peerbridge.support.group_selectors import PLACED
from peerbridge.support.groups import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    cancel_locked_session,
    locked,
    refuse,
    require_open,
)
from peerbridge.support.models import Attendance, Group, GroupMember, GroupSession

G = Group.Status
SS = GroupSession.Status
NOTE_MAX = 5000
TOPIC_MAX = 200
RHYTHM_DAYS = {"weekly": 7, "fortnightly": 14}


def _clean_moment(value: Any, field: str = "starts_at") -> datetime:
    if not isinstance(value, datetime):
        raise refuse(field, _("Give a date and a time."))
    moment: datetime = value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise refuse(field, _("Give a date between 2000 and 2100."))
    return moment


def _clean_duration(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 5 <= value <= 600:
        raise refuse("duration_minutes", _("Give a length of 5 to 600 minutes."))
    return int(value)


def _clean_topic(value: Any) -> str:
    if not isinstance(value, str) or len(value.strip()) > TOPIC_MAX or "\x00" in value:
        raise refuse("topic", _("Give a topic of up to %(n)s characters.") % {"n": TOPIC_MAX})
    return str(value).strip()


def _live_sessions(group: Group) -> int:
    return GroupSession.objects.filter(group=group).exclude(status=SS.CANCELLED).count()


def _room_for(group: Group, wanted: int, field: str) -> None:
    if group.session_count and _live_sessions(group) + wanted > group.session_count:
        raise refuse(
            field,
            _("This group has %(n)s sessions; cancel one before adding another.")
            % {"n": group.session_count},
            "too_many_sessions",
        )


def _next_number(group: Group) -> int:
    highest = GroupSession.objects.filter(group=group).aggregate(n=Max("number"))["n"]
    return int(highest or 0) + 1


@transaction.atomic
def session_add(
    *,
    group: Group,
    actor: User | None,
    starts_at: Any,
    duration_minutes: Any = 90,
    topic: Any = "",
) -> GroupSession:
    """Schedule one more session and send everyone in the group an invitation."""
    group = locked(group)
    require_open(group, "starts_at")
    starts_at = _clean_moment(starts_at)
    duration = _clean_duration(duration_minutes)
    topic = _clean_topic(topic)
    _room_for(group, 1, "starts_at")
    session = GroupSession.objects.create(
        group=group,
        number=_next_number(group),
        starts_at=starts_at,
        duration_minutes=duration,
        topic=topic,
    )
    audit_instance(actor=actor, action=Action.CREATE, instance=session)
    group_messages.invite_everyone([session])
    return session


@transaction.atomic
def sessions_generate(
    *,
    group: Group,
    actor: User | None,
    first_starts_at: Any,
    rhythm: Any,
    count: Any = None,
    duration_minutes: Any = 90,
) -> list[GroupSession]:
    """Schedule a run of sessions from the first date, weekly or fortnightly at the same
    local time: by default the course's sessions still to plan."""
    group = locked(group)
    require_open(group, "first_starts_at")
    first = timezone.localtime(_clean_moment(first_starts_at, "first_starts_at"))
    if rhythm not in RHYTHM_DAYS:
        raise refuse("rhythm", _("Choose weekly or fortnightly."))
    duration = _clean_duration(duration_minutes)
    if count is None and group.session_count:
        count = group.session_count - _live_sessions(group)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 200:
        raise refuse("count", _("Give a number of sessions from 1 to 200."))
    _room_for(group, count, "count")
    number = _next_number(group)
    step = timedelta(days=RHYTHM_DAYS[rhythm])
    sessions = GroupSession.objects.bulk_create(
        [
            GroupSession(
                group=group,
                number=number + i,
                starts_at=_clean_moment(first + step * i, "count"),
                duration_minutes=duration,
            )
            for i in range(count)
        ]
    )
    if not all(s.pk for s in sessions):  # backends that do not return ids on bulk insert
        sessions = list(GroupSession.objects.filter(group=group, number__gte=number))
    audit_many(
        actor=actor,
        action=Action.CREATE,
        object_type="support.groupsession",
        object_ids=[s.pk for s in sessions],
    )
    for session in sessions:
        session.group = group
    group_messages.invite_everyone(sessions)
    return sessions


@transaction.atomic
def session_reschedule(
    *,
    session: GroupSession,
    actor: User | None,
    starts_at: Any = None,
    duration_minutes: Any = None,
    topic: Any = None,
) -> GroupSession:
    """Move a scheduled session or change its length or topic; a new time is sent to
    everyone as an updated invitation."""
    group = locked(session.group)
    session = GroupSession.objects.select_for_update().get(pk=session.pk)
    session.group = group
    require_open(group, "starts_at")
    if session.status != SS.SCHEDULED:
        raise refuse("starts_at", _("Only a scheduled session can be moved."), "not_scheduled")
    before = (session.starts_at, session.duration_minutes)
    if starts_at is not None:
        session.starts_at = _clean_moment(starts_at)
    if duration_minutes is not None:
        session.duration_minutes = _clean_duration(duration_minutes)
    if topic is not None:
        session.topic = _clean_topic(topic)
    session.save(update_fields=["starts_at", "duration_minutes", "topic"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=session)
    if (session.starts_at, session.duration_minutes) != before:
        group_messages.invite_everyone([session], moved=True)
    return session


@transaction.atomic
def session_cancel(*, session: GroupSession, actor: User | None) -> GroupSession:
    group = locked(session.group)
    session = GroupSession.objects.select_for_update().get(pk=session.pk)
    session.group = group
    if session.status != SS.SCHEDULED:
        raise refuse(
            NON_FIELD_ERRORS, _("Only a scheduled session can be cancelled."), "not_scheduled"
        )
    return cancel_locked_session(session, actor=actor)


# ---------------------------------------------------------------------------------------
# Recording a session: held, notes, attendance


@transaction.atomic
def session_record(
    *,
    session: GroupSession,
    actor: User | None,
    attendance: Mapping[Any, Any],
    notes: Any = None,
) -> GroupSession:
    """Record a session as held: who attended, was absent or sent apologies (members
    with a place, or already marked for it), and the facilitators' notes (kept
    encrypted). Recording again corrects the record."""
    group = locked(session.group)
    session = GroupSession.objects.select_for_update().get(pk=session.pk)
    session.group = group
    if group.status != G.RUNNING:
        raise refuse(NON_FIELD_ERRORS, _("Start the group before recording its sessions."))
    if session.status == SS.CANCELLED:
        raise refuse(NON_FIELD_ERRORS, _("This session was cancelled."), "cancelled")
    if session.starts_at > timezone.now():
        raise refuse(NON_FIELD_ERRORS, _("This session has not started yet."), "not_yet")
    marks = _clean_attendance(session, attendance)
    if notes is not None:
        if not isinstance(notes, str) or len(notes) > NOTE_MAX or "\x00" in notes:
            raise refuse("notes", _("Keep the notes under %(n)s characters.") % {"n": NOTE_MAX})
        session.notes = notes.strip()
    now = timezone.now()
    existing = {row.member_id: row for row in Attendance.objects.filter(session=session)}
    changed: list[Attendance] = []
    for member_id, status in marks.items():
        row = existing.get(member_id)
        if row is None:
            row = Attendance(session=session, member_id=member_id, status=status)
        elif row.status == status:
            continue
        row.status, row.recorded_by, row.recorded_at = status, actor, now
        row.save()
        changed.append(row)
    session.status = SS.HELD
    session.recorded_by = actor
    session.recorded_at = now
    session.save(update_fields=["status", "notes", "recorded_by", "recorded_at"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=session)
    audit_many(
        actor=actor,
        action=Action.UPDATE,
        object_type="support.attendance",
        object_ids=[row.pk for row in changed],
    )
    return session


def _clean_attendance(session: GroupSession, attendance: Mapping[Any, Any]) -> dict[int, str]:
    if not isinstance(attendance, Mapping):
        raise refuse("attendance", _("Give each member's attendance."))
    allowed = set(
        GroupMember.objects.filter(group=session.group, status__in=PLACED).values_list(
            "pk", flat=True
        )
    ) | set(Attendance.objects.filter(session=session).values_list("member_id", flat=True))
    statuses = set(Attendance.Status.values)
    marks: dict[int, str] = {}
    problems: list[str] = []
    for key, value in attendance.items():
        try:
            member_id = int(key)
        except (TypeError, ValueError):
            member_id = 0
        if member_id not in allowed:
            problems.append(_("%(id)s is not a member of this group.") % {"id": str(key)[:20]})
        elif value not in statuses:
            problems.append(_("Choose attended, absent or sent apologies for each member."))
        else:
            marks[member_id] = str(value)
    if problems:
        raise ValidationError({"attendance": sorted(set(problems))})
    return marks
