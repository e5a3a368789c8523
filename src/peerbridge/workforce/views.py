"""The lead workforce pages: a programme's peer pipeline (each step from application to
available), a peer's profile with their checklist, making a ready peer available, and
the programme's workforce rules."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.disclosure import SMALL_CELL
from peerbridge.core.forms import show_service_errors
from peerbridge.organisations.selectors import access_programme, programmes_in_scope
from peerbridge.workforce import policies, services
from peerbridge.workforce.eligibility import standings
from peerbridge.workforce.forms import SettingsForm
from peerbridge.workforce.models import PeerApplication
from peerbridge.workforce.pipeline import STAGES, pipeline_rows, programme_overview
from peerbridge.workforce.selectors import access_profile, workforce_settings
from peerbridge.workforce.wellbeing import wellbeing_panel


@view_policy(policies.WORKFORCE_SUMMARY_VIEW)
@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    """Every programme in reach with its peers by stage (counts only; evaluators see
    them de-identified, small cells hidden)."""
    return render(
        request,
        "workforce/overview.html",
        {"programmes": programme_overview(user=request.user), "threshold": SMALL_CELL},
    )


@view_policy(policies.WORKFORCE_VIEW)
@require_safe
def pipeline(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.WORKFORCE_VIEW
    )
    rows = pipeline_rows(user=request.user, programme=programme)
    stage = request.GET.get("stage", "")
    counts = Counter(row.standing.stage for row in rows)
    applications = Counter(
        PeerApplication.objects.filter(programme=programme)
        .filter(status__in=PeerApplication.OPEN)
        .values_list("status", flat=True)
    )
    return render(
        request,
        "workforce/pipeline.html",
        {
            "programme": programme,
            "rows": [row for row in rows if not stage or row.standing.stage == stage],
            "stage": stage,
            "stages": [(code, label, counts.get(code, 0)) for code, label in STAGES],
            "open_applications": sum(applications.values()),
            "can_manage": programmes_in_scope(user=request.user, policy=policies.WORKFORCE_MANAGE)
            .filter(pk=programme.pk)
            .exists(),
            "can_edit_rules": programmes_in_scope(
                user=request.user, policy=policies.WORKFORCE_SETTINGS_EDIT
            )
            .filter(pk=programme.pk)
            .exists(),
        },
    )


@view_policy(policies.PROFILE_VIEW)
@require_safe
def profile_detail(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.WORKFORCE_VIEW, allow_self=True
    )
    standing = standings([profile])[profile.pk]
    return render(
        request,
        "workforce/profile.html",
        {
            "profile": profile,
            "standing": standing,
            "is_self": profile.person.user_id == request.user.pk,
            "wellbeing": wellbeing_panel(user=request.user, profile=profile),
            "can_manage": programmes_in_scope(user=request.user, policy=policies.WORKFORCE_MANAGE)
            .filter(pk=profile.programme_id)
            .exists(),
        },
    )


@view_policy(policies.WORKFORCE_MANAGE)
@require_POST
def profile_activate(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.WORKFORCE_MANAGE
    )
    try:
        services.profile_activate(profile=profile, actor=acting_user(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("%(name)s is now available to support people.") % {"name": profile.person}
        )
    return redirect("workforce:profile", profile_id=profile.pk)


@view_policy(policies.WORKFORCE_SETTINGS_EDIT)
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.WORKFORCE_SETTINGS_EDIT
    )
    rules = workforce_settings(programme)
    form = SettingsForm(
        request.POST if request.method == "POST" else None,
        instance=rules,
        organisation_id=programme.site.organisation_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_update(
                programme=programme,
                actor=acting_user(request),
                **{name: form.cleaned_data[name] for name in form.Meta.fields},
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Workforce rules saved."))
            return redirect("workforce:pipeline", programme_id=programme.pk)
    return render(
        request,
        "workforce/settings_form.html",
        {"form": form, "programme": programme},
        status=422 if form.is_bound else 200,
    )
