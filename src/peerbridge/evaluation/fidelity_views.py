"""Pages for fidelity (the checklist, the programme's overview, a peer's observations,
recording an observation) and the implementation dashboard."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.evaluation import fidelity, implementation, policies
from peerbridge.evaluation.fidelity_forms import ItemAddForm, ItemEditForm, ObservationForm
from peerbridge.organisations.selectors import access_programme
from peerbridge.workforce.selectors import own_profiles


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@view_policy(policies.FIDELITY_VIEW)
@require_http_methods(["GET", "POST"])
def checklist(request: HttpRequest, programme_id: int) -> HttpResponse:
    """The programme's checklist; leaders add the programme's own items here."""
    policy = policies.FIDELITY_CONFIGURE if request.method == "POST" else policies.FIDELITY_VIEW
    programme = access_programme(user=request.user, programme_id=programme_id, policy=policy)
    form = (
        ItemAddForm(_posted(request)) if fidelity.may_configure(request.user, programme) else None
    )
    if form is not None and form.is_bound and form.is_valid():
        try:
            fidelity.item_add(programme=programme, actor=acting_user(request), **form.cleaned_data)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Item added to the checklist."))
            return redirect("evaluation:fidelity_checklist", programme_id=programme.pk)
    return render(
        request,
        "evaluation/fidelity_checklist.html",
        {"programme": programme, "items": fidelity.checklist(programme), "form": form},
        status=422 if form is not None and form.is_bound else 200,
    )


@view_policy(policies.FIDELITY_CONFIGURE)
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, fidelity_item_id: int) -> HttpResponse:
    item = fidelity.access_item(user=request.user, item_id=fidelity_item_id)
    form = ItemEditForm(_posted(request), item=item)
    if form.is_bound and form.is_valid():
        try:
            fidelity.item_update(item=item, actor=acting_user(request), **form.cleaned_data)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Checklist item saved."))
            return redirect("evaluation:fidelity_checklist", programme_id=item.programme_id)
    return render(
        request,
        "evaluation/fidelity_item.html",
        {"item": item, "form": form},
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.FIDELITY_VIEW)
@require_safe
def overview(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Scores by site and month (small cells hidden from evaluators), and by peer for
    those who run the programme or supervise its peers."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.FIDELITY_VIEW
    )
    return render(
        request,
        "evaluation/fidelity_overview.html",
        {
            "overview": fidelity.fidelity_overview(user=request.user, programme=programme),
            "may_configure": fidelity.may_configure(request.user, programme),
        },
    )


@view_policy(policies.FIDELITY_VIEW)
@require_safe
def peer(request: HttpRequest, profile_id: int) -> HttpResponse:
    """A peer's observations: the peer's own, or a supervisee's, or (for those who run
    the programme) anyone's in it."""
    profile = fidelity.access_peer(user=request.user, profile_id=profile_id)
    return render(
        request,
        "evaluation/fidelity_peer.html",
        {
            "history": fidelity.peer_history(user=request.user, profile=profile),
            "is_self": profile.person.user_id == request.user.pk,
        },
    )


@view_policy(policies.FIDELITY_OBSERVE)
@require_http_methods(["GET", "POST"])
def observe(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = fidelity.access_peer(user=request.user, profile_id=profile_id, observing=True)
    items = fidelity.checklist(profile.programme, active_only=True)
    form = ObservationForm(_posted(request), items=items)
    if form.is_bound and form.is_valid():
        try:
            fidelity.observation_record(
                profile=profile,
                observed_by=acting_user(request),
                observed_on=form.cleaned_data["observed_on"],
                setting=form.cleaned_data["setting"],
                ratings=form.ratings(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Observation recorded."))
            return redirect("evaluation:fidelity_peer", profile_id=profile.pk)
    return render(
        request,
        "evaluation/fidelity_observe.html",
        {"profile": profile, "form": form},
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.FIDELITY_VIEW)
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    """Where a peer finds their own observations, in each programme they support in."""
    return render(
        request,
        "evaluation/fidelity_mine.html",
        {"profiles": list(own_profiles(request.user).order_by("programme__name", "pk"))},
    )


@view_policy(policies.REPORT_VIEW)
@require_safe
def dashboard(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.REPORT_VIEW
    )
    return render(
        request,
        "evaluation/implementation.html",
        {
            "dashboard": implementation.implementation_dashboard(
                user=request.user, programme=programme
            )
        },
    )
