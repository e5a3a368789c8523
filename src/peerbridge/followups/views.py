"""Pages: the work queue, one work item with its outcome form, a programme's playbooks,
and the public check-in answer page (no account)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import PUBLIC, acting_user, view_policy
from peerbridge.core.audit import Action as AuditAction
from peerbridge.core.audit import audit_instance
from peerbridge.core.forms import show_service_errors
from peerbridge.core.links import link_page
from peerbridge.core.public_forms import throttled
from peerbridge.followups import policies, selectors, services
from peerbridge.followups.forms import (
    CheckInAnswerForm,
    CheckInCompleteForm,
    CheckInLinkForm,
    PlaybookActiveForm,
    PresetApplyForm,
    QueueFilterForm,
    WorkItemCompleteForm,
)
from peerbridge.followups.messages import check_in_url, message_lookup
from peerbridge.followups.models import Action, WorkItem
from peerbridge.followups.presets import PRESETS, preset_apply
from peerbridge.followups.wording import not_sent_reason, rule_sentence
from peerbridge.matching.check_ins import (
    CheckInUnavailable,
    check_in_answer,
    check_in_lookup,
    check_ins_of,
)
from peerbridge.matching.models import WORKING_STATUSES
from peerbridge.organisations.selectors import access_programme, programmes_in_scope

PAGE_SIZE = 50
CHECK_IN_LIMIT = 20  # answers per hour from one address


@view_policy(policies.WORK_QUEUE)
@require_safe
def work_queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    programmes = [
        (p.pk, p.name)
        for p in programmes_in_scope(user=user, policy=policies.WORK_QUEUE).order_by("name")
    ]
    form = QueueFilterForm(request.GET or None, programmes=programmes)
    filters = selectors.QueueFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = selectors.QueueFilter(
            status=data["status"] or "",
            due_before=data["due_before"],
            programme_id=data["programme"],
        )
    page = Paginator(selectors.work_queue(user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = list(page.object_list)
    selectors.audit_item_people(user, items)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "followups/queue.html",
        {
            "form": form,
            "page": page,
            "items": items,
            "today": timezone.localdate(),
            "query": query.urlencode(),
        },
    )


def _item_page(
    request: HttpRequest,
    item: WorkItem,
    form: WorkItemCompleteForm,
    *,
    link: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "item": item,
        "form": form,
        "may_change": selectors.may_change(request.user, item),
        "today": timezone.localdate(),
        "link": link,
        "not_sent": not_sent_reason(item),
    }
    match = item.match
    if item.action == Action.CHECK_IN and match is not None:
        context["check_ins"] = check_ins_of(match)
        context["match_working"] = match.status in WORKING_STATUSES
        if context["match_working"] and context["may_change"]:
            context["reach"] = services.check_in_reach(match)
    response = render(request, "followups/item.html", context, status=status)
    if link:
        response["Cache-Control"] = "no-store"
    return response


def _complete_form(item: WorkItem, data: Any = None) -> WorkItemCompleteForm:
    if item.action == Action.CHECK_IN:
        return CheckInCompleteForm(data)
    return WorkItemCompleteForm(data)


@view_policy(policies.WORK_QUEUE)
@require_http_methods(["GET", "POST"])
def work_item(request: HttpRequest, work_item_id: int) -> HttpResponse:
    """One item; completing it records its outcome."""
    posting = request.method == "POST"
    item = selectors.access_work_item(request.user, work_item_id, change=posting)
    form = _complete_form(item, request.POST if posting else None)
    if posting and form.is_valid():
        try:
            services.work_item_complete(
                item=item,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                actor=acting_user(request),
                check_in=form.check_in_outcome(),
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Done: the item is closed."))
            return redirect("followups:queue")
    return _item_page(request, item, form, status=422 if form.is_bound else 200)


@view_policy(policies.WORK_QUEUE)
@require_POST
def check_in_link(request: HttpRequest, work_item_id: int) -> HttpResponse:
    """Email one side a check-in link, or show a fresh link to pass on."""
    item = selectors.access_work_item(request.user, work_item_id, change=True)
    form = CheckInLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose who the link is for."))
        return redirect("followups:item", work_item_id=item.pk)
    side, actor = form.cleaned_data["side"], acting_user(request)
    site_url = request.build_absolute_uri("/")
    try:
        if form.cleaned_data["how"] == "email":
            services.check_in_link_send(item=item, side=side, site_url=site_url, actor=actor)
            messages.success(request, _("The link is on its way by email."))
            return redirect("followups:item", work_item_id=item.pk)
        token = services.check_in_link_make(item=item, side=side, actor=actor)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("followups:item", work_item_id=item.pk)
    link = check_in_url(site_url, token)
    return _item_page(request, item, _complete_form(item), link=link)


@view_policy(policies.PLAYBOOK_VIEW)
@require_http_methods(["GET", "POST"])
def playbooks(request: HttpRequest, programme_id: int) -> HttpResponse:
    """The programme's playbooks in plain words; leaders apply a preset."""
    posting = request.method == "POST"
    policy = policies.PLAYBOOK_EDIT if posting else policies.PLAYBOOK_VIEW
    programme = access_programme(user=request.user, programme_id=programme_id, policy=policy)
    form = PresetApplyForm(request.POST if posting else None)
    if posting and form.is_valid():
        try:
            playbook = preset_apply(
                programme=programme, key=form.cleaned_data["preset"], actor=acting_user(request)
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(
                request, _("The playbook “%(name)s” is in use.") % {"name": playbook.name}
            )
            return redirect("followups:playbooks", programme_id=programme.pk)
    may_edit = (
        programmes_in_scope(user=request.user, policy=policies.PLAYBOOK_EDIT)
        .filter(pk=programme.pk)
        .exists()
    )
    found = selectors.programme_playbooks(programme)
    return render(
        request,
        "followups/playbooks.html",
        {
            "programme": programme,
            "playbooks": [(p, [rule_sentence(r) for r in p.rules.all()]) for p in found],
            "applied": {p.preset for p in found},
            "presets": list(PRESETS.values()),
            "form": form,
            "may_edit": may_edit,
        },
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.PLAYBOOK_EDIT)
@require_POST
def playbook_active(request: HttpRequest, playbook_id: int) -> HttpResponse:
    """Switch a playbook on or off."""
    playbook = selectors.access_playbook(
        user=request.user, playbook_id=playbook_id, policy=policies.PLAYBOOK_EDIT
    )
    form = PlaybookActiveForm(request.POST)
    if form.is_valid():
        services.playbook_set_active(
            playbook=playbook, is_active=form.cleaned_data["active"], actor=acting_user(request)
        )
        if form.cleaned_data["active"]:
            messages.success(request, _("The playbook is in use."))
        else:
            messages.success(request, _("The playbook is switched off."))
    else:
        messages.error(request, _("Say whether the playbook is in use."))
    return redirect("followups:playbooks", programme_id=playbook.programme_id)


def _thanks(request: HttpRequest, side: str) -> HttpResponse:
    return link_page(render(request, "followups/check_in_thanks.html", {"side": side}))


def _closed(request: HttpRequest, reason: str) -> HttpResponse:
    status = 404 if reason == "unknown" else 410
    return link_page(
        render(request, "followups/check_in_closed.html", {"reason": reason}, status=status)
    )


@view_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def check_in_answer_page(request: HttpRequest, token: str) -> HttpResponse:
    """The two check-in questions, through the link (no account)."""
    try:
        found = check_in_lookup(token)
    except CheckInUnavailable as error:
        return _closed(request, error.reason)
    posting = request.method == "POST"
    form = CheckInAnswerForm(request.POST if posting else None, side=found.side)
    if posting and form.is_valid():
        if form.looks_automated(min_seconds=2.0):
            # Tell a bot nothing: the same thanks, and nothing is saved.
            return _thanks(request, found.side)
        if throttled(request, prefix="checkin", limit=CHECK_IN_LIMIT):
            return link_page(render(request, "followups/check_in_busy.html", status=429))
        try:
            check_in_answer(
                token=token,
                comfortable=form.cleaned_data["comfortable"],
                wants_change=form.cleaned_data["wants_change"],
                comment=form.cleaned_data["comment"],
            )
        except CheckInUnavailable as error:
            return _closed(request, error.reason)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            return _thanks(request, found.side)
    return link_page(
        render(
            request,
            "followups/check_in_answer.html",
            {"form": form, "side": found.side},
            status=422 if form.is_bound else 200,
        )
    )


@view_policy(PUBLIC)
@require_safe
def message_read_page(request: HttpRequest, token: str) -> HttpResponse:
    """A playbook message, through the link in its email or text (no account)."""
    item = message_lookup(token)
    if item is None:
        return link_page(render(request, "followups/message_gone.html", status=404))
    audit_instance(actor=None, action=AuditAction.READ, instance=item)
    return link_page(render(request, "followups/message_read.html", {"item": item}))
