"""Pages for risk flags: raising one (from a contact, a group session, or for anyone in
a programme), the crisis resources a peer sees at once after a high flag, the flag
page with its trail and the steps allowed now, a programme's flags and "my flags"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.core.models import User
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import access_programme
from peerbridge.people.models import Person
from peerbridge.safety import policies, services
from peerbridge.safety.configuration import (
    on_call_choices,
    on_call_now,
    rules_for,
    safety_settings,
)
from peerbridge.safety.crisis import crisis_lines
from peerbridge.safety.forms import (
    AcknowledgeForm,
    FlagRaiseForm,
    NoteForm,
    ReassignForm,
    ResolveForm,
    severity_help,
)
from peerbridge.safety.models import RiskFlag, Severity
from peerbridge.safety.selectors import (
    FILTERS,
    STAFF_VIEW,
    PersonChoice,
    access_contact_for_flag,
    access_flag,
    access_session_for_flag,
    audit_choices,
    audit_flags_read,
    flags_in_scope,
    is_staff_over,
    my_flags,
    people_in_session,
    people_to_flag,
    programme_flags,
    trail,
)

PAGE_SIZE = 50
Source = RiskFlag.Source


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _after_raise(flag: RiskFlag) -> HttpResponse:
    """A high flag shows the crisis resources at once; others land on the flag."""
    if flag.severity == Severity.HIGH:
        url = reverse("safety:crisis", args=[flag.programme_id])
        return redirect(f"{url}?flag={flag.pk}")
    return redirect("safety:flag", flag_id=flag.pk)


def _raise_page(
    request: HttpRequest,
    *,
    programme: Programme,
    form: FlagRaiseForm,
    about: str = "",
    back: str = "",
) -> HttpResponse:
    return render(
        request,
        "safety/flag_raise.html",
        {
            "programme": programme,
            "form": form,
            "about": about,
            "back": back,
            "severity_help": severity_help(rules_for(safety_settings(programme))),
        },
        status=422 if form.is_bound else 200,
    )


def _raise(request: HttpRequest, form: FlagRaiseForm, **where: Any) -> RiskFlag | None:
    """Call the service with the form's answers; None (errors on the form) if refused."""
    try:
        return services.flag_raise(
            severity=form.cleaned_data["severity"],
            summary=form.cleaned_data["summary"],
            raised_by=acting_user(request),
            **where,
        )
    except ValidationError as error:
        show_service_errors(form, error)
        return None


def _chosen_person(choice: PersonChoice) -> dict[str, Any]:
    return {
        "person": Person.objects.get(pk=choice.person_id),
        "enrolment": choice.enrolment,
    }


@view_policy(policies.FLAG_RAISE)
@require_http_methods(["GET", "POST"])
def flag_raise_contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Raise a flag from a contact (its peer, or staff over the programme)."""
    contact = access_contact_for_flag(request.user, contact_id)
    form = FlagRaiseForm(_posted(request))
    if form.is_bound and form.is_valid():
        flag = _raise(
            request,
            form,
            programme=contact.programme,
            person=contact.enrolment.person,
            source=Source.CONTACT,
            enrolment=contact.enrolment,
            contact=contact,
        )
        if flag is not None:
            return _after_raise(flag)
    person = contact.enrolment.person
    return _raise_page(
        request,
        programme=contact.programme,
        form=form,
        about=str(person.preferred_name or person.given_name),
    )


@view_policy(policies.FLAG_RAISE)
@require_http_methods(["GET", "POST"])
def flag_raise(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Raise a flag about a participant or a peer of the programme (staff choose among
    everyone; a peer among their own participants)."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.FLAG_RAISE
    )
    people = people_to_flag(request.user, programme)
    form = FlagRaiseForm(
        _posted(request), people=people, initial={"person": request.GET.get("person", "")}
    )
    if form.is_bound and form.is_valid():
        choice = form.chosen()
        if choice is not None:
            flag = _raise(
                request, form, programme=programme, source=Source.STAFF, **_chosen_person(choice)
            )
            if flag is not None:
                return _after_raise(flag)
    audit_choices(request.user, people)
    return _raise_page(request, programme=programme, form=form)


@view_policy(policies.FLAG_RAISE)
@require_http_methods(["GET", "POST"])
def flag_raise_session(request: HttpRequest, group_session_id: int) -> HttpResponse:
    """Raise a flag from a group session (its facilitators, or staff)."""
    session = access_session_for_flag(request.user, group_session_id)
    people = people_in_session(session)
    form = FlagRaiseForm(_posted(request), people=people)
    programme = session.group.programme
    if form.is_bound and form.is_valid():
        choice = form.chosen()
        if choice is not None:
            flag = _raise(
                request,
                form,
                programme=programme,
                source=Source.GROUP_SESSION,
                group_session=session,
                **_chosen_person(choice),
            )
            if flag is not None:
                return _after_raise(flag)
    audit_choices(request.user, people)
    return _raise_page(
        request,
        programme=programme,
        form=form,
        about=f"{session.group.name} · {session.number}",
    )


@view_policy(policies.FLAG_RAISE)
@require_safe
def crisis(request: HttpRequest, programme_id: int) -> HttpResponse:
    """The programme's crisis resources, large and dialable; after a high flag, who it
    went to and by when they must respond."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.FLAG_RAISE
    )
    flag = None
    wanted = request.GET.get("flag", "")
    if wanted.isdigit() and len(wanted) < 19:
        flag = flags_in_scope(request.user).filter(pk=int(wanted), programme=programme).first()
    return render(
        request,
        "safety/crisis.html",
        {
            "programme": programme,
            "lines": crisis_lines(safety_settings(programme).crisis_resources),
            "flag": flag,
            "on_call": on_call_now(programme),
        },
    )


# ---------------------------------------------------------------------------------------
# The flag page and its steps


def _flag_page(
    request: HttpRequest, flag: RiskFlag, *, status: int = 200, **bound: Any
) -> HttpResponse:
    user = acting_user(request)
    unresolved = flag.status != RiskFlag.Status.RESOLVED
    handler = services.may_handle(user, flag)
    forms: dict[str, Any] = {"acknowledge": None, "note": None, "resolve": None, "reassign": None}
    if unresolved:
        forms["note"] = bound.get("note") or NoteForm()
        if handler:
            forms["resolve"] = bound.get("resolve") or ResolveForm()
            forms["reassign"] = bound.get("reassign") or ReassignForm(
                handlers=on_call_choices(flag.programme)
            )
        if handler and flag.status == RiskFlag.Status.OPEN:
            forms["acknowledge"] = bound.get("acknowledge") or AcknowledgeForm()
    return render(
        request,
        "safety/flag.html",
        {
            "flag": flag,
            "events": trail(flag),
            "overdue": flag.status == RiskFlag.Status.OPEN and flag.acknowledge_by < timezone.now(),
            "forms": forms,
            "actions": services.action_labels(flag),
            "show_resolution": handler or is_staff_over(user, flag.programme_id, STAFF_VIEW),
            "is_staff": is_staff_over(user, flag.programme_id, STAFF_VIEW),
        },
        status=status,
    )


@view_policy(policies.FLAG_VIEW)
@require_safe
def flag_detail(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = access_flag(request.user, flag_id)
    return _flag_page(request, flag)


def _step(
    request: HttpRequest, flag: RiskFlag, name: str, form: Any, done: str, act: Any
) -> HttpResponse:
    """Run one step from the flag page: back to the page, or the page with the errors."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("safety:flag", flag_id=flag.pk)
    return _flag_page(request, flag, status=422, **{name: form})


@view_policy(policies.FLAG_HANDLE)
@require_POST
def flag_acknowledge(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = access_flag(request.user, flag_id, policies.FLAG_HANDLE)
    user = acting_user(request)
    return _step(
        request,
        flag,
        "acknowledge",
        AcknowledgeForm(request.POST),
        _("Flag acknowledged."),
        lambda data: services.flag_acknowledge(flag=flag, actor=user, note=data["note"]),
    )


@view_policy(policies.FLAG_VIEW)
@require_POST
def flag_note(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = access_flag(request.user, flag_id)
    user = acting_user(request)
    return _step(
        request,
        flag,
        "note",
        NoteForm(request.POST),
        _("Note added."),
        lambda data: services.flag_note(flag=flag, actor=user, note=data["note"]),
    )


@view_policy(policies.FLAG_HANDLE)
@require_POST
def flag_resolve(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = access_flag(request.user, flag_id, policies.FLAG_HANDLE)
    user = acting_user(request)
    return _step(
        request,
        flag,
        "resolve",
        ResolveForm(request.POST),
        _("Flag resolved."),
        lambda data: services.flag_resolve(
            flag=flag, actor=user, actions=data["actions"], resolution=data["resolution"]
        ),
    )


@view_policy(policies.FLAG_HANDLE)
@require_POST
def flag_reassign(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = access_flag(request.user, flag_id, policies.FLAG_HANDLE)
    user = acting_user(request)
    return _step(
        request,
        flag,
        "reassign",
        ReassignForm(request.POST, handlers=on_call_choices(flag.programme)),
        _("Flag handed over."),
        lambda data: services.flag_reassign(
            flag=flag, actor=user, to=data["to"], note=data["note"]
        ),
    )


# ---------------------------------------------------------------------------------------
# Lists


@view_policy(policies.FLAG_VIEW)
@require_safe
def flags(request: HttpRequest, programme_id: int) -> HttpResponse:
    """A programme's flags: unresolved by default, overdue first, then by deadline."""
    programme = access_programme(user=request.user, programme_id=programme_id, policy=STAFF_VIEW)
    status = request.GET.get("status", "")
    status = status if status in FILTERS else ""
    page = Paginator(programme_flags(programme, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    audit_flags_read(request.user, page.object_list)
    return render(
        request,
        "safety/flags.html",
        {
            "programme": programme,
            "page": page,
            "status": status,
            "filters": [
                ("", _("Not resolved")),
                ("open", _("Waiting for acknowledgement")),
                ("acknowledged", _("Acknowledged")),
                ("resolved", _("Resolved")),
            ],
            "on_call": on_call_now(programme),
        },
    )


@view_policy(policies.FLAG_VIEW)
@require_safe
def my_flags_page(request: HttpRequest) -> HttpResponse:
    """Flags with me (sent or escalated to me) by deadline, and the flags I raised."""
    user: User = acting_user(request)
    return render(request, "safety/my_flags.html", {"mine": my_flags(user)})
