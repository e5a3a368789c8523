"""Pages of the outbox: the signed-in person's messages and preferences, and a
programme's delivery log for the staff who run it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import SIGNED_IN, acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.notifications import policies, selectors, services
from peerbridge.notifications.forms import PreferenceForm, order_value
from peerbridge.notifications.models import Channel, Notification
from peerbridge.notifications.reach import works_in
from peerbridge.organisations.selectors import access_programme

PAGE_SIZE = 20
OUTBOX_PAGE_SIZE = 50


def _page_number(request: HttpRequest) -> str:
    value = request.POST.get("page") or request.GET.get("page") or "1"
    return value if value.isdigit() and len(value) < 7 else "1"


@view_policy(SIGNED_IN)
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    """My messages, newest first; unread ones marked."""
    user = acting_user(request)
    page = Paginator(selectors.inbox(user), PAGE_SIZE).get_page(_page_number(request))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "has_unread": any(m.read_at is None for m in page)},
    )


@view_policy(SIGNED_IN)
@require_POST
def message_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one message read; with `open`, go on to the page it is about."""
    user = acting_user(request)
    message = selectors.access_message(user=user, message_id=notification_id)
    services.message_mark_read(message=message, actor=user)
    if request.POST.get("open") and url_has_allowed_host_and_scheme(
        message.link, allowed_hosts=None
    ):
        return redirect(message.link)
    return redirect(f"{reverse('notifications:inbox')}?page={_page_number(request)}")


@view_policy(SIGNED_IN)
@require_POST
def messages_read_all(request: HttpRequest) -> HttpResponse:
    marked = services.messages_mark_all_read(actor=acting_user(request))
    if marked:
        messages.success(request, _("All messages are marked read."))
    return redirect("notifications:inbox")


@view_policy(SIGNED_IN)
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """How I am reached: channels in order, quiet hours, the daily summary (for people
    who work in a programme)."""
    user = acting_user(request)
    current = selectors.preference_view(user)
    show_digest = works_in(user, None)
    initial = {
        "channels": order_value(current.channels),
        "quiet_from": current.quiet_from,
        "quiet_until": current.quiet_until,
        "daily_digest": current.daily_digest,
    }
    posting = request.method == "POST"
    form = PreferenceForm(
        request.POST if posting else None, initial=initial, show_digest=show_digest
    )
    if posting and form.is_valid():
        try:
            services.preference_update(
                user=user,
                channels=form.channel_list(),
                quiet_from=form.cleaned_data["quiet_from"],
                quiet_until=form.cleaned_data["quiet_until"],
                daily_digest=form.cleaned_data.get("daily_digest", current.daily_digest),
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Your preferences are saved."))
            return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "current": current},
        status=422 if posting else 200,
    )


@view_policy(policies.OUTBOX_VIEW)
@require_safe
def outbox(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Whether the programme's messages went out: kind, channel, status, tries, the
    kind of error and the times. Never the subject, the body or the address."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.OUTBOX_VIEW
    )
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    rows = selectors.outbox(programme, status=status, channel=channel)
    page = Paginator(rows, OUTBOX_PAGE_SIZE).get_page(_page_number(request))
    return render(
        request,
        "notifications/outbox.html",
        {
            "programme": programme,
            "page": page,
            "status": status if status in Notification.Status.values else "",
            "channel": channel if channel in Channel.values else "",
            "statuses": Notification.Status.choices,
            "channels": Channel.choices,
        },
    )
