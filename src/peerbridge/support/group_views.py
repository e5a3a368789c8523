"""Pages for groups: a programme's groups, the groups a person facilitates, the group
page (facilitators, members and waiting list, sessions, the incident log link for an
online group), forms to set it up and run it, recording a session as held, and the
attendance report (page and CSV)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.forms import show_service_errors
from peerbridge.matching.selectors import staff_over
from peerbridge.organisations.selectors import access_programme
from peerbridge.safety.selectors import may_flag_from
from peerbridge.support import group_sessions, groups, policies
from peerbridge.support.group_forms import (
    FacilitatorForm,
    GenerateForm,
    GroupForm,
    MemberAddForm,
    MemberSearchForm,
    RecordForm,
    SessionForm,
    StatusForm,
)
from peerbridge.support.group_selectors import (
    PLACED,
    AttendanceReport,
    access_facilitator,
    access_group,
    access_group_member,
    access_group_session,
    attendance_report,
    audit_facilitators,
    audit_members,
    audit_people,
    candidate_enrolments,
    facilitated_groups,
    group_members,
    groups_in_scope,
    live_facilitators,
    may_act,
    sessions_of,
    with_counts,
)
from peerbridge.support.models import Attendance, Group, GroupMember, GroupSession

PAGE_SIZE = 25
NEXT_STATUS: dict[str, list[str]] = {
    Group.Status.PLANNED: [Group.Status.RUNNING, Group.Status.CANCELLED],
    Group.Status.RUNNING: [Group.Status.FINISHED, Group.Status.CANCELLED],
}
STATUS_ACTIONS: dict[str, Any] = {
    Group.Status.RUNNING: gettext_lazy("Start the group"),
    Group.Status.FINISHED: gettext_lazy("Finish the group"),
    Group.Status.CANCELLED: gettext_lazy("Cancel the group"),
}


def _back(group: Group) -> HttpResponse:
    return redirect("support:group", group_id=group.pk)


def _report_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _run_group(request: HttpRequest, group_id: int) -> Group:
    """The group, reached by someone who runs it (404 outside their reach)."""
    return access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RUN)


def _one_button(
    request: HttpRequest, group: Group, act: Callable[[], Any], done: Callable[[Any], str]
) -> HttpResponse:
    """A one-button action: act, say what came of it (or why it was refused), and go
    back to the group page."""
    try:
        result = act()
    except ValidationError as error:
        _report_errors(request, error)
    else:
        messages.success(request, done(result))
    return _back(group)


# ---------------------------------------------------------------------------------------
# Lists


@view_policy(policies.GROUP_VIEW)
@require_safe
def programme_groups(request: HttpRequest, programme_id: int) -> HttpResponse:
    """A programme's groups for its staff; for a peer, the ones they facilitate."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.GROUP_VIEW
    )
    status = request.GET.get("status", "")
    rows = groups_in_scope(request.user).filter(programme=programme)
    if status in Group.Status.values:
        rows = rows.filter(status=status)
    page = Paginator(with_counts(rows).order_by("name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    shown = list(page.object_list)
    audit_facilitators(request.user, shown)
    return render(
        request,
        "support/groups.html",
        {
            "programme": programme,
            "page": page,
            "rows": shown,
            "status": status if status in Group.Status.values else "",
            "statuses": Group.Status.choices,
            "may_run": staff_over(request.user, programme, policies.GROUP_RUN),
        },
    )


@view_policy(policies.GROUP_VIEW)
@require_safe
def my_groups(request: HttpRequest) -> HttpResponse:
    """The groups the signed-in person facilitates or moderates, live ones first."""
    rows = list(
        with_counts(facilitated_groups(request.user)).order_by("status", "name", "pk")[:200]
    )
    audit_facilitators(request.user, rows)
    return render(request, "support/group_mine.html", {"rows": rows})


# ---------------------------------------------------------------------------------------
# The group page


@view_policy(policies.GROUP_VIEW)
@require_safe
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_VIEW)
    members = group_members(group)
    facilitators = live_facilitators(group)
    audit_members(request.user, members)
    audit_facilitators(request.user, [_with_live(group, facilitators)])
    may_run = may_act(request.user, group, policies.GROUP_RUN)
    return render(
        request,
        "support/group.html",
        {
            "group": group,
            "placed": [m for m in members if m.status in PLACED],
            "waiting": [m for m in members if m.status == m.Status.WAITING],
            "facilitators": facilitators,
            "sessions": sessions_of(group),
            "may_run": may_run,
            "may_record": may_act(request.user, group, policies.GROUP_RECORD),
            "next_status": [
                (status, STATUS_ACTIONS[status]) for status in NEXT_STATUS.get(group.status, [])
            ]
            if may_run
            else [],
            "is_open": group.status in groups.OPEN,
            "online": group.modality != Group.Modality.IN_PERSON,
            "now": timezone.now(),
        },
    )


def _with_live(group: Group, facilitators: list[Any]) -> Group:
    group.live_facilitators = facilitators  # type: ignore[attr-defined]
    return group


# ---------------------------------------------------------------------------------------
# Setting a group up


def _form_page(
    request: HttpRequest,
    form: forms.Form,
    *,
    title: str,
    group: Group | None,
    act: Callable[[], Any],
    done: str,
    template: str = "support/group_form.html",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET shows the form; POST acts, answering 422 with the errors when refused."""
    if form.is_bound and form.is_valid():
        try:
            result = act()
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, done)
            target = result if isinstance(result, Group) else group
            if target is not None:
                return _back(target)
    context = {"form": form, "title": title, "group": group, **(extra or {})}
    return render(request, template, context, status=422 if form.is_bound else 200)


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@view_policy(policies.GROUP_RUN)
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.GROUP_RUN
    )
    form = GroupForm(_posted(request), programme=programme)
    return _form_page(
        request,
        form,
        title=_("New group"),
        group=None,
        act=lambda: groups.group_create(
            programme=programme, actor=acting_user(request), data=form.data_for_service()
        ),
        done=_("The group is set up. Add its facilitators and sessions next."),
        extra={"programme": programme},
    )


@view_policy(policies.GROUP_RUN)
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _run_group(request, group_id)
    form = GroupForm(
        _posted(request), programme=group.programme, initial=GroupForm.initial_from(group)
    )
    return _form_page(
        request,
        form,
        title=_("Change the group"),
        group=group,
        act=lambda: groups.group_update(
            group=group, actor=acting_user(request), data=form.data_for_service()
        ),
        done=_("The group is saved."),
        extra={"programme": group.programme},
    )


@view_policy(policies.GROUP_RUN)
@require_POST
def group_status(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _run_group(request, group_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what should happen to the group."))
        return _back(group)
    return _one_button(
        request,
        group,
        lambda: groups.group_set_status(
            group=group, to_status=form.cleaned_data["status"], actor=acting_user(request)
        ),
        lambda done: _("The group is now: %(status)s.") % {"status": done.get_status_display()},
    )


@view_policy(policies.GROUP_RUN)
@require_POST
def group_complete(request: HttpRequest, group_id: int) -> HttpResponse:
    """Mark as completed everyone who has attended enough sessions."""
    group = _run_group(request, group_id)
    return _one_button(
        request,
        group,
        lambda: groups.members_complete(group=group, actor=acting_user(request)),
        lambda done: _("%(n)s more members have completed the group.") % {"n": len(done)},
    )


# ---------------------------------------------------------------------------------------
# Facilitators and members


@view_policy(policies.GROUP_RUN)
@require_http_methods(["GET", "POST"])
def facilitator_add(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _run_group(request, group_id)
    form = FacilitatorForm(_posted(request), group=group)
    return _form_page(
        request,
        form,
        title=_("Add a facilitator"),
        group=group,
        act=lambda: groups.facilitator_add(
            group=group,
            actor=acting_user(request),
            profile=form.cleaned_data.get("peer"),
            user=form.cleaned_data.get("professional"),
        ),
        done=_("The facilitator is added."),
    )


@view_policy(policies.GROUP_RUN)
@require_POST
def facilitator_remove(
    request: HttpRequest, group_id: int, group_facilitator_id: int
) -> HttpResponse:
    group = _run_group(request, group_id)
    facilitator = access_facilitator(group=group, facilitator_id=group_facilitator_id)
    return _one_button(
        request,
        group,
        lambda: groups.facilitator_remove(facilitator=facilitator, actor=acting_user(request)),
        lambda _done: _("The facilitator is no longer on this group."),
    )


@view_policy(policies.GROUP_RUN)
@require_http_methods(["GET", "POST"])
def member_add(request: HttpRequest, group_id: int) -> HttpResponse:
    """Find a participant by name and give them a place (or a place on the waiting list
    when the group is full)."""
    group = _run_group(request, group_id)
    search = MemberSearchForm(request.GET or None)
    candidates = candidate_enrolments(group, search=search.search())
    audit_people(request.user, [e.person_id for e in candidates])
    form = MemberAddForm(_posted(request), group=group)
    return _form_page(
        request,
        form,
        title=_("Add a participant"),
        group=group,
        act=lambda: groups.member_add(
            group=group, enrolment=form.cleaned_data["enrolment"], actor=acting_user(request)
        ),
        done=_("The participant is added."),
        template="support/group_member_add.html",
        extra={"search": search, "candidates": candidates},
    )


@view_policy(policies.GROUP_RUN)
@require_POST
def member_leave(request: HttpRequest, group_id: int, group_member_id: int) -> HttpResponse:
    group = _run_group(request, group_id)
    member = access_group_member(group=group, member_id=group_member_id)
    return _one_button(
        request,
        group,
        lambda: groups.member_leave(member=member, actor=acting_user(request)),
        lambda _done: _("The participant has left the group."),
    )


# ---------------------------------------------------------------------------------------
# Sessions


def _schedule_page(
    request: HttpRequest,
    group_id: int,
    form_class: type[forms.Form],
    schedule: Callable[..., Any],
    *,
    title: str,
    done: str,
) -> HttpResponse:
    """A form that schedules sessions: the form's fields are the service's arguments."""
    group = _run_group(request, group_id)
    form = form_class(_posted(request))
    return _form_page(
        request,
        form,
        title=title,
        group=group,
        act=lambda: schedule(group=group, actor=acting_user(request), **form.cleaned_data),
        done=done,
    )


@view_policy(policies.GROUP_RUN)
@require_http_methods(["GET", "POST"])
def session_add(request: HttpRequest, group_id: int) -> HttpResponse:
    return _schedule_page(
        request,
        group_id,
        SessionForm,
        group_sessions.session_add,
        title=_("Add a session"),
        done=_("The session is scheduled and everyone in the group is invited."),
    )


@view_policy(policies.GROUP_RUN)
@require_http_methods(["GET", "POST"])
def sessions_generate(request: HttpRequest, group_id: int) -> HttpResponse:
    return _schedule_page(
        request,
        group_id,
        GenerateForm,
        group_sessions.sessions_generate,
        title=_("Schedule the sessions"),
        done=_("The sessions are scheduled and everyone in the group is invited."),
    )


@view_policy(policies.GROUP_RUN)
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, group_id: int, session_number: int) -> HttpResponse:
    group = _run_group(request, group_id)
    session = access_group_session(group=group, number=session_number)
    form = SessionForm(
        _posted(request),
        initial={
            "starts_at": timezone.localtime(session.starts_at),
            "duration_minutes": session.duration_minutes,
            "topic": session.topic,
        },
    )
    return _form_page(
        request,
        form,
        title=_("Move or change session %(n)s") % {"n": session.number},
        group=group,
        act=lambda: group_sessions.session_reschedule(
            session=session, actor=acting_user(request), **form.cleaned_data
        ),
        done=_("The session is saved; a new time is sent to everyone."),
    )


@view_policy(policies.GROUP_RUN)
@require_POST
def session_cancel(request: HttpRequest, group_id: int, session_number: int) -> HttpResponse:
    group = _run_group(request, group_id)
    session = access_group_session(group=group, number=session_number)
    return _one_button(
        request,
        group,
        lambda: group_sessions.session_cancel(session=session, actor=acting_user(request)),
        lambda _done: _("The session is cancelled and everyone is told."),
    )


@view_policy(policies.GROUP_RECORD)
@require_http_methods(["GET", "POST"])
def session_record(request: HttpRequest, group_id: int, session_number: int) -> HttpResponse:
    """Record the session as held: attendance for each member and the session notes."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_RECORD)
    session = access_group_session(group=group, number=session_number)
    marks = {row.member_id: row.status for row in Attendance.objects.filter(session=session)}
    members = [
        m
        for m in group_members(group, statuses=[*PLACED, GroupMember.Status.LEFT])
        if m.status in PLACED or m.pk in marks
    ]
    audit_members(request.user, members)
    audit_instance(actor=request.user, action=Action.READ, instance=session)
    form = RecordForm(
        _posted(request), members=members, marks=marks, initial={"notes": session.notes}
    )
    return _form_page(
        request,
        form,
        title=_("Record session %(n)s") % {"n": session.number},
        group=group,
        act=lambda: group_sessions.session_record(
            session=session, actor=acting_user(request), **form.arguments()
        ),
        done=_("The session is recorded."),
        template="support/group_record.html",
        extra={
            "session": session,
            "held": session.status == GroupSession.Status.HELD,
            "may_flag": may_flag_from(request.user, session),
        },
    )


# ---------------------------------------------------------------------------------------
# The attendance report


def _report(request: HttpRequest, group_id: int) -> tuple[Group, AttendanceReport]:
    """The group's attendance report, its members' reads audited."""
    group = access_group(user=request.user, group_id=group_id, policy=policies.GROUP_VIEW)
    report = attendance_report(group)
    audit_members(request.user, [row.member for row in report.rows])
    return group, report


@view_policy(policies.GROUP_VIEW)
@require_safe
def group_report(request: HttpRequest, group_id: int) -> HttpResponse:
    group, report = _report(request, group_id)
    return render(request, "support/group_report.html", {"group": group, "report": report})


@view_policy(policies.GROUP_VIEW)
@require_safe
def group_report_csv(request: HttpRequest, group_id: int) -> HttpResponse:
    group, report = _report(request, group_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="group-{group.pk}-attendance.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Participant"),
            _("Status"),
            *(
                f"{s.number} {timezone.localtime(s.starts_at):%Y-%m-%d %H:%M}"
                for s in report.sessions
            ),
            _("Attended"),
            _("Absent"),
            _("Sent apologies"),
            _("Completes"),
        ]
    )
    for row in report.rows:
        writer.writerow(
            [
                _spreadsheet_safe(str(row.member.enrolment.person)),
                row.member.get_status_display(),
                *(report.statuses.get(mark, "") for _number, mark in row.cells),
                row.present,
                row.absent,
                row.excused,
                _("yes") if row.completes else _("no"),
            ]
        )
    for name in ("present", "absent", "excused"):
        writer.writerow(
            [
                _("Total: %(status)s") % {"status": report.statuses[name]},
                "",
                *(getattr(t, name) for t in report.totals),
                "",
                "",
                "",
                "",
            ]
        )
    return response


def _spreadsheet_safe(text: str) -> str:
    """A name that a spreadsheet would read as a formula is kept as text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
