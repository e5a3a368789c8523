"""API for matching's suggestions (mounted by matching/api.py): the top peers for a
waiting participant with the reasons, why a given peer was not suggested, the
participant's wishes, the programme's match settings and its waiting list."""

from datetime import datetime
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import StrictBool, StrictInt

from peerbridge.api.pagination import Pages
from peerbridge.api.values import plain
from peerbridge.core.access import acting_user, api_policy
from peerbridge.core.audit import Action, audit_instance, audit_many
from peerbridge.matching import policies
from peerbridge.matching.configuration import (
    match_preferences,
    match_settings,
    preferences_update,
    settings_update,
)
from peerbridge.matching.models import (
    REQUIRABLE,
    Component,
    MatchPreferences,
    MatchSettings,
    Preset,
)
from peerbridge.matching.suggestions import (
    MAX_SUGGESTIONS,
    WaitingRow,
    suggest_for,
    waiting_count,
    waiting_rows,
    why_not_for,
)
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import access_programme
from peerbridge.people.models import Person
from peerbridge.referrals.models import Enrolment
from peerbridge.referrals.selectors import access_enrolment
from peerbridge.workforce.models import PeerProfile
from peerbridge.workforce.selectors import as_pk

router = Router()

Clock = Annotated[str, Field(pattern=r"^\d\d:\d\d$")]
Weight = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, strict=True)]
Language = Annotated[str, Field(max_length=3, pattern=r"^([a-z]{2,3})?$")]


class SuggestionsQuery(Schema):
    k: int | None = Field(None, ge=1, le=MAX_SUGGESTIONS)


class SuggestedPeerOut(Schema):
    profile_id: int
    person_id: int
    alias: str
    rank: int
    score: float = Field(..., description="0 to 100.")
    reasons: list[str] = Field(..., description="Why, in plain words.")
    parts: dict[str, float] = Field(..., description="Each component's share of the score.")


class SuggestionsOut(Schema):
    enrolment_id: int
    k: int
    considered: int = Field(..., description="Peers looked at (active or in training).")
    eligible: int = Field(..., description="Of those, how many may take a new match now.")
    fallback: str = Field(
        ..., description="Set when no eligible peer shares the (sub-)condition: says so."
    )
    suggestions: list[SuggestedPeerOut]


class WhyNotOut(Schema):
    enrolment_id: int
    profile_id: int
    reasons: list[str]


class WindowIn(Schema):
    day: StrictInt = Field(..., ge=0, le=6)
    start: Clock
    end: Clock


class PreferencesIn(Schema):
    """The participant's wishes, all of them: what is left out is cleared."""

    peer_gender: Person.Gender | None = None
    gender_required: StrictBool = False
    language: Language = ""
    language_required: StrictBool = False
    same_culture: StrictBool = False
    modalities: list[Programme.Modality] = Field(default_factory=list, max_length=4)
    availability: list[WindowIn] = Field(default_factory=list, max_length=50)
    max_distance_km: StrictInt | None = Field(None, ge=1, le=2000)


class PreferencesOut(Schema):
    enrolment_id: int
    peer_gender: str
    gender_required: bool
    language: str
    language_required: bool
    same_culture: bool
    modalities: list[str]
    availability: list[dict[str, Any]]
    max_distance_km: int | None
    updated_at: datetime | None


class SettingsOut(Schema):
    programme_id: int
    preset: str
    weights: dict[str, float] = Field(..., description="Overrides of the preset's weights.")
    requirements: list[str]
    suggestions: int
    candidates_per_participant: int
    favour_longest_waiting: bool
    choice_profiles: int
    choice_link_days: int
    offer_response_days: int
    max_distance_km: int
    updated_at: datetime | None


ComponentName = Annotated[str, Field(max_length=20)]
Requirement = Annotated[str, Field(max_length=20)]


class SettingsPatch(Schema):
    """Only what is sent changes. `weights` replaces the overrides as a whole (send {}
    to go back to the preset's); `requirements` likewise."""

    preset: Preset | None = None
    weights: dict[ComponentName, Weight] | None = Field(
        None, max_length=len(Component.values), description="Component -> 0..100."
    )
    requirements: list[Requirement] | None = Field(
        None,
        max_length=len(REQUIRABLE),
        description="Any of: " + ", ".join(c.value for c in REQUIRABLE) + ".",
    )
    suggestions: StrictInt | None = Field(None, ge=1, le=20)
    candidates_per_participant: StrictInt | None = Field(None, ge=1, le=200)
    favour_longest_waiting: StrictBool | None = None
    choice_profiles: StrictInt | None = Field(None, ge=1, le=10)
    choice_link_days: StrictInt | None = Field(None, ge=1, le=60)
    offer_response_days: StrictInt | None = Field(None, ge=1, le=30)
    max_distance_km: StrictInt | None = Field(None, ge=1, le=2000)


class WaitingOut(Schema):
    enrolment_id: int
    person_id: int
    name: str
    kind: str
    priority: int
    waiting_since: datetime | None
    waited_days: int
    languages: list[str]
    needs_language: str
    offer_pending: bool


# ---------------------------------------------------------------------------------------


def _enrolment(request: HttpRequest, enrolment_id: Any) -> Enrolment:
    return access_enrolment(
        user=request.user, enrolment_id=as_pk(enrolment_id), policy=policies.MATCH_MAKE
    )


@router.get("/enrolments/{enrolment_id}/suggestions", response=SuggestionsOut)
@api_policy(policies.MATCH_MAKE)
def get_suggestions(
    request: HttpRequest, enrolment_id: int, query: Query[SuggestionsQuery]
) -> dict[str, Any]:
    """The top `k` peers (the programme's setting by default) for a participant, with the
    reasons in plain words. Peers who may not take a match now are never suggested."""
    enrolment = _enrolment(request, enrolment_id)
    page = suggest_for(enrolment, k=query.k)
    audit_many(
        actor=request.user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[p.person_id for p in page.profiles],
    )
    return {
        "enrolment_id": enrolment.pk,
        "k": page.k,
        "considered": page.considered,
        "eligible": page.eligible,
        "fallback": page.fallback,
        "suggestions": [
            {
                "profile_id": s.profile.pk,
                "person_id": s.profile.person_id,
                "alias": s.alias,
                "rank": s.rank,
                "score": s.score,
                "reasons": list(s.reasons),
                "parts": {name: float(value) for name, value in s.parts.items()},
            }
            for s in page.suggestions
        ],
    }


@router.get("/enrolments/{enrolment_id}/why-not/{profile_id}", response=WhyNotOut)
@api_policy(policies.MATCH_MAKE)
def get_why_not(request: HttpRequest, enrolment_id: int, profile_id: int) -> dict[str, Any]:
    """Why this peer of the programme is not among the participant's suggestions (or
    not higher), in plain sentences. A peer of another programme is not found (404)."""
    enrolment = _enrolment(request, enrolment_id)
    profile = (
        PeerProfile.objects.filter(pk=as_pk(profile_id), programme_id=enrolment.programme_id)
        .select_related("person")
        .first()
    )
    if profile is None:
        raise Http404
    audit_instance(actor=request.user, action=Action.READ, instance=profile.person)
    return {
        "enrolment_id": enrolment.pk,
        "profile_id": profile.pk,
        "reasons": why_not_for(enrolment, profile),
    }


def _preferences_payload(enrolment: Enrolment, wishes: MatchPreferences) -> dict[str, Any]:
    return {
        "enrolment_id": enrolment.pk,
        "peer_gender": wishes.peer_gender,
        "gender_required": wishes.gender_required,
        "language": wishes.language,
        "language_required": wishes.language_required,
        "same_culture": wishes.same_culture,
        "modalities": list(wishes.modalities or []),
        "availability": list(wishes.availability or []),
        "max_distance_km": wishes.max_distance_km,
        "updated_at": wishes.updated_at if wishes.pk else None,
    }


@router.get("/enrolments/{enrolment_id}/match-preferences", response=PreferencesOut)
@api_policy(policies.MATCH_MAKE)
def get_preferences(request: HttpRequest, enrolment_id: int) -> dict[str, Any]:
    enrolment = _enrolment(request, enrolment_id)
    return _preferences_payload(enrolment, match_preferences(enrolment))


@router.put("/enrolments/{enrolment_id}/match-preferences", response=PreferencesOut)
@api_policy(policies.MATCH_MAKE)
def put_preferences(
    request: HttpRequest, enrolment_id: int, payload: PreferencesIn
) -> dict[str, Any]:
    """Replace the participant's wishes. A requirement (gender, language) removes the
    peers who do not meet it; a wish adds to a peer's score."""
    enrolment = _enrolment(request, enrolment_id)
    data = payload.model_dump()
    data["peer_gender"] = plain(data["peer_gender"]) or ""
    data["modalities"] = plain(data["modalities"])
    wishes = preferences_update(enrolment=enrolment, data=data, actor=acting_user(request))
    return _preferences_payload(enrolment, wishes)


def _settings_payload(programme: Programme, rules: MatchSettings) -> dict[str, Any]:
    return {
        "programme_id": programme.pk,
        "preset": rules.preset,
        "weights": dict(rules.weights or {}),
        "requirements": list(rules.requirements or []),
        "suggestions": rules.suggestions,
        "candidates_per_participant": rules.candidates_per_participant,
        "favour_longest_waiting": rules.favour_longest_waiting,
        "choice_profiles": rules.choice_profiles,
        "choice_link_days": rules.choice_link_days,
        "offer_response_days": rules.offer_response_days,
        "max_distance_km": rules.max_distance_km,
        "updated_at": rules.updated_at if rules.pk else None,
    }


@router.get("/programmes/{programme_id}/match-settings", response=SettingsOut)
@api_policy(policies.MATCH_MAKE)
def get_settings(request: HttpRequest, programme_id: int) -> dict[str, Any]:
    programme = access_programme(
        user=request.user, programme_id=as_pk(programme_id), policy=policies.MATCH_MAKE
    )
    return _settings_payload(programme, match_settings(programme))


@router.patch("/programmes/{programme_id}/match-settings", response=SettingsOut)
@api_policy(policies.MATCH_SETTINGS_EDIT)
def patch_settings(
    request: HttpRequest, programme_id: int, payload: SettingsPatch
) -> dict[str, Any]:
    programme = access_programme(
        user=request.user, programme_id=as_pk(programme_id), policy=policies.MATCH_SETTINGS_EDIT
    )
    sent = payload.model_dump(exclude_unset=True)
    changes = {name: plain(value) for name, value in sent.items() if value is not None}
    rules = (
        settings_update(programme=programme, data=changes, actor=acting_user(request))
        if changes
        else match_settings(programme)
    )
    return _settings_payload(programme, rules)


def _waiting_payload(row: WaitingRow) -> dict[str, Any]:
    e = row.enrolment
    return {
        "enrolment_id": e.pk,
        "person_id": e.person_id,
        "name": str(e.person),
        "kind": e.kind,
        "priority": e.priority,
        "waiting_since": e.waiting_since,
        "waited_days": row.waited_days,
        "languages": row.languages,
        "needs_language": row.needs_language,
        "offer_pending": row.offer_pending,
    }


class _WaitingPages:
    """A lazy page: counts in the database and reads (and audits) the page's rows only."""

    def __init__(self, programme: Programme, request: HttpRequest) -> None:
        self.programme = programme
        self.request = request
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = waiting_count(self.programme)
        return self._count

    def __getitem__(self, key: slice) -> list[dict[str, Any]]:
        rows = waiting_rows(self.programme, int(key.start or 0), int(key.stop or 0))
        audit_many(
            actor=self.request.user,
            action=Action.READ,
            object_type="people.person",
            object_ids=[row.enrolment.person_id for row in rows],
        )
        return [_waiting_payload(row) for row in rows]


@router.get("/programmes/{programme_id}/matching/waiting-list", response=list[WaitingOut])
@api_policy(policies.MATCH_MAKE)
@paginate(Pages)
def list_waiting(request: HttpRequest, programme_id: int) -> object:
    """The programme's waiting list: the most urgent first, then the longest waiting."""
    programme = access_programme(
        user=request.user, programme_id=as_pk(programme_id), policy=policies.MATCH_MAKE
    )
    return _WaitingPages(programme, request)
