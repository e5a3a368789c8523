"""API for closure (mounted by support/api.py): read where a participant's time stands
with a draft summary, and close it. Coordinators, leaders and admins of the programme;
404 outside their reach, 403 for supervisors who see the enrolment."""

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from peerbridge.api.values import plain
from peerbridge.core.access import acting_user, api_policy
from peerbridge.referrals.models import Enrolment
from peerbridge.referrals.selectors import access_enrolment
from peerbridge.support import policies
from peerbridge.support.closure import (
    SUMMARY_MAX,
    closure_draft,
    closure_record,
    live_match,
    programme_end,
    why_not_closable,
)
from peerbridge.support.models import Closure

router = Router()

Flag = Annotated[bool, Field(strict=True)]


class ClosureIn(Schema):
    summary: Annotated[str, Field(min_length=1, max_length=SUMMARY_MAX)]
    exit_questionnaire: Closure.ExitQuestionnaire = Closure.ExitQuestionnaire.NOT_USED
    send_thanks: Flag = Field(
        False,
        description="Queue a thank-you (no health details) on the channels they agreed to.",
    )


class GoalOut(Schema):
    text: str
    status: str
    first: int | None
    first_on: date | None
    last: int | None
    last_on: date | None


class DraftOut(Schema):
    contacts: int
    attempts: int
    minutes: int
    hours: float
    goals: list[GoalOut]
    text: str = Field(description="A first draft of the summary.")


class ClosureRecordOut(Schema):
    summary: str
    exit_questionnaire: str
    thanks_sent_at: datetime | None
    closed_by_id: int | None
    closed_at: datetime


class ClosureOut(Schema):
    enrolment_id: int
    enrolment_status: str
    match_id: int | None
    programme_ends_on: date | None
    closable: bool
    not_closable_because: str
    closure: ClosureRecordOut | None
    draft: DraftOut


def _payload(enrolment: Enrolment) -> dict[str, Any]:
    draft = closure_draft(enrolment)
    match = live_match(enrolment)
    closed = Closure.objects.filter(enrolment=enrolment).first()
    refused = why_not_closable(enrolment, match)
    return {
        "enrolment_id": enrolment.pk,
        "enrolment_status": enrolment.status,
        "match_id": match.pk if match is not None else None,
        "programme_ends_on": programme_end(match),
        "closable": not refused,
        "not_closable_because": refused,
        "closure": closed,
        "draft": {
            "contacts": draft.contacts,
            "attempts": draft.attempts,
            "minutes": draft.minutes,
            "hours": draft.hours,
            "goals": draft.goals,
            "text": draft.text(),
        },
    }


@router.get("/enrolments/{enrolment_id}/closure", response=ClosureOut)
@api_policy(policies.CLOSURE)
def get_closure(request: HttpRequest, enrolment_id: int) -> dict[str, Any]:
    """Where the participant's time stands: the closure once recorded, whether it can be
    closed now, and a draft summary (contacts, hours, goals with first and latest
    rating). Reading it is audited as a read of the person."""
    enrolment = access_enrolment(
        user=request.user, enrolment_id=enrolment_id, policy=policies.CLOSURE
    )
    return _payload(enrolment)


@router.post("/enrolments/{enrolment_id}/closure", response={201: ClosureOut})
@api_policy(policies.CLOSURE)
def record_closure(
    request: HttpRequest, enrolment_id: int, payload: ClosureIn
) -> Status[dict[str, Any]]:
    """Close a matched or active participant's time: the match is completed (capacity
    given back), the enrolment completed, thanks queued when asked. 422 when it cannot be
    closed (already closed, not matched or active, first contact not confirmed)."""
    enrolment = access_enrolment(
        user=request.user, enrolment_id=enrolment_id, policy=policies.CLOSURE
    )
    closure_record(
        enrolment=enrolment,
        actor=acting_user(request),
        summary=payload.summary,
        exit_questionnaire=plain(payload.exit_questionnaire),
        send_thanks=payload.send_thanks,
    )
    enrolment.refresh_from_db()
    return Status(201, _payload(enrolment))
