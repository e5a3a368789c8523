"""API for fidelity (the checklist, observations, scores by site, month and peer) and
the implementation dashboard. The same services and selectors as the pages."""

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peerbridge.api.pagination import Pages, paginate
from peerbridge.api.values import IsoDate, plain
from peerbridge.core.access import acting_user, api_policy
from peerbridge.evaluation import fidelity, implementation, policies
from peerbridge.evaluation.models import FidelityElement, FidelityItem, FidelityObservation
from peerbridge.organisations.selectors import access_programme

router = Router(tags=["evaluation"])


Day = IsoDate
Rating = Annotated[int, Field(ge=0, le=2, strict=True)]
Flag = Annotated[bool, Field(strict=True)]


# ---------------------------------------------------------------------------------------
# Schemas


class ItemIn(Schema):
    text: str = Field(..., min_length=1, max_length=fidelity.ITEM_TEXT_MAX)
    element: FidelityElement = FidelityElement.PROGRAMME


class ItemPatch(Schema):
    text: str | None = Field(None, min_length=1, max_length=fidelity.ITEM_TEXT_MAX)
    position: int | None = Field(None, ge=0, le=999, strict=True)
    is_active: Flag | None = None


class ItemOut(Schema):
    id: int
    programme_id: int
    element: str
    element_label: str
    text: str
    position: int
    is_active: bool
    is_core: bool


class ObservationIn(Schema):
    observed_on: Day
    setting: FidelityObservation.Setting
    ratings: dict[str, Rating | None] = Field(
        ...,
        max_length=200,
        description="Every active checklist item by its id: 0 not seen, 1 partly, 2 fully, "
        "null not applicable.",
    )
    note: str = Field("", max_length=fidelity.NOTE_MAX)


class RatingOut(Schema):
    item_id: int
    element: str
    text: str
    rating: int | None


class ObservationOut(Schema):
    id: int
    profile_id: int
    programme_id: int
    site_id: int
    observed_on: date
    setting: str
    score: float
    note: str
    observed_by_id: int
    recorded_at: datetime
    ratings: list[RatingOut]


class ObservationPage(Schema):
    items: list[ObservationOut]
    count: int
    page: int
    page_size: int


class CellOut(Schema):
    month: date
    observations: int | None = Field(..., description="Null where suppressed.")
    mean_score: float | None = Field(..., description="Null where suppressed.")


class SiteOut(Schema):
    site_id: int
    site: str
    months: list[CellOut]


class PeerOut(Schema):
    profile_id: int
    person_id: int
    name: str
    observations: int
    mean_score: float | None
    last_observed_on: date | None
    last_score: float | None
    months: list[CellOut]


class OverviewOut(Schema):
    programme_id: int
    since: date
    suppressed: bool
    total_observations: int | None
    sites: list[SiteOut]
    peers: list[PeerOut] | None = Field(
        ..., description="Null for those who see no names (evaluators, peers)."
    )


class MonthsIn(Schema):
    months: int = Field(fidelity.OVERVIEW_MONTHS, ge=1, le=fidelity.MAX_MONTHS)


class ShareOut(Schema):
    part: int | None
    total: int | None
    percent: float | None


class CountOut(Schema):
    code: str
    label: str
    count: int | None


class CountsOut(Schema):
    rows: list[CountOut]
    total: int | None


class MatchWaitOut(Schema):
    matched: int | None
    median_days: float | None


class DashboardOut(Schema):
    programme_id: int
    on: date
    suppressed: bool
    active_peers: int | None
    training: ShareOut
    supervision: ShareOut
    certification: CountsOut
    burnout: CountsOut
    time_to_match: MatchWaitOut
    match_success: ShareOut
    support_types: CountsOut
    settings: CountsOut
    medical: ShareOut


# ---------------------------------------------------------------------------------------
# Payloads


def _item(item: FidelityItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "programme_id": item.programme_id,
        "element": item.element,
        "element_label": str(item.get_element_display()),
        "text": item.text,
        "position": item.position,
        "is_active": item.is_active,
        "is_core": item.is_core,
    }


def _observation(observation: FidelityObservation) -> dict[str, Any]:
    return {
        "id": observation.pk,
        "profile_id": observation.profile_id,
        "programme_id": observation.programme_id,
        "site_id": observation.site_id,
        "observed_on": observation.observed_on,
        "setting": observation.setting,
        "score": round(observation.score, 1),
        "note": observation.note,
        "observed_by_id": observation.observed_by_id,
        "recorded_at": observation.recorded_at,
        "ratings": [
            {
                "item_id": rating.item_id,
                "element": rating.item.element,
                "text": rating.item.text,
                "rating": rating.rating,
            }
            for rating in observation.ratings.all()
        ],
    }


def _cells(cells: list[fidelity.Cell]) -> list[dict[str, Any]]:
    return [
        {"month": c.month, "observations": c.observations, "mean_score": c.mean_score}
        for c in cells
    ]


def _share(share: implementation.Share) -> dict[str, Any]:
    return {"part": share.part, "total": share.total, "percent": share.percent}


def _counts(counts: implementation.Counts) -> dict[str, Any]:
    return {
        "rows": [{"code": r.code, "label": r.label, "count": r.count} for r in counts.rows],
        "total": counts.total,
    }


# ---------------------------------------------------------------------------------------
# The checklist


@router.get("/programmes/{programme_id}/fidelity/checklist", response=list[ItemOut])
@api_policy(policies.FIDELITY_VIEW)
def list_items(request: HttpRequest, programme_id: int) -> list[dict[str, Any]]:
    """The programme's checklist in order, retired items included (`is_active` false).
    A programme starts with one item for each of the five core elements."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.FIDELITY_VIEW
    )
    return [_item(item) for item in fidelity.checklist(programme)]


@router.post("/programmes/{programme_id}/fidelity/checklist", response={201: ItemOut})
@api_policy(policies.FIDELITY_CONFIGURE)
def add_item(request: HttpRequest, programme_id: int, payload: ItemIn) -> Status[dict[str, Any]]:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.FIDELITY_CONFIGURE
    )
    item = fidelity.item_add(
        programme=programme,
        actor=acting_user(request),
        text=payload.text,
        element=plain(payload.element),
    )
    return Status(201, _item(item))


@router.patch("/fidelity/items/{fidelity_item_id}", response=ItemOut)
@api_policy(policies.FIDELITY_CONFIGURE)
def update_item(request: HttpRequest, fidelity_item_id: int, payload: ItemPatch) -> dict[str, Any]:
    """Reword (only while unused), move or retire an item."""
    item = fidelity.access_item(user=request.user, item_id=fidelity_item_id)
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return _item(fidelity.item_update(item=item, actor=acting_user(request), **changes))


# ---------------------------------------------------------------------------------------
# Observations and scores


@router.get("/programmes/{programme_id}/fidelity", response=OverviewOut)
@api_policy(policies.FIDELITY_VIEW)
def overview(request: HttpRequest, programme_id: int, filters: Query[MonthsIn]) -> dict[str, Any]:
    """Scores by site and month over the last `months` months (counts under five
    suppressed for evaluators and peers), and by peer for those who run the programme
    (every peer) or supervise in it (their supervisees)."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.FIDELITY_VIEW
    )
    found = fidelity.fidelity_overview(
        user=request.user, programme=programme, months=filters.months
    )
    return {
        "programme_id": programme.pk,
        "since": found.months[0],
        "suppressed": found.suppressed,
        "total_observations": found.total_observations,
        "sites": [
            {"site_id": s.site_id, "site": s.site, "months": _cells(s.cells)} for s in found.sites
        ],
        "peers": None
        if found.peers is None
        else [
            {
                "profile_id": row.profile.pk,
                "person_id": row.profile.person_id,
                "name": str(row.profile.person),
                "observations": row.observations,
                "mean_score": row.mean_score,
                "last_observed_on": row.last_observed_on,
                "last_score": row.last_score,
                "months": _cells(row.cells),
            }
            for row in found.peers
        ],
    }


@router.get("/fidelity/peers/{profile_id}/observations", response=ObservationPage)
@api_policy(policies.FIDELITY_VIEW)
def list_observations(
    request: HttpRequest, profile_id: int, pagination: Query[Pages.Input]
) -> dict[str, Any]:
    """A peer's observations, newest first: the peer's own, a supervisee's, or anyone's
    in a programme you run."""
    profile = fidelity.access_peer(user=request.user, profile_id=profile_id)
    page = paginate(fidelity.observations_of(profile), pagination)
    return {**page, "items": [_observation(o) for o in page["items"]]}


@router.post("/fidelity/peers/{profile_id}/observations", response={201: ObservationOut})
@api_policy(policies.FIDELITY_OBSERVE)
def record_observation(
    request: HttpRequest, profile_id: int, payload: ObservationIn
) -> Status[dict[str, Any]]:
    """Supervisors observe their supervisees; leaders anyone in their programmes."""
    profile = fidelity.access_peer(user=request.user, profile_id=profile_id, observing=True)
    observation = fidelity.observation_record(
        profile=profile,
        observed_by=acting_user(request),
        observed_on=payload.observed_on,
        setting=plain(payload.setting),
        ratings=payload.ratings,
        note=payload.note,
    )
    return Status(201, _observation(fidelity.observations_of(profile).get(pk=observation.pk)))


# ---------------------------------------------------------------------------------------
# The implementation dashboard


@router.get("/programmes/{programme_id}/implementation", response=DashboardOut)
@api_policy(policies.REPORT_VIEW)
def dashboard(request: HttpRequest, programme_id: int) -> dict[str, Any]:
    """Training and supervision coverage, certification, burnout, time to match, match
    success, contacts by type of support and setting. Counts only; under five suppressed
    for evaluators."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.REPORT_VIEW
    )
    found = implementation.implementation_dashboard(user=request.user, programme=programme)
    return {
        "programme_id": programme.pk,
        "on": found.on,
        "suppressed": found.suppressed,
        "active_peers": found.active_peers,
        "training": _share(found.training),
        "supervision": _share(found.supervision),
        "certification": _counts(found.certification),
        "burnout": _counts(found.burnout),
        "time_to_match": {
            "matched": found.time_to_match.matched,
            "median_days": found.time_to_match.median_days,
        },
        "match_success": _share(found.match_success),
        "support_types": _counts(found.support_types),
        "settings": _counts(found.settings),
        "medical": _share(found.medical),
    }
