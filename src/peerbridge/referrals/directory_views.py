"""Pages for the resource directory, its HSDS import and export, and navigation
referrals. Thin: read a form, call a selector or a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.organisations.models import Organisation
from peerbridge.organisations.selectors import AnyUser
from peerbridge.people.models import language_name
from peerbridge.referrals import directory_selectors as selectors
from peerbridge.referrals import directory_services as services
from peerbridge.referrals import policies
from peerbridge.referrals.directory_forms import (
    DirectorySearchForm,
    DirectoryServiceForm,
    HsdsImportForm,
    NavigationReferralForm,
    NavigationStatusForm,
)
from peerbridge.referrals.hsds import hsds_export_zip, hsds_import
from peerbridge.referrals.models import DirectoryService, NavigationReferral

PAGE_SIZE = 20
TEMPLATES = "referrals/directory/"


def _choosable(user: AnyUser) -> QuerySet[Organisation] | None:
    """The organisations to choose from when the user keeps more than one directory."""
    organisations = selectors.directory_organisations(user=user, policy=policies.DIRECTORY_EDIT)
    return organisations if organisations.count() > 1 else None


def _may_edit(user: AnyUser, service: DirectoryService) -> bool:
    editable = selectors.services_in_scope(user=user, policy=policies.DIRECTORY_EDIT)
    return editable.filter(pk=service.pk).exists()


def _language_names(service: DirectoryService) -> list[str]:
    return [language_name(code) for code in service.languages]


def _search_query(form: DirectorySearchForm) -> selectors.DirectoryQuery:
    form.is_valid()  # invalid filters are shown and left out; the valid ones still apply
    values = form.cleaned_data
    return selectors.DirectoryQuery(
        need=values.get("need") or "",
        language=values.get("language") or "",
        area=(values.get("area") or "").strip(),
        text=(values.get("q") or "").strip(),
    )


@view_policy(policies.DIRECTORY_VIEW)
@require_safe
def service_search(request: HttpRequest) -> HttpResponse:
    languages = selectors.directory_languages(user=request.user)
    form = DirectorySearchForm(request.GET, languages=languages)
    found = selectors.directory_search(user=request.user, query=_search_query(form))
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    can_edit = selectors.directory_organisations(
        user=request.user, policy=policies.DIRECTORY_EDIT
    ).exists()
    rows = [(service, _language_names(service)) for service in page]
    return render(
        request,
        TEMPLATES + "search.html",
        {"form": form, "page": page, "rows": rows, "can_edit": can_edit},
    )


@view_policy(policies.DIRECTORY_VIEW)
@require_safe
def service_detail(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.access_service(
        user=request.user, service_id=service_id, policy=policies.DIRECTORY_VIEW
    )
    return render(
        request,
        TEMPLATES + "detail.html",
        {
            "service": service,
            "language_names": _language_names(service),
            "can_edit": _may_edit(request.user, service),
        },
    )


def _organisation_for(request: HttpRequest, form: Any) -> Organisation:
    chosen = form.cleaned_data.get("organisation")
    return selectors.access_directory_organisation(
        user=request.user,
        organisation_id=chosen.pk if chosen else None,
        policy=policies.DIRECTORY_EDIT,
    )


@view_policy(policies.DIRECTORY_EDIT)
@require_http_methods(["GET", "POST"])
def service_create(request: HttpRequest) -> HttpResponse:
    posted = request.POST if request.method == "POST" else None
    form = DirectoryServiceForm(posted, organisations=_choosable(request.user))
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "organisation"}
        try:
            service = services.service_create(
                organisation=_organisation_for(request, form),
                created_by=acting_user(request),
                **fields,
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Service added to the directory."))
            return redirect("directory:service_detail", service_id=service.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, TEMPLATES + "form.html", {"form": form, "service": None}, status=status)


@view_policy(policies.DIRECTORY_EDIT)
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.access_service(
        user=request.user, service_id=service_id, policy=policies.DIRECTORY_EDIT
    )
    posted = request.POST if request.method == "POST" else None
    form = DirectoryServiceForm(posted, initial=DirectoryServiceForm.initial_for(service))
    if request.method == "POST" and form.is_valid():
        try:
            services.service_update(
                service=service, updated_by=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            service.refresh_from_db()
            show_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("directory:service_detail", service_id=service.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, TEMPLATES + "form.html", {"form": form, "service": service}, status=status
    )


@view_policy(policies.DIRECTORY_EDIT)
@require_POST
def service_retire(request: HttpRequest, service_id: int) -> HttpResponse:
    service = selectors.access_service(
        user=request.user, service_id=service_id, policy=policies.DIRECTORY_EDIT
    )
    services.service_retire(service=service, retired_by=acting_user(request))
    messages.success(request, _("The service is no longer listed."))
    return redirect("directory:service_detail", service_id=service.pk)


@view_policy(policies.DIRECTORY_EDIT)
@require_safe
def directory_export(request: HttpRequest) -> HttpResponse:
    chosen = selectors.services_for_export(
        user=request.user, organisation_id=request.GET.get("organisation") or None
    )
    filename = f"directory-hsds-{timezone.localdate():%Y%m%d}.zip"
    return HttpResponse(
        hsds_export_zip(chosen),
        content_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@view_policy(policies.DIRECTORY_EDIT)
@require_http_methods(["GET", "POST"])
def directory_import(request: HttpRequest) -> HttpResponse:
    posted = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = HsdsImportForm(*posted, organisations=_choosable(request.user))
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = hsds_import(
            organisation=_organisation_for(request, form),
            data=upload.read(),
            filename=upload.name or "services.csv",
            imported_by=acting_user(request),
            dry_run=form.cleaned_data["dry_run"],
        )
        if report.committed:
            messages.success(request, _("The directory file was imported."))
            return redirect("directory:service_search")
    failed = request.method == "POST" and (report is None or bool(report.errors))
    return render(
        request,
        TEMPLATES + "import.html",
        {"form": form, "report": report},
        status=422 if failed else 200,
    )


@view_policy(policies.NAVIGATION_MANAGE)
@require_safe
def navigation_list(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = selectors.access_navigation_enrolment(user=request.user, enrolment_id=enrolment_id)
    referrals = selectors.navigation_referrals_for(enrolment=enrolment)
    return render(
        request,
        TEMPLATES + "navigation_list.html",
        {"enrolment": enrolment, "referrals": referrals},
    )


@view_policy(policies.NAVIGATION_MANAGE)
@require_http_methods(["GET", "POST"])
def navigation_create(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = selectors.access_navigation_enrolment(user=request.user, enrolment_id=enrolment_id)
    choices = selectors.services_for_navigation(enrolment=enrolment)
    posted = request.POST if request.method == "POST" else None
    form = NavigationReferralForm(posted, services=choices, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        try:
            services.navigation_referral_make(
                enrolment=enrolment, made_by=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Navigation referral made."))
            return redirect("directory:navigation_list", enrolment_id=enrolment.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        TEMPLATES + "navigation_form.html",
        {"form": form, "enrolment": enrolment},
        status=status,
    )


def _next_statuses(referral: NavigationReferral) -> list[tuple[str, str]]:
    allowed = services.NAVIGATION_TRANSITIONS[NavigationReferral.Status(referral.status)]
    return [(s.value, str(s.label)) for s in NavigationReferral.Status if s in allowed]


@view_policy(policies.NAVIGATION_MANAGE)
@require_http_methods(["GET", "POST"])
def navigation_update(request: HttpRequest, navigation_id: int) -> HttpResponse:
    referral = selectors.access_navigation_referral(user=request.user, navigation_id=navigation_id)
    posted = request.POST if request.method == "POST" else None
    form = NavigationStatusForm(posted, next_statuses=_next_statuses(referral))
    if request.method == "POST" and form.is_valid():
        try:
            services.navigation_referral_advance(
                referral=referral, recorded_by=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Navigation referral updated."))
            return redirect("directory:navigation_list", enrolment_id=referral.enrolment_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        TEMPLATES + "navigation_update.html",
        {"form": form, "referral": referral},
        status=status,
    )
