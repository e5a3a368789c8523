"""Pages for the incident log: a programme's log (filtered by group, kind and status),
logging an incident, an incident with the form that closes it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.organisations.selectors import access_programme
from peerbridge.safety import incidents as log
from peerbridge.safety import policies
from peerbridge.safety.incident_forms import CloseForm, IncidentForm
from peerbridge.safety.models import Incident
from peerbridge.safety.selectors import is_staff_over
from peerbridge.support.models import Group

PAGE_SIZE = 50


def _group_filter(value: str | None) -> int | None:
    if value and value.isdigit() and len(value) < 19:
        return int(value)
    return None


@view_policy(policies.INCIDENT_VIEW)
@require_safe
def incidents(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.INCIDENT_VIEW
    )
    group_id = _group_filter(request.GET.get("group"))
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    rows = log.programme_incidents(programme, group_id=group_id, kind=kind, status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    log.audit_incidents_read(request.user, list(page.object_list))
    return render(
        request,
        "safety/incidents.html",
        {
            "programme": programme,
            "page": page,
            "groups": Group.objects.filter(programme=programme).order_by("name", "pk"),
            "group_id": group_id,
            "kind": kind if kind in Incident.Kind.values else "",
            "status": status if status in Incident.Status.values else "",
            "kinds": Incident.Kind.choices,
            "statuses": Incident.Status.choices,
        },
    )


@view_policy(policies.INCIDENT_LOG)
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.INCIDENT_LOG
    )
    form = IncidentForm(
        request.POST if request.method == "POST" else None,
        choices=log.incident_choices(request.user, programme),
        initial={"group": request.GET.get("group", "")},
    )
    if form.is_bound and form.is_valid():
        try:
            incident = log.incident_log(
                programme=programme, reported_by=acting_user(request), data=form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Incident logged."))
            return redirect("safety:incident", incident_id=incident.pk)
    return render(
        request,
        "safety/incident_form.html",
        {"programme": programme, "form": form},
        status=422 if form.is_bound else 200,
    )


def _incident_page(
    request: HttpRequest, incident: Incident, form: CloseForm | None, status: int = 200
) -> HttpResponse:
    may_close = incident.status == Incident.Status.OPEN and is_staff_over(
        request.user, incident.programme_id, policies.INCIDENT_CLOSE
    )
    return render(
        request,
        "safety/incident.html",
        {"incident": incident, "form": form or (CloseForm() if may_close else None)},
        status=status,
    )


@view_policy(policies.INCIDENT_LOG)
@require_safe
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Staff over the programme, and whoever reported it."""
    return _incident_page(request, log.access_incident(request.user, incident_id), None)


@view_policy(policies.INCIDENT_CLOSE)
@require_POST
def incident_close(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = log.access_incident(request.user, incident_id, policies.INCIDENT_CLOSE)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            log.incident_close(
                incident=incident, actor=acting_user(request), outcome=form.cleaned_data["outcome"]
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Incident closed."))
            return redirect("safety:incident", incident_id=incident.pk)
    return _incident_page(request, incident, form, status=422)
