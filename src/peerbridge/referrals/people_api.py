"""API: people (profiles, duplicates and merge) and their consent, for intake staff."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peerbridge.api.pagination import Pages, paginate
from peerbridge.api.values import plain
from peerbridge.core.access import Policy, acting_user, api_policy, require_roles
from peerbridge.core.audit import Action, audit_many
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import access_programme
from peerbridge.people import policies as people_policies
from peerbridge.people import selectors as people_selectors
from peerbridge.people.models import Consent, ConsentScope, Person
from peerbridge.people.selectors import access_person
from peerbridge.people.services import consent_record, consent_withdraw, person_update
from peerbridge.referrals import selectors, services
from peerbridge.referrals.api import CulturalGroup, LanguageCode
from peerbridge.referrals.models import Enrolment, EnrolmentStatus

router = Router(tags=["people"])


class PersonRowOut(Schema):
    id: int
    name: str
    given_name: str
    family_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: date | None
    age_band: Person.AgeBand | None


class PersonPage(Schema):
    items: list[PersonRowOut]
    count: int
    page: int
    page_size: int


class PersonFilters(Schema):
    q: str = Field(
        "", max_length=100, pattern=r"^[^\x00]*$", description="Words each found in a name."
    )


class PersonEnrolmentOut(Schema):
    id: int
    programme_id: int
    programme_name: str
    status: EnrolmentStatus
    kind: Enrolment.Kind


class PersonOut(PersonRowOut):
    """A person's profile, contact details decrypted: for staff who reach the person."""

    organisation_id: int | None
    site_id: int | None
    age: int | None
    gender: Person.Gender | None
    gender_described: str
    languages: list[str]
    cultural_background: str
    cultural_groups: list[str]
    area: str
    latitude: float | None
    longitude: float | None
    accessibility_needs: str
    phone: str
    email: str
    preferred_channels: list[Person.Channel]
    preferred_times: str
    notes: str
    created_at: datetime
    updated_at: datetime


class PersonProfileOut(PersonOut):
    enrolments: list[PersonEnrolmentOut] = Field(
        ..., description="Only enrolments in programmes the caller may see."
    )


class PersonPatch(Schema):
    given_name: str | None = Field(None, min_length=1, max_length=120)
    family_name: str | None = Field(None, max_length=120)
    preferred_name: str | None = Field(None, max_length=120)
    pronouns: str | None = Field(None, max_length=40)
    date_of_birth: date | None = None
    age_band: Person.AgeBand | None = None
    gender: Person.Gender | None = None
    gender_described: str | None = Field(None, max_length=80)
    languages: list[LanguageCode] | None = Field(None, max_length=10)
    cultural_background: str | None = Field(None, max_length=200)
    cultural_groups: list[CulturalGroup] | None = Field(None, max_length=10)
    area: str | None = Field(None, max_length=80)
    latitude: Decimal | None = Field(None, ge=-90, le=90, max_digits=8, decimal_places=5)
    longitude: Decimal | None = Field(None, ge=-180, le=180, max_digits=8, decimal_places=5)
    accessibility_needs: str | None = Field(None, max_length=2000)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    preferred_channels: list[Person.Channel] | None = Field(None, max_length=3)
    preferred_times: str | None = Field(None, max_length=120)
    notes: str | None = Field(None, max_length=10000)


# Null clears these; for the other fields null means "leave as it is".
PERSON_NULLABLE = {"date_of_birth", "latitude", "longitude", "age_band", "gender"}
BLANK_WHEN_NULL = {"age_band", "gender"}


class DuplicateOut(Schema):
    id: int
    name: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    matched_on: list[str] = Field(..., description="name_and_date_of_birth, phone or email")


class MergeIn(Schema):
    duplicate_id: int


class ConsentOut(Schema):
    id: int
    programme_id: int
    scopes: list[ConsentScope]
    method: Consent.Method
    given_by: Consent.GivenBy
    guardian_name: str
    change: Consent.Change
    reason: str
    text_version: str | None
    recorded_at: datetime
    recorded_by_id: int | None

    @staticmethod
    def resolve_text_version(obj: Consent) -> str | None:
        return obj.text.version if obj.text is not None else None


class ConsentIn(Schema):
    programme_id: int
    scopes: list[ConsentScope] = Field(..., max_length=len(ConsentScope))
    method: Consent.Method
    given_by: Consent.GivenBy = Consent.GivenBy.SELF
    guardian_name: str = Field("", max_length=200)


class ConsentWithdrawIn(Schema):
    programme_id: int
    scopes: list[ConsentScope] = Field(..., min_length=1, max_length=len(ConsentScope))
    reason: str = Field("", max_length=300)
    method: Consent.Method = Consent.Method.VERBAL


PERSON_ROW_FIELDS = ("id", "given_name", "family_name", "preferred_name", "pronouns")
PERSON_PROFILE_FIELDS = (
    "organisation_id",
    "site_id",
    "age",
    "gender_described",
    "languages",
    "cultural_background",
    "cultural_groups",
    "area",
    "latitude",
    "longitude",
    "accessibility_needs",
    "phone",
    "email",
    "preferred_channels",
    "preferred_times",
    "notes",
    "created_at",
    "updated_at",
)


def _person_row(person: Person) -> dict[str, Any]:
    return {
        **{name: getattr(person, name) for name in PERSON_ROW_FIELDS},
        "name": str(person),
        "date_of_birth": person.date_of_birth,
        "age_band": person.age_band or None,
    }


def _profile(request: HttpRequest, person: Person) -> dict[str, Any]:
    enrolments = [
        {
            "id": e.pk,
            "programme_id": e.programme_id,
            "programme_name": e.programme.name,
            "status": e.status,
            "kind": e.kind,
        }
        for e in selectors.person_enrolments(user=request.user, person=person)
    ]
    return {
        **_person_row(person),
        **{name: getattr(person, name) for name in PERSON_PROFILE_FIELDS},
        "gender": person.gender or None,
        "enrolments": enrolments,
    }


def _person(request: HttpRequest, person_id: Any, policy: Policy) -> Person:
    return access_person(user=request.user, person_id=person_id, policy=policy)


def _consent_programme(request: HttpRequest, programme_id: int) -> Programme:
    return access_programme(
        user=request.user, programme_id=programme_id, policy=people_policies.PERSON_EDIT
    )


# ---------------------------------------------------------------------------- people


@router.get("/people", response=PersonPage)
@api_policy(people_policies.PERSON_VIEW)
def list_people(
    request: HttpRequest, filters: Query[PersonFilters], pagination: Query[Pages.Input]
) -> dict[str, Any]:
    """People the caller may see, by name; each person listed is a read, audited."""
    require_roles(request.user, people_policies.PERSON_VIEW)
    page = paginate(selectors.people_search(user=request.user, q=filters.q), pagination)
    audit_many(
        actor=request.user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[person.pk for person in page["items"]],
    )
    return {**page, "items": [_person_row(person) for person in page["items"]]}


@router.get("/people/{person_id}", response=PersonProfileOut)
@api_policy(people_policies.PERSON_VIEW)
def get_person(request: HttpRequest, person_id: int) -> dict[str, Any]:
    return _profile(request, _person(request, person_id, people_policies.PERSON_VIEW))


@router.patch("/people/{person_id}", response=PersonProfileOut)
@api_policy(people_policies.PERSON_EDIT)
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> dict[str, Any]:
    person = _person(request, person_id, people_policies.PERSON_EDIT)
    sent = payload.model_dump(exclude_unset=True)
    changes = {
        name: plain(value)
        for name, value in sent.items()
        if value is not None or name in PERSON_NULLABLE
    }
    for name in BLANK_WHEN_NULL & set(changes):
        changes[name] = changes[name] or ""
    person = person_update(person=person, updated_by=acting_user(request), **changes)
    return _profile(request, person)


@router.get("/people/{person_id}/duplicates", response=list[DuplicateOut])
@api_policy(people_policies.PERSON_MERGE)
def person_duplicates(request: HttpRequest, person_id: int) -> list[dict[str, Any]]:
    """Records that may be the same person (same name and date of birth, phone or email),
    among those the caller may merge."""
    person = _person(request, person_id, people_policies.PERSON_MERGE)
    return [
        {
            "id": found.person.pk,
            "name": str(found.person),
            "given_name": found.person.given_name,
            "family_name": found.person.family_name,
            "date_of_birth": found.person.date_of_birth,
            "matched_on": found.matched_on,
        }
        for found in people_selectors.person_duplicates(user=request.user, person=person)
    ]


@router.post("/people/{person_id}/merge", response=PersonProfileOut)
@api_policy(people_policies.PERSON_MERGE)
def merge_person(request: HttpRequest, person_id: int, payload: MergeIn) -> dict[str, Any]:
    """Fold the duplicate into this record; the duplicate stays, marked merged."""
    keep = _person(request, person_id, people_policies.PERSON_MERGE)
    duplicate = _person(request, payload.duplicate_id, people_policies.PERSON_MERGE)
    keep = services.person_merge(keep=keep, duplicate=duplicate, merged_by=acting_user(request))
    return _profile(request, keep)


@router.get("/people/{person_id}/consents", response=list[ConsentOut])
@api_policy(people_policies.PERSON_VIEW)
def consent_history(request: HttpRequest, person_id: int) -> list[Consent]:
    """Every consent decision, newest first: the first one is what holds now."""
    person = _person(request, person_id, people_policies.PERSON_VIEW)
    return selectors.consent_history(user=request.user, person=person)


@router.post("/people/{person_id}/consents", response={201: ConsentOut})
@api_policy(people_policies.PERSON_EDIT)
def record_consent(request: HttpRequest, person_id: int, payload: ConsentIn) -> Status[Consent]:
    """Record what the person agrees to now; it replaces what held before."""
    person = _person(request, person_id, people_policies.PERSON_EDIT)
    consent = consent_record(
        person=person,
        programme=_consent_programme(request, payload.programme_id),
        scopes=plain(payload.scopes),
        method=payload.method.value,
        given_by=payload.given_by.value,
        guardian_name=payload.guardian_name,
        recorded_by=acting_user(request),
    )
    return Status(201, consent)


@router.post("/people/{person_id}/consents/withdraw", response={201: ConsentOut})
@api_policy(people_policies.PERSON_EDIT)
def withdraw_consent(
    request: HttpRequest, person_id: int, payload: ConsentWithdrawIn
) -> Status[Consent]:
    """Withdraw some scopes; it takes effect on the very next request."""
    person = _person(request, person_id, people_policies.PERSON_EDIT)
    consent = consent_withdraw(
        person=person,
        programme=_consent_programme(request, payload.programme_id),
        scopes=plain(payload.scopes),
        reason=payload.reason,
        method=payload.method.value,
        recorded_by=acting_user(request),
    )
    return Status(201, consent)
