"""The programme's support settings page: the contact edit window, when a match counts
as stalled, and whether attempts count as contact."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.organisations.selectors import access_programme
from peerbridge.support import policies
from peerbridge.support.configuration import (
    SETTINGS_EDITABLE,
    support_settings,
    support_settings_update,
)
from peerbridge.support.contact_forms import SupportSettingsForm


@view_policy(policies.SUPPORT_SETTINGS_EDIT)
@require_http_methods(["GET", "POST"])
def support_settings_edit(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.SUPPORT_SETTINGS_EDIT
    )
    rules = support_settings(programme)
    form = SupportSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={name: getattr(rules, name) for name in SETTINGS_EDITABLE},
    )
    if form.is_bound and form.is_valid():
        try:
            support_settings_update(
                programme=programme, actor=acting_user(request), changes=dict(form.cleaned_data)
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The support settings are saved."))
            return redirect("support:settings", programme_id=programme.pk)
    return render(
        request,
        "support/settings.html",
        {"programme": programme, "form": form, "rules": rules},
        status=422 if form.is_bound else 200,
    )
