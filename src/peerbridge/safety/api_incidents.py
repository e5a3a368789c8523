"""API for the incident log: a programme's log and logging an incident, an incident,
and closing it with its outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peerbridge.api.pagination import Pages, paginate
from peerbridge.api.values import IsoDateTime, plain
from peerbridge.core.access import acting_user, api_policy
from peerbridge.organisations.selectors import access_programme
from peerbridge.safety import incidents as log
from peerbridge.safety import policies
from peerbridge.safety.models import Incident, Severity

router = Router()

Id = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]
QueryId = Annotated[int, Field(ge=1, le=2**63 - 1)]


Moment = IsoDateTime


class IncidentFilters(Schema):
    group: QueryId | None = None
    kind: Incident.Kind | None = None
    status: Incident.Status | None = None


class IncidentIn(Schema):
    kind: Incident.Kind
    category: Incident.Category
    severity: Severity
    occurred_at: Moment = Field(..., description="ISO 8601 with its time zone.")
    profile_id: Id | None = Field(None, description="The peer supporter involved.")
    enrolment_id: Id | None = Field(None, description="The participant involved.")
    group_id: Id | None = Field(None, description="Required for an online group incident.")
    group_session_id: Id | None = None
    description: str = Field(..., min_length=1, max_length=log.TEXT_MAX)
    immediate_action: str = Field("", max_length=log.TEXT_MAX)


class CloseIn(Schema):
    outcome: str = Field(..., min_length=1, max_length=log.TEXT_MAX)


class IncidentOut(Schema):
    id: int
    programme_id: int
    kind: str
    category: str
    severity: str
    occurred_at: datetime
    profile_id: int | None
    enrolment_id: int | None
    group_id: int | None
    group_session_id: int | None
    description: str
    immediate_action: str
    status: str
    outcome: str
    reported_by_id: int | None
    reported_at: datetime
    closed_by_id: int | None
    closed_at: datetime | None


class IncidentPage(Schema):
    items: list[IncidentOut]
    count: int
    page: int
    page_size: int


def _incident(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "programme_id": incident.programme_id,
        "kind": incident.kind,
        "category": incident.category,
        "severity": incident.severity,
        "occurred_at": incident.occurred_at,
        "profile_id": incident.profile_id,
        "enrolment_id": incident.enrolment_id,
        "group_id": incident.group_id,
        "group_session_id": incident.group_session_id,
        "description": incident.description,
        "immediate_action": incident.immediate_action,
        "status": incident.status,
        "outcome": incident.outcome,
        "reported_by_id": incident.reported_by_id,
        "reported_at": incident.reported_at,
        "closed_by_id": incident.closed_by_id,
        "closed_at": incident.closed_at,
    }


@router.get("/programmes/{programme_id}/incidents", response=IncidentPage)
@api_policy(policies.INCIDENT_VIEW)
def list_incidents(
    request: HttpRequest,
    programme_id: int,
    filters: Query[IncidentFilters],
    pagination: Query[Pages.Input],
) -> dict[str, Any]:
    """The programme's incident log, newest first; `group` narrows to one group."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.INCIDENT_VIEW
    )
    rows = log.programme_incidents(
        programme,
        group_id=filters.group,
        kind=plain(filters.kind) or "",
        status=plain(filters.status) or "",
    )
    page = paginate(rows, pagination)
    log.audit_incidents_read(request.user, page["items"])
    return {**page, "items": [_incident(row) for row in page["items"]]}


def _one(rows: QuerySet[Any], pk: int | None, field: str) -> Model | None:
    if pk is None:
        return None
    found: Model | None = rows.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: "Not one you may link this incident to."})
    return found


@router.post("/programmes/{programme_id}/incidents", response={201: IncidentOut})
@api_policy(policies.INCIDENT_LOG)
def log_incident(
    request: HttpRequest, programme_id: int, payload: IncidentIn
) -> Status[dict[str, Any]]:
    """Log a boundary incident, an adverse event or an online group incident. A peer
    links themself, their own participants and the groups they facilitate."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.INCIDENT_LOG
    )
    choices = log.incident_choices(request.user, programme)
    data = {
        "kind": plain(payload.kind),
        "category": plain(payload.category),
        "severity": plain(payload.severity),
        "occurred_at": payload.occurred_at,
        "profile": _one(choices.profiles, payload.profile_id, "profile_id"),
        "enrolment": _one(choices.enrolments, payload.enrolment_id, "enrolment_id"),
        "group": _one(choices.groups, payload.group_id, "group_id"),
        "group_session": _one(choices.sessions, payload.group_session_id, "group_session_id"),
        "description": payload.description,
        "immediate_action": payload.immediate_action,
    }
    incident = log.incident_log(programme=programme, reported_by=acting_user(request), data=data)
    return Status(201, _incident(incident))


@router.get("/incidents/{incident_id}", response=IncidentOut)
@api_policy(policies.INCIDENT_LOG)
def get_incident(request: HttpRequest, incident_id: int) -> dict[str, Any]:
    """Staff over the programme, and whoever reported it."""
    return _incident(log.access_incident(request.user, incident_id))


@router.post("/incidents/{incident_id}/close", response=IncidentOut)
@api_policy(policies.INCIDENT_CLOSE)
def close_incident(request: HttpRequest, incident_id: int, payload: CloseIn) -> dict[str, Any]:
    incident = log.access_incident(request.user, incident_id, policies.INCIDENT_CLOSE)
    return _incident(
        log.incident_close(incident=incident, actor=acting_user(request), outcome=payload.outcome)
    )
