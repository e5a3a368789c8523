"""Pages for the match lifecycle: the staff's match page with its history and the
actions allowed now, the peer's own page (offers to accept or decline, matches with the
next step), and a programme's matches by status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import Policy, acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.matching import lifecycle, policies
from peerbridge.matching.lifecycle_forms import (
    LIVE,
    ActionForm,
    DeclineForm,
    EndForm,
    FirstContactForm,
    NoteForm,
    StatusFilterForm,
)
from peerbridge.matching.models import (
    LIVE_MATCH_STATUSES,
    WORKING_STATUSES,
    DeclineReason,
    EndReason,
    Match,
    MatchStatus,
)
from peerbridge.matching.selectors import (
    STAFF_VIEW,
    access_match,
    audit_people,
    is_own,
    matches_in_scope,
    own_matches,
    participant_briefs,
    staff_over,
)
from peerbridge.organisations.selectors import access_programme
from peerbridge.workforce.policies import PEER_SELF

M = MatchStatus
PAGE_SIZE = 25


@dataclass(frozen=True)
class Action:
    """A step a match can take now, as a page offers it."""

    name: str  # URL name, under "matching:"
    label: str | Promise
    policy: Policy
    form: bool  # a page with a form (GET shows it), or a single button


ACTIONS: dict[str, Action] = {
    M.OFFERED: Action("match_offer", gettext_lazy("Offer to the peer"), policies.MATCH_MAKE, False),
    M.ACCEPTED: Action(
        "match_accept", gettext_lazy("Record the peer's acceptance"), policies.MATCH_RESPOND, False
    ),
    M.DECLINED: Action(
        "match_decline", gettext_lazy("Record the peer declining"), policies.MATCH_RESPOND, True
    ),
    M.INTRODUCED: Action(
        "match_introduce", gettext_lazy("Mark as introduced"), policies.MATCH_MAKE, False
    ),
    M.FIRST_CONTACT: Action(
        "match_first_contact", gettext_lazy("Confirm first contact"), policies.MATCH_RESPOND, True
    ),
    M.ACTIVE: Action("match_activate", gettext_lazy("Mark as active"), policies.MATCH_MAKE, False),
    M.COMPLETED: Action("match_complete", gettext_lazy("Complete"), policies.MATCH_MAKE, True),
    M.ENDED: Action("match_end", gettext_lazy("End early"), policies.MATCH_MAKE, True),
    M.CANCELLED: Action(
        "match_cancel", gettext_lazy("Withdraw before acceptance"), policies.MATCH_MAKE, True
    ),
}


def _actions_now(request: HttpRequest, match: Match) -> list[Action]:
    allowed = {
        policy: staff_over(request.user, match.programme, policy)
        for policy in (policies.MATCH_MAKE, policies.MATCH_RESPOND)
    }
    steps = [ACTIONS[status] for status, _label in match.allowed_next()]
    return [step for step in steps if allowed[step.policy]]


def _peer_only(request: HttpRequest, match: Match) -> bool:
    """The user reaches this match as its peer, not as staff over the programme."""
    return is_own(request.user, match) and not staff_over(
        request.user, match.programme, policies.MATCH_VIEW
    )


def _back(request: HttpRequest, match: Match) -> HttpResponse:
    if _peer_only(request, match):
        return redirect(f"{reverse('matching:my_matches')}#match-{match.pk}")
    return redirect("matching:match", match_id=match.pk)


def _done(request: HttpRequest, match: Match) -> None:
    messages.success(
        request, _("The match is now: %(status)s.") % {"status": match.get_status_display()}
    )


# ---------------------------------------------------------------------------------------
# The match page (staff)


def _reason_label(to_status: str, code: str) -> str:
    labels: dict[str, dict[str, Any]] = {
        M.PROPOSED: dict(Match.Source.choices),
        M.DECLINED: dict(DeclineReason.choices),
        M.ENDED: dict(EndReason.choices),
    }
    return str(labels.get(to_status, {}).get(code, code))


@view_policy(policies.MATCH_VIEW)
@require_safe
def match_detail(request: HttpRequest, match_id: int) -> HttpResponse:
    match = access_match(request.user, match_id, policies.MATCH_VIEW)
    if _peer_only(request, match):
        return _back(request, match)
    history = [
        (change, _reason_label(change.to_status, change.reason))
        for change in match.status_changes.select_related("changed_by").order_by("changed_at", "pk")
    ]
    return render(
        request,
        "matching/lifecycle_match.html",
        {
            "match": match,
            "brief": participant_briefs([match])[match.pk],
            "history": history,
            "actions": _actions_now(request, match),
            "decline_choices": DeclineReason.choices,
        },
    )


# ---------------------------------------------------------------------------------------
# One-button actions


def _button(
    request: HttpRequest,
    match_id: int,
    policy: Policy,
    service: Callable[..., Match],
) -> HttpResponse:
    match = access_match(request.user, match_id, policy)
    try:
        match = service(match, actor=acting_user(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        _done(request, match)
    return _back(request, match)


@view_policy(policies.MATCH_MAKE)
@require_POST
def match_offer(request: HttpRequest, match_id: int) -> HttpResponse:
    return _button(request, match_id, policies.MATCH_MAKE, lifecycle.match_offer)


@view_policy(policies.MATCH_RESPOND)
@require_POST
def match_accept(request: HttpRequest, match_id: int) -> HttpResponse:
    return _button(request, match_id, policies.MATCH_RESPOND, lifecycle.match_accept)


@view_policy(policies.MATCH_MAKE)
@require_POST
def match_introduce(request: HttpRequest, match_id: int) -> HttpResponse:
    return _button(request, match_id, policies.MATCH_MAKE, lifecycle.match_introduce)


@view_policy(policies.MATCH_MAKE)
@require_POST
def match_activate(request: HttpRequest, match_id: int) -> HttpResponse:
    return _button(request, match_id, policies.MATCH_MAKE, lifecycle.match_activate)


# ---------------------------------------------------------------------------------------
# Actions with a form: GET shows it, POST acts (422 with the errors when refused)


def _form_action(
    request: HttpRequest,
    match_id: int,
    policy: Policy,
    form_class: type[ActionForm],
    service: Callable[..., Match],
    title: str,
) -> HttpResponse:
    match = access_match(request.user, match_id, policy)
    form = form_class(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            match = service(match, actor=acting_user(request), **form.arguments())
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            _done(request, match)
            return _back(request, match)
    return render(
        request,
        "matching/lifecycle_action.html",
        {
            "match": match,
            "form": form,
            "title": title,
            "peer_only": _peer_only(request, match),
        },
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.MATCH_RESPOND)
@require_http_methods(["GET", "POST"])
def match_decline(request: HttpRequest, match_id: int) -> HttpResponse:
    return _form_action(
        request,
        match_id,
        policies.MATCH_RESPOND,
        DeclineForm,
        lifecycle.match_decline,
        _("Decline the offer"),
    )


@view_policy(policies.MATCH_RESPOND)
@require_http_methods(["GET", "POST"])
def match_first_contact(request: HttpRequest, match_id: int) -> HttpResponse:
    return _form_action(
        request,
        match_id,
        policies.MATCH_RESPOND,
        FirstContactForm,
        lifecycle.match_confirm_first_contact,
        _("Confirm first contact"),
    )


@view_policy(policies.MATCH_MAKE)
@require_http_methods(["GET", "POST"])
def match_complete(request: HttpRequest, match_id: int) -> HttpResponse:
    return _form_action(
        request,
        match_id,
        policies.MATCH_MAKE,
        NoteForm,
        lifecycle.match_complete,
        _("Complete the match"),
    )


@view_policy(policies.MATCH_MAKE)
@require_http_methods(["GET", "POST"])
def match_end(request: HttpRequest, match_id: int) -> HttpResponse:
    return _form_action(
        request,
        match_id,
        policies.MATCH_MAKE,
        EndForm,
        lifecycle.match_end,
        _("End the match early"),
    )


@view_policy(policies.MATCH_MAKE)
@require_http_methods(["GET", "POST"])
def match_cancel(request: HttpRequest, match_id: int) -> HttpResponse:
    return _form_action(
        request,
        match_id,
        policies.MATCH_MAKE,
        NoteForm,
        lifecycle.match_cancel,
        _("Withdraw the match"),
    )


# ---------------------------------------------------------------------------------------
# The peer's own page


NEXT_STEPS: dict[str, Any] = {
    M.ACCEPTED: gettext_lazy("Your coordinator will introduce you to each other."),
    M.INTRODUCED: gettext_lazy(
        "Get in touch in the way they prefer, then confirm here that you have spoken."
    ),
    M.FIRST_CONTACT: gettext_lazy("Thank you. Your coordinator will check in with you both."),
    M.ACTIVE: gettext_lazy("Keep in touch as agreed, and tell your coordinator of any concern."),
}


@view_policy(PEER_SELF)
@require_safe
def my_matches(request: HttpRequest) -> HttpResponse:
    """Offers waiting for an answer (accept, or decline with a reason: two taps) and the
    matches under way with the step to do next."""
    mine = list(
        own_matches(request.user)
        .filter(status__in=sorted(LIVE_MATCH_STATUSES))
        .order_by("respond_by", "-status_changed_at", "pk")
    )
    audit_people(request.user, mine)
    briefs = participant_briefs(mine)
    offers = [(m, briefs[m.pk]) for m in mine if m.status == M.OFFERED]
    current = [
        (m, briefs[m.pk], NEXT_STEPS.get(m.status, ""))
        for m in mine
        if m.status in WORKING_STATUSES
    ]
    return render(
        request,
        "matching/lifecycle_my.html",
        {
            "offers": offers,
            "current": current,
            "decline_choices": DeclineReason.choices,
        },
    )


# ---------------------------------------------------------------------------------------
# A programme's matches


@view_policy(policies.MATCH_VIEW)
@require_safe
def programme_matches(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(user=request.user, programme_id=programme_id, policy=STAFF_VIEW)
    filters = StatusFilterForm(request.GET or None)
    status = filters.chosen()
    rows = (
        matches_in_scope(request.user)
        .filter(programme=programme)
        .order_by("-status_changed_at", "-pk")
    )
    if status == LIVE:
        rows = rows.filter(status__in=sorted(LIVE_MATCH_STATUSES))
    elif status:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    audit_people(request.user, shown)
    return render(
        request,
        "matching/lifecycle_list.html",
        {
            "programme": programme,
            "filters": filters,
            "status": status,
            "page": page,
            "rows": shown,
            "now": timezone.now(),
        },
    )
