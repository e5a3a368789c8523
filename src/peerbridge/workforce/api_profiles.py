"""API for peers' standing: profiles, the eligibility answer, capacity reservations, and
the programme's workforce rules."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from peerbridge.api.pagination import Pages
from peerbridge.core.access import acting_user, api_policy
from peerbridge.core.audit import Action, audit_many
from peerbridge.organisations.selectors import access_programme
from peerbridge.workforce import policies, services
from peerbridge.workforce.capacity import capacity_release, capacity_reserve
from peerbridge.workforce.eligibility import Standing, standings
from peerbridge.workforce.models import CapacityReservation, CertificationFramework, PeerProfile
from peerbridge.workforce.selectors import access_profile, profiles_in_scope, workforce_settings

router = Router(tags=["workforce"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class BlockerOut(Schema):
    reason: str
    label: str
    detail: str


class EligibilityOut(Schema):
    profile_id: int
    on: date
    stage: str
    may_take_match: bool
    may_facilitate_group: bool
    match_reasons: list[BlockerOut]
    group_reasons: list[BlockerOut]
    matches_held: int
    max_matches: int
    groups_held: int
    max_groups: int
    missing_modules: list[str]
    missing_competencies: list[str]
    unsigned_agreements: list[str]
    certified: bool
    certification_expires_on: date | None
    paused: bool
    on_hold: bool
    ongoing_training_overdue: bool


class ProfileOut(Schema):
    id: int
    person_id: int
    programme_id: int
    status: PeerProfile.Status
    alias: str
    started_on: date
    activated_on: date | None
    supervisor_id: int | None
    max_matches: int
    max_groups: int
    availability: list[dict[str, Any]]
    modalities: list[str]
    paused_from: date | None
    paused_until: date | None
    capacity_hold: bool
    stage: str


class ProfileFilters(Schema):
    programme_id: Id | None = None
    status: PeerProfile.Status | None = None


class ReservationIn(Schema):
    kind: CapacityReservation.Kind
    reference: str = Field(..., min_length=1, max_length=80)


class ReservationOut(Schema):
    id: int
    profile_id: int
    kind: str
    reference: str
    reserved_at: Any
    released_at: Any


class SettingsOut(Schema):
    programme_id: int
    applications_open: bool
    supervision_cadence_days: int
    checkin_cadence_days: int
    burnout_threshold: int
    ongoing_training_hours: Decimal
    ongoing_training_period_days: int
    default_max_matches: int
    default_max_groups: int
    required_framework_id: int | None


class SettingsPatch(Schema):
    applications_open: bool | None = None
    supervision_cadence_days: int | None = Field(None, ge=1, le=180)
    checkin_cadence_days: int | None = Field(None, ge=1, le=365)
    burnout_threshold: int | None = Field(None, ge=1, le=100)
    ongoing_training_hours: Decimal | None = Field(None, ge=0, le=Decimal("999.9"))
    ongoing_training_period_days: int | None = Field(None, ge=7, le=1095)
    default_max_matches: int | None = Field(None, ge=0, le=100)
    default_max_groups: int | None = Field(None, ge=0, le=20)
    required_framework_id: Id | None = None


def eligibility_payload(standing: Standing) -> dict[str, Any]:
    return {
        "profile_id": standing.profile_id,
        "on": standing.on,
        "stage": standing.stage,
        "may_take_match": standing.may_take_match,
        "may_facilitate_group": standing.may_facilitate_group,
        "match_reasons": [b.as_dict() for b in standing.match_blockers],
        "group_reasons": [b.as_dict() for b in standing.group_blockers],
        "matches_held": standing.matches_held,
        "max_matches": standing.max_matches,
        "groups_held": standing.groups_held,
        "max_groups": standing.max_groups,
        "missing_modules": list(standing.missing_modules),
        "missing_competencies": list(standing.missing_competencies),
        "unsigned_agreements": list(standing.unsigned_agreements),
        "certified": standing.certification.holds,
        "certification_expires_on": standing.certification.expires_on,
        "paused": standing.paused,
        "on_hold": standing.on_hold,
        "ongoing_training_overdue": standing.ongoing_training_overdue,
    }


def _profile_payload(profile: PeerProfile, standing: Standing) -> dict[str, Any]:
    fields = ProfileOut.model_fields.keys() - {"stage"}
    return {name: getattr(profile, name) for name in fields} | {"stage": standing.stage}


@router.get("/workforce/profiles", response=list[ProfileOut])
@api_policy(policies.WORKFORCE_VIEW)
@paginate(Pages)
def list_profiles(request: HttpRequest, filters: Query[ProfileFilters]) -> object:
    profiles = profiles_in_scope(user=request.user, policy=policies.WORKFORCE_VIEW).order_by("pk")
    if filters.programme_id is not None:
        profiles = profiles.filter(programme_id=filters.programme_id)
    if filters.status is not None:
        profiles = profiles.filter(status=filters.status)
    return _ProfilePage(profiles, request)


class _ProfilePage:
    """A lazy page: counts in the database, and reads standings (and audits the people
    shown) for the sliced page only."""

    def __init__(self, profiles: QuerySet[PeerProfile], request: HttpRequest) -> None:
        self.profiles = profiles
        self.request = request

    def count(self) -> int:
        return self.profiles.count()

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        rows = list(self.profiles[key])
        audit_many(
            actor=self.request.user,
            action=Action.READ,
            object_type="people.person",
            object_ids=[p.person_id for p in rows],
        )
        found = standings(rows)
        return [_profile_payload(p, found[p.pk]) for p in rows]


@router.get("/workforce/profiles/{profile_id}", response=ProfileOut)
@api_policy(policies.PROFILE_VIEW)
def get_profile(request: HttpRequest, profile_id: int) -> dict[str, Any]:
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.WORKFORCE_VIEW, allow_self=True
    )
    return _profile_payload(profile, standings([profile])[profile.pk])


@router.get("/workforce/profiles/{profile_id}/eligibility", response=EligibilityOut)
@api_policy(policies.PROFILE_VIEW)
def get_eligibility(request: HttpRequest, profile_id: int) -> dict[str, Any]:
    """May this peer take a new match, or facilitate a group? With the reasons when not:
    not_active, untrained, agreements_unsigned, uncertified, decertified, paused,
    burnt_out, at_capacity."""
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.WORKFORCE_VIEW, allow_self=True
    )
    return eligibility_payload(standings([profile])[profile.pk])


@router.post("/workforce/profiles/{profile_id}/activate", response=ProfileOut)
@api_policy(policies.WORKFORCE_MANAGE)
def activate_profile(request: HttpRequest, profile_id: int) -> dict[str, Any]:
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.WORKFORCE_MANAGE
    )
    profile = services.profile_activate(profile=profile, actor=acting_user(request))
    return _profile_payload(profile, standings([profile])[profile.pk])


@router.post("/workforce/profiles/{profile_id}/reservations", response={201: ReservationOut})
@api_policy(policies.WORKFORCE_MANAGE)
def reserve(
    request: HttpRequest, profile_id: int, payload: ReservationIn
) -> Status[CapacityReservation]:
    """Hold one unit of the peer's capacity for a match or group. Refused with 409
    `not_eligible` (and the reasons) when the peer may not take it."""
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.WORKFORCE_MANAGE
    )
    reservation = capacity_reserve(
        profile=profile,
        kind=payload.kind,
        reference=payload.reference,
        actor=acting_user(request),
    )
    return Status(201, reservation)


@router.post("/workforce/profiles/{profile_id}/reservations/release", response=ReservationOut)
@api_policy(policies.WORKFORCE_MANAGE)
def release(request: HttpRequest, profile_id: int, payload: ReservationIn) -> CapacityReservation:
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.WORKFORCE_MANAGE
    )
    released = capacity_release(
        profile=profile,
        kind=payload.kind,
        reference=payload.reference,
        actor=acting_user(request),
    )
    if released is None:
        raise ValidationError({"reference": "Nothing is held for this reference."})
    return released


@router.get("/programmes/{programme_id}/workforce/settings", response=SettingsOut)
@api_policy(policies.WORKFORCE_VIEW)
def get_settings(request: HttpRequest, programme_id: int) -> object:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.WORKFORCE_VIEW
    )
    return workforce_settings(programme)


@router.patch("/programmes/{programme_id}/workforce/settings", response=SettingsOut)
@api_policy(policies.WORKFORCE_SETTINGS_EDIT)
def update_settings(request: HttpRequest, programme_id: int, payload: SettingsPatch) -> object:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.WORKFORCE_SETTINGS_EDIT
    )
    sent = payload.model_dump(exclude_unset=True)
    changes = {k: v for k, v in sent.items() if v is not None or k == "required_framework_id"}
    if "required_framework_id" in changes:
        framework_id = changes.pop("required_framework_id")
        framework = None
        if framework_id is not None:
            framework = CertificationFramework.objects.filter(
                pk=framework_id, organisation_id=programme.site.organisation_id
            ).first()
            if framework is None:
                raise ValidationError({"required_framework_id": "No such framework here."})
        changes["required_framework"] = framework
    return services.settings_update(programme=programme, actor=acting_user(request), **changes)
