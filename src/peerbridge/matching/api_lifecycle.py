"""API for the match lifecycle (mounted by matching/api.py): list and read matches in
scope, create one for a waiting participant, and move it along. The same services as
the pages; a peer the workforce rules do not allow to take the match is a 409
`not_eligible` with the reasons."""

from datetime import datetime
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peerbridge.api.pagination import Pages, paginate
from peerbridge.api.values import IsoDateTime, plain
from peerbridge.core.access import acting_user, api_policy
from peerbridge.matching import lifecycle, policies
from peerbridge.matching.models import (
    DeclineReason,
    EndReason,
    Match,
    MatchStatus,
    MatchStatusChange,
)
from peerbridge.matching.selectors import access_match, audit_people, matches_in_scope, staff_over
from peerbridge.referrals.selectors import access_enrolment
from peerbridge.workforce.selectors import access_profile

router = Router()


Id = Annotated[int, Field(ge=1, le=2**63 - 1, strict=True)]
QueryId = Annotated[int, Field(ge=1, le=2**63 - 1)]  # query strings are text
Flag = Annotated[bool, Field(strict=True)]
Moment = IsoDateTime
Note = Annotated[str, Field(max_length=lifecycle.NOTE_MAX)]
ReasonText = Annotated[str, Field(max_length=lifecycle.REASON_TEXT_MAX)]


class ChangeOut(Schema):
    from_status: str
    to_status: str
    reason: str
    note: str | None = Field(None, description="Staff only; null for the peer.")
    changed_at: datetime
    changed_by_id: int | None


class MatchOut(Schema):
    id: int
    programme_id: int
    enrolment_id: int
    profile_id: int
    status: str
    status_changed_at: datetime
    source: str
    batch_id: int | None
    score: float | None
    reasons: list[str]
    previous_id: int | None
    offered_at: datetime | None
    respond_by: datetime | None
    accepted_at: datetime | None
    introduced_at: datetime | None
    first_contact_at: datetime | None
    active_at: datetime | None
    closed_at: datetime | None
    decline_reason: str
    end_reason: str
    created_at: datetime
    allowed_next: list[str]


class MatchDetailOut(MatchOut):
    history: list[ChangeOut]


class MatchPage(Schema):
    items: list[MatchOut]
    count: int
    page: int
    page_size: int


class MatchFilters(Schema):
    programme_id: QueryId | None = None
    status: MatchStatus | None = None


class MatchIn(Schema):
    enrolment_id: Id
    profile_id: Id
    offer: Flag = True
    source: Annotated[
        Match.Source,
        Field(description="How the match was made; a batch run's matches come from publishing it."),
    ] = Match.Source.MANUAL
    score: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    reasons: Annotated[list[ReasonText], Field(max_length=lifecycle.REASONS_MAX)] = []
    allow_excluded: Flag = Field(
        False, description="Match a peer excluded for this participant; needs a note."
    )
    note: Note = ""


class DeclineIn(Schema):
    reason: DeclineReason
    note: Note = ""


class FirstContactIn(Schema):
    on: Moment | None = Field(None, description="ISO 8601 with its time zone; empty: now.")


class NoteIn(Schema):
    note: Note = ""


class EndIn(Schema):
    reason: EndReason
    note: Note = ""
    rematch: Flag = Field(True, description="Put the participant back on the waiting list.")


FIELDS = tuple(MatchOut.model_fields.keys() - {"allowed_next"})


def _payload(match: Match) -> dict[str, Any]:
    return {name: getattr(match, name) for name in FIELDS} | {
        "allowed_next": [status for status, _label in match.allowed_next()]
    }


def _detail(request: HttpRequest, match: Match) -> dict[str, Any]:
    notes = staff_over(request.user, match.programme, policies.MATCH_VIEW)
    changes: QuerySet[MatchStatusChange] = match.status_changes.order_by("changed_at", "pk")
    history = [
        {
            "from_status": change.from_status,
            "to_status": change.to_status,
            "reason": change.reason,
            "note": change.note if notes else None,
            "changed_at": change.changed_at,
            "changed_by_id": change.changed_by_id,
        }
        for change in changes
    ]
    return _payload(match) | {"history": history}


@router.get("/matches", response=MatchPage)
@api_policy(policies.MATCH_VIEW)
def list_matches(
    request: HttpRequest, filters: Query[MatchFilters], pagination: Query[Pages.Input]
) -> dict[str, Any]:
    """The matches in the caller's reach, newest first: a programme's for its staff, a
    peer's own offers and matches for the peer. The people of the page shown are audited
    as read."""
    matches = matches_in_scope(request.user).order_by("-created_at", "-pk")
    if filters.programme_id is not None:
        matches = matches.filter(programme_id=filters.programme_id)
    if filters.status is not None:
        matches = matches.filter(status=plain(filters.status))
    page = paginate(matches, pagination)
    audit_people(request.user, page["items"])
    return {**page, "items": [_payload(match) for match in page["items"]]}


@router.get("/matches/{match_id}", response=MatchDetailOut)
@api_policy(policies.MATCH_VIEW)
def get_match(request: HttpRequest, match_id: int) -> dict[str, Any]:
    match = access_match(request.user, match_id, policies.MATCH_VIEW)
    return _detail(request, match)


@router.post("/matches", response={201: MatchDetailOut})
@api_policy(policies.MATCH_MAKE)
def create_match(request: HttpRequest, payload: MatchIn) -> Status[dict[str, Any]]:
    """Propose a peer to a waiting participant, and by default offer it to the peer at
    once. 422 when the participant is not waiting or already matched, or the peer is
    of another programme or excluded for this participant; 409 `not_eligible` when the
    peer may not take a match now (training, agreements, pause, capacity...)."""
    enrolment = access_enrolment(
        user=request.user, enrolment_id=payload.enrolment_id, policy=policies.MATCH_MAKE
    )
    profile = access_profile(
        user=request.user, profile_id=payload.profile_id, policy=policies.MATCH_MAKE
    )
    match = lifecycle.match_create(
        enrolment=enrolment,
        profile=profile,
        source=plain(payload.source),
        actor=acting_user(request),
        score=payload.score,
        reasons=payload.reasons,
        offer=payload.offer,
        allow_excluded=payload.allow_excluded,
        note=payload.note,
    )
    return Status(201, _detail(request, match))


@router.post("/matches/{match_id}/offer", response=MatchDetailOut)
@api_policy(policies.MATCH_MAKE)
def offer_match(request: HttpRequest, match_id: int) -> dict[str, Any]:
    match = access_match(request.user, match_id, policies.MATCH_MAKE)
    return _detail(request, lifecycle.match_offer(match, actor=acting_user(request)))


@router.post("/matches/{match_id}/accept", response=MatchDetailOut)
@api_policy(policies.MATCH_RESPOND)
def accept_match(request: HttpRequest, match_id: int) -> dict[str, Any]:
    """The peer accepts an offer made to them (or a coordinator records it)."""
    match = access_match(request.user, match_id, policies.MATCH_RESPOND)
    return _detail(request, lifecycle.match_accept(match, actor=acting_user(request)))


@router.post("/matches/{match_id}/decline", response=MatchDetailOut)
@api_policy(policies.MATCH_RESPOND)
def decline_match(request: HttpRequest, match_id: int, payload: DeclineIn) -> dict[str, Any]:
    match = access_match(request.user, match_id, policies.MATCH_RESPOND)
    match = lifecycle.match_decline(
        match, reason=plain(payload.reason), note=payload.note, actor=acting_user(request)
    )
    return _detail(request, match)


@router.post("/matches/{match_id}/introduce", response=MatchDetailOut)
@api_policy(policies.MATCH_MAKE)
def introduce_match(request: HttpRequest, match_id: int) -> dict[str, Any]:
    match = access_match(request.user, match_id, policies.MATCH_MAKE)
    return _detail(request, lifecycle.match_introduce(match, actor=acting_user(request)))


@router.post("/matches/{match_id}/first-contact", response=MatchDetailOut)
@api_policy(policies.MATCH_RESPOND)
def confirm_first_contact(
    request: HttpRequest, match_id: int, payload: FirstContactIn
) -> dict[str, Any]:
    match = access_match(request.user, match_id, policies.MATCH_RESPOND)
    match = lifecycle.match_confirm_first_contact(match, actor=acting_user(request), on=payload.on)
    return _detail(request, match)


@router.post("/matches/{match_id}/activate", response=MatchDetailOut)
@api_policy(policies.MATCH_MAKE)
def activate_match(request: HttpRequest, match_id: int) -> dict[str, Any]:
    match = access_match(request.user, match_id, policies.MATCH_MAKE)
    return _detail(request, lifecycle.match_activate(match, actor=acting_user(request)))


@router.post("/matches/{match_id}/complete", response=MatchDetailOut)
@api_policy(policies.MATCH_MAKE)
def complete_match(request: HttpRequest, match_id: int, payload: NoteIn) -> dict[str, Any]:
    match = access_match(request.user, match_id, policies.MATCH_MAKE)
    match = lifecycle.match_complete(match, actor=acting_user(request), note=payload.note)
    return _detail(request, match)


@router.post("/matches/{match_id}/end", response=MatchDetailOut)
@api_policy(policies.MATCH_MAKE)
def end_match(request: HttpRequest, match_id: int, payload: EndIn) -> dict[str, Any]:
    """End early: not_a_fit, participant_withdrew, peer_unavailable, safety or other
    (with a note). Not a fit and safety keep the peer from this participant's next
    suggestions."""
    match = access_match(request.user, match_id, policies.MATCH_MAKE)
    match = lifecycle.match_end(
        match,
        reason=plain(payload.reason),
        note=payload.note,
        rematch=payload.rematch,
        actor=acting_user(request),
    )
    return _detail(request, match)


@router.post("/matches/{match_id}/cancel", response=MatchDetailOut)
@api_policy(policies.MATCH_MAKE)
def cancel_match(request: HttpRequest, match_id: int, payload: NoteIn) -> dict[str, Any]:
    match = access_match(request.user, match_id, policies.MATCH_MAKE)
    match = lifecycle.match_cancel(match, actor=acting_user(request), note=payload.note)
    return _detail(request, match)
