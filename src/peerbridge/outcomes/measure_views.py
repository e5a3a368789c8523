"""The measures page of a participant: their measures, newest first, and (for their
peer and staff) a form to record one and a button to remove one entered in error.
The participant sees their own."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.outcomes import measures, policies
from peerbridge.outcomes.measure_forms import MeasureForm
from peerbridge.outcomes.selectors import access_outcome_enrolment
from peerbridge.referrals.models import Enrolment


def _page(
    request: HttpRequest, enrolment: Enrolment, *, form: BaseForm | None = None, status: int = 200
) -> HttpResponse:
    shown = list(measures.enrolment_measures(enrolment))
    measures.audit_measures(request.user, shown)
    recorder = measures.may_record_measures(request.user, enrolment)
    person = enrolment.person
    return render(
        request,
        "outcomes/measures.html",
        {
            "enrolment": enrolment,
            "name": person.preferred_name or person.given_name,
            "own": request.user.is_authenticated and person.user_id == request.user.pk,
            "rows": [(measure, measures.measure_text(measure)) for measure in shown],
            "recorder": recorder,
            "form": form or (MeasureForm() if recorder else None),
        },
        status=status,
    )


@view_policy(policies.MEASURE_VIEW)
@require_http_methods(["GET", "POST"])
def measure_list(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """GET shows the participant's measures; POST records one."""
    if request.method != "POST":
        enrolment = access_outcome_enrolment(
            request.user, enrolment_id, policies.MEASURE_VIEW, seen_under=policies.MEASURE_VIEW
        )
        return _page(request, enrolment)
    enrolment = access_outcome_enrolment(
        request.user, enrolment_id, policies.MEASURE_RECORD, seen_under=policies.MEASURE_VIEW
    )
    form = MeasureForm(request.POST)
    if form.is_valid():
        try:
            measures.measure_record(
                enrolment=enrolment, actor=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The measure is recorded."))
            return redirect("outcomes:measures", enrolment_id=enrolment.pk)
    return _page(request, enrolment, form=form, status=422)


@view_policy(policies.MEASURE_RECORD)
@require_POST
def measure_remove(request: HttpRequest, measure_id: int) -> HttpResponse:
    """Remove a measure entered in error."""
    measure = measures.access_measure(request.user, measure_id, policies.MEASURE_RECORD)
    enrolment_id = measure.enrolment_id
    measures.measure_delete(measure=measure, actor=acting_user(request))
    messages.success(request, _("The measure is removed."))
    return redirect("outcomes:measures", enrolment_id=enrolment_id)
