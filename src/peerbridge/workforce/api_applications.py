"""API for applications to be a peer supporter: a programme's applications (staff enter
new ones), one application with its lived experience and screenings, recording a
screening, and the decision. The same services as the pages."""

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import StringConstraints

from peerbridge.api.pagination import Pages, paginate
from peerbridge.api.values import plain
from peerbridge.core.access import acting_user, api_policy
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import access_programme
from peerbridge.people.models import LivedExperience
from peerbridge.people.taxonomy import STORY_MAX
from peerbridge.workforce import applications, policies
from peerbridge.workforce.applications import (
    MOTIVATION_MAX,
    NOTES_MAX,
    REASON_MAX,
    REFERENCES_MAX,
    Answers,
    Applicant,
    Decision,
    Experience,
)
from peerbridge.workforce.models import (
    Characteristic,
    OtherRole,
    PeerApplication,
    PeerProfile,
    Screening,
)

router = Router(tags=["workforce"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
LanguageCode = Annotated[str, StringConstraints(min_length=2, max_length=3)]
Rating = Annotated[int, Field(ge=1, le=5, strict=True)]


class ApplicationIn(Schema):
    given_name: str = Field(..., min_length=1, max_length=120)
    family_name: str = Field("", max_length=120)
    email: str = Field(..., min_length=3, max_length=254, description="Becomes the sign-in.")
    phone: str = Field("", max_length=40)
    languages: list[LanguageCode] = Field(default_factory=list, max_length=10)
    relationship: LivedExperience.Relationship = LivedExperience.Relationship.SELF
    condition_id: Id | None = Field(None, description="A condition of the organisation.")
    since: date | None = None
    since_kind: LivedExperience.SinceKind | None = None
    story: str = Field("", max_length=STORY_MAX)
    motivation: str = Field(..., min_length=1, max_length=MOTIVATION_MAX)
    availability: str = Field("", max_length=300)
    modalities: list[Programme.Modality] = Field(default_factory=list, max_length=4)
    references: str = Field("", max_length=REFERENCES_MAX)


class ApplicationFilters(Schema):
    status: PeerApplication.Status | None = None


class ApplicationRowOut(Schema):
    id: int
    programme_id: int
    person_id: int
    name: str
    status: str
    source: str
    received_at: datetime
    days_waiting: int
    screening_count: int
    decided_at: datetime | None


class ApplicationPage(Schema):
    items: list[ApplicationRowOut]
    count: int
    page: int
    page_size: int


class ExperienceOut(Schema):
    relationship: str
    condition_id: int | None
    condition: str | None
    since: date | None
    since_kind: str
    story: str


class ScreeningOut(Schema):
    id: int
    application_id: int
    ratings: dict[str, int]
    readiness: str
    readiness_notes: str
    role_play: str
    role_play_notes: str
    screened_by_id: int
    screened_at: datetime


class ApplicationOut(ApplicationRowOut):
    email: str
    phone: str
    languages: list[str]
    motivation: str
    availability: str
    modalities: list[str]
    references: str
    decided_by_id: int | None
    decision_reason: str
    redirected_to: str
    profile_id: int | None = Field(..., description="The peer's profile once accepted.")
    experience: ExperienceOut | None
    screenings: list[ScreeningOut]


class ScreeningIn(Schema):
    ratings: dict[Characteristic, Rating] = Field(
        ..., description="Every characteristic, rated 1 (concern) to 5 (strength)."
    )
    readiness: Screening.Readiness
    readiness_notes: str = Field("", max_length=NOTES_MAX)
    role_play: Screening.RolePlay = Screening.RolePlay.NOT_DONE
    role_play_notes: str = Field("", max_length=NOTES_MAX)


class DecisionIn(Schema):
    decision: Decision
    reason: str = Field("", max_length=REASON_MAX, description="Required to redirect or decline.")
    redirected_to: OtherRole | None = Field(None, description="Required to redirect.")


def _row(application: PeerApplication) -> dict[str, Any]:
    screening_count = getattr(application, "screening_count", None)
    if screening_count is None:
        screening_count = application.screenings.count()
    return {
        "id": application.pk,
        "programme_id": application.programme_id,
        "person_id": application.person_id,
        "name": str(application.person),
        "status": application.status,
        "source": application.source,
        "received_at": application.received_at,
        "days_waiting": applications.days_waiting(application),
        "screening_count": screening_count,
        "decided_at": application.decided_at,
    }


def _experience(application: PeerApplication) -> dict[str, Any] | None:
    experience = applications.experience_of(application)
    if experience is None:
        return None
    return {
        "relationship": experience.relationship,
        "condition_id": experience.condition_id,
        "condition": str(experience.condition) if experience.condition else None,
        "since": experience.since,
        "since_kind": experience.since_kind,
        "story": experience.story,
    }


def _detail(application: PeerApplication) -> dict[str, Any]:
    person = application.person
    return {
        **_row(application),
        "email": person.email,
        "phone": person.phone,
        "languages": list(person.languages or []),
        "motivation": application.motivation,
        "availability": application.availability,
        "modalities": list(application.modalities),
        "references": application.references,
        "decided_by_id": application.decided_by_id,
        "decision_reason": application.decision_reason,
        "redirected_to": application.redirected_to,
        "profile_id": PeerProfile.objects.filter(application=application)
        .values_list("pk", flat=True)
        .first(),
        "experience": _experience(application),
        "screenings": [view.screening for view in applications.screenings_of(application)],
    }


@router.get("/programmes/{programme_id}/workforce/applications", response=ApplicationPage)
@api_policy(policies.APPLICATION_SCREEN)
def list_applications(
    request: HttpRequest,
    programme_id: int,
    filters: Query[ApplicationFilters],
    pagination: Query[Pages.Input],
) -> dict[str, Any]:
    """Open applications first (longest waiting first); each person listed is a read,
    audited."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.APPLICATION_SCREEN
    )
    rows = applications.programme_applications(
        programme=programme, status=plain(filters.status) or ""
    )
    page = paginate(rows, pagination)
    applications.audit_listed(user=request.user, applications=page["items"])
    return {**page, "items": [_row(application) for application in page["items"]]}


@router.post("/programmes/{programme_id}/workforce/applications", response={201: ApplicationOut})
@api_policy(policies.WORKFORCE_MANAGE)
def create_application(
    request: HttpRequest, programme_id: int, payload: ApplicationIn
) -> Status[dict[str, Any]]:
    """Enter an application for someone (source "staff")."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.WORKFORCE_MANAGE
    )
    application = applications.application_submit(
        programme=programme,
        applicant=Applicant(
            given_name=payload.given_name,
            family_name=payload.family_name,
            email=payload.email,
            phone=payload.phone,
            languages=list(payload.languages),
        ),
        experience=Experience(
            relationship=plain(payload.relationship),
            condition=applications.condition_in_taxonomy(
                programme=programme, condition_id=payload.condition_id
            ),
            since=payload.since,
            since_kind=plain(payload.since_kind) or "",
            story=payload.story,
        ),
        answers=Answers(
            motivation=payload.motivation,
            availability=payload.availability,
            modalities=plain(payload.modalities),
            references=payload.references,
        ),
        source=PeerApplication.Source.STAFF,
        created_by=acting_user(request),
    )
    return Status(201, _detail(application))


@router.get("/workforce/applications/{application_id}", response=ApplicationOut)
@api_policy(policies.APPLICATION_SCREEN)
def get_application(request: HttpRequest, application_id: int) -> dict[str, Any]:
    application = applications.access_application(
        user=request.user, application_id=application_id, policy=policies.APPLICATION_SCREEN
    )
    return _detail(application)


@router.post("/workforce/applications/{application_id}/screenings", response={201: ScreeningOut})
@api_policy(policies.APPLICATION_SCREEN)
def record_screening(
    request: HttpRequest, application_id: int, payload: ScreeningIn
) -> Status[Screening]:
    """Rate every characteristic 1-5, readiness and the role-play; moves an open
    application to "screening"."""
    application = applications.access_application(
        user=request.user, application_id=application_id, policy=policies.APPLICATION_SCREEN
    )
    screening = applications.screening_record(
        application=application,
        ratings={str(plain(name)): rating for name, rating in payload.ratings.items()},
        readiness=plain(payload.readiness),
        readiness_notes=payload.readiness_notes,
        role_play=plain(payload.role_play),
        role_play_notes=payload.role_play_notes,
        screened_by=acting_user(request),
    )
    return Status(201, screening)


@router.post("/workforce/applications/{application_id}/decision", response=ApplicationOut)
@api_policy(policies.APPLICATION_DECIDE)
def decide_application(
    request: HttpRequest, application_id: int, payload: DecisionIn
) -> dict[str, Any]:
    """Accept to training (opens the peer's profile, gives the applicant a sign-in and
    emails an invitation), redirect to another role, or decline; reasons are required
    to redirect or decline. An application is decided once."""
    application = applications.access_application(
        user=request.user, application_id=application_id, policy=policies.APPLICATION_DECIDE
    )
    decided = applications.application_decide(
        application=application,
        decision=plain(payload.decision),
        reason=payload.reason,
        redirected_to=plain(payload.redirected_to) or "",
        decided_by=acting_user(request),
        site_url=request.build_absolute_uri("/"),
    )
    return _detail(decided)
