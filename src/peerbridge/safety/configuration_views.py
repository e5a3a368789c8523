"""Pages for a programme's safety settings and its on-call rota (leaders and admins)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.organisations.selectors import access_programme
from peerbridge.safety import configuration as config
from peerbridge.safety import policies
from peerbridge.safety.configuration_forms import SettingsForm, ShiftForm
from peerbridge.safety.models import OnCallShift
from peerbridge.workforce.selectors import as_pk

POLICY = policies.SAFETY_SETTINGS_EDIT


@view_policy(POLICY)
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(user=request.user, programme_id=programme_id, policy=POLICY)
    row = config.safety_settings(programme)
    form = SettingsForm(
        request.POST if request.method == "POST" else None,
        instance=row,
        handlers=config.on_call_choices(programme),
    )
    if form.is_bound and form.is_valid():
        try:
            config.settings_update(
                programme=programme, data=form.changes(), actor=acting_user(request)
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Safety settings saved."))
            return redirect("safety:settings", programme_id=programme.pk)
    return render(
        request,
        "safety/settings.html",
        {"programme": programme, "form": form},
        status=422 if form.is_bound else 200,
    )


@view_policy(POLICY)
@require_http_methods(["GET", "POST"])
def on_call(request: HttpRequest, programme_id: int) -> HttpResponse:
    """The rota: shifts not over yet, who is on call now, and a form to add a shift."""
    programme = access_programme(user=request.user, programme_id=programme_id, policy=POLICY)
    form = ShiftForm(
        request.POST if request.method == "POST" else None,
        handlers=config.on_call_choices(programme),
    )
    if form.is_bound and form.is_valid():
        try:
            config.shift_add(programme=programme, actor=acting_user(request), **form.cleaned_data)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Shift added to the rota."))
            return redirect("safety:on_call", programme_id=programme.pk)
    return render(
        request,
        "safety/on_call.html",
        {
            "programme": programme,
            "form": form,
            "shifts": config.rota(programme),
            "now": config.on_call_now(programme),
            "settings": config.safety_settings(programme),
        },
        status=422 if form.is_bound else 200,
    )


@view_policy(POLICY)
@require_POST
def shift_remove(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift = OnCallShift.objects.filter(pk=as_pk(shift_id)).select_related("programme").first()
    if shift is None:
        raise Http404
    programme = access_programme(user=request.user, programme_id=shift.programme_id, policy=POLICY)
    try:
        config.shift_remove(shift=shift, actor=acting_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Shift taken off the rota."))
    return redirect("safety:on_call", programme_id=programme.pk)
