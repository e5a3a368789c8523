"""Pages for contacts: the quick log (one phone screen, sensible defaults, back to the
peer's home), a match's contact history and a contact's page with its edit or
amendment form and the amendment trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.matching.models import Match
from peerbridge.matching.selectors import access_match, is_own
from peerbridge.notifications.calendar import ics_day_event
from peerbridge.support import contacts, policies
from peerbridge.support.contact_forms import (
    ContactAmendForm,
    ContactForm,
    ContactLogForm,
    initial_from,
    local_minute_now,
)
from peerbridge.support.contact_selectors import (
    CONTACT_STATUSES,
    NoteReach,
    access_contact,
    amendment_trail,
    audit_contacts,
    last_contact_defaults,
    match_contacts,
    may_change,
    note_reach,
)
from peerbridge.support.models import Contact, SupportType

PAGE_SIZE = 20
SUPPORT_LABELS = dict(SupportType.choices)


def participant_name(match: Match) -> str:
    person = match.enrolment.person
    return person.preferred_name or person.given_name


def _show_errors(form: BaseForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict") and "navigation_referrals" in error.error_dict:
        error = ValidationError(
            {
                ("referral_service" if name == "navigation_referrals" else name): errors
                for name, errors in error.error_dict.items()
            }
        )
    show_service_errors(form, error)


@view_policy(policies.CONTACT_LOG)
@require_http_methods(["GET", "POST"])
def contact_log(request: HttpRequest, match_id: int) -> HttpResponse:
    """Log a call, visit or attempt. Mode and setting start as in the peer's last
    contact with this person; saving goes back home, or on to raising a safety flag
    when the peer says they are worried."""
    match = access_match(request.user, match_id, policies.CONTACT_LOG)
    reach = note_reach(request.user, match)
    form = ContactLogForm(
        request.POST if request.method == "POST" else None,
        match=match,
        keeps_note=reach.may_write,
        initial={"occurred_at": local_minute_now(), "connected": True}
        | last_contact_defaults(match),
    )
    if form.is_bound and form.is_valid():
        try:
            contact = contacts.contact_log(
                match=match, actor=acting_user(request), data=form.service_data()
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(
                request,
                _("Your contact with %(name)s is logged.") % {"name": participant_name(match)},
            )
            if form.cleaned_data.get("worried"):
                return redirect(reverse("safety:flag_raise_contact", args=[contact.pk]))
            return redirect(reverse("web:home"))
    return render(
        request,
        "support/contact_log.html",
        {
            "match": match,
            "name": participant_name(match),
            "form": form,
            "note_field": form["private_note"] if "private_note" in form.fields else None,
            "under_way": match.status in CONTACT_STATUSES,
        },
        status=422 if form.is_bound else 200,
    )


@dataclass(frozen=True)
class ContactRow:
    contact: Contact
    support: list[str]
    shows_note: bool


def contact_rows(contacts_shown: list[Contact], reach: NoteReach) -> list[ContactRow]:
    return [
        ContactRow(
            contact=contact,
            support=[str(SUPPORT_LABELS.get(kind, kind)) for kind in contact.support_types],
            shows_note=reach.may_read(contact),
        )
        for contact in contacts_shown
    ]


@view_policy(policies.CONTACT_VIEW)
@require_safe
def contact_history(request: HttpRequest, match_id: int) -> HttpResponse:
    match = access_match(request.user, match_id, policies.CONTACT_VIEW)
    reach = note_reach(request.user, match)
    page = Paginator(match_contacts(match), PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    audit_contacts(request.user, shown)
    return render(
        request,
        "support/contact_history.html",
        {
            "match": match,
            "name": participant_name(match),
            "page": page,
            "rows": contact_rows(shown, reach),
            "may_log": match.status in CONTACT_STATUSES,
            "is_peer": is_own(request.user, match),
        },
    )


def _change_form(
    request: HttpRequest, contact: Contact, reach: NoteReach, *, locked: bool
) -> ContactForm:
    keeps_note = reach.may_read(contact)
    form_class = ContactAmendForm if locked else ContactForm
    form = form_class(
        request.POST if request.method == "POST" else None,
        match=contact.match,
        keeps_note=keeps_note,
    )
    form.initial = initial_from(contact, keeps_note=keeps_note, tag_names=form.tag_names)
    return form


@view_policy(policies.CONTACT_VIEW)
@require_http_methods(["GET", "POST"])
def contact_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    """A contact with its trail. Its author (or staff who log) edit it in the window,
    and amend it with a reason after."""
    posting = request.method == "POST"
    policy = policies.CONTACT_LOG if posting else policies.CONTACT_VIEW
    contact = access_contact(request.user, contact_id, policy)
    changer = may_change(request.user, contact)
    if posting and not changer:
        raise PermissionDenied
    reach = note_reach(request.user, contact.match)
    locked = contact.locked_at <= timezone.now()
    form = _change_form(request, contact, reach, locked=locked) if changer else None
    status = 200
    if posting and form is not None:
        status = 422
        if form.is_valid():
            try:
                if locked:
                    contacts.contact_amend(
                        contact,
                        actor=acting_user(request),
                        data=form.changed_values(),
                        reason=form.cleaned_data["reason"],
                    )
                else:
                    contacts.contact_edit(
                        contact, actor=acting_user(request), data=form.changed_values()
                    )
            except contacts.ContactLocked:
                messages.error(
                    request,
                    _("The edit window has just closed: give a reason to amend the contact."),
                )
                return redirect("support:contact", contact_id=contact.pk)
            except ValidationError as error:
                show_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The contact is amended.") if locked else _("The contact is changed."),
                )
                return redirect("support:contact", contact_id=contact.pk)
    return render(
        request,
        "support/contact_detail.html",
        {
            "contact": contact,
            "match": contact.match,
            "name": participant_name(contact.match),
            "row": contact_rows([contact], reach)[0],
            "referrals": contact.navigation_referrals.select_related("service").order_by("pk"),
            "trail": amendment_trail(contact, reach),
            "form": form,
            "locked": locked,
        },
        status=status,
    )


@view_policy(policies.CONTACT_VIEW)
@require_safe
def contact_next_calendar(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The next contact planned in a contact, as an all-day calendar event to add to
    one's own calendar. Like every invitation it names nobody (calendars sync to other
    services): "Peer support contact", with a link back to the match."""
    contact = access_contact(request.user, contact_id, policies.CONTACT_VIEW)
    if contact.next_contact_on is None:
        raise Http404
    text = ics_day_event(
        uid=f"contact-{contact.pk}-next",
        day=contact.next_contact_on,
        summary=_("Peer support contact"),
        description=request.build_absolute_uri(
            reverse("support:contacts", args=[contact.match_id])
        ),
    )
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="next-contact.ics"'
    response["Cache-Control"] = "no-store"
    return response
