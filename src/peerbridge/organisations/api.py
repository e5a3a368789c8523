"""API for organisations, sites and programmes."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from peerbridge.api.pagination import Pages
from peerbridge.api.values import plain_values
from peerbridge.core.access import acting_user, api_policy
from peerbridge.organisations import policies, selectors, services
from peerbridge.organisations.models import Organisation, Programme, Site

router = Router(tags=["organisations"])

Slug = Field(..., min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")


class OrganisationOut(Schema):
    id: int
    name: str
    slug: str
    is_active: bool


class OrganisationPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    slug: str | None = Field(None, min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")


class SiteOut(Schema):
    id: int
    organisation_id: int
    parent_id: int | None
    name: str
    code: str
    level: Site.Level
    depth: int
    is_active: bool


class SiteIn(Schema):
    parent_id: int
    name: str = Field(..., min_length=1, max_length=200)
    code: str = Slug
    level: Site.Level


class SitePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    code: str | None = Field(None, min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")
    level: Site.Level | None = None
    is_active: bool | None = None


class SiteFilters(Schema):
    organisation_id: int | None = None
    parent_id: int | None = None


class ProgrammeOut(Schema):
    id: int
    site_id: int
    code: str
    name: str
    summary: str
    condition_area: Programme.ConditionArea
    condition_detail: str
    audience: Programme.Audience
    formats: list[Programme.Format]
    modalities: list[Programme.Modality]
    duration_weeks: int | None
    contact_cadence_days: int
    peer_pay: Programme.PeerPay
    max_contact_attempts: int
    self_referral_open: bool
    status: Programme.Status
    created_at: datetime
    updated_at: datetime


class ProgrammeFields(Schema):
    code: str = Slug
    name: str = Field(..., min_length=1, max_length=200)
    summary: str = Field("", max_length=4000)
    condition_area: Programme.ConditionArea
    condition_detail: str = Field("", max_length=300)
    audience: Programme.Audience
    formats: list[Programme.Format] = Field(..., min_length=1)
    modalities: list[Programme.Modality] = Field(..., min_length=1)
    duration_weeks: int | None = Field(None, ge=1, le=520)
    contact_cadence_days: int = Field(..., ge=1, le=365)
    peer_pay: Programme.PeerPay
    max_contact_attempts: int = Field(3, ge=1, le=20)
    self_referral_open: bool = True
    status: Programme.Status = Programme.Status.DRAFT


class ProgrammeIn(ProgrammeFields):
    site_id: int


class ProgrammePatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str | None = Field(None, min_length=1, max_length=200)
    summary: str | None = Field(None, max_length=4000)
    condition_area: Programme.ConditionArea | None = None
    condition_detail: str | None = Field(None, max_length=300)
    audience: Programme.Audience | None = None
    formats: list[Programme.Format] | None = Field(None, min_length=1)
    modalities: list[Programme.Modality] | None = Field(None, min_length=1)
    duration_weeks: int | None = Field(None, ge=1, le=520)
    contact_cadence_days: int | None = Field(None, ge=1, le=365)
    peer_pay: Programme.PeerPay | None = None
    max_contact_attempts: int | None = Field(None, ge=1, le=20)
    self_referral_open: bool | None = None
    status: Programme.Status | None = None


class ProgrammeFilters(Schema):
    status: Programme.Status | None = None
    site_id: int | None = None


def _patch_values(payload: Schema, *, nullable: set[str]) -> dict[str, object]:
    """Fields the client sent; null only where null means something (open-ended)."""
    sent = payload.model_dump(exclude_unset=True)
    return plain_values({k: v for k, v in sent.items() if v is not None or k in nullable})


@router.get("/organisations", response=list[OrganisationOut])
@api_policy(policies.ORGANISATION_VIEW)
@paginate(Pages)
def list_organisations(request: HttpRequest) -> object:
    return selectors.organisations_in_scope(user=request.user, policy=policies.ORGANISATION_VIEW)


@router.get("/organisations/{organisation_id}", response=OrganisationOut)
@api_policy(policies.ORGANISATION_VIEW)
def get_organisation(request: HttpRequest, organisation_id: int) -> Organisation:
    return selectors.access_organisation(
        user=request.user, organisation_id=organisation_id, policy=policies.ORGANISATION_VIEW
    )


@router.patch("/organisations/{organisation_id}", response=OrganisationOut)
@api_policy(policies.ORGANISATION_EDIT)
def update_organisation(
    request: HttpRequest, organisation_id: int, payload: OrganisationPatch
) -> Organisation:
    organisation = selectors.access_organisation(
        user=request.user, organisation_id=organisation_id, policy=policies.ORGANISATION_EDIT
    )
    return services.organisation_update(
        organisation=organisation,
        updated_by=acting_user(request),
        **_patch_values(payload, nullable=set()),
    )


@router.get("/sites", response=list[SiteOut])
@api_policy(policies.SITE_VIEW)
@paginate(Pages)
def list_sites(request: HttpRequest, filters: Query[SiteFilters]) -> object:
    sites = selectors.sites_in_scope(user=request.user, policy=policies.SITE_VIEW)
    if filters.organisation_id is not None:
        sites = sites.filter(organisation_id=filters.organisation_id)
    if filters.parent_id is not None:
        sites = sites.filter(parent_id=filters.parent_id)
    return sites


@router.post("/sites", response={201: SiteOut})
@api_policy(policies.SITE_EDIT)
def create_site(request: HttpRequest, payload: SiteIn) -> Status[Site]:
    parent = selectors.access_site(
        user=request.user, site_id=payload.parent_id, policy=policies.SITE_EDIT
    )
    site = services.site_create(
        organisation=parent.organisation,
        parent=parent,
        name=payload.name,
        code=payload.code,
        level=payload.level.value,
        created_by=acting_user(request),
    )
    return Status(201, site)


@router.get("/sites/{site_id}", response=SiteOut)
@api_policy(policies.SITE_VIEW)
def get_site(request: HttpRequest, site_id: int) -> Site:
    return selectors.access_site(user=request.user, site_id=site_id, policy=policies.SITE_VIEW)


@router.patch("/sites/{site_id}", response=SiteOut)
@api_policy(policies.SITE_EDIT)
def update_site(request: HttpRequest, site_id: int, payload: SitePatch) -> Site:
    site = selectors.access_site(user=request.user, site_id=site_id, policy=policies.SITE_EDIT)
    return services.site_update(
        site=site, updated_by=acting_user(request), **_patch_values(payload, nullable=set())
    )


@router.get("/programmes", response=list[ProgrammeOut])
@api_policy(policies.PROGRAMME_VIEW)
@paginate(Pages)
def list_programmes(request: HttpRequest, filters: Query[ProgrammeFilters]) -> object:
    programmes = selectors.programmes_in_scope(user=request.user, policy=policies.PROGRAMME_VIEW)
    if filters.status is not None:
        programmes = programmes.filter(status=filters.status.value)
    if filters.site_id is not None:
        programmes = programmes.filter(site_id=filters.site_id)
    return programmes.order_by("name", "id")


@router.post("/programmes", response={201: ProgrammeOut})
@api_policy(policies.PROGRAMME_CREATE)
def create_programme(request: HttpRequest, payload: ProgrammeIn) -> Status[Programme]:
    site = selectors.access_site(
        user=request.user, site_id=payload.site_id, policy=policies.PROGRAMME_CREATE
    )
    values = plain_values(payload.model_dump(exclude={"site_id"}))
    return Status(
        201, services.programme_create(site=site, created_by=acting_user(request), **values)
    )


@router.get("/programmes/{programme_id}", response=ProgrammeOut)
@api_policy(policies.PROGRAMME_VIEW)
def get_programme(request: HttpRequest, programme_id: int) -> Programme:
    return selectors.access_programme(
        user=request.user, programme_id=programme_id, policy=policies.PROGRAMME_VIEW
    )


@router.patch("/programmes/{programme_id}", response=ProgrammeOut)
@api_policy(policies.PROGRAMME_EDIT)
def update_programme(request: HttpRequest, programme_id: int, payload: ProgrammePatch) -> Programme:
    programme = selectors.access_programme(
        user=request.user, programme_id=programme_id, policy=policies.PROGRAMME_EDIT
    )
    return services.programme_update(
        programme=programme,
        updated_by=acting_user(request),
        **_patch_values(payload, nullable={"duration_weeks"}),
    )
