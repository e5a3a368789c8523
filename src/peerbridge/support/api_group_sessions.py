"""API for a group's sessions (mounted by support/api_groups.py): scheduling, moving
and cancelling them, each session's attendance and notes, and the attendance report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from peerbridge.api.values import plain
from peerbridge.core.access import acting_user, api_policy
from peerbridge.core.audit import Action, audit_instance
from peerbridge.support import group_sessions, policies
from peerbridge.support.api_group_fields import Count, Minutes, Moment
from peerbridge.support.group_selectors import (
    access_group,
    access_group_session,
    attendance_report,
    audit_members,
    sessions_of,
)
from peerbridge.support.models import Attendance, GroupSession

router = Router(tags=["groups"])


# ---------------------------------------------------------------------------------------
# Shapes


class SessionIn(Schema):
    starts_at: Moment
    duration_minutes: Minutes = 90
    topic: Annotated[str, Field(max_length=group_sessions.TOPIC_MAX)] = ""


class SessionPatch(Schema):
    starts_at: Moment | None = None
    duration_minutes: Minutes | None = None
    topic: Annotated[str, Field(max_length=group_sessions.TOPIC_MAX)] | None = None


class GenerateIn(Schema):
    first_starts_at: Moment
    rhythm: Annotated[str, Field(pattern="^(weekly|fortnightly)$")]
    count: Count | None = Field(None, description="Empty for a course: the sessions left.")
    duration_minutes: Minutes = 90


class SessionOut(Schema):
    id: int
    number: int
    topic: str
    starts_at: datetime
    duration_minutes: int
    status: str
    recorded_at: datetime | None
    recorded_by_id: int | None


class Mark(Schema):
    member_id: int
    status: str


class AttendanceIn(Schema):
    attendance: Annotated[dict[str, Attendance.Status], Field(max_length=500)] = Field(
        ..., description="Member id -> present, absent or excused."
    )
    notes: Annotated[str, Field(max_length=group_sessions.NOTE_MAX)] | None = None


class AttendanceOut(Schema):
    session: SessionOut
    notes: str
    attendance: list[Mark]


class ReportSession(Schema):
    number: int
    starts_at: datetime
    present: int
    absent: int
    excused: int


class ReportMember(Schema):
    member_id: int
    enrolment_id: int
    name: str
    status: str
    marks: dict[str, str] = Field(description="Session number -> status; missing: not recorded.")
    present: int
    absent: int
    excused: int
    completes: bool


class ReportOut(Schema):
    group_id: int
    completion_sessions: int | None
    completed_count: int
    sessions: list[ReportSession]
    members: list[ReportMember]


def _session(row: GroupSession) -> dict[str, Any]:
    return {name: getattr(row, name) for name in SessionOut.model_fields}


# ---------------------------------------------------------------------------------------
# Sessions and attendance


@router.get("/groups/{group_id}/sessions", response=list[SessionOut])
@api_policy(policies.GROUP_VIEW)
def list_sessions(request: HttpRequest, group_id: int) -> list[dict[str, Any]]:
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_VIEW)
    return [_session(row) for row in sessions_of(group)]


@router.post("/groups/{group_id}/sessions", response={201: SessionOut})
@api_policy(policies.GROUP_RUN)
def add_session(request: HttpRequest, group_id: int, payload: SessionIn) -> Status[dict[str, Any]]:
    """Schedule one session; everyone in the group gets a calendar invitation."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RUN)
    row = group_sessions.session_add(
        group=group, actor=acting_user(request), **payload.model_dump()
    )
    return Status(201, _session(row))


@router.post("/groups/{group_id}/sessions/generate", response={201: list[SessionOut]})
@api_policy(policies.GROUP_RUN)
def generate_sessions(
    request: HttpRequest, group_id: int, payload: GenerateIn
) -> Status[list[dict[str, Any]]]:
    """Schedule a weekly or fortnightly run of sessions from the first one."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RUN)
    rows = group_sessions.sessions_generate(
        group=group, actor=acting_user(request), **payload.model_dump()
    )
    return Status(201, [_session(row) for row in rows])


@router.patch("/groups/{group_id}/sessions/{session_number}", response=SessionOut)
@api_policy(policies.GROUP_RUN)
def move_session(
    request: HttpRequest, group_id: int, session_number: int, payload: SessionPatch
) -> dict[str, Any]:
    """Move a scheduled session or change its length or topic; a new time is sent to
    everyone."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RUN)
    row = access_group_session(group=group, number=session_number)
    row = group_sessions.session_reschedule(
        session=row, actor=acting_user(request), **payload.model_dump(exclude_unset=True)
    )
    return _session(row)


@router.post("/groups/{group_id}/sessions/{session_number}/cancel", response=SessionOut)
@api_policy(policies.GROUP_RUN)
def cancel_session(request: HttpRequest, group_id: int, session_number: int) -> dict[str, Any]:
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RUN)
    row = access_group_session(group=group, number=session_number)
    return _session(group_sessions.session_cancel(session=row, actor=acting_user(request)))


def _attendance(request: HttpRequest, row: GroupSession) -> dict[str, Any]:
    marks = list(Attendance.objects.filter(session=row).order_by("member_id"))
    audit_instance(actor=request.user, action=Action.READ, instance=row)
    return {
        "session": _session(row),
        "notes": row.notes,
        "attendance": [{"member_id": m.member_id, "status": m.status} for m in marks],
    }


@router.get("/groups/{group_id}/sessions/{session_number}/attendance", response=AttendanceOut)
@api_policy(policies.GROUP_VIEW)
def get_attendance(request: HttpRequest, group_id: int, session_number: int) -> dict[str, Any]:
    """A session's attendance and notes (facilitators and staff)."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_VIEW)
    return _attendance(request, access_group_session(group=group, number=session_number))


@router.post("/groups/{group_id}/sessions/{session_number}/attendance", response=AttendanceOut)
@api_policy(policies.GROUP_RECORD)
def record_attendance(
    request: HttpRequest, group_id: int, session_number: int, payload: AttendanceIn
) -> dict[str, Any]:
    """Record the session as held: `attendance` maps member ids to present, absent or
    excused (members not named keep what they had); `notes` replace the notes when
    given. By the group's peer facilitators or the programme's staff."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RECORD)
    row = access_group_session(group=group, number=session_number)
    row = group_sessions.session_record(
        session=row,
        actor=acting_user(request),
        attendance={key: plain(value) for key, value in payload.attendance.items()},
        notes=payload.notes,
    )
    return _attendance(request, row)


@router.get("/groups/{group_id}/attendance", response=ReportOut)
@api_policy(policies.GROUP_VIEW)
def get_report(request: HttpRequest, group_id: int) -> dict[str, Any]:
    """The attendance report: members by sessions, totals per session and member, and
    who reaches completion."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_VIEW)
    report = attendance_report(group)
    audit_members(request.user, [row.member for row in report.rows])
    return {
        "group_id": group.pk,
        "completion_sessions": report.completion_sessions,
        "completed_count": report.completed_count,
        "sessions": [
            {
                "number": t.session.number,
                "starts_at": t.session.starts_at,
                "present": t.present,
                "absent": t.absent,
                "excused": t.excused,
            }
            for t in report.totals
        ],
        "members": [
            {
                "member_id": row.member.pk,
                "enrolment_id": row.member.enrolment_id,
                "name": str(row.member.enrolment.person),
                "status": row.member.status,
                "marks": {str(number): mark for number, mark in row.cells if mark},
                "present": row.present,
                "absent": row.absent,
                "excused": row.excused,
                "completes": row.completes,
            }
            for row in report.rows
        ],
    }
