"""API for certification (frameworks, decisions, decertification, appeals) and
supervision (assigning a supervisor, sessions, the supervisor's page). The same
services as the pages."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peerbridge.api.pagination import Pages, paginate
from peerbridge.api.values import IsoDate, IsoDateTime, plain
from peerbridge.core.access import acting_user, api_policy, require_roles
from peerbridge.organisations.selectors import (
    access_organisation,
    access_programme,
    programmes_in_scope,
)
from peerbridge.workforce import certification as certs
from peerbridge.workforce import policies
from peerbridge.workforce import supervision as sup
from peerbridge.workforce.models import (
    Certification,
    CertificationFramework,
    SupervisionSession,
    WellbeingCheckIn,
)
from peerbridge.workforce.selectors import access_profile

router = Router(tags=["workforce"])


Id = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]
Hours = Annotated[Decimal, Field(ge=0, le=Decimal("999.9"), decimal_places=1)]
Months = Annotated[int, Field(ge=1, le=240, strict=True)]
Flag = Annotated[bool, Field(strict=True)]
Day = IsoDate
Moment = IsoDateTime


# ---------------------------------------------------------------------------------------
# Schemas


class FrameworkIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    kind: CertificationFramework.Kind
    issuer: str = Field("", max_length=200)
    validity_months: Months | None = Field(None, description="Empty: no expiry.")
    recertification_hours: Hours = Decimal("0")
    recertification_requirements: str = Field("", max_length=certs.TEXT_MAX)
    is_active: Flag = True


class FrameworkPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: CertificationFramework.Kind | None = None
    issuer: str | None = Field(None, max_length=200)
    validity_months: Months | None = Field(None, description="null: no expiry.")
    recertification_hours: Hours | None = None
    recertification_requirements: str | None = Field(None, max_length=certs.TEXT_MAX)
    is_active: Flag | None = None


class FrameworkOut(Schema):
    id: int
    organisation_id: int
    name: str
    issuer: str
    kind: str
    validity_months: int | None
    recertification_hours: Decimal
    recertification_requirements: str
    is_active: bool


class FrameworkPage(Schema):
    items: list[FrameworkOut]
    count: int
    page: int
    page_size: int


class CertificationIn(Schema):
    framework_id: Id
    status: certs.Decision
    issued_on: Day | None = Field(None, description="Certified only; empty for today.")
    expires_on: Day | None = Field(None, description="Empty: the framework's validity.")
    recommendations: str = Field(
        "", max_length=certs.TEXT_MAX, description="Required when not certified."
    )


class DecertificationOut(Schema):
    id: int | None
    effective_on: date
    reason: str | None = Field(..., description="Null for another programme's decision.")
    evidence: str | None = Field(..., description="Only for those who certify.")
    supervision_session_ids: list[int] | None = Field(..., description="As evidence.")
    appeal: str | None
    appeal_lodged_on: date | None
    appeal_decided_on: date | None
    appeal_notes: str | None


class CertificationOut(Schema):
    id: int
    person_id: int
    programme_id: int | None = Field(..., description="Null for another programme's decision.")
    framework_id: int
    framework: str
    status: str
    issued_on: date | None
    expires_on: date | None
    detail: bool = Field(
        ...,
        description="False for a decision another programme took that you do not certify "
        "in: only the framework, status and dates are given.",
    )
    recommendations: str | None
    decided_by_id: int | None
    decided_at: datetime | None
    decertification: DecertificationOut | None


class CertificationPage(Schema):
    items: list[CertificationOut]
    count: int
    page: int
    page_size: int


class DecertificationIn(Schema):
    reason: str = Field(..., min_length=1, max_length=certs.TEXT_MAX)
    evidence: str = Field("", max_length=certs.TEXT_MAX)
    supervision_session_ids: list[Id] = Field(default_factory=list, max_length=50)
    effective_on: Day | None = Field(None, description="Empty for today.")


class AppealIn(Schema):
    step: certs.AppealStep
    outcome: certs.AppealOutcome | None = Field(None, description="Required to decide.")
    notes: str = Field("", max_length=certs.TEXT_MAX)


class SupervisorIn(Schema):
    supervisor_id: Id | None = Field(..., description="A supervisor of the programme, or null.")


class SupervisorOut(Schema):
    profile_id: int
    supervisor_id: int | None
    supervisor: str | None


class SessionIn(Schema):
    peer_ids: list[Id] = Field(..., min_length=1, max_length=50)
    held_at: Moment = Field(..., description="ISO 8601 with its time zone.")
    format: SupervisionSession.Format
    kind: SupervisionSession.Kind
    duration_minutes: int = Field(60, ge=5, le=480, strict=True)
    topics: list[SupervisionSession.Topic] = Field(default_factory=list, max_length=6)
    notes: str = Field("", max_length=sup.NOTES_MAX)
    agreed_actions: str = Field("", max_length=sup.NOTES_MAX)


class SessionOut(Schema):
    id: int
    programme_id: int
    supervisor_id: int
    peer_ids: list[int]
    held_at: datetime
    duration_minutes: int
    format: str
    kind: str
    topics: list[str]
    notes: str | None = Field(..., description="Only for those who supervise.")
    agreed_actions: str | None = Field(..., description="Only for those who supervise.")
    recorded_at: datetime


class SessionPage(Schema):
    items: list[SessionOut]
    count: int
    page: int
    page_size: int


class CheckInOut(Schema):
    kind: str
    completed_at: datetime
    work_score: float | None
    client_score: float | None
    pulse: int | None
    high: bool


class SuperviseeOut(Schema):
    profile_id: int
    person_id: int
    name: str
    programme_id: int
    matches_held: int
    max_matches: int
    last_supervision_on: date | None
    supervision_due_on: date
    overdue: bool
    days_overdue: int
    on_hold: bool
    wellbeing: list[CheckInOut]
    open_alerts: int


class AlertOut(Schema):
    id: int
    profile_id: int
    kind: str
    label: str
    detail: str
    created_at: datetime


class SupervisorPageOut(Schema):
    on: date
    supervisees: list[SuperviseeOut]
    alerts: list[AlertOut]


# ---------------------------------------------------------------------------------------
# Payloads


def _certification(row: Certification, *, full: bool) -> dict[str, Any]:
    """The whole decision; evidence and linked sessions only with `full`."""
    decertification = getattr(row, "decertification", None)
    return {
        "id": row.pk,
        "person_id": row.person_id,
        "programme_id": row.programme_id,
        "framework_id": row.framework_id,
        "framework": row.framework.name,
        "status": row.status,
        "issued_on": row.issued_on,
        "expires_on": row.expires_on,
        "detail": True,
        "recommendations": row.recommendations,
        "decided_by_id": row.decided_by_id,
        "decided_at": row.decided_at,
        "decertification": None
        if decertification is None
        else {
            "id": decertification.pk,
            "effective_on": decertification.effective_on,
            "reason": decertification.reason,
            "evidence": decertification.evidence if full else None,
            "supervision_session_ids": sorted(
                s.pk for s in decertification.supervision_sessions.all()
            )
            if full
            else None,
            "appeal": decertification.appeal,
            "appeal_lodged_on": decertification.appeal_lodged_on,
            "appeal_decided_on": decertification.appeal_decided_on,
            "appeal_notes": decertification.appeal_notes,
        },
    }


def _history_entry(entry: certs.HistoryEntry, *, person_id: int) -> dict[str, Any]:
    """A decision of the peer's history: whole (evidence only for those who certify in
    the decision's programme), or only what eligibility reads."""
    if entry.decision is not None:
        return _certification(entry.decision, full=entry.may_certify)
    return {
        "id": entry.id,
        "person_id": person_id,
        "programme_id": None,
        "framework_id": entry.framework_id,
        "framework": entry.framework,
        "status": entry.status,
        "issued_on": entry.issued_on,
        "expires_on": entry.expires_on,
        "detail": False,
        "recommendations": None,
        "decided_by_id": None,
        "decided_at": None,
        "decertification": None
        if entry.effective_on is None
        else {
            "id": None,
            "effective_on": entry.effective_on,
            "reason": None,
            "evidence": None,
            "supervision_session_ids": None,
            "appeal": None,
            "appeal_lodged_on": None,
            "appeal_decided_on": None,
            "appeal_notes": None,
        },
    }


def _session(session: SupervisionSession, *, notes: bool) -> dict[str, Any]:
    return {
        "id": session.pk,
        "programme_id": session.programme_id,
        "supervisor_id": session.supervisor_id,
        "peer_ids": sorted(p.pk for p in session.peers.all()),
        "held_at": session.held_at,
        "duration_minutes": session.duration_minutes,
        "format": session.format,
        "kind": session.kind,
        "topics": list(session.topics),
        "notes": session.notes if notes else None,
        "agreed_actions": session.agreed_actions if notes else None,
        "recorded_at": session.recorded_at,
    }


def _checkin(checkin: WellbeingCheckIn) -> dict[str, Any]:
    return {
        "kind": checkin.kind,
        "completed_at": checkin.completed_at,
        "work_score": checkin.work_score,
        "client_score": checkin.client_score,
        "pulse": checkin.pulse,
        "high": checkin.high,
    }


def _may_certify(request: HttpRequest, programme_id: int) -> bool:
    return (
        programmes_in_scope(user=request.user, policy=policies.CERTIFY)
        .filter(pk=programme_id)
        .exists()
    )


def _reload(certification: Certification) -> Certification:
    return (
        Certification.objects.select_related("framework", "decertification")
        .prefetch_related("decertification__supervision_sessions")
        .get(pk=certification.pk)
    )


# ---------------------------------------------------------------------------------------
# Frameworks


@router.get("/organisations/{organisation_id}/certification-frameworks", response=FrameworkPage)
@api_policy(policies.WORKFORCE_VIEW)
def list_frameworks(
    request: HttpRequest, organisation_id: int, pagination: Query[Pages.Input]
) -> dict[str, Any]:
    organisation = access_organisation(
        user=request.user, organisation_id=organisation_id, policy=policies.WORKFORCE_VIEW
    )
    return paginate(certs.frameworks_of(organisation), pagination)


@router.post(
    "/organisations/{organisation_id}/certification-frameworks", response={201: FrameworkOut}
)
@api_policy(policies.FRAMEWORK_EDIT)
def create_framework(
    request: HttpRequest, organisation_id: int, payload: FrameworkIn
) -> Status[CertificationFramework]:
    """E.g. a state peer recovery specialist certification (24 months, 20 continuing
    training hours to recertify) or a national group facilitator credential."""
    organisation = access_organisation(
        user=request.user, organisation_id=organisation_id, policy=policies.FRAMEWORK_EDIT
    )
    framework = certs.framework_create(
        organisation=organisation,
        actor=acting_user(request),
        **{**payload.model_dump(), "kind": plain(payload.kind)},
    )
    return Status(201, framework)


@router.patch("/workforce/certification-frameworks/{framework_id}", response=FrameworkOut)
@api_policy(policies.FRAMEWORK_EDIT)
def update_framework(
    request: HttpRequest, framework_id: int, payload: FrameworkPatch
) -> CertificationFramework:
    framework = certs.access_framework(
        user=request.user, framework_id=framework_id, policy=policies.FRAMEWORK_EDIT
    )
    sent = payload.model_dump(exclude_unset=True)
    nullable = {"validity_months"}
    changes = {k: plain(v) for k, v in sent.items() if v is not None or k in nullable}
    return certs.framework_update(framework=framework, actor=acting_user(request), **changes)


# ---------------------------------------------------------------------------------------
# Certification decisions


@router.get("/workforce/profiles/{profile_id}/certifications", response=CertificationPage)
@api_policy(policies.PROFILE_VIEW)
def list_certifications(
    request: HttpRequest, profile_id: int, pagination: Query[Pages.Input]
) -> dict[str, Any]:
    """The decisions bearing on the peer's standing, newest first. The peer sees their
    own (with recommendations); evidence is for those who certify in the programme
    that decided. Another programme's decision carries only its framework, status and
    dates (`detail` false) unless you certify there."""
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.WORKFORCE_VIEW, allow_self=True
    )
    page = paginate(certs.certification_history(profile, user=request.user), pagination)
    items = [_history_entry(entry, person_id=profile.person_id) for entry in page["items"]]
    return {**page, "items": items}


@router.post("/workforce/profiles/{profile_id}/certifications", response={201: CertificationOut})
@api_policy(policies.CERTIFY)
def create_certification(
    request: HttpRequest, profile_id: int, payload: CertificationIn
) -> Status[dict[str, Any]]:
    """Certified (issued today unless given; expires after the framework's validity
    unless given) or not certified with recommendations."""
    profile = access_profile(user=request.user, profile_id=profile_id, policy=policies.CERTIFY)
    framework = CertificationFramework.objects.filter(
        pk=payload.framework_id, organisation_id=profile.programme.site.organisation_id
    ).first()
    if framework is None:
        raise ValidationError({"framework_id": "No such framework in this organisation."})
    certification = certs.certification_decide(
        profile=profile,
        framework=framework,
        status=plain(payload.status),
        decided_by=acting_user(request),
        issued_on=payload.issued_on,
        expires_on=payload.expires_on,
        recommendations=payload.recommendations,
    )
    return Status(201, _certification(_reload(certification), full=True))


@router.post(
    "/workforce/certifications/{certification_id}/decertification",
    response={201: CertificationOut},
)
@api_policy(policies.CERTIFY)
def decertify(
    request: HttpRequest, certification_id: int, payload: DecertificationIn
) -> Status[dict[str, Any]]:
    """Withdraw a certification: from `effective_on` (default today) the peer takes no
    new matches or groups; profiles holding work get a `matches_review` alert."""
    certification = certs.access_certification(
        user=request.user, certification_id=certification_id, policy=policies.CERTIFY
    )
    sessions = list(
        certs.sessions_about(certification).filter(pk__in=payload.supervision_session_ids)
    )
    if len(sessions) != len(set(payload.supervision_session_ids)):
        raise ValidationError(
            {"supervision_session_ids": "Choose supervision sessions this peer took part in."}
        )
    decertification = certs.decertify(
        certification=certification,
        decided_by=acting_user(request),
        reason=payload.reason,
        evidence=payload.evidence,
        supervision_sessions=sessions,
        effective_on=payload.effective_on,
    )
    return Status(201, _certification(_reload(decertification.certification), full=True))


@router.post("/workforce/certifications/{certification_id}/appeal", response=CertificationOut)
@api_policy(policies.APPEAL)
def appeal(request: HttpRequest, certification_id: int, payload: AppealIn) -> dict[str, Any]:
    """`lodge` (the peer themself, or a leader for them) or `decide` (a leader:
    `upheld` keeps the decertification, `overturned` restores the certification)."""
    deciding = payload.step == certs.AppealStep.DECIDE
    certification = certs.access_certification(
        user=request.user,
        certification_id=certification_id,
        policy=policies.CERTIFY,
        allow_self=not deciding,
    )
    if deciding:
        certs.appeal_decide(
            certification=certification,
            decided_by=acting_user(request),
            outcome=plain(payload.outcome) or "",
            notes=payload.notes,
        )
    else:
        certs.appeal_lodge(
            certification=certification, lodged_by=acting_user(request), grounds=payload.notes
        )
    return _certification(
        _reload(certification), full=_may_certify(request, certification.programme_id)
    )


# ---------------------------------------------------------------------------------------
# Supervision


@router.post("/workforce/profiles/{profile_id}/supervisor", response=SupervisorOut)
@api_policy(policies.WORKFORCE_MANAGE)
def assign_supervisor(
    request: HttpRequest, profile_id: int, payload: SupervisorIn
) -> dict[str, Any]:
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.WORKFORCE_MANAGE
    )
    supervisor = None
    if payload.supervisor_id is not None:
        supervisor = (
            sup.supervisor_choices(profile.programme).filter(pk=payload.supervisor_id).first()
        )
        if supervisor is None:
            raise ValidationError({"supervisor_id": "Choose a supervisor of this programme."})
    profile = sup.supervisor_assign(
        profile=profile, supervisor=supervisor, assigned_by=acting_user(request)
    )
    return {
        "profile_id": profile.pk,
        "supervisor_id": profile.supervisor_id,
        "supervisor": supervisor.display_name if supervisor is not None else None,
    }


@router.get("/programmes/{programme_id}/workforce/supervision", response=SessionPage)
@api_policy(policies.WORKFORCE_VIEW)
def list_sessions(
    request: HttpRequest, programme_id: int, pagination: Query[Pages.Input]
) -> dict[str, Any]:
    """The programme's supervision sessions, newest first. Notes and agreed actions are
    null unless you supervise in the programme."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.WORKFORCE_VIEW
    )
    page = paginate(sup.programme_sessions(programme), pagination)
    sup.audit_sessions_listed(user=request.user, sessions=page["items"])
    notes = (
        programmes_in_scope(user=request.user, policy=policies.SUPERVISE)
        .filter(pk=programme.pk)
        .exists()
    )
    return {**page, "items": [_session(s, notes=notes) for s in page["items"]]}


@router.post("/programmes/{programme_id}/workforce/supervision", response={201: SessionOut})
@api_policy(policies.SUPERVISE)
def record_session(
    request: HttpRequest, programme_id: int, payload: SessionIn
) -> Status[dict[str, Any]]:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.SUPERVISE
    )
    wanted = set(payload.peer_ids)
    peers = list(sup.peers_for_session(programme).filter(pk__in=wanted))
    if len(peers) != len(wanted):
        raise ValidationError({"peer_ids": "Choose peer supporters of this programme."})
    session = sup.session_record(
        programme=programme,
        supervisor=acting_user(request),
        peers=peers,
        held_at=payload.held_at,
        format=plain(payload.format),
        kind=plain(payload.kind),
        duration_minutes=payload.duration_minutes,
        topics=plain(payload.topics),
        notes=payload.notes,
        agreed_actions=payload.agreed_actions,
    )
    return Status(201, _session(session, notes=True))


@router.get("/workforce/supervision/{supervision_id}", response=SessionOut)
@api_policy(policies.SUPERVISE)
def get_session(request: HttpRequest, supervision_id: int) -> dict[str, Any]:
    session = sup.access_session(
        user=request.user, supervision_id=supervision_id, policy=policies.SUPERVISE
    )
    return _session(session, notes=sup.may_read_notes(request.user, session))


@router.get("/workforce/supervisor", response=SupervisorPageOut)
@api_policy(policies.SUPERVISE)
def supervisor_page(request: HttpRequest) -> dict[str, Any]:
    """Your supervisees, overdue supervision first: caseload, last supervision, due date,
    the last three wellbeing check-ins (newest first), hold; open alerts oldest first."""
    require_roles(request.user, policies.SUPERVISE)
    page = sup.supervisor_page(user=request.user)
    return {
        "on": page.on,
        "supervisees": [
            {
                "profile_id": row.profile.pk,
                "person_id": row.profile.person_id,
                "name": str(row.profile.person),
                "programme_id": row.profile.programme_id,
                "matches_held": row.standing.matches_held,
                "max_matches": row.standing.max_matches,
                "last_supervision_on": row.due.last_on,
                "supervision_due_on": row.due.due_on,
                "overdue": row.due.overdue,
                "days_overdue": row.due.days_overdue,
                "on_hold": row.standing.on_hold,
                "wellbeing": [_checkin(c) for c in row.checkins],
                "open_alerts": row.open_alerts,
            }
            for row in page.rows
        ],
        "alerts": [
            {
                "id": alert.pk,
                "profile_id": alert.profile_id,
                "kind": alert.kind,
                "label": str(alert.get_kind_display()),
                "detail": alert.detail,
                "created_at": alert.created_at,
            }
            for alert in page.alerts
        ],
    }
