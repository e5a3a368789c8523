"""Pages to give people roles in a programme or site, and to end them; consent wording."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.organisations import policies
from peerbridge.organisations.models import Programme, Site
from peerbridge.organisations.selectors import access_programme, access_site, programmes_in_scope
from peerbridge.organisations.services import role_end
from peerbridge.people import policies as policies_people
from peerbridge.people import selectors, services
from peerbridge.people.forms import ConsentTextForm, EndMembershipForm, MembershipForm


def _grant(
    request: HttpRequest, *, site: Site | None, programme: Programme | None, back: str
) -> HttpResponse:
    user = acting_user(request)
    roles = selectors.grantable_roles(user=request.user, site=site, programme=programme)
    if not roles:
        raise PermissionDenied
    form = MembershipForm(request.POST if request.method == "POST" else None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_grant(
                granted_by=user,
                site=site,
                programme=programme,
                site_url=request.build_absolute_uri("/"),
                **form.cleaned_data,
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Role given."))
            return redirect(back)
    return render(
        request,
        "people/membership_form.html",
        {"form": form, "scope": programme or site, "back": back},
        status=422 if request.method == "POST" else 200,
    )


@view_policy(policies.MEMBERSHIP_MANAGE)
@require_http_methods(["GET", "POST"])
def programme_membership_add(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.MEMBERSHIP_MANAGE
    )
    back = reverse("organisations:programme_staff", args=[programme.pk])
    return _grant(request, site=None, programme=programme, back=back)


@view_policy(policies.MEMBERSHIP_MANAGE)
@require_http_methods(["GET", "POST"])
def site_membership_add(request: HttpRequest, site_id: int) -> HttpResponse:
    site = access_site(user=request.user, site_id=site_id, policy=policies.MEMBERSHIP_MANAGE)
    return _grant(
        request,
        site=site,
        programme=None,
        back=reverse("organisations:site_detail", args=[site.pk]),
    )


@view_policy(policies.MEMBERSHIP_MANAGE)
@require_http_methods(["GET", "POST"])
def membership_end(request: HttpRequest, assignment_id: int) -> HttpResponse:
    user = acting_user(request)
    assignment = selectors.access_membership(user=request.user, assignment_id=assignment_id)
    form = EndMembershipForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            role_end(assignment=assignment, ended_by=user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Role ended. The history keeps it."))
            if assignment.programme_id:
                return redirect("organisations:programme_staff", assignment.programme_id)
            return redirect("organisations:site_detail", assignment.site_id)
    return render(
        request,
        "people/membership_end.html",
        {"form": form, "assignment": assignment},
        status=422 if request.method == "POST" else 200,
    )


@view_policy(policies_people.CONSENT_TEXT_VIEW)
@require_http_methods(["GET", "POST"])
def consent_texts(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies_people.CONSENT_TEXT_VIEW
    )
    may_publish = (
        programmes_in_scope(user=request.user, policy=policies_people.CONSENT_TEXT_EDIT)
        .filter(pk=programme.pk)
        .exists()
    )
    form = ConsentTextForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not may_publish:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.consent_text_publish(
                    programme=programme, published_by=acting_user(request), **form.cleaned_data
                )
            except ValidationError as error:
                show_service_errors(form, error)
            else:
                messages.success(request, _("New consent wording published."))
                return redirect("people:consent_texts", programme_id=programme.pk)
    return render(
        request,
        "people/consent_texts.html",
        {
            "programme": programme,
            "texts": programme.consent_texts.all(),
            "form": form if may_publish else None,
        },
        status=422 if form.is_bound else 200,
    )
