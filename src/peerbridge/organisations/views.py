"""Pages for organisations, sites and programmes. Thin: read a form, call a service."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from peerbridge.core.access import Policy, acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.organisations import policies, selectors, services
from peerbridge.organisations.forms import OrganisationForm, ProgrammeForm, SiteForm
from peerbridge.organisations.models import Programme
from peerbridge.organisations.roles import Role


@view_policy(policies.PROGRAMME_VIEW)
@require_safe
def programme_list(request: HttpRequest) -> HttpResponse:
    programmes = selectors.programmes_in_scope(
        user=request.user, policy=policies.PROGRAMME_VIEW
    ).order_by("status", "name")
    status = request.GET.get("status", "")
    if status in Programme.Status.values:
        programmes = programmes.filter(status=status)
    can_create = selectors.sites_in_scope(
        user=request.user, policy=policies.PROGRAMME_CREATE
    ).exists()
    return render(
        request,
        "organisations/programme_list.html",
        {
            "programmes": programmes,
            "status": status,
            "statuses": Programme.Status.choices,
            "can_create": can_create,
        },
    )


@view_policy(policies.PROGRAMME_VIEW)
@require_safe
def programme_detail(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = selectors.access_programme(
        user=request.user, programme_id=programme_id, policy=policies.PROGRAMME_VIEW
    )

    def reaches(policy: Policy) -> bool:
        in_scope = selectors.programmes_in_scope(user=request.user, policy=policy)
        return in_scope.filter(pk=programme.pk).exists()

    return render(
        request,
        "organisations/programme_detail.html",
        {
            "programme": programme,
            "can_edit": reaches(policies.PROGRAMME_EDIT),
            "can_see_staff": reaches(policies.STAFF_VIEW),
            "can_see_numbers": reaches(policies.STAFF_VIEW)
            or Role.EVALUATOR in selectors.user_roles(request.user),
        },
    )


@view_policy(policies.PROGRAMME_CREATE)
@require_http_methods(["GET", "POST"])
def programme_create(request: HttpRequest) -> HttpResponse:
    sites = selectors.sites_in_scope(user=request.user, policy=policies.PROGRAMME_CREATE)
    if not sites.exists():
        raise PermissionDenied
    form = ProgrammeForm(request.POST if request.method == "POST" else None, sites=sites)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        site = fields.pop("site")
        try:
            programme = services.programme_create(
                site=site, created_by=acting_user(request), **fields
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Programme created."))
            return redirect("organisations:programme_detail", programme_id=programme.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "organisations/programme_form.html",
        {"form": form, "programme": None},
        status=status,
    )


@view_policy(policies.PROGRAMME_EDIT)
@require_http_methods(["GET", "POST"])
def programme_edit(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = selectors.access_programme(
        user=request.user, programme_id=programme_id, policy=policies.PROGRAMME_EDIT
    )
    form = ProgrammeForm(
        request.POST if request.method == "POST" else None,
        initial=ProgrammeForm.initial_for(programme),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.programme_update(
                programme=programme, updated_by=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            programme.refresh_from_db()
            show_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("organisations:programme_detail", programme_id=programme.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "organisations/programme_form.html",
        {"form": form, "programme": programme},
        status=status,
    )


@view_policy(policies.STAFF_VIEW)
@require_safe
def programme_staff(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = selectors.access_programme(
        user=request.user, programme_id=programme_id, policy=policies.STAFF_VIEW
    )
    staff = selectors.programme_staff(user=request.user, programme=programme)
    history = selectors.programme_role_history(
        user=request.user, programme=programme, ended_only=True
    )
    can_manage = selectors.may_grant(user=request.user, role="peer_supporter", programme=programme)
    return render(
        request,
        "organisations/programme_staff.html",
        {"programme": programme, "staff": staff, "history": history, "can_manage": can_manage},
    )


@view_policy(policies.ORGANISATION_VIEW)
@require_safe
def organisation_detail(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = selectors.access_organisation(
        user=request.user, organisation_id=organisation_id, policy=policies.ORGANISATION_VIEW
    )
    sites = selectors.sites_in_scope(user=request.user, policy=policies.SITE_VIEW).filter(
        organisation=organisation
    )
    return render(
        request,
        "organisations/organisation_detail.html",
        {"organisation": organisation, "sites": sites},
    )


@view_policy(policies.ORGANISATION_EDIT)
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = selectors.access_organisation(
        user=request.user, organisation_id=organisation_id, policy=policies.ORGANISATION_EDIT
    )
    initial = {"name": organisation.name, "slug": organisation.slug}
    form = OrganisationForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                organisation=organisation, updated_by=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("organisations:organisation_detail", organisation_id=organisation.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "organisations/simple_form.html",
        {"form": form, "title": _("Edit organisation"), "back": organisation},
        status=status,
    )


@view_policy(policies.SITE_VIEW)
@require_safe
def site_detail(request: HttpRequest, site_id: int) -> HttpResponse:
    site = selectors.access_site(user=request.user, site_id=site_id, policy=policies.SITE_VIEW)
    programmes = selectors.programmes_in_scope(
        user=request.user, policy=policies.PROGRAMME_VIEW
    ).filter(site=site)
    return render(
        request,
        "organisations/site_detail.html",
        {
            "site": site,
            "children": site.children.order_by("name"),
            "programmes": programmes,
            "can_edit": selectors.sites_in_scope(user=request.user, policy=policies.SITE_EDIT)
            .filter(pk=site.pk)
            .exists(),
        },
    )


@view_policy(policies.SITE_EDIT)
@require_http_methods(["GET", "POST"])
def site_edit(request: HttpRequest, site_id: int) -> HttpResponse:
    site = selectors.access_site(user=request.user, site_id=site_id, policy=policies.SITE_EDIT)
    initial = {"name": site.name, "code": site.code, "level": site.level}
    form = SiteForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.site_update(site=site, updated_by=acting_user(request), **form.cleaned_data)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("organisations:site_detail", site_id=site.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "organisations/simple_form.html",
        {"form": form, "title": _("Edit site"), "back": site},
        status=status,
    )


@view_policy(policies.SITE_EDIT)
@require_http_methods(["GET", "POST"])
def site_create(request: HttpRequest, site_id: int) -> HttpResponse:
    parent = selectors.access_site(user=request.user, site_id=site_id, policy=policies.SITE_EDIT)
    form = SiteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            site = services.site_create(
                organisation=parent.organisation,
                parent=parent,
                created_by=acting_user(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Site added."))
            return redirect("organisations:site_detail", site_id=site.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "organisations/simple_form.html",
        {"form": form, "title": _("Add a site under %(site)s") % {"site": parent}, "back": parent},
        status=status,
    )
