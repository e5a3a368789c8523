"""The coordinator's matching pages: a programme's waiting list, one participant's page
(their situation, their wishes, the suggested peers with the reasons, "why not this
peer?", an offer in one click) and the programme's match settings (leaders)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.audit import Action, audit_many
from peerbridge.core.forms import show_service_errors
from peerbridge.matching import lifecycle, policies
from peerbridge.matching.configuration import (
    match_preferences,
    match_settings,
    preferences_update,
    settings_update,
)
from peerbridge.matching.models import LIVE_MATCH_STATUSES, Match, Preset
from peerbridge.matching.suggestion_forms import (
    MatchSettingsForm,
    OfferForm,
    PreferencesForm,
    WhyNotForm,
    availability_formset,
    preset_table,
)
from peerbridge.matching.suggestions import (
    PeerOption,
    SuggestedPeer,
    askable_peers,
    peer_options,
    scene_for,
    suggest_for,
    waiting_page,
    why_not_for,
)
from peerbridge.organisations.selectors import access_programme, programmes_in_scope
from peerbridge.referrals.models import Enrolment, EnrolmentStatus
from peerbridge.referrals.selectors import access_enrolment

# What lifecycle.match_create keeps of the reasons shown.
REASONS_KEPT = 20
REASON_LENGTH = 300


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 100_000))
    except ValueError:
        return 1


def _may_edit_settings(request: HttpRequest, programme_id: int) -> bool:
    return (
        programmes_in_scope(user=request.user, policy=policies.MATCH_SETTINGS_EDIT)
        .filter(pk=programme_id)
        .exists()
    )


@view_policy(policies.MATCH_MAKE)
@require_safe
def waiting_list(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.MATCH_MAKE
    )
    queue = waiting_page(programme, page=_page_number(request))
    audit_many(
        actor=request.user,
        action=Action.READ,
        object_type="people.person",
        object_ids=[row.enrolment.person_id for row in queue.rows],
    )
    return render(
        request,
        "matching/suggestions_waiting.html",
        {
            "programme": programme,
            "queue": queue,
            "rules": match_settings(programme),
            "can_edit_settings": _may_edit_settings(request, programme.pk),
        },
    )


def _matching_page(
    request: HttpRequest,
    enrolment: Enrolment,
    *,
    preferences_form: PreferencesForm | None = None,
    windows: Any = None,
    offer_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """One participant's matching page, with any form that was refused kept as sent."""
    wishes = match_preferences(enrolment)
    if preferences_form is None:
        preferences_form = PreferencesForm(
            initial=PreferencesForm.initial_from(wishes),
            programme=enrolment.programme,
            person=enrolment.person,
        )
        windows = availability_formset(None, wishes)
    scene = scene_for(enrolment)  # suggestions and "why not?" answered from one load
    page = suggest_for(enrolment, scene=scene)
    why_form = WhyNotForm(
        request.GET if "peer" in request.GET else None,
        peers=askable_peers(enrolment.programme),
    )
    why_not: list[str] = []
    options = peer_options(enrolment.programme)
    # The picker names every peer of the programme: each is a person shown.
    shown_people = [p.person_id for p in page.profiles] + [o.person_id for o in options]
    if why_form.is_bound and why_form.is_valid():
        why_not = why_not_for(enrolment, why_form.cleaned_data["peer"], scene=scene)
    audit_many(
        actor=request.user,
        action=Action.READ,
        object_type="people.person",
        object_ids=sorted(set(shown_people)),
    )
    live = (
        Match.objects.filter(enrolment=enrolment, status__in=sorted(LIVE_MATCH_STATUSES))
        .select_related("profile")
        .first()
    )
    return render(
        request,
        "matching/suggestions_enrolment.html",
        {
            "enrolment": enrolment,
            "programme": enrolment.programme,
            "page": page,
            "preferences_form": preferences_form,
            "windows": windows,
            "why_form": why_form,
            "peer_options": _options_html(
                options, str(why_form["peer"].value() or "") if why_form.is_bound else ""
            ),
            "why_not": why_not,
            "live_match": live,
            "may_offer": enrolment.status == EnrolmentStatus.WAITING and live is None,
            "offer_errors": offer_errors or [],
        },
        status=status,
    )


def _options_html(options: list[PeerOption], chosen: str) -> SafeString:
    """The picker's options, escaped; built here because a template loop over a few
    hundred peers costs more than everything else on the page."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (o.profile_id, " selected" if str(o.profile_id) == chosen else "", o.label)
            for o in options
        ),
    )


def _enrolment(request: HttpRequest, enrolment_id: int) -> Enrolment:
    return access_enrolment(
        user=request.user, enrolment_id=enrolment_id, policy=policies.MATCH_MAKE
    )


@view_policy(policies.MATCH_MAKE)
@require_safe
def enrolment_matching(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    return _matching_page(request, _enrolment(request, enrolment_id))


@view_policy(policies.MATCH_MAKE)
@require_POST
def preferences_edit(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _enrolment(request, enrolment_id)
    form = PreferencesForm(request.POST, programme=enrolment.programme, person=enrolment.person)
    windows = availability_formset(request.POST, match_preferences(enrolment))
    if form.is_valid() and windows.is_valid():
        try:
            preferences_update(
                enrolment=enrolment, data=form.service_data(windows), actor=acting_user(request)
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Their wishes are saved; the suggestions follow them."))
            return redirect("matching:enrolment", enrolment_id=enrolment.pk)
    return _matching_page(request, enrolment, preferences_form=form, windows=windows, status=422)


def _chosen(enrolment: Enrolment, profile_id: int) -> SuggestedPeer | None:
    """The peer as suggested now: an offer is made only from the current suggestions,
    with the score and reasons the engine gives at this moment."""
    for suggestion in suggest_for(enrolment).suggestions:
        if suggestion.profile.pk == profile_id:
            return suggestion
    return None


@view_policy(policies.MATCH_MAKE)
@require_POST
def suggestion_offer(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _enrolment(request, enrolment_id)
    form = OfferForm(request.POST)
    if not form.is_valid():
        return _matching_page(
            request, enrolment, offer_errors=[_("Choose a suggested peer.")], status=422
        )
    chosen = _chosen(enrolment, form.cleaned_data["profile"])
    if chosen is None:
        message = _("This peer is no longer among the suggestions. Look at the list again.")
        return _matching_page(request, enrolment, offer_errors=[message], status=409)
    try:
        match = lifecycle.match_create(
            enrolment=enrolment,
            profile=chosen.profile,
            source=Match.Source.SUGGESTION,
            actor=acting_user(request),
            score=chosen.score,
            reasons=[r[:REASON_LENGTH] for r in chosen.reasons[:REASONS_KEPT]],
            offer=True,
        )
    except ValidationError as error:
        return _matching_page(request, enrolment, offer_errors=error.messages, status=409)
    messages.success(
        request,
        _("Offered to %(alias)s. They will be asked to accept.") % {"alias": chosen.alias},
    )
    return redirect("matching:match", match_id=match.pk)


@view_policy(policies.MATCH_SETTINGS_EDIT)
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.MATCH_SETTINGS_EDIT
    )
    rules = match_settings(programme)
    form = MatchSettingsForm(request.POST if request.method == "POST" else None, instance=rules)
    if request.method == "POST" and form.is_valid():
        try:
            settings_update(
                programme=programme, data=form.service_data(), actor=acting_user(request)
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Match settings saved."))
            return redirect("matching:waiting_list", programme_id=programme.pk)
    return render(
        request,
        "matching/suggestions_settings.html",
        {
            "form": form,
            "programme": programme,
            "presets": [str(p.label) for p in Preset],
            "preset_table": preset_table(),
        },
        status=422 if form.is_bound else 200,
    )
