"""API: referrals, enrolments, contact attempts, consent, people (duplicates and merge),
the referrer's closed loop and the evaluator's de-identified intake summary."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import StringConstraints

from peerbridge.api.pagination import Pages, paginate
from peerbridge.api.security import via_token
from peerbridge.api.values import plain
from peerbridge.core.access import acting_user, api_policy, require_roles
from peerbridge.core.disclosure import SMALL_CELL
from peerbridge.organisations.selectors import access_programme
from peerbridge.people.models import CONTACT_SCOPE_FOR_CHANNEL, Consent, ConsentScope, Person
from peerbridge.referrals import policies, selectors, services
from peerbridge.referrals.models import (
    ContactAttempt,
    DeclineReason,
    Enrolment,
    EnrolmentStatus,
    ReferrerStatus,
)

router = Router(tags=["referrals"])

LanguageCode = Annotated[str, StringConstraints(min_length=2, max_length=3)]
CulturalGroup = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class PriorityName(StrEnum):
    ROUTINE = "routine"
    SOON = "soon"
    URGENT = "urgent"


PRIORITY_VALUE = {
    PriorityName.ROUTINE: Enrolment.Priority.ROUTINE,
    PriorityName.SOON: Enrolment.Priority.SOON,
    PriorityName.URGENT: Enrolment.Priority.URGENT,
}
PRIORITY_NAME = {value: name for name, value in PRIORITY_VALUE.items()}


# ---------------------------------------------------------------------------- schemas


class ReferralIn(Schema):
    programme_id: int
    given_name: str = Field(..., min_length=1, max_length=120)
    family_name: str = Field("", max_length=120)
    preferred_name: str = Field("", max_length=120)
    date_of_birth: date | None = None
    age_band: Person.AgeBand | None = None
    gender: Person.Gender | None = None
    languages: list[LanguageCode] = Field(default_factory=list, max_length=10)
    area: str = Field("", max_length=80)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    preferred_channels: list[Person.Channel] = Field(default_factory=list, max_length=3)
    preferred_times: str = Field("", max_length=120)
    accessibility_needs: str = Field("", max_length=2000)
    kind: Enrolment.Kind = Enrolment.Kind.PATIENT
    referral_reason: str = Field("", max_length=4000)
    referrer_organisation: str = Field("", max_length=200)
    priority: PriorityName = PriorityName.ROUTINE
    contact_channels: list[Person.Channel] = Field(
        default_factory=list,
        max_length=3,
        description="The ways the person agreed to be contacted.",
    )
    share_with_referrer: bool = False


class ReferralCreatedOut(Schema):
    id: int
    status: EnrolmentStatus
    referrer_status: ReferrerStatus
    possible_duplicate_count: int | None = Field(
        None, description="Staff only; null for referrers, who never learn about other records."
    )


class MyReferralOut(Schema):
    """All a referrer sees of a referral: no contact details, notes or support."""

    id: int
    person_name: str
    programme_name: str
    received_at: datetime
    referrer_status: ReferrerStatus
    decline_reason: DeclineReason | None

    @staticmethod
    def resolve_person_name(obj: Enrolment) -> str:
        return f"{obj.person.given_name} {obj.person.family_name}".strip()

    @staticmethod
    def resolve_programme_name(obj: Enrolment) -> str:
        return obj.programme.name

    @staticmethod
    def resolve_decline_reason(obj: Enrolment) -> str | None:
        return obj.decline_reason or None


class MyReferralPage(Schema):
    items: list[MyReferralOut]
    count: int
    page: int
    page_size: int


class QueueRowOut(Schema):
    enrolment_id: int
    person_id: int
    name: str
    kind: Enrolment.Kind
    status: EnrolmentStatus
    priority: PriorityName
    received_at: datetime
    attempts: int
    failed_attempts: int
    waited_days: int
    next_action: str
    next_action_due: date | None
    may_close_unreachable: bool
    possible_duplicate: bool


class QueuePageOut(Schema):
    items: list[QueueRowOut]
    count: int
    page: int
    page_size: int


class StatusChangeOut(Schema):
    from_status: EnrolmentStatus | None
    to_status: EnrolmentStatus
    reason: str
    changed_at: datetime
    changed_by_id: int | None

    @staticmethod
    def resolve_from_status(obj: Any) -> str | None:
        return obj.from_status or None


class AttemptOut(Schema):
    id: int
    channel: ContactAttempt.Channel
    outcome: ContactAttempt.Outcome
    note: str
    attempted_at: datetime
    attempted_by_id: int | None


class AttemptCreatedOut(AttemptOut):
    enrolment_status: EnrolmentStatus

    @staticmethod
    def resolve_enrolment_status(obj: ContactAttempt) -> str:
        return obj.enrolment.status


class EnrolmentOut(Schema):
    id: int
    person_id: int
    person_name: str
    programme_id: int
    kind: Enrolment.Kind
    status: EnrolmentStatus
    allowed_next: list[EnrolmentStatus]
    source: Enrolment.Source
    priority: PriorityName
    referrer_organisation: str
    referral_reason: str
    decline_reason: DeclineReason | None
    next_action: str
    next_action_due: date | None
    received_at: datetime
    status_changed_at: datetime
    waiting_since: datetime | None
    failed_attempts: int
    may_close_unreachable: bool
    consent_scopes: list[ConsentScope]
    history: list[StatusChangeOut]
    attempts: list[AttemptOut]


class StatusIn(Schema):
    to_status: EnrolmentStatus
    reason: str = Field("", max_length=2000)
    decline_reason: DeclineReason | None = None


class AttemptIn(Schema):
    channel: ContactAttempt.Channel
    outcome: ContactAttempt.Outcome
    note: str = Field("", max_length=4000)


class EnrolIn(Schema):
    scopes: list[ConsentScope] = Field(..., min_length=1, max_length=len(ConsentScope))
    method: Consent.Method
    given_by: Consent.GivenBy = Consent.GivenBy.SELF
    guardian_name: str = Field("", max_length=200)
    add_to_waiting_list: bool = True


class EnrolmentPatch(Schema):
    priority: PriorityName | None = None
    next_action: str | None = Field(None, max_length=200)
    next_action_due: date | None = None
    kind: Enrolment.Kind | None = None


class StatusCountOut(Schema):
    status: EnrolmentStatus
    count: int | None
    suppressed: bool


class SourceCountOut(Schema):
    source: Enrolment.Source
    count: int | None
    suppressed: bool


class IntakeSummaryOut(Schema):
    programme_id: int
    suppression_threshold: int
    total: int | None
    total_suppressed: bool
    by_status: list[StatusCountOut]
    by_source: list[SourceCountOut]
    median_days_waiting: float | None
    median_suppressed: bool


# ---------------------------------------------------------------------------- helpers


def _referral_source(request: HttpRequest, *, staff: bool) -> str:
    if not staff:
        return Enrolment.Source.CLINICIAN
    return Enrolment.Source.API if via_token(request) else Enrolment.Source.STAFF


def _referral_details(payload: ReferralIn) -> services.ReferralDetails:
    fields = set(services.ReferralDetails.__dataclass_fields__)
    values = {name: plain(value) for name, value in payload.model_dump(include=fields).items()}
    values["age_band"] = values["age_band"] or ""
    values["gender"] = values["gender"] or ""
    return services.ReferralDetails(**values)


def _queue_page(request: HttpRequest, queue: selectors.QueuePage) -> dict[str, Any]:
    return {
        "items": _queue_rows(request, queue.rows),
        "count": queue.count,
        "page": queue.page,
        "page_size": queue.page_size,
    }


def _queue_rows(request: HttpRequest, rows: list[selectors.QueueRow]) -> list[dict[str, Any]]:
    flagged = selectors.people_with_possible_duplicates(
        user=request.user, people=[row.enrolment.person for row in rows]
    )
    return [
        {
            "enrolment_id": row.enrolment.pk,
            "person_id": row.enrolment.person_id,
            "name": str(row.enrolment.person),
            "kind": row.enrolment.kind,
            "status": row.enrolment.status,
            "priority": PRIORITY_NAME[Enrolment.Priority(row.enrolment.priority)],
            "received_at": row.enrolment.received_at,
            "attempts": row.attempts,
            "failed_attempts": row.failed_attempts,
            "waited_days": row.waited_days,
            "next_action": row.enrolment.next_action,
            "next_action_due": row.enrolment.next_action_due,
            "may_close_unreachable": row.may_close_unreachable,
            "possible_duplicate": row.enrolment.person_id in flagged,
        }
        for row in rows
    ]


def _enrolment_out(enrolment: Enrolment) -> dict[str, Any]:
    record = selectors.enrolment_record(enrolment=enrolment)
    return {
        "id": enrolment.pk,
        "person_id": enrolment.person_id,
        "person_name": str(enrolment.person),
        "programme_id": enrolment.programme_id,
        "kind": enrolment.kind,
        "status": enrolment.status,
        "allowed_next": [value for value, _label in enrolment.allowed_next()],
        "source": enrolment.source,
        "priority": PRIORITY_NAME[Enrolment.Priority(enrolment.priority)],
        "referrer_organisation": enrolment.referrer_organisation,
        "referral_reason": enrolment.referral_reason,
        "decline_reason": enrolment.decline_reason or None,
        "next_action": enrolment.next_action,
        "next_action_due": enrolment.next_action_due,
        "received_at": enrolment.received_at,
        "status_changed_at": enrolment.status_changed_at,
        "waiting_since": enrolment.waiting_since,
        "failed_attempts": record.failed_attempts,
        "may_close_unreachable": record.may_close_unreachable,
        "consent_scopes": record.consent.scopes if record.consent else [],
        "history": record.history,
        "attempts": record.attempts,
    }


def _managed_enrolment(request: HttpRequest, enrolment_id: int) -> Enrolment:
    return selectors.access_enrolment(
        user=request.user, enrolment_id=enrolment_id, policy=policies.INTAKE_MANAGE
    )


# ---------------------------------------------------------------------------- referrals


@router.post("/referrals", response={201: ReferralCreatedOut})
@api_policy(policies.REFERRAL_CREATE)
def create_referral(request: HttpRequest, payload: ReferralIn) -> Status[dict[str, Any]]:
    """Refer a person to a programme. Referrers (clinicians) refer to programmes in their
    scope; a partner system does the same with a personal access token."""
    programme = access_programme(
        user=request.user, programme_id=payload.programme_id, policy=policies.REFERRAL_CREATE
    )
    staff = selectors.manages_intake(user=request.user, programme=programme)
    result = services.referral_create(
        programme=programme,
        details=_referral_details(payload),
        source=_referral_source(request, staff=staff),
        referred_by=acting_user(request),
        kind=payload.kind.value,
        referral_reason=payload.referral_reason,
        referrer_organisation=payload.referrer_organisation,
        priority=PRIORITY_VALUE[payload.priority],
        contact_scopes=[CONTACT_SCOPE_FOR_CHANNEL[c] for c in payload.contact_channels],
        share_with_referrer=payload.share_with_referrer,
    )
    enrolment = result.enrolment
    created = {
        "id": enrolment.pk,
        "status": enrolment.status,
        "referrer_status": enrolment.referrer_status,
        "possible_duplicate_count": len(result.possible_duplicates) if staff else None,
    }
    return Status(201, created)


@router.get("/referrals/mine", response=MyReferralPage)
@api_policy(policies.REFERRAL_STATUS_VIEW)
def my_referrals(request: HttpRequest, pagination: Query[Pages.Input]) -> dict[str, Any]:
    """The caller's own referrals and their closed-loop status, while each person's
    consent lets the referrer see it."""
    require_roles(request.user, policies.REFERRAL_STATUS_VIEW)
    return paginate(selectors.referrals_for_referrer(user=request.user), pagination)


@router.get("/programmes/{programme_id}/intake-queue", response=QueuePageOut)
@api_policy(policies.INTAKE_MANAGE)
def intake_queue(
    request: HttpRequest, programme_id: int, pagination: Query[Pages.Input]
) -> dict[str, Any]:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.INTAKE_MANAGE
    )
    return _queue_page(
        request,
        selectors.intake_queue(
            user=request.user,
            programme=programme,
            page=pagination.page,
            page_size=pagination.page_size,
        ),
    )


@router.get("/programmes/{programme_id}/waiting-list", response=QueuePageOut)
@api_policy(policies.INTAKE_MANAGE)
def waiting_list(
    request: HttpRequest, programme_id: int, pagination: Query[Pages.Input]
) -> dict[str, Any]:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.INTAKE_MANAGE
    )
    return _queue_page(
        request,
        selectors.waiting_list(
            user=request.user,
            programme=programme,
            page=pagination.page,
            page_size=pagination.page_size,
        ),
    )


@router.get("/programmes/{programme_id}/intake-summary", response=IntakeSummaryOut)
@api_policy(policies.INTAKE_SUMMARY_VIEW)
def intake_summary(request: HttpRequest, programme_id: int) -> dict[str, Any]:
    """De-identified counts: no identifiers, and counts under the threshold hidden."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.INTAKE_SUMMARY_VIEW
    )
    summary = selectors.intake_summary(programme=programme)
    return {
        "programme_id": programme.pk,
        "suppression_threshold": SMALL_CELL,
        "total": summary.total,
        "total_suppressed": summary.total is None,
        "by_status": [
            {"status": key, "count": n, "suppressed": n is None}
            for key, n in summary.by_status.items()
        ],
        "by_source": [
            {"source": key, "count": n, "suppressed": n is None}
            for key, n in summary.by_source.items()
        ],
        "median_days_waiting": summary.median_days_waiting,
        "median_suppressed": summary.median_days_waiting is None,
    }


# ---------------------------------------------------------------------------- enrolments


@router.get("/enrolments/{enrolment_id}", response=EnrolmentOut)
@api_policy(policies.ENROLMENT_VIEW)
def get_enrolment(request: HttpRequest, enrolment_id: int) -> dict[str, Any]:
    enrolment = selectors.access_enrolment(
        user=request.user, enrolment_id=enrolment_id, policy=policies.ENROLMENT_VIEW
    )
    return _enrolment_out(enrolment)


@router.post("/enrolments/{enrolment_id}/status", response=EnrolmentOut)
@api_policy(policies.INTAKE_MANAGE)
def change_status(request: HttpRequest, enrolment_id: int, payload: StatusIn) -> dict[str, Any]:
    enrolment = services.enrolment_transition(
        enrolment=_managed_enrolment(request, enrolment_id),
        to_status=payload.to_status.value,
        changed_by=acting_user(request),
        reason=payload.reason,
        decline_reason=plain(payload.decline_reason) or "",
    )
    return _enrolment_out(enrolment)


@router.post("/enrolments/{enrolment_id}/attempts", response={201: AttemptCreatedOut})
@api_policy(policies.INTAKE_MANAGE)
def log_attempt(
    request: HttpRequest, enrolment_id: int, payload: AttemptIn
) -> Status[ContactAttempt]:
    """Log a try at reaching the person, on a channel they agreed to; the first that
    connects moves a new referral to "contacted"."""
    enrolment = _managed_enrolment(request, enrolment_id)
    attempt = services.contact_attempt_log(
        enrolment=enrolment,
        channel=payload.channel.value,
        outcome=payload.outcome.value,
        note=payload.note,
        attempted_by=acting_user(request),
    )
    enrolment.refresh_from_db(fields=["status"])
    return Status(201, attempt)


@router.post("/enrolments/{enrolment_id}/enrol", response=EnrolmentOut)
@api_policy(policies.INTAKE_MANAGE)
def enrol(request: HttpRequest, enrolment_id: int, payload: EnrolIn) -> dict[str, Any]:
    """Record consent and enrol (and usually add to the waiting list) in one step."""
    enrolment = services.enrol_with_consent(
        enrolment=_managed_enrolment(request, enrolment_id),
        scopes=plain(payload.scopes),
        method=payload.method.value,
        given_by=payload.given_by.value,
        guardian_name=payload.guardian_name,
        add_to_waiting_list=payload.add_to_waiting_list,
        enrolled_by=acting_user(request),
    )
    return _enrolment_out(enrolment)


@router.patch("/enrolments/{enrolment_id}", response=EnrolmentOut)
@api_policy(policies.INTAKE_MANAGE)
def update_enrolment(
    request: HttpRequest, enrolment_id: int, payload: EnrolmentPatch
) -> dict[str, Any]:
    enrolment = _managed_enrolment(request, enrolment_id)
    sent = payload.model_dump(exclude_unset=True)
    next_action = sent.get("next_action")
    if next_action is None and "next_action_due" in sent:
        next_action = enrolment.next_action  # a new due date for the same action
    enrolment = services.enrolment_update(
        enrolment=enrolment,
        updated_by=acting_user(request),
        priority=PRIORITY_VALUE[payload.priority] if payload.priority else None,
        next_action=next_action,
        next_action_due=sent.get("next_action_due"),
        kind=plain(payload.kind),
    )
    return _enrolment_out(enrolment)
