"""The closure page: a coordinator closes a participant's time in the programme, with a
summary drafted from the contacts, hours and goals."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.referrals.selectors import access_enrolment
from peerbridge.support import policies
from peerbridge.support.closure import (
    closure_draft,
    closure_record,
    live_match,
    programme_end,
    why_not_closable,
)
from peerbridge.support.closure_forms import ClosureForm
from peerbridge.support.models import Closure


@view_policy(policies.CLOSURE)
@require_http_methods(["GET", "POST"])
def closure(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = access_enrolment(
        user=request.user, enrolment_id=enrolment_id, policy=policies.CLOSURE
    )
    draft = closure_draft(enrolment)
    form = ClosureForm(
        request.POST if request.method == "POST" else None, initial={"summary": draft.text()}
    )
    if form.is_bound and form.is_valid():
        try:
            closure_record(enrolment=enrolment, actor=acting_user(request), **form.arguments())
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Their time in the programme is closed. Thank you."))
            return redirect("support:closure", enrolment_id=enrolment.pk)
    match = live_match(enrolment)
    return render(
        request,
        "support/closure.html",
        {
            "enrolment": enrolment,
            "match": match,
            "ends_on": programme_end(match),
            "draft": draft,
            "closed": Closure.objects.filter(enrolment=enrolment)
            .select_related("closed_by")
            .first(),
            "refused": why_not_closable(enrolment, match),
            "form": form,
        },
        status=422 if form.is_bound else 200,
    )
