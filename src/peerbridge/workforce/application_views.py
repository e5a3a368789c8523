"""Pages for applying to be a peer supporter (public, and entered by staff), the
programme's applications, one application, screening it and deciding it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import PUBLIC, acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.core.public_forms import throttled
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import access_programme, programmes_in_scope
from peerbridge.people.models import language_name
from peerbridge.people.selectors import conditions_for
from peerbridge.workforce import applications, policies
from peerbridge.workforce.application_forms import (
    ApplicationForm,
    DecisionForm,
    PublicApplicationForm,
    ScreeningForm,
)
from peerbridge.workforce.models import PeerApplication
from peerbridge.workforce.selectors import workforce_settings

PAGE_SIZE = 50


def _apply_programme(programme_code: str) -> Programme:
    programme = get_object_or_404(
        Programme.objects.select_related("site"),
        code=programme_code,
        status=Programme.Status.ACTIVE,
    )
    if not workforce_settings(programme).applications_open:
        raise Http404
    return programme


@view_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, programme_code: str) -> HttpResponse:
    programme = _apply_programme(programme_code)
    form = PublicApplicationForm(
        request.POST if request.method == "POST" else None,
        conditions=conditions_for(programme.site.organisation_id),
    )
    if request.method == "POST" and form.is_valid():
        if form.looks_automated():
            # Tell a bot nothing: it sees the same confirmation, and nothing is saved.
            return redirect("workforce:apply_thanks", programme_code=programme.code)
        if throttled(
            request, prefix="peerapply", scope=programme.pk, limit=settings.SELF_REFERRAL_LIMIT
        ):
            return render(
                request, "workforce/application_busy.html", {"programme": programme}, status=429
            )
        try:
            applications.application_submit(
                programme=programme,
                applicant=form.applicant(),
                experience=form.experience(),
                answers=form.answers(),
                source=PeerApplication.Source.PUBLIC,
                created_by=None,
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            return redirect("workforce:apply_thanks", programme_code=programme.code)
    return render(
        request,
        "workforce/application_apply.html",
        {"form": form, "programme": programme},
        status=422 if form.is_bound else 200,
    )


@view_policy(PUBLIC)
@require_safe
def apply_thanks(request: HttpRequest, programme_code: str) -> HttpResponse:
    programme = get_object_or_404(Programme, code=programme_code)
    return render(request, "workforce/application_thanks.html", {"programme": programme})


@view_policy(policies.WORKFORCE_MANAGE)
@require_http_methods(["GET", "POST"])
def application_new(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.WORKFORCE_MANAGE
    )
    form = ApplicationForm(
        request.POST if request.method == "POST" else None,
        conditions=conditions_for(programme.site.organisation_id),
    )
    if request.method == "POST" and form.is_valid():
        try:
            application = applications.application_submit(
                programme=programme,
                applicant=form.applicant(),
                experience=form.experience(),
                answers=form.answers(),
                source=PeerApplication.Source.STAFF,
                created_by=acting_user(request),
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Application recorded."))
            return redirect("workforce:application", application_id=application.pk)
    return render(
        request,
        "workforce/application_form.html",
        {"form": form, "programme": programme},
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.APPLICATION_SCREEN)
@require_safe
def application_list(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.APPLICATION_SCREEN
    )
    status = request.GET.get("status", "")
    if status not in PeerApplication.Status.values:
        status = ""
    page = Paginator(
        applications.programme_applications(programme=programme, status=status), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    applications.audit_listed(user=request.user, applications=shown)
    now = timezone.now()
    counts = applications.status_counts(programme)
    return render(
        request,
        "workforce/application_list.html",
        {
            "programme": programme,
            "page": page,
            "rows": [(a, applications.days_waiting(a, now=now)) for a in shown],
            "status": status,
            "can_manage": programmes_in_scope(user=request.user, policy=policies.WORKFORCE_MANAGE)
            .filter(pk=programme.pk)
            .exists(),
            "applications_open": programme.status == Programme.Status.ACTIVE
            and workforce_settings(programme).applications_open,
            "statuses": [
                (code, label, counts.get(code, 0)) for code, label in PeerApplication.Status.choices
            ],
        },
    )


def _detail(
    request: HttpRequest,
    application: PeerApplication,
    decision_form: DecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_decide = application.is_open and applications.may_decide(
        user=request.user, application=application
    )
    context: dict[str, Any] = {
        "application": application,
        "programme": application.programme,
        "person": application.person,
        "experience": applications.experience_of(application),
        "screenings": applications.screenings_of(application),
        "days_waiting": applications.days_waiting(application),
        "languages": [language_name(code) for code in application.person.languages or []],
        "modalities": [
            Programme.Modality(m).label
            for m in application.modalities
            if m in Programme.Modality.values
        ],
        # A refused decision shows its form (and why) even when the application is closed.
        "decision_form": decision_form or (DecisionForm() if can_decide else None),
    }
    return render(request, "workforce/application_detail.html", context, status=status)


@view_policy(policies.APPLICATION_SCREEN)
@require_safe
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    application = applications.access_application(
        user=request.user, application_id=application_id, policy=policies.APPLICATION_SCREEN
    )
    return _detail(request, application)


@view_policy(policies.APPLICATION_SCREEN)
@require_http_methods(["GET", "POST"])
def application_screen(request: HttpRequest, application_id: int) -> HttpResponse:
    application = applications.access_application(
        user=request.user, application_id=application_id, policy=policies.APPLICATION_SCREEN
    )
    form = ScreeningForm(
        request.POST if request.method == "POST" else None, programme=application.programme
    )
    if request.method == "POST" and form.is_valid():
        try:
            applications.screening_record(
                application=application,
                ratings=form.ratings(),
                readiness=form.cleaned_data["readiness"],
                readiness_notes=form.cleaned_data["readiness_notes"],
                role_play=form.cleaned_data["role_play"],
                role_play_notes=form.cleaned_data["role_play_notes"],
                screened_by=acting_user(request),
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Screening saved."))
            return redirect("workforce:application", application_id=application.pk)
    return render(
        request,
        "workforce/application_screen.html",
        {"form": form, "application": application, "programme": application.programme},
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.APPLICATION_DECIDE)
@require_POST
def application_decide(request: HttpRequest, application_id: int) -> HttpResponse:
    application = applications.access_application(
        user=request.user, application_id=application_id, policy=policies.APPLICATION_DECIDE
    )
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            applications.application_decide(
                application=application,
                decided_by=acting_user(request),
                site_url=request.build_absolute_uri("/"),
                **form.cleaned_data,
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Decision saved."))
            return redirect("workforce:application", application_id=application.pk)
    return _detail(request, application, decision_form=form, status=422)
