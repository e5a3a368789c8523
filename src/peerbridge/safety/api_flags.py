"""API for risk flags: a programme's flags and raising one, a flag with its trail, its
steps (acknowledge, note, reassign, resolve) and the caller's own flags. The same
services and scopes as the pages."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peerbridge.api.pagination import Pages, paginate
from peerbridge.api.values import plain
from peerbridge.core.access import acting_user, api_policy
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import access_programme
from peerbridge.people.models import Person
from peerbridge.safety import policies, services
from peerbridge.safety.configuration import on_call_choices, safety_settings
from peerbridge.safety.crisis import crisis_lines
from peerbridge.safety.models import FlagEvent, RiskFlag, Severity
from peerbridge.safety.selectors import (
    STAFF_VIEW,
    access_contact_for_flag,
    access_flag,
    access_session_for_flag,
    audit_flags_read,
    is_staff_over,
    my_flags,
    people_in_session,
    people_to_flag,
    programme_flags,
    trail,
)

router = Router()

Id = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]
Text = Annotated[str, Field(max_length=services.NOTE_MAX)]
ActionCode = Annotated[str, Field(max_length=40)]


class StatusFilter(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class FlagFilters(Schema):
    status: StatusFilter | None = Field(
        None, description="Empty: every flag not resolved yet (overdue first, by deadline)."
    )


class FlagIn(Schema):
    person_id: Id = Field(..., description="The participant or peer supporter it is about.")
    severity: Severity
    summary: str = Field(..., min_length=1, max_length=services.SUMMARY_MAX)
    enrolment_id: Id | None = Field(None, description="Empty: the person's enrolment.")
    contact_id: Id | None = Field(None, description="Raised from this contact.")
    group_session_id: Id | None = Field(None, description="Raised from this group session.")


class AcknowledgeIn(Schema):
    note: Text = ""


class NoteIn(Schema):
    note: str = Field(..., min_length=1, max_length=services.NOTE_MAX)


class ReassignIn(Schema):
    to_user_id: Id = Field(..., description="A supervisor or leader of the programme.")
    note: Text = ""


class ResolveIn(Schema):
    actions: list[ActionCode] = Field(
        ...,
        min_length=1,
        max_length=len(services.ACTIONS),
        description="Codes: " + ", ".join(services.ACTIONS) + " (no_further_action alone).",
    )
    resolution: str = Field(..., min_length=1, max_length=services.NOTE_MAX)


class EventOut(Schema):
    id: int
    kind: str
    at: datetime
    by_id: int | None
    to_id: int | None
    note: str


class CrisisLineOut(Schema):
    text: str
    tel: str


class FlagOut(Schema):
    id: int
    programme_id: int
    person_id: int
    person_name: str
    enrolment_id: int | None
    severity: str
    source: str
    source_reference: str
    contact_id: int | None
    group_session_id: int | None
    summary: str
    status: str
    raised_by_id: int | None
    raised_at: datetime
    assigned_to_id: int | None
    assigned_to_name: str | None
    acknowledge_by: datetime
    overdue: bool
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    escalated_at: datetime | None
    escalated_to_id: int | None
    resolved_at: datetime | None
    resolved_by_id: int | None
    actions: list[str]
    resolution: str | None = Field(..., description="Only for those who handle flags.")


class FlagDetailOut(FlagOut):
    events: list[EventOut]
    crisis_resources: list[CrisisLineOut] = Field(
        ..., description="The programme's crisis resources, for a high flag."
    )


class FlagPage(Schema):
    items: list[FlagOut]
    count: int
    page: int
    page_size: int


class MyFlagsOut(Schema):
    with_me: list[FlagOut]
    raised: list[FlagOut]


def _flag(flag: RiskFlag, *, resolution: bool) -> dict[str, Any]:
    assigned = flag.assigned_to
    return {
        "id": flag.pk,
        "programme_id": flag.programme_id,
        "person_id": flag.person_id,
        "person_name": str(flag.person),
        "enrolment_id": flag.enrolment_id,
        "severity": flag.severity,
        "source": flag.source,
        "source_reference": flag.source_reference,
        "contact_id": flag.contact_id,
        "group_session_id": flag.group_session_id,
        "summary": flag.summary,
        "status": flag.status,
        "raised_by_id": flag.raised_by_id,
        "raised_at": flag.raised_at,
        "assigned_to_id": flag.assigned_to_id,
        "assigned_to_name": assigned.display_name if assigned is not None else None,
        "acknowledge_by": flag.acknowledge_by,
        "overdue": flag.status == RiskFlag.Status.OPEN and flag.acknowledge_by < timezone.now(),
        "acknowledged_at": flag.acknowledged_at,
        "acknowledged_by_id": flag.acknowledged_by_id,
        "escalated_at": flag.escalated_at,
        "escalated_to_id": flag.escalated_to_id,
        "resolved_at": flag.resolved_at,
        "resolved_by_id": flag.resolved_by_id,
        "actions": list(flag.actions or []),
        "resolution": flag.resolution if resolution else None,
    }


def _event(event: FlagEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "kind": event.kind,
        "at": event.at,
        "by_id": event.by_id,
        "to_id": event.to_id,
        "note": event.note,
    }


def _sees_resolution(request: HttpRequest, flag: RiskFlag) -> bool:
    user = acting_user(request)
    return services.may_handle(user, flag) or is_staff_over(user, flag.programme_id, STAFF_VIEW)


def _detail(request: HttpRequest, flag_id: int) -> dict[str, Any]:
    flag = access_flag(request.user, flag_id)
    lines = []
    if flag.severity == Severity.HIGH:
        lines = [
            {"text": line.text, "tel": line.tel}
            for line in crisis_lines(safety_settings(flag.programme).crisis_resources)
        ]
    return {
        **_flag(flag, resolution=_sees_resolution(request, flag)),
        "events": [_event(event) for event in trail(flag)],
        "crisis_resources": lines,
    }


# ---------------------------------------------------------------------------------------
# A programme's flags


@router.get("/programmes/{programme_id}/flags", response=FlagPage)
@api_policy(policies.FLAG_VIEW)
def list_flags(
    request: HttpRequest,
    programme_id: int,
    filters: Query[FlagFilters],
    pagination: Query[Pages.Input],
) -> dict[str, Any]:
    """Staff over the programme: flags not resolved (or `status`), overdue first, then
    by deadline; resolved ones newest first."""
    programme = access_programme(user=request.user, programme_id=programme_id, policy=STAFF_VIEW)
    status = plain(filters.status) or ""
    page = paginate(programme_flags(programme, status=status), pagination)
    audit_flags_read(request.user, page["items"])
    return {**page, "items": [_flag(flag, resolution=True) for flag in page["items"]]}


def _person_for(request: HttpRequest, programme: Programme, payload: FlagIn) -> dict[str, Any]:
    """Where the flag comes from and whom it is about, as the caller may reach them."""
    user = request.user
    where: dict[str, Any] = {"source": RiskFlag.Source.STAFF}
    allowed: set[int] | None = None
    if payload.contact_id is not None:
        contact = access_contact_for_flag(user, payload.contact_id)
        if contact.programme_id != programme.pk:
            raise ValidationError({"contact_id": "This contact is not in this programme."})
        where = {"source": RiskFlag.Source.CONTACT, "contact": contact}
        allowed = {contact.enrolment.person_id}
    elif payload.group_session_id is not None:
        session = access_session_for_flag(user, payload.group_session_id)
        if session.group.programme_id != programme.pk:
            raise ValidationError({"group_session_id": "This session is not in this programme."})
        where = {"source": RiskFlag.Source.GROUP_SESSION, "group_session": session}
        if not is_staff_over(user, programme.pk, policies.FLAG_RAISE):
            allowed = {choice.person_id for choice in people_in_session(session)}
    elif not is_staff_over(user, programme.pk, policies.FLAG_RAISE):
        allowed = {choice.person_id for choice in people_to_flag(user, programme)}
    person = Person.objects.filter(pk=payload.person_id).first()
    if person is None or (allowed is not None and person.pk not in allowed):
        raise ValidationError({"person_id": "Choose someone you may raise a flag about here."})
    where["person"] = person
    if payload.enrolment_id is not None:
        enrolment = person.enrolments.filter(pk=payload.enrolment_id, programme=programme).first()
        if enrolment is None:
            raise ValidationError({"enrolment_id": "Not this person's enrolment here."})
        where["enrolment"] = enrolment
    return where


@router.post("/programmes/{programme_id}/flags", response={201: FlagDetailOut})
@api_policy(policies.FLAG_RAISE)
def raise_flag(request: HttpRequest, programme_id: int, payload: FlagIn) -> Status[dict[str, Any]]:
    """Raise a flag (staff about anyone in the programme; a peer about their own
    participants, from their contacts or the sessions they facilitate). The answer of a
    high flag carries the programme's crisis resources."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.FLAG_RAISE
    )
    flag = services.flag_raise(
        programme=programme,
        severity=plain(payload.severity),
        summary=payload.summary,
        raised_by=acting_user(request),
        **_person_for(request, programme, payload),
    )
    return Status(201, _detail(request, flag.pk))


# ---------------------------------------------------------------------------------------
# One flag


@router.get("/flags/{flag_id}", response=FlagDetailOut)
@api_policy(policies.FLAG_VIEW)
def get_flag(request: HttpRequest, flag_id: int) -> dict[str, Any]:
    return _detail(request, flag_id)


@router.post("/flags/{flag_id}/acknowledge", response=FlagDetailOut)
@api_policy(policies.FLAG_HANDLE)
def acknowledge_flag(request: HttpRequest, flag_id: int, payload: AcknowledgeIn) -> dict[str, Any]:
    flag = access_flag(request.user, flag_id, policies.FLAG_HANDLE)
    services.flag_acknowledge(flag=flag, actor=acting_user(request), note=payload.note)
    return _detail(request, flag.pk)


@router.post("/flags/{flag_id}/notes", response={201: EventOut})
@api_policy(policies.FLAG_VIEW)
def add_note(request: HttpRequest, flag_id: int, payload: NoteIn) -> Status[dict[str, Any]]:
    flag = access_flag(request.user, flag_id)
    event = services.flag_note(flag=flag, actor=acting_user(request), note=payload.note)
    return Status(201, _event(event))


@router.post("/flags/{flag_id}/reassign", response=FlagDetailOut)
@api_policy(policies.FLAG_HANDLE)
def reassign_flag(request: HttpRequest, flag_id: int, payload: ReassignIn) -> dict[str, Any]:
    flag = access_flag(request.user, flag_id, policies.FLAG_HANDLE)
    to: User | None = on_call_choices(flag.programme).filter(pk=payload.to_user_id).first()
    if to is None:
        raise ValidationError({"to_user_id": "Choose a supervisor or leader of this programme."})
    services.flag_reassign(flag=flag, actor=acting_user(request), to=to, note=payload.note)
    return _detail(request, flag.pk)


@router.post("/flags/{flag_id}/resolve", response=FlagDetailOut)
@api_policy(policies.FLAG_HANDLE)
def resolve_flag(request: HttpRequest, flag_id: int, payload: ResolveIn) -> dict[str, Any]:
    """Close the flag with the actions taken (codes listed on `actions`) and what was
    done; an unacknowledged flag is acknowledged at the same time."""
    flag = access_flag(request.user, flag_id, policies.FLAG_HANDLE)
    services.flag_resolve(
        flag=flag,
        actor=acting_user(request),
        actions=payload.actions,
        resolution=payload.resolution,
    )
    return _detail(request, flag.pk)


@router.get("/me/flags", response=MyFlagsOut)
@api_policy(policies.FLAG_VIEW)
def list_my_flags(request: HttpRequest) -> dict[str, Any]:
    """Flags sent or escalated to me and not resolved (overdue first, by deadline), and
    the unresolved flags I raised."""
    mine = my_flags(request.user)
    return {
        "with_me": [_flag(f, resolution=True) for f in mine.with_me],
        "raised": [_flag(f, resolution=False) for f in mine.raised],
    }
