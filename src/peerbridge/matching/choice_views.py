"""Pages for participant choice: the coordinator's page to send a choice of peers (and
the enrolment's earlier links), withdrawing a link, and the participant's public page
behind the link (no account)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from peerbridge.core.access import PUBLIC, acting_user, view_policy
from peerbridge.core.audit import Action, audit_many
from peerbridge.core.forms import show_service_errors
from peerbridge.core.links import link_page
from peerbridge.core.public_forms import throttled
from peerbridge.matching import choice, configuration, policies
from peerbridge.matching.choice_forms import ChoiceAnswerForm, ChoiceSendForm
from peerbridge.matching.models import ChoiceInvitation
from peerbridge.referrals.selectors import access_enrolment

# Answers from one address per hour: far above a person's use, well below a script's.
ANSWER_LIMIT = 30


@view_policy(policies.MATCH_MAKE)
@require_http_methods(["GET", "POST"])
def choice_send(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """Who a choice link would offer (GET); send it (POST) and show the link once when it
    is not emailed. Below, the enrolment's earlier links and their answers."""
    enrolment = access_enrolment(
        user=request.user, enrolment_id=enrolment_id, policy=policies.MATCH_MAKE
    )
    problem = choice.sending_problem(enrolment)
    rules = configuration.match_settings(enrolment.programme)
    candidates = [] if problem else choice.choice_candidates(enrolment, k=choice.MAX_PROFILES)
    form = ChoiceSendForm(
        request.POST if request.method == "POST" else None,
        candidates=candidates,
        initial={"profiles": [p.pk for p in candidates[: rules.choice_profiles]]},
    )
    sent = None
    if request.method == "POST" and form.is_valid():
        try:
            sent = choice.choice_send(
                enrolment=enrolment,
                actor=acting_user(request),
                profiles=form.selected(),
                site_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            show_service_errors(form, error)
    invitations = choice.invitations_of(enrolment)
    people = {p.person_id for p in candidates} | set(choice.shown_people(invitations))
    audit_many(
        actor=request.user, action=Action.READ, object_type="people.person", object_ids=people
    )
    response = render(
        request,
        "matching/choice_send.html",
        {
            "enrolment": enrolment,
            "programme": enrolment.programme,
            "problem": problem,
            "form": form,
            "previews": list(
                zip(candidates, choice.shown_for(candidates, enrolment.programme), strict=True)
            ),
            "sent": sent,
            "invitations": [(i, choice.link_state(i)) for i in invitations],
            "rules": rules,
        },
        status=422 if form.is_bound and sent is None else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@view_policy(policies.MATCH_MAKE)
@require_POST
def choice_withdraw(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = choice.access_invitation(user=request.user, invitation_id=invitation_id)
    try:
        choice.choice_withdraw(invitation=invitation, actor=acting_user(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The link is withdrawn: it no longer works."))
    return redirect("matching:choice_send", enrolment_id=invitation.enrolment_id)


def _closed(
    request: HttpRequest, invitation: ChoiceInvitation | None, state: str, status: int
) -> HttpResponse:
    return link_page(
        render(
            request,
            "matching/choice_closed.html",
            {"invitation": invitation, "state": state},
            status=status,
        )
    )


@view_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def choose(request: HttpRequest, token: str) -> HttpResponse:
    """The participant's page: the peers offered, pick one or ask for others. A link
    that expired or was used shows a clear message and nothing else."""
    invitation = choice.invitation_for_token(token)
    if invitation is None:
        return _closed(request, None, "unknown", 404)
    state = choice.link_state(invitation)
    if state == ChoiceInvitation.Status.EXPIRED:
        choice.choice_expire(invitation)
    elif state == ChoiceInvitation.Status.OPEN and not choice.still_waiting(invitation.enrolment):
        # Matched another way, or no longer waiting: the choice is no longer theirs to make.
        state = "closed"
    if state != ChoiceInvitation.Status.OPEN:
        return _closed(request, invitation, state, 200 if request.method == "GET" else 409)
    form = ChoiceAnswerForm(
        request.POST if request.method == "POST" else None, shown=invitation.shown
    )
    if request.method == "POST" and form.is_valid():
        if form.looks_automated():
            # Tell a bot nothing: it is answered as a person is, and nothing is saved.
            return link_page(redirect("matching:choose", token=token))
        if throttled(request, prefix="choice", limit=ANSWER_LIMIT):
            return _closed(request, invitation, "busy", 429)
        try:
            if form.cleaned_data["action"] == "choose":
                choice.choice_pick(
                    token=token,
                    profile_id=form.cleaned_data["profile"],
                    comment=form.cleaned_data["comment"],
                )
            else:
                choice.choice_more(token=token, comment=form.cleaned_data["comment"])
        except choice.ChoiceUnavailable as closed:
            return _closed(request, invitation, closed.state, 409)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            return link_page(redirect("matching:choose", token=token))
    return link_page(
        render(
            request,
            "matching/choice_page.html",
            {
                "invitation": invitation,
                "form": form,
                "shown": invitation.shown,
                "picked": str(form.data.get("profile", "")) if form.is_bound else "",
                "expires_at": timezone.localtime(invitation.expires_at),
            },
            status=422 if form.is_bound else 200,
        )
    )
