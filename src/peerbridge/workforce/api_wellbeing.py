"""API for the workforce's wellbeing and engagement (mounted by workforce/api.py): check-ins
and pulses, pausing, the supervisor's review of a hold, capacity and availability,
alerts, announcements and the team calendar."""

from datetime import date, datetime
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import StrictInt

from peerbridge.api.pagination import Pages
from peerbridge.core.access import acting_user, api_policy
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import access_programme
from peerbridge.workforce import engagement, policies, wellbeing
from peerbridge.workforce.eligibility import standings
from peerbridge.workforce.models import (
    Announcement,
    PeerProfile,
    TeamEvent,
    WellbeingCheckIn,
    WorkforceAlert,
)
from peerbridge.workforce.selectors import access_profile
from peerbridge.workforce.services import profile_update

router = Router(tags=["workforce"])

Answer = Annotated[StrictInt, Field(ge=0, le=100)] | None
Note = Annotated[str, Field(min_length=1, max_length=wellbeing.NOTE_MAX)]
Clock = Annotated[str, Field(pattern=r"^\d\d:\d\d$")]


class CheckInIn(Schema):
    kind: WellbeingCheckIn.Kind
    answers: dict[Annotated[str, Field(max_length=10)], Answer] | None = Field(
        None, max_length=40, description="CBI item id -> answer value (kind cbi)."
    )
    value: StrictInt | None = Field(None, ge=1, le=5, description="1 struggling to 5 great.")


class CheckInOut(Schema):
    id: int
    profile_id: int
    kind: str
    completed_at: datetime
    instrument_version: str
    work_score: float | None
    client_score: float | None
    pulse: int | None
    high: bool
    answers: dict[str, int] | None = Field(
        None, description="Raw answers: only for the peer and their own supervisor."
    )


class PauseIn(Schema):
    reason: PeerProfile.PauseReason
    paused_from: date | None = None
    paused_until: date | None = None


class HoldReleaseIn(Schema):
    note: Note


class ResolveIn(Schema):
    resolution: Note


class WindowIn(Schema):
    day: StrictInt = Field(..., ge=0, le=6)
    start: Clock
    end: Clock


class CapacityPatch(Schema):
    max_matches: StrictInt | None = Field(None, ge=0, le=100)
    max_groups: StrictInt | None = Field(None, ge=0, le=20)
    availability: list[WindowIn] | None = Field(None, max_length=50)
    modalities: list[Programme.Modality] | None = Field(None, max_length=4)


class StandingOut(Schema):
    id: int
    status: str
    max_matches: int
    max_groups: int
    matches_held: int
    groups_held: int
    availability: list[dict[str, Any]]
    modalities: list[str]
    paused_from: date | None
    paused_until: date | None
    pause_reason: str
    paused: bool
    capacity_hold: bool
    needs_cover: bool
    may_take_match: bool


class AlertCheckInOut(Schema):
    id: int
    completed_at: datetime
    work_score: float | None
    client_score: float | None
    pulse: int | None
    high: bool


class AlertOut(Schema):
    id: int
    profile_id: int
    programme_id: int
    kind: str
    detail: str = Field(..., description="Ids only, e.g. 'check-in 123'; never scores.")
    created_at: datetime
    resolved_at: datetime | None
    resolution: str
    may_resolve: bool = Field(
        ..., description="Burnout and struggling alerts: those who supervise the programme."
    )
    checkin: AlertCheckInOut | None = Field(
        None,
        description="The check-in behind a burnout or struggling alert: only for those "
        "who supervise the programme.",
    )


class AnnouncementIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=4000)


class AnnouncementOut(Schema):
    id: int
    programme_id: int
    title: str
    body: str
    published_at: datetime


class EventIn(Schema):
    kind: TeamEvent.Kind
    title: str = Field(..., min_length=1, max_length=200)
    starts_at: datetime
    ends_at: datetime
    location: str = Field("", max_length=300)
    description: str = Field("", max_length=4000)


class EventOut(Schema):
    id: int
    programme_id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    description: str


def _checkin_payload(row: WellbeingCheckIn, *, with_answers: bool) -> dict[str, Any]:
    fields = CheckInOut.model_fields.keys() - {"answers"}
    return {name: getattr(row, name) for name in fields} | {
        "answers": row.answers if with_answers and row.kind == WellbeingCheckIn.Kind.CBI else None
    }


def _standing_payload(profile: PeerProfile) -> dict[str, Any]:
    found = standings([profile])[profile.pk]
    fields = StandingOut.model_fields.keys() - {
        "matches_held",
        "groups_held",
        "paused",
        "needs_cover",
        "may_take_match",
    }
    return {name: getattr(profile, name) for name in fields} | {
        "matches_held": found.matches_held,
        "groups_held": found.groups_held,
        "paused": found.paused,
        "needs_cover": found.needs_cover,
        "may_take_match": found.may_take_match,
    }


def _alert_payload(view: wellbeing.AlertView) -> dict[str, Any]:
    alert, checkin = view.alert, view.checkin
    return {
        "id": alert.pk,
        "profile_id": alert.profile_id,
        "programme_id": alert.profile.programme_id,
        "kind": alert.kind,
        "detail": alert.detail,
        "created_at": alert.created_at,
        "resolved_at": alert.resolved_at,
        "resolution": alert.resolution,
        "may_resolve": view.may_resolve,
        "checkin": None
        if checkin is None
        else {name: getattr(checkin, name) for name in AlertCheckInOut.model_fields},
    }


@router.post("/workforce/profiles/{profile_id}/checkins", response={201: CheckInOut})
@api_policy(policies.PEER_SELF)
def create_checkin(
    request: HttpRequest, profile_id: int, payload: CheckInIn
) -> Status[dict[str, Any]]:
    """The peer's own check-in: `kind: cbi` with `answers` (the CBI's work- and
    client-related items, at least 3 of each), or `kind: pulse` with `value` 1-5."""
    profile = wellbeing.access_own_profile(user=request.user, profile_id=profile_id)
    actor = acting_user(request)
    if payload.kind == WellbeingCheckIn.Kind.CBI:
        if payload.value is not None:
            raise ValidationError({"value": "A burnout check-in has answers, not a value."})
        row = wellbeing.cbi_checkin_record(
            profile=profile, answers=payload.answers or {}, actor=actor
        )
    else:
        if payload.answers:
            raise ValidationError({"answers": "A pulse has a value, not answers."})
        if payload.value is None:
            raise ValidationError({"value": "Say how you are doing, from 1 to 5."})
        row = wellbeing.pulse_record(profile=profile, value=payload.value, actor=actor)
    return Status(201, _checkin_payload(row, with_answers=True))


@router.get("/workforce/profiles/{profile_id}/checkins", response=list[CheckInOut])
@api_policy(policies.WELLBEING_VIEW)
@paginate(Pages)
def list_checkins(request: HttpRequest, profile_id: int) -> list[dict[str, Any]]:
    """Newest first. Scores for supervisors; the raw answers only for the peer and their
    own supervisor."""
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.SUPERVISE, allow_self=True
    )
    with_answers = wellbeing.sees_answers(request.user, profile)
    return [
        _checkin_payload(row, with_answers=with_answers) for row in wellbeing.checkins_of(profile)
    ]


@router.post("/workforce/profiles/{profile_id}/pause", response=StandingOut)
@api_policy(policies.SELF_OR_MANAGE)
def pause(request: HttpRequest, profile_id: int, payload: PauseIn) -> dict[str, Any]:
    """Pause from today (or `paused_from`) until `paused_until` (or until resumed; at
    most two years ahead). `review` is for the programme's staff only, and only they
    change a pause for review (403 for the peer)."""
    profile = wellbeing.access_self_or_managed(user=request.user, profile_id=profile_id)
    profile = wellbeing.pause_start(
        profile=profile,
        actor=acting_user(request),
        reason=payload.reason.value,
        paused_from=payload.paused_from,
        paused_until=payload.paused_until,
        by_staff=wellbeing.manages(request.user, profile),
    )
    return _standing_payload(profile)


@router.post("/workforce/profiles/{profile_id}/resume", response=StandingOut)
@api_policy(policies.SELF_OR_MANAGE)
def resume(request: HttpRequest, profile_id: int) -> dict[str, Any]:
    profile = wellbeing.access_self_or_managed(user=request.user, profile_id=profile_id)
    """End a running pause today or call off a planned one. A pause for review is the
    programme's staff's to end (403 for the peer)."""
    profile = wellbeing.pause_end(
        profile=profile,
        actor=acting_user(request),
        by_staff=wellbeing.manages(request.user, profile),
    )
    return _standing_payload(profile)


@router.post("/workforce/profiles/{profile_id}/hold/release", response=StandingOut)
@api_policy(policies.SUPERVISE)
def release_hold(request: HttpRequest, profile_id: int, payload: HoldReleaseIn) -> dict[str, Any]:
    """The supervisor's review after a high burnout check-in: new matches may come again."""
    profile = access_profile(user=request.user, profile_id=profile_id, policy=policies.SUPERVISE)
    profile = wellbeing.hold_release(profile=profile, actor=acting_user(request), note=payload.note)
    return _standing_payload(profile)


@router.patch("/workforce/profiles/{profile_id}/capacity", response=StandingOut)
@api_policy(policies.SELF_OR_MANAGE)
def update_capacity(
    request: HttpRequest, profile_id: int, payload: CapacityPatch
) -> dict[str, Any]:
    """Staff set `max_matches` and `max_groups`; the peer (or staff) sets `availability`
    and `modalities`."""
    profile = wellbeing.access_self_or_managed(user=request.user, profile_id=profile_id)
    sent = payload.model_dump(exclude_unset=True)
    changes = {k: v for k, v in sent.items() if v is not None}
    if {"max_matches", "max_groups"} & set(changes) and not wellbeing.manages(
        request.user, profile
    ):
        raise PermissionDenied
    if "modalities" in changes:
        changes["modalities"] = [getattr(m, "value", m) for m in changes["modalities"]]
        offered = set(profile.programme.modalities or Programme.Modality.values)
        if not set(changes["modalities"]) <= offered:
            raise ValidationError({"modalities": "Choose ways of meeting this programme offers."})
    if changes:
        profile = profile_update(profile=profile, actor=acting_user(request), **changes)
    return _standing_payload(profile)


@router.get("/workforce/alerts", response=list[AlertOut])
@api_policy(policies.ALERT_RESOLVE)
@paginate(Pages)
def list_alerts(request: HttpRequest) -> list[dict[str, Any]]:
    """Open alerts about peers in the caller's programmes, newest first."""
    rows = wellbeing.alerts_in_scope(user=request.user).filter(resolved_at__isnull=True)
    return _AlertPage(list(rows.order_by("-created_at", "-id")), request)


class _AlertPage(list):  # type: ignore[type-arg]
    """Audits the people an alert page shows (only the sliced page)."""

    def __init__(self, alerts: list[WorkforceAlert], request: HttpRequest) -> None:
        super().__init__(alerts)
        self.request = request

    def __getitem__(self, key: Any) -> Any:
        rows = super().__getitem__(key)
        if not isinstance(key, slice):
            return rows
        engagement.audit_attendees(user=self.request.user, profiles=[a.profile for a in rows])
        return [
            _alert_payload(view)
            for view in wellbeing.alert_views(user=self.request.user, alerts=rows)
        ]


@router.post("/workforce/alerts/{alert_id}/resolve", response=AlertOut)
@api_policy(policies.ALERT_RESOLVE)
def resolve_alert(request: HttpRequest, alert_id: int, payload: ResolveIn) -> dict[str, Any]:
    """Burnout and struggling alerts are resolved by those who supervise the programme
    (403 for coordinators); cover and matches-review alerts also by coordinators."""
    alert = wellbeing.access_alert(user=request.user, alert_id=alert_id)
    alert = wellbeing.alert_close(
        alert=alert, actor=acting_user(request), resolution=payload.resolution
    )
    return _alert_payload(wellbeing.alert_views(user=request.user, alerts=[alert])[0])


@router.get("/programmes/{programme_id}/workforce/announcements", response=list[AnnouncementOut])
@api_policy(policies.TEAM_VIEW)
@paginate(Pages)
def list_announcements(request: HttpRequest, programme_id: int) -> object:
    """In-app announcements to the programme's team, newest first."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.TEAM_VIEW
    )
    return engagement.programme_announcements(programme)


@router.post("/programmes/{programme_id}/workforce/announcements", response={201: AnnouncementOut})
@api_policy(policies.ANNOUNCE)
def create_announcement(
    request: HttpRequest, programme_id: int, payload: AnnouncementIn
) -> Status[Announcement]:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.ANNOUNCE
    )
    announcement = engagement.announcement_publish(
        programme=programme, actor=acting_user(request), title=payload.title, body=payload.body
    )
    return Status(201, announcement)


@router.get("/programmes/{programme_id}/workforce/events", response=list[EventOut])
@api_policy(policies.TEAM_VIEW)
@paginate(Pages)
def list_events(request: HttpRequest, programme_id: int) -> object:
    """Upcoming team events (not yet over), soonest first."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.TEAM_VIEW
    )
    return engagement.upcoming_events(programme)


@router.post("/programmes/{programme_id}/workforce/events", response={201: EventOut})
@api_policy(policies.ANNOUNCE)
def create_event(request: HttpRequest, programme_id: int, payload: EventIn) -> Status[TeamEvent]:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.ANNOUNCE
    )
    event = engagement.team_event_create(
        programme=programme,
        actor=acting_user(request),
        kind=payload.kind.value,
        title=payload.title,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        location=payload.location,
        description=payload.description,
    )
    return Status(201, event)
