"""API for the resource directory, its HSDS import and export, and navigation referrals."""

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from peerbridge.api.pagination import Pages
from peerbridge.api.values import plain_values
from peerbridge.core.access import acting_user, api_policy
from peerbridge.people.models import is_language_code
from peerbridge.referrals import directory_selectors as selectors
from peerbridge.referrals import directory_services as services
from peerbridge.referrals import policies
from peerbridge.referrals.hsds import HsdsImportReport, hsds_export_zip, hsds_import
from peerbridge.referrals.hsds_reading import MAX_UPLOAD_BYTES
from peerbridge.referrals.models import DirectoryService, NavigationReferral, ServiceCategory

router = Router(tags=["directory"])

LanguageCode = Annotated[str, Field(min_length=2, max_length=3)]


class ServiceOut(Schema):
    id: int
    hsds_id: str
    organisation_id: int
    name: str
    provider: str
    description: str
    categories: list[ServiceCategory]
    eligibility: str
    languages: list[str]
    area: str
    address: str
    opening_hours: str
    phone: str
    email: str
    url: str
    is_active: bool
    updated_at: datetime


class ServiceIn(Schema):
    organisation_id: int | None = None
    name: str = Field(..., min_length=1, max_length=200)
    provider: str = Field("", max_length=200)
    description: str = Field("", max_length=4000)
    categories: list[ServiceCategory] = Field(..., min_length=1, max_length=20)
    eligibility: str = Field("", max_length=500)
    languages: list[LanguageCode] = Field(default_factory=list, max_length=50)
    area: str = Field("", max_length=200)
    address: str = Field("", max_length=300)
    opening_hours: str = Field("", max_length=300)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    url: str = Field("", max_length=200)


class ServicePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    provider: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=4000)
    categories: list[ServiceCategory] | None = Field(None, min_length=1, max_length=20)
    eligibility: str | None = Field(None, max_length=500)
    languages: list[LanguageCode] | None = Field(None, max_length=50)
    area: str | None = Field(None, max_length=200)
    address: str | None = Field(None, max_length=300)
    opening_hours: str | None = Field(None, max_length=300)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    url: str | None = Field(None, max_length=200)
    is_active: bool | None = None


class ServiceFilters(Schema):
    need: ServiceCategory | None = None
    language: str | None = Field(None, max_length=3)
    area: str | None = Field(None, max_length=200)
    q: str | None = Field(None, max_length=200)
    include_retired: bool = False


class RowErrorOut(Schema):
    file: str
    row: int
    message: str


class PlannedOut(Schema):
    row: int
    hsds_id: str
    name: str
    action: str


class ImportReportOut(Schema):
    dry_run: bool
    committed: bool
    created: int
    updated: int
    unchanged: int
    services: list[PlannedOut]


class NavigationOut(Schema):
    id: int
    enrolment_id: int
    service_id: int
    service_name: str
    need: ServiceCategory
    status: NavigationReferral.Status
    outcome: str
    note: str
    made_by_id: int | None
    made_at: datetime
    connected_at: datetime | None
    outcome_at: datetime | None

    @staticmethod
    def resolve_service_name(obj: NavigationReferral) -> str:
        return obj.service.name


class NavigationIn(Schema):
    service_id: int
    need: ServiceCategory
    note: str = Field("", max_length=4000)


class NavigationStatusIn(Schema):
    status: NavigationReferral.Status
    outcome: NavigationReferral.Outcome | None = None
    note: str = Field("", max_length=4000)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Stored values of the fields the client set (unset patch fields dropped)."""
    return {key: value for key, value in plain_values(values).items() if value is not None}


def _query(filters: ServiceFilters) -> selectors.DirectoryQuery:
    language = (filters.language or "").strip().lower()
    if language and not is_language_code(language):
        raise ValidationError({"language": _("Give an ISO 639 language code, such as es.")})
    return selectors.DirectoryQuery(
        need=filters.need.value if filters.need else "",
        language=language,
        area=(filters.area or "").strip(),
        text=(filters.q or "").strip(),
        include_retired=filters.include_retired,
    )


@router.get("/directory/services", response=list[ServiceOut])
@api_policy(policies.DIRECTORY_VIEW)
@paginate(Pages)
def list_services(request: HttpRequest, filters: Query[ServiceFilters]) -> object:
    return selectors.directory_search(user=request.user, query=_query(filters))


@router.post("/directory/services", response={201: ServiceOut})
@api_policy(policies.DIRECTORY_EDIT)
def create_service(request: HttpRequest, payload: ServiceIn) -> Status[DirectoryService]:
    organisation = selectors.access_directory_organisation(
        user=request.user, organisation_id=payload.organisation_id, policy=policies.DIRECTORY_EDIT
    )
    values = _plain(payload.model_dump(exclude={"organisation_id"}))
    service = services.service_create(
        organisation=organisation, created_by=acting_user(request), **values
    )
    return Status(201, service)


@router.get("/directory/services/{service_id}", response=ServiceOut)
@api_policy(policies.DIRECTORY_VIEW)
def get_service(request: HttpRequest, service_id: int) -> DirectoryService:
    return selectors.access_service(
        user=request.user, service_id=service_id, policy=policies.DIRECTORY_VIEW
    )


@router.patch("/directory/services/{service_id}", response=ServiceOut)
@api_policy(policies.DIRECTORY_EDIT)
def update_service(
    request: HttpRequest, service_id: int, payload: ServicePatch
) -> DirectoryService:
    service = selectors.access_service(
        user=request.user, service_id=service_id, policy=policies.DIRECTORY_EDIT
    )
    values = _plain(payload.model_dump(exclude_unset=True))
    return services.service_update(service=service, updated_by=acting_user(request), **values)


@router.get("/directory/export")
@api_policy(policies.DIRECTORY_EDIT)
def export_directory(request: HttpRequest, organisation_id: int | None = None) -> HttpResponse:
    """The directory as an Open Referral HSDS ZIP of CSV files."""
    chosen = selectors.services_for_export(user=request.user, organisation_id=organisation_id)
    filename = f"directory-hsds-{timezone.localdate():%Y%m%d}.zip"
    return HttpResponse(
        hsds_export_zip(chosen),
        content_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _report_out(report: HsdsImportReport) -> ImportReportOut:
    if report.errors:
        fields: dict[str, list[str]] = {}
        for error in report.errors:
            fields.setdefault(error.key, []).append(error.message)
        raise ValidationError(fields)
    return ImportReportOut(
        dry_run=report.dry_run,
        committed=report.committed,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        services=[
            PlannedOut(row=p.row, hsds_id=p.hsds_id, name=p.name, action=p.action)
            for p in report.planned
        ],
    )


@router.post("/directory/import", response=ImportReportOut)
@api_policy(policies.DIRECTORY_EDIT)
def import_directory(
    request: HttpRequest,
    file: File[UploadedFile | None] = None,
    dry_run: Form[bool] = False,
    organisation_id: Form[int | None] = None,
) -> ImportReportOut:
    """Import an HSDS ZIP (or one services.csv). Every bad row is listed in the 422
    answer's fields as "file:row"; nothing is imported unless every row is valid."""
    organisation = selectors.access_directory_organisation(
        user=request.user, organisation_id=organisation_id, policy=policies.DIRECTORY_EDIT
    )
    if file is None:
        raise ValidationError({"file": _("Choose an HSDS ZIP or a services.csv file.")})
    if (file.size or 0) > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _("The file is too large.")})
    report = hsds_import(
        organisation=organisation,
        data=file.read(),
        filename=file.name or "services.csv",
        imported_by=acting_user(request),
        dry_run=dry_run,
    )
    return _report_out(report)


@router.get("/enrolments/{enrolment_id}/navigation-referrals", response=list[NavigationOut])
@api_policy(policies.NAVIGATION_MANAGE)
@paginate(Pages)
def list_navigation_referrals(request: HttpRequest, enrolment_id: int) -> object:
    enrolment = selectors.access_navigation_enrolment(user=request.user, enrolment_id=enrolment_id)
    return selectors.navigation_referrals_for(enrolment=enrolment)


@router.post("/enrolments/{enrolment_id}/navigation-referrals", response={201: NavigationOut})
@api_policy(policies.NAVIGATION_MANAGE)
def create_navigation_referral(
    request: HttpRequest, enrolment_id: int, payload: NavigationIn
) -> Status[NavigationReferral]:
    enrolment = selectors.access_navigation_enrolment(user=request.user, enrolment_id=enrolment_id)
    try:
        service = selectors.access_service(
            user=request.user, service_id=payload.service_id, policy=policies.DIRECTORY_VIEW
        )
    except Http404:
        raise ValidationError({"service_id": _("There is no such service.")}) from None
    referral = services.navigation_referral_make(
        enrolment=enrolment,
        service=service,
        need=payload.need.value,
        note=payload.note,
        made_by=acting_user(request),
    )
    return Status(201, referral)


@router.post("/navigation-referrals/{navigation_id}/status", response=NavigationOut)
@api_policy(policies.NAVIGATION_MANAGE)
def update_navigation_status(
    request: HttpRequest, navigation_id: int, payload: NavigationStatusIn
) -> NavigationReferral:
    referral = selectors.access_navigation_referral(user=request.user, navigation_id=navigation_id)
    return services.navigation_referral_advance(
        referral=referral,
        status=payload.status.value,
        outcome=payload.outcome.value if payload.outcome else "",
        note=payload.note,
        recorded_by=acting_user(request),
    )
