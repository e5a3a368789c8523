"""API for the peer agreements and training: publishing and signing agreements, the
curriculum's modules and sessions, attendance, a peer's training record and competency
checks."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from peerbridge.api.pagination import Pages
from peerbridge.api.values import plain_values
from peerbridge.core.access import acting_user, api_policy
from peerbridge.organisations.selectors import access_programme
from peerbridge.workforce import agreements, policies, training
from peerbridge.workforce import training_selectors as selectors
from peerbridge.workforce.models import (
    AgreementKind,
    AgreementSignature,
    AgreementText,
    CompetencyCheck,
    TrainingAttendance,
    TrainingModule,
    TrainingSession,
)
from peerbridge.workforce.selectors import access_profile

router = Router(tags=["workforce"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Hours = Annotated[Decimal, Field(ge=0, le=Decimal("999.9"), max_digits=4, decimal_places=1)]


class AgreementOut(Schema):
    id: int
    programme_id: int
    kind: AgreementKind
    version: str
    body: str
    published_at: datetime
    published_by_id: int | None
    is_current: bool
    signed_count: int


class AgreementIn(Schema):
    kind: AgreementKind
    body: str = Field(..., min_length=1, max_length=20000)
    version: str = Field("", max_length=20)


class SignatureIn(Schema):
    text_id: Id
    signed_name: str = Field(..., min_length=1, max_length=200)


class SignatureOut(Schema):
    id: int
    profile_id: int
    text_id: int
    signed_name: str
    signed_at: datetime


class ModuleOut(Schema):
    id: int
    programme_id: int
    title: str
    objectives: str
    hours: Decimal
    required: bool
    order: int
    audience: TrainingModule.Audience
    is_active: bool


class ModuleIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    objectives: str = Field("", max_length=4000)
    hours: Hours = Decimal("2")
    required: bool = True
    audience: TrainingModule.Audience = TrainingModule.Audience.PEERS
    order: int | None = Field(None, ge=0, le=32767)


class ModulePatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    objectives: str | None = Field(None, max_length=4000)
    hours: Hours | None = None
    required: bool | None = None
    audience: TrainingModule.Audience | None = None
    order: int | None = Field(None, ge=0, le=32767)
    is_active: bool | None = None


class SessionOut(Schema):
    id: int
    module_id: int
    starts_at: datetime
    hours: Decimal | None
    credit_hours: Decimal
    trainer: str
    modality: TrainingSession.Modality
    location: str


class SessionIn(Schema):
    starts_at: datetime
    hours: Hours | None = None
    trainer: str = Field(..., min_length=1, max_length=200)
    modality: TrainingSession.Modality
    location: str = Field("", max_length=300)


class AttendanceIn(Schema):
    person_ids: list[Id] = Field(..., min_length=1, max_length=500)
    attended: bool = True
    hours: Hours | None = None


class AttendanceOut(Schema):
    id: int
    session_id: int
    person_id: int
    attended: bool
    hours: Decimal
    recorded_at: datetime


class ModuleProgressOut(Schema):
    module_id: int
    title: str
    hours: Decimal
    done: bool
    done_on: date | None


class CompetencyProgressOut(Schema):
    competency_id: int
    name: str
    required: bool
    passed: bool


class CheckIn(Schema):
    competency_id: Id
    result: CompetencyCheck.Result
    evidence: str = Field(..., min_length=1, max_length=4000)


class CheckOut(Schema):
    id: int
    profile_id: int
    competency_id: int
    competency: str
    result: CompetencyCheck.Result
    evidence: str
    assessed_by_id: int
    assessed_at: datetime

    @staticmethod
    def resolve_competency(obj: CompetencyCheck) -> str:
        return obj.competency.name


class TrainingRecordOut(Schema):
    profile_id: int
    trained: bool
    required_modules: list[ModuleProgressOut]
    optional_modules: list[ModuleProgressOut]
    competencies: list[CompetencyProgressOut]
    hours_in_period: Decimal
    hours_expected: Decimal
    period_days: int
    ongoing_training_overdue: bool
    competency_checks: list[CheckOut]


def _changes(payload: Schema) -> dict[str, Any]:
    """The fields the client set (a null means "leave as it is")."""
    sent = plain_values(payload.model_dump(exclude_unset=True))
    return {key: value for key, value in sent.items() if value is not None}


# ---------------------------------------------------------------------------------------
# Agreements


@router.get("/programmes/{programme_id}/workforce/agreements", response=list[AgreementOut])
@api_policy(policies.WORKFORCE_VIEW)
@paginate(Pages)
def list_agreements(request: HttpRequest, programme_id: int) -> object:
    """Every version of every agreement, current ones marked with how many peers signed."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.WORKFORCE_VIEW
    )
    return [
        _agreement_payload(
            text,
            current=summary.current is not None and text.pk == summary.current.pk,
            signed=summary.signed,
        )
        for summary in agreements.programme_agreements(programme)
        for text in summary.history
    ]


def _agreement_payload(text: AgreementText, *, current: bool, signed: int) -> dict[str, Any]:
    fields = AgreementOut.model_fields.keys() - {"is_current", "signed_count"}
    return {name: getattr(text, name) for name in fields} | {
        "is_current": current,
        "signed_count": signed if current else 0,
    }


@router.post("/programmes/{programme_id}/workforce/agreements", response={201: AgreementOut})
@api_policy(policies.AGREEMENT_TEXT_EDIT)
def publish_agreement(
    request: HttpRequest, programme_id: int, payload: AgreementIn
) -> Status[dict[str, Any]]:
    """Publish a new version: every peer is asked to sign it before taking new work."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.AGREEMENT_TEXT_EDIT
    )
    text = agreements.agreement_publish(
        programme=programme, actor=acting_user(request), **plain_values(payload.model_dump())
    )
    return Status(201, _agreement_payload(text, current=True, signed=0))


@router.post(
    "/workforce/profiles/{profile_id}/signatures", response={200: SignatureOut, 201: SignatureOut}
)
@api_policy(policies.PROFILE_VIEW)
def sign_agreement(
    request: HttpRequest, profile_id: int, payload: SignatureIn
) -> Status[AgreementSignature]:
    """The peer signs the current version of an agreement (only the peer themself: 403
    for staff). 201 when signed now, 200 when it was already signed."""
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.WORKFORCE_VIEW, allow_self=True
    )
    if not agreements.may_sign(profile, request.user):
        raise PermissionDenied  # staff cannot sign for a peer
    text = AgreementText.objects.filter(
        pk=payload.text_id, programme_id=profile.programme_id
    ).first()
    if text is None:
        raise ValidationError({"text_id": _("There is no such agreement in this programme.")})
    signature, created = agreements.agreement_sign(
        profile=profile, text=text, signed_name=payload.signed_name, actor=acting_user(request)
    )
    return Status(201 if created else 200, signature)


# ---------------------------------------------------------------------------------------
# Modules and sessions


@router.get("/programmes/{programme_id}/workforce/modules", response=list[ModuleOut])
@api_policy(policies.WORKFORCE_VIEW)
@paginate(Pages)
def list_modules(request: HttpRequest, programme_id: int) -> object:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.WORKFORCE_VIEW
    )
    return TrainingModule.objects.filter(programme=programme)


@router.post("/programmes/{programme_id}/workforce/modules", response={201: ModuleOut})
@api_policy(policies.WORKFORCE_MANAGE)
def create_module(
    request: HttpRequest, programme_id: int, payload: ModuleIn
) -> Status[TrainingModule]:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.WORKFORCE_MANAGE
    )
    module = training.module_create(
        programme=programme, actor=acting_user(request), **plain_values(payload.model_dump())
    )
    return Status(201, module)


@router.patch("/workforce/modules/{module_id}", response=ModuleOut)
@api_policy(policies.WORKFORCE_MANAGE)
def update_module(request: HttpRequest, module_id: int, payload: ModulePatch) -> TrainingModule:
    """Change a module; `"is_active": false` retires it."""
    module = selectors.access_module(
        user=request.user, module_id=module_id, policy=policies.WORKFORCE_MANAGE
    )
    return training.module_update(module=module, actor=acting_user(request), **_changes(payload))


@router.get("/workforce/modules/{module_id}/sessions", response=list[SessionOut])
@api_policy(policies.WORKFORCE_VIEW)
@paginate(Pages)
def list_sessions(request: HttpRequest, module_id: int) -> object:
    module = selectors.access_module(
        user=request.user, module_id=module_id, policy=policies.WORKFORCE_VIEW
    )
    return selectors.module_sessions(module)


@router.post("/workforce/modules/{module_id}/sessions", response={201: SessionOut})
@api_policy(policies.WORKFORCE_MANAGE)
def schedule_session(
    request: HttpRequest, module_id: int, payload: SessionIn
) -> Status[TrainingSession]:
    module = selectors.access_module(
        user=request.user, module_id=module_id, policy=policies.WORKFORCE_MANAGE
    )
    session = training.session_schedule(
        module=module, actor=acting_user(request), **plain_values(payload.model_dump())
    )
    return Status(201, session)


@router.post("/workforce/sessions/{session_id}/attendance", response=list[AttendanceOut])
@api_policy(policies.WORKFORCE_MANAGE)
def record_attendance(
    request: HttpRequest, session_id: int, payload: AttendanceIn
) -> list[TrainingAttendance]:
    """Record that these people attended (or, with `"attended": false`, did not). Hours
    default to the session's credit hours. Answers the rows created or changed."""
    session = selectors.access_session(
        user=request.user, session_id=session_id, policy=policies.WORKFORCE_MANAGE
    )
    return training.attendance_record(
        session=session,
        actor=acting_user(request),
        person_ids=payload.person_ids,
        attended=payload.attended,
        hours=payload.hours,
    )


# ---------------------------------------------------------------------------------------
# A peer's training record and competency checks


@router.get("/workforce/profiles/{profile_id}/training", response=TrainingRecordOut)
@api_policy(policies.PROFILE_VIEW)
def get_training_record(request: HttpRequest, profile_id: int) -> dict[str, Any]:
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.WORKFORCE_VIEW, allow_self=True
    )
    record = selectors.training_record(profile)

    def modules(items: tuple[selectors.ModuleProgress, ...]) -> list[dict[str, Any]]:
        return [
            {
                "module_id": item.module.pk,
                "title": item.module.title,
                "hours": item.module.hours,
                "done": item.done,
                "done_on": item.done_on,
            }
            for item in items
        ]

    return {
        "profile_id": profile.pk,
        "trained": record.standing.trained,
        "required_modules": modules(record.required),
        "optional_modules": modules(record.optional),
        "competencies": [
            {
                "competency_id": item.competency.pk,
                "name": item.competency.name,
                "required": item.competency.required,
                "passed": item.passed,
            }
            for item in record.competencies
        ],
        "hours_in_period": record.hours_in_period,
        "hours_expected": record.hours_expected,
        "period_days": record.period_days,
        "ongoing_training_overdue": record.overdue,
        "competency_checks": list(record.checks),
    }


@router.post("/workforce/profiles/{profile_id}/competency-checks", response={201: CheckOut})
@api_policy(policies.COMPETENCY_ASSESS)
def record_competency_check(
    request: HttpRequest, profile_id: int, payload: CheckIn
) -> Status[CompetencyCheck]:
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.COMPETENCY_ASSESS
    )
    found = selectors.competencies_of(profile.programme).filter(pk=payload.competency_id).first()
    if found is None:
        raise ValidationError({"competency_id": _("Choose a competency of this programme.")})
    check = training.competency_check_record(
        profile=profile,
        competency=found,
        actor=acting_user(request),
        result=payload.result.value,
        evidence=payload.evidence,
    )
    return Status(201, check)
