"""API for measures and progress (mounted by outcomes/api.py): the table of kinds, a
participant's measures (list, record, read, remove) and their progress (questionnaire
change and measures over time). The participant, their current peer and staff over the
programme reach them; the participant reads only."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import BeforeValidator

from peerbridge.api.pagination import Pages, paginate
from peerbridge.api.values import IsoDate
from peerbridge.core.access import SIGNED_IN, acting_user, api_policy
from peerbridge.core.audit import Action, audit_many
from peerbridge.outcomes import measures, policies
from peerbridge.outcomes.models import Measure, MeasureKind, MeasureSource, Response
from peerbridge.outcomes.progress import participant_progress
from peerbridge.outcomes.selectors import access_outcome_enrolment

router = Router()


def _number(value: Any) -> Any:
    """A JSON number or its text; true/false are not numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("Send a number.")
    return value


Day = IsoDate
Number = Annotated[Decimal, BeforeValidator(_number), Field(allow_inf_nan=False)]


class UnitOut(Schema):
    code: str
    low: Decimal
    high: Decimal


class KindOut(Schema):
    kind: str
    label: str
    category: str
    unit: str = Field(..., description="The unit values are stored and returned in.")
    units: list[UnitOut] = Field(..., description="Units a value may be sent in.")
    whole: bool
    second: UnitOut | None = Field(None, description="The second number (diastolic pressure).")
    usual: Decimal | None


class MeasureOut(Schema):
    id: int
    enrolment_id: int
    kind: str
    value: Decimal
    value_2: Decimal | None
    unit: str
    text: str
    measured_on: date
    source: str
    recorded_by_id: int | None
    recorded_at: datetime


class MeasurePage(Schema):
    items: list[MeasureOut]
    count: int
    page: int
    page_size: int


class MeasureIn(Schema):
    kind: MeasureKind
    value: Number
    value_2: Number | None = Field(None, description="Blood pressure: the diastolic number.")
    unit: str | None = Field(None, max_length=20, description="Empty: the kind's stored unit.")
    measured_on: Day
    source: MeasureSource


class ChangeOut(Schema):
    category: str
    reliable: bool
    threshold: float
    rci: float | None
    crossed_cutoff: bool | None


class ScoreOut(Schema):
    response_id: int
    completed_at: datetime
    score: float
    band: str


class QuestionnaireOut(Schema):
    instrument: str
    scale: str
    higher_is_worse: bool
    first: float
    latest: float
    change: ChangeOut | None
    scores: list[ScoreOut]


class ProgressOut(Schema):
    enrolment_id: int
    questionnaires: list[QuestionnaireOut]
    measures: list[MeasureOut]


def _kind(spec: measures.KindSpec) -> dict[str, Any]:
    second = spec.second
    return {
        "kind": spec.kind.value,
        "label": spec.label,
        "category": spec.category.value,
        "unit": spec.stored_unit.code,
        "units": [{"code": u.code, "low": u.low, "high": u.high} for u in spec.units],
        "whole": spec.whole,
        "second": None
        if second is None
        else {"code": spec.stored_unit.code, "low": second.low, "high": second.high},
        "usual": spec.usual,
    }


def _measure(row: Measure) -> dict[str, Any]:
    fields = MeasureOut.model_fields.keys() - {"text"}
    return {name: getattr(row, name) for name in fields} | {"text": measures.measure_text(row)}


@router.get("/measure-kinds", response=list[KindOut])
@api_policy(SIGNED_IN)
def list_measure_kinds(request: HttpRequest) -> list[dict[str, Any]]:
    """The kinds of measure, their units and plausible ranges (no personal data)."""
    return [_kind(spec) for spec in measures.KINDS.values()]


@router.get("/enrolments/{enrolment_id}/measures", response=MeasurePage)
@api_policy(policies.MEASURE_VIEW)
def list_measures(
    request: HttpRequest, enrolment_id: int, pagination: Query[Pages.Input]
) -> dict[str, Any]:
    """The participant's measures, newest first."""
    enrolment = access_outcome_enrolment(
        request.user, enrolment_id, policies.MEASURE_VIEW, seen_under=policies.MEASURE_VIEW
    )
    page = paginate(measures.enrolment_measures(enrolment), pagination)
    measures.audit_measures(request.user, page["items"])
    return {**page, "items": [_measure(row) for row in page["items"]]}


@router.post("/enrolments/{enrolment_id}/measures", response={201: MeasureOut})
@api_policy(policies.MEASURE_RECORD)
def record_measure(
    request: HttpRequest, enrolment_id: int, payload: MeasureIn
) -> Status[dict[str, Any]]:
    """Record a measure. HbA1c may be sent in % (`unit`: "%"); it is kept in mmol/mol."""
    enrolment = access_outcome_enrolment(
        request.user, enrolment_id, policies.MEASURE_RECORD, seen_under=policies.MEASURE_VIEW
    )
    row = measures.measure_record(
        enrolment=enrolment,
        actor=acting_user(request),
        kind=payload.kind.value,
        value=payload.value,
        value_2=payload.value_2,
        unit=payload.unit,
        measured_on=payload.measured_on,
        source=payload.source.value,
    )
    return Status(201, _measure(row))


@router.get("/measures/{measure_id}", response=MeasureOut)
@api_policy(policies.MEASURE_VIEW)
def get_measure(request: HttpRequest, measure_id: int) -> dict[str, Any]:
    return _measure(measures.access_measure(request.user, measure_id, policies.MEASURE_VIEW))


@router.delete("/measures/{measure_id}", response={204: None})
@api_policy(policies.MEASURE_RECORD)
def delete_measure(request: HttpRequest, measure_id: int) -> Status[None]:
    """Remove a measure entered in error (the audit log keeps that it existed)."""
    row = measures.access_measure(request.user, measure_id, policies.MEASURE_RECORD)
    measures.measure_delete(measure=row, actor=acting_user(request))
    return Status(204, None)


@router.get("/enrolments/{enrolment_id}/progress", response=ProgressOut)
@api_policy(policies.PROGRESS_VIEW)
def get_progress(request: HttpRequest, enrolment_id: int) -> dict[str, Any]:
    """Per questionnaire completed, the scores on its first scale over time and the
    change from the first to the latest (reliable and clinically significant change by
    the scale's own criteria; null when answered once or the scale has none); and the
    participant's measures, oldest first."""
    enrolment = access_outcome_enrolment(request.user, enrolment_id, policies.PROGRESS_VIEW)
    found = participant_progress(enrolment)
    audit_many(
        actor=request.user,
        action=Action.READ,
        object_type=Response._meta.label_lower,
        object_ids=found.response_ids,
    )
    audit_many(
        actor=request.user,
        action=Action.READ,
        object_type=Measure._meta.label_lower,
        object_ids=found.measure_ids,
    )
    questionnaires = []
    for item in found.questionnaires:
        change = item.change
        questionnaires.append(
            {
                "instrument": item.instrument.code,
                "scale": item.scale.code,
                "higher_is_worse": item.scale.higher_is_worse,
                "first": item.first.score,
                "latest": item.latest.score,
                "change": None
                if change is None
                else {
                    "category": change.category,
                    "reliable": change.reliable,
                    "threshold": change.threshold,
                    "rci": change.rci,
                    "crossed_cutoff": change.crossed_cutoff,
                },
                "scores": [vars(point) for point in item.points],
            }
        )
    return {
        "enrolment_id": enrolment.pk,
        "questionnaires": questionnaires,
        "measures": [_measure(p.measure) for series in found.measures for p in series.points],
    }
