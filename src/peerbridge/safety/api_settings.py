"""API for a programme's safety settings and its on-call rota."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from peerbridge.api.values import IsoDateTime, IsoTime
from peerbridge.core.access import acting_user, api_policy
from peerbridge.organisations.selectors import access_programme
from peerbridge.safety import configuration as config
from peerbridge.safety import policies
from peerbridge.safety.models import OnCallShift, SafetySettings
from peerbridge.safety.selectors import STAFF_VIEW
from peerbridge.workforce.selectors import as_pk

router = Router()

Id = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]


Moment = IsoDateTime
TimeOfDay = IsoTime
Weekday = Annotated[int, Field(ge=1, le=7, strict=True)]
Minutes = Annotated[int, Field(ge=5, le=24 * 60, strict=True)]
WorkingDays = Annotated[int, Field(ge=1, le=20, strict=True)]


class SettingsIn(Schema):
    """Every field is optional: a field left out keeps its value."""

    high_within_minutes: Minutes | None = None
    medium_within_working_days: WorkingDays | None = None
    low_within_working_days: WorkingDays | None = None
    working_day_starts: TimeOfDay | None = Field(None, description="e.g. 09:00")
    working_day_ends: TimeOfDay | None = Field(None, description="e.g. 17:00")
    working_weekdays: list[Weekday] | None = Field(
        None, min_length=1, max_length=7, description="ISO weekdays, 1 = Monday."
    )
    on_call_user_id: Id | None = Field(
        None, description="A supervisor or leader of the programme; null: nobody."
    )
    crisis_resources: str | None = Field(None, max_length=config.CRISIS_MAX)


class SettingsOut(Schema):
    programme_id: int
    high_within_minutes: int
    medium_within_working_days: int
    low_within_working_days: int
    working_day_starts: time
    working_day_ends: time
    working_weekdays: list[int]
    on_call_user_id: int | None
    crisis_resources: str
    updated_at: datetime


class ShiftIn(Schema):
    user_id: Id
    starts_at: Moment = Field(..., description="ISO 8601 with its time zone.")
    ends_at: Moment = Field(..., description="ISO 8601 with its time zone.")


class ShiftOut(Schema):
    id: int
    programme_id: int
    user_id: int
    user_name: str
    starts_at: datetime
    ends_at: datetime


class RotaOut(Schema):
    on_call_now_user_id: int | None
    shifts: list[ShiftOut]


class RemovedOut(Schema):
    id: int
    removed: bool = Field(..., description="True: a future shift was taken off the rota.")
    ends_at: datetime | None = Field(..., description="A shift under way ends now.")


def _settings(row: SafetySettings) -> dict[str, Any]:
    return {
        "programme_id": row.programme_id,
        "high_within_minutes": row.high_within_minutes,
        "medium_within_working_days": row.medium_within_working_days,
        "low_within_working_days": row.low_within_working_days,
        "working_day_starts": row.working_day_starts,
        "working_day_ends": row.working_day_ends,
        "working_weekdays": list(row.working_weekdays or config.DEFAULT_WEEKDAYS),
        "on_call_user_id": row.on_call_id,
        "crisis_resources": row.crisis_resources,
        "updated_at": row.updated_at,
    }


def _shift(shift: OnCallShift) -> dict[str, Any]:
    return {
        "id": shift.pk,
        "programme_id": shift.programme_id,
        "user_id": shift.user_id,
        "user_name": shift.user.display_name,
        "starts_at": shift.starts_at,
        "ends_at": shift.ends_at,
    }


@router.get("/programmes/{programme_id}/safety-settings", response=SettingsOut)
@api_policy(policies.FLAG_VIEW)
def get_settings(request: HttpRequest, programme_id: int) -> dict[str, Any]:
    """Staff over the programme read its deadlines, hours and crisis resources."""
    programme = access_programme(user=request.user, programme_id=programme_id, policy=STAFF_VIEW)
    return _settings(config.safety_settings(programme))


@router.put("/programmes/{programme_id}/safety-settings", response=SettingsOut)
@api_policy(policies.SAFETY_SETTINGS_EDIT)
def put_settings(request: HttpRequest, programme_id: int, payload: SettingsIn) -> dict[str, Any]:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.SAFETY_SETTINGS_EDIT
    )
    data = payload.model_dump(exclude_unset=True)
    if "on_call_user_id" in data:
        wanted = data.pop("on_call_user_id")
        data["on_call"] = None
        if wanted is not None:
            data["on_call"] = config.on_call_choices(programme).filter(pk=wanted).first()
            if data["on_call"] is None:
                raise ValidationError(
                    {"on_call_user_id": "Choose a supervisor or leader of this programme."}
                )
    nullable = {"on_call"}
    refused = sorted(name for name, value in data.items() if value is None and name not in nullable)
    if refused:
        raise ValidationError({name: "This cannot be empty." for name in refused})
    row = config.settings_update(programme=programme, data=data, actor=acting_user(request))
    return _settings(row)


@router.get("/programmes/{programme_id}/on-call", response=RotaOut)
@api_policy(policies.FLAG_VIEW)
def get_rota(request: HttpRequest, programme_id: int) -> dict[str, Any]:
    """Who is on call now, and the shifts not over yet, soonest first."""
    programme = access_programme(user=request.user, programme_id=programme_id, policy=STAFF_VIEW)
    now = config.on_call_now(programme)
    return {
        "on_call_now_user_id": now.pk if now is not None else None,
        "shifts": [_shift(shift) for shift in config.rota(programme)],
    }


@router.post("/programmes/{programme_id}/on-call", response={201: ShiftOut})
@api_policy(policies.SAFETY_SETTINGS_EDIT)
def add_shift(request: HttpRequest, programme_id: int, payload: ShiftIn) -> Status[dict[str, Any]]:
    """Shifts of one programme never overlap; a shift lasts at most 31 days."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.SAFETY_SETTINGS_EDIT
    )
    user = config.on_call_choices(programme).filter(pk=payload.user_id).first()
    if user is None:
        raise ValidationError({"user_id": "Choose a supervisor or leader of this programme."})
    shift = config.shift_add(
        programme=programme,
        user=user,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        actor=acting_user(request),
    )
    return Status(201, _shift(shift))


@router.post("/on-call/{shift_id}/remove", response=RemovedOut)
@api_policy(policies.SAFETY_SETTINGS_EDIT)
def remove_shift(request: HttpRequest, shift_id: int) -> dict[str, Any]:
    """A future shift is taken off; a shift under way ends now; a past one stays."""
    shift = OnCallShift.objects.filter(pk=as_pk(shift_id)).first()
    if shift is None:
        raise Http404
    access_programme(
        user=request.user, programme_id=shift.programme_id, policy=policies.SAFETY_SETTINGS_EDIT
    )
    kept = config.shift_remove(shift=shift, actor=acting_user(request))
    return {"id": shift.pk, "removed": kept is None, "ends_at": kept.ends_at if kept else None}
