"""API for questionnaires (mounted by outcomes/api.py): the instrument library with
each one's licence state, a participant's assessments with their scored responses,
asking for one, entering answers given in an interview or on paper, declining; the
programme's timepoints; the deployment's licences."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from peerbridge.api.values import IsoDate
from peerbridge.core.access import acting_user, api_policy, require_roles
from peerbridge.instruments.registry import get_instrument, instrument_codes
from peerbridge.organisations.selectors import access_programme
from peerbridge.outcomes import licences, policies, schedules
from peerbridge.outcomes.models import Assessment, InstrumentLicence, Response
from peerbridge.outcomes.responses import response_save, response_start
from peerbridge.outcomes.selectors import (
    access_assessment,
    access_outcome_enrolment,
    assessments_of,
)

router = Router()


Day = IsoDate
Answer = Annotated[int, Field(strict=True)] | None


class InstrumentOut(Schema):
    code: str
    version: str
    title: str
    licence_status: str
    wording_included: bool
    usable: bool
    items: int
    scales: list[str]


class ResponseOut(Schema):
    id: int
    instrument: str
    version: str
    mode: str
    status: str
    answers: dict[str, int]
    scores: dict[str, float | None]
    bands: dict[str, str]
    safety_items: list[str]
    score: float | None
    started_at: datetime
    completed_at: datetime | None


class AssessmentOut(Schema):
    id: int
    enrolment_id: int | None
    timepoint: str | None
    instruments: list[str]
    due_on: date
    closes_on: date
    status: str
    completed_at: datetime | None
    responses: list[ResponseOut]


class AssessmentIn(Schema):
    instruments: list[str] = Field(..., min_length=1, max_length=20)
    due_on: Day | None = Field(None, description="Empty: today.")


class ResponseIn(Schema):
    instrument: str = Field(..., min_length=1, max_length=40)
    mode: Literal["interview", "paper"]
    answers: dict[str, Answer] = Field(..., max_length=200)
    complete: bool = True


class TimepointOut(Schema):
    id: int
    code: str
    label: str
    instruments: list[str]
    respondent: str
    window_days: int
    is_active: bool


class LicenceIn(Schema):
    instrument: str = Field(..., max_length=40)
    holder: str = Field(..., max_length=licences.TEXT_MAX)
    reference: str = Field(..., max_length=licences.TEXT_MAX)
    valid_until: Day | None = None


class LicenceOut(Schema):
    instrument: str
    holder: str
    reference: str
    valid_until: date | None
    recorded_at: datetime
    in_force: bool


def _response(row: Response) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ResponseOut.model_fields}


def _assessment(row: Assessment) -> dict[str, Any]:
    return {
        "id": row.pk,
        "enrolment_id": row.enrolment_id,
        "timepoint": row.timepoint.code if row.timepoint else None,
        "instruments": row.instruments,
        "due_on": row.due_on,
        "closes_on": row.closes_on,
        "status": row.status,
        "completed_at": row.completed_at,
        "responses": [_response(response) for response in row.responses.all()],
    }


@router.get("/instruments", response=list[InstrumentOut])
@api_policy(policies.QUESTIONNAIRE_VIEW)
def list_instruments(request: HttpRequest) -> list[dict[str, Any]]:
    """The questionnaire library; `usable`: this deployment may send or enter it now."""
    require_roles(request.user, policies.QUESTIONNAIRE_VIEW)
    licensed = licences.licences_in_force()
    rows = []
    for code in instrument_codes():
        instrument = get_instrument(code)
        rows.append(
            {
                "code": code,
                "version": instrument.version,
                "title": instrument.title,
                "licence_status": instrument.licence_status,
                "wording_included": instrument.wording_included,
                "usable": licences.instrument_usable(code, licensed=licensed),
                "items": len(instrument.items),
                "scales": [scale.code for scale in instrument.scales],
            }
        )
    return rows


@router.get("/enrolments/{enrolment_id}/assessments", response=list[AssessmentOut])
@api_policy(policies.QUESTIONNAIRE_VIEW)
def list_assessments(request: HttpRequest, enrolment_id: int) -> list[dict[str, Any]]:
    enrolment = access_outcome_enrolment(
        request.user,
        enrolment_id,
        policies.QUESTIONNAIRE_VIEW,
        seen_under=policies.QUESTIONNAIRE_VIEW,
    )
    return [_assessment(row) for row in assessments_of(enrolment)]


@router.post("/enrolments/{enrolment_id}/assessments", response={201: AssessmentOut})
@api_policy(policies.QUESTIONNAIRE_ASK)
def add_assessment(
    request: HttpRequest, enrolment_id: int, payload: AssessmentIn
) -> Status[dict[str, Any]]:
    enrolment = access_outcome_enrolment(
        request.user,
        enrolment_id,
        policies.QUESTIONNAIRE_ASK,
        seen_under=policies.QUESTIONNAIRE_VIEW,
    )
    made = schedules.assessment_create(
        enrolment=enrolment,
        instruments=payload.instruments,
        due_on=payload.due_on,
        actor=acting_user(request),
    )
    return Status(201, _assessment(made))


@router.get("/assessments/{assessment_id}", response=AssessmentOut)
@api_policy(policies.QUESTIONNAIRE_VIEW)
def get_assessment(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    return _assessment(access_assessment(request.user, assessment_id, policies.QUESTIONNAIRE_VIEW))


@router.post("/assessments/{assessment_id}/responses", response={201: ResponseOut})
@api_policy(policies.QUESTIONNAIRE_ASK)
def enter_response(
    request: HttpRequest, assessment_id: int, payload: ResponseIn
) -> Status[dict[str, Any]]:
    """Answers given in an interview or on paper (item id -> option value); with
    `complete` the response is scored as final and any safety item raises a flag."""
    user = acting_user(request)
    found = access_assessment(user, assessment_id, policies.QUESTIONNAIRE_ASK)
    with transaction.atomic():  # a refused answer leaves nothing behind
        response = response_start(
            assessment=found, instrument=payload.instrument, mode=payload.mode, actor=user
        )
        saved = response_save(
            response=response,
            answers=payload.answers,
            complete=payload.complete,
            actor=user,
            mode=payload.mode,
        )
    return Status(201, _response(saved))


@router.post("/assessments/{assessment_id}/decline", response=AssessmentOut)
@api_policy(policies.QUESTIONNAIRE_ASK)
def decline_assessment(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    user = acting_user(request)
    found = access_assessment(user, assessment_id, policies.QUESTIONNAIRE_ASK)
    return _assessment(schedules.assessment_decline(assessment=found, actor=user))


@router.get("/programmes/{programme_id}/timepoints", response=list[TimepointOut])
@api_policy(policies.SCHEDULE_EDIT)
def list_timepoints(request: HttpRequest, programme_id: int) -> list[dict[str, Any]]:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.SCHEDULE_EDIT
    )
    return [
        {name: getattr(row, name) for name in TimepointOut.model_fields}
        for row in schedules.timepoints_of(programme)
    ]


def _licence(row: InstrumentLicence) -> dict[str, Any]:
    return {name: getattr(row, name) for name in LicenceOut.model_fields.keys() - {"in_force"}} | {
        "in_force": row.in_force()
    }


@router.get("/instrument-licences", response=list[LicenceOut])
@api_policy(policies.LICENCE_RECORD)
def list_licences(request: HttpRequest) -> list[dict[str, Any]]:
    require_roles(request.user, policies.LICENCE_RECORD)
    return [_licence(row) for row in InstrumentLicence.objects.all()]


@router.post("/instrument-licences", response={201: LicenceOut})
@api_policy(policies.LICENCE_RECORD)
def record_licence(request: HttpRequest, payload: LicenceIn) -> Status[dict[str, Any]]:
    require_roles(request.user, policies.LICENCE_RECORD)
    made = licences.licence_record(
        instrument=payload.instrument,
        holder=payload.holder,
        reference=payload.reference,
        valid_until=payload.valid_until,
        actor=acting_user(request),
    )
    return Status(201, _licence(made))
