"""Pages for a peer's wellbeing and engagement: the burnout check-in and the pulse (the
peer themself), the supervisor's review of a hold and resolving alerts, pausing,
capacity and availability, the peer's own workforce page, announcements and the team
calendar."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.organisations.selectors import access_programme
from peerbridge.workforce import engagement, policies, wellbeing
from peerbridge.workforce.eligibility import standing
from peerbridge.workforce.models import PeerProfile, WellbeingCheckIn
from peerbridge.workforce.selectors import access_profile, workforce_settings
from peerbridge.workforce.services import profile_update
from peerbridge.workforce.wellbeing_forms import (
    AlertResolveForm,
    AnnouncementForm,
    AttendanceForm,
    CheckInForm,
    HoldReleaseForm,
    LimitsForm,
    ModalitiesForm,
    PauseForm,
    PulseForm,
    TeamEventForm,
    window_formset,
    windows_from,
)

PAGE_SIZE = 20


def _form_errors(request: HttpRequest, form: forms.BaseForm) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, str(message))


def _service_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@view_policy(policies.PEER_SELF)
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, profile_id: int) -> HttpResponse:
    """The burnout check-in: questions about the peer work and the people supported."""
    profile = wellbeing.access_own_profile(user=request.user, profile_id=profile_id)
    form = CheckInForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            done = wellbeing.cbi_checkin_record(
                profile=profile, answers=form.answers(), actor=acting_user(request)
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            url = reverse("workforce:checkin", args=[profile.pk])
            return redirect(f"{url}?result={done.pk}")
    result_id = _int(request.GET.get("result"))
    result = (
        profile.checkins.filter(pk=result_id, kind=WellbeingCheckIn.Kind.CBI).first()
        if result_id and request.method == "GET"
        else None
    )
    rules = workforce_settings(profile.programme)
    return render(
        request,
        "workforce/wellbeing_checkin.html",
        {
            "profile": profile,
            "form": form,
            "result": result,
            "threshold": rules.burnout_threshold,
            "next_due": wellbeing.checkins_due([profile])[profile.pk].due_on,
        },
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.PEER_SELF)
@require_POST
def pulse(request: HttpRequest, profile_id: int) -> HttpResponse:
    """The one-tap "how are you doing?"."""
    profile = wellbeing.access_own_profile(user=request.user, profile_id=profile_id)
    form = PulseForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("workforce:me")
    try:
        done = wellbeing.pulse_record(
            profile=profile, value=form.cleaned_data["value"], actor=acting_user(request)
        )
    except ValidationError as error:
        _service_errors(request, error)
    else:
        if done.pulse == WellbeingCheckIn.Pulse.STRUGGLING:
            messages.success(
                request,
                _(
                    "Thank you for telling us. Your supervisor will be in touch. If you need "
                    "time off, you can pause below."
                ),
            )
        else:
            messages.success(request, _("Thank you. Noted."))
    return redirect("workforce:me")


@view_policy(policies.SUPERVISE)
@require_POST
def hold_release(request: HttpRequest, profile_id: int) -> HttpResponse:
    """The supervisor lifts the hold on new matches after talking with the peer."""
    profile = access_profile(user=request.user, profile_id=profile_id, policy=policies.SUPERVISE)
    form = HoldReleaseForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("workforce:profile", profile_id=profile.pk)
    try:
        wellbeing.hold_release(
            profile=profile, actor=acting_user(request), note=form.cleaned_data["note"]
        )
    except ValidationError as error:
        _service_errors(request, error)
    else:
        messages.success(request, _("The hold is lifted: new matches may be offered again."))
    return redirect("workforce:profile", profile_id=profile.pk)


@view_policy(policies.ALERT_RESOLVE)
@require_POST
def alert_resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = wellbeing.access_alert(user=request.user, alert_id=alert_id)
    form = AlertResolveForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            wellbeing.alert_close(
                alert=alert, actor=acting_user(request), resolution=form.cleaned_data["resolution"]
            )
        except ValidationError as error:
            _service_errors(request, error)
        else:
            messages.success(request, _("Alert resolved."))
    return redirect("workforce:profile", profile_id=alert.profile_id)


@view_policy(policies.SELF_OR_MANAGE)
@require_http_methods(["GET", "POST"])
def pause(request: HttpRequest, profile_id: int) -> HttpResponse:
    """Pause (time off, not well, personal; the programme also for review) or resume. A
    pause for review is the programme's to end or change."""
    profile = wellbeing.access_self_or_managed(user=request.user, profile_id=profile_id)
    by_staff = wellbeing.manages(request.user, profile)
    review_locked = wellbeing.under_review(profile) and not by_staff
    if request.method == "POST" and review_locked:
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("action") == "resume":
        try:
            wellbeing.pause_end(profile=profile, actor=acting_user(request), by_staff=by_staff)
        except ValidationError as error:
            _service_errors(request, error)
        else:
            messages.success(request, _("Welcome back: the pause has ended."))
        return redirect("workforce:pause", profile_id=profile.pk)
    form = PauseForm(request.POST if request.method == "POST" else None, by_staff=by_staff)
    if request.method == "POST" and form.is_valid():
        try:
            wellbeing.pause_start(
                profile=profile, actor=acting_user(request), by_staff=by_staff, **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Paused. Look after yourself."))
            return redirect("workforce:pause", profile_id=profile.pk)
    today = timezone.localdate()
    return render(
        request,
        "workforce/wellbeing_pause.html",
        {
            "profile": profile,
            "form": form,
            "standing": standing(profile),
            "is_self": wellbeing.is_self(request.user, profile),
            "review_locked": review_locked,
            "paused": profile.is_paused(today),
            "planned": profile.paused_from is not None and profile.paused_from > today,
        },
        status=422 if form.is_bound else 200,
    )


def _capacity_forms(request: HttpRequest, profile: PeerProfile, staff: bool) -> dict[str, Any]:
    data = request.POST if request.method == "POST" else None
    limits = {"max_matches": profile.max_matches, "max_groups": profile.max_groups}
    return {
        "limits": LimitsForm(data, initial=limits) if staff else None,
        "windows": window_formset(data, profile),
        "ways": ModalitiesForm(
            data, programme=profile.programme, initial={"modalities": profile.modalities}
        ),
    }


def _capacity_save(request: HttpRequest, profile: PeerProfile, found: dict[str, Any]) -> bool:
    limits, windows, ways = found["limits"], found["windows"], found["ways"]
    if not all(f.is_valid() for f in (limits, windows, ways) if f is not None):
        return False
    changes: dict[str, Any] = {
        "availability": windows_from(windows),
        "modalities": ways.cleaned_data["modalities"],
        **(limits.cleaned_data if limits is not None else {}),
    }
    try:
        profile_update(profile=profile, actor=acting_user(request), **changes)
    except ValidationError as error:
        for name, errors in error.message_dict.items():
            target = limits if limits is not None and name in limits.fields else ways
            target.add_error(name if name in target.fields else None, errors)
        return False
    return True


@view_policy(policies.SELF_OR_MANAGE)
@require_http_methods(["GET", "POST"])
def capacity(request: HttpRequest, profile_id: int) -> HttpResponse:
    """Capacity (staff) and weekly availability and ways of meeting (the peer, or staff
    for them), with the current load."""
    profile = wellbeing.access_self_or_managed(user=request.user, profile_id=profile_id)
    staff = wellbeing.manages(request.user, profile)
    found = _capacity_forms(request, profile, staff)
    if request.method == "POST" and _capacity_save(request, profile, found):
        messages.success(request, _("Saved."))
        return redirect("workforce:capacity", profile_id=profile.pk)
    return render(
        request,
        "workforce/wellbeing_capacity.html",
        {"profile": profile, "standing": standing(profile), "staff": staff, **found},
        status=422 if request.method == "POST" else 200,
    )


@view_policy(policies.PEER_SELF)
@require_safe
def me(request: HttpRequest) -> HttpResponse:
    """The peer's own workforce page: where they are, check-in, pause, capacity,
    milestones, news and what is coming up."""
    return render(
        request,
        "workforce/me.html",
        {
            "rows": engagement.peer_home(user=request.user),
            "pulse_choices": WellbeingCheckIn.Pulse.choices,
        },
    )


@view_policy(policies.TEAM_VIEW)
@require_http_methods(["GET", "POST"])
def announcements(request: HttpRequest, programme_id: int) -> HttpResponse:
    posting = request.method == "POST"
    programme = access_programme(
        user=request.user,
        programme_id=programme_id,
        policy=policies.ANNOUNCE if posting else policies.TEAM_VIEW,
    )
    can_post = posting or engagement.may_announce(request.user, programme)
    form = AnnouncementForm(request.POST if posting else None) if can_post else None
    if posting and form is not None and form.is_valid():
        try:
            engagement.announcement_publish(
                programme=programme, actor=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Announcement posted to the team."))
            return redirect("workforce:announcements", programme_id=programme.pk)
    page = Paginator(engagement.programme_announcements(programme), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "workforce/engagement_announcements.html",
        {"programme": programme, "page": page, "form": form},
        status=422 if posting else 200,
    )


@view_policy(policies.TEAM_VIEW)
@require_http_methods(["GET", "POST"])
def events(request: HttpRequest, programme_id: int) -> HttpResponse:
    posting = request.method == "POST"
    programme = access_programme(
        user=request.user,
        programme_id=programme_id,
        policy=policies.ANNOUNCE if posting else policies.TEAM_VIEW,
    )
    can_post = posting or engagement.may_announce(request.user, programme)
    form = TeamEventForm(request.POST if posting else None) if can_post else None
    if posting and form is not None and form.is_valid():
        try:
            event = engagement.team_event_create(
                programme=programme, actor=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Added to the team calendar."))
            return redirect("workforce:event", event_id=event.pk)
    return render(
        request,
        "workforce/engagement_events.html",
        {
            "programme": programme,
            "weeks": engagement.by_week(engagement.upcoming_events(programme)[:100]),
            "recent": list(engagement.recent_events(programme)) if can_post else [],
            "form": form,
        },
        status=422 if posting else 200,
    )


@view_policy(policies.TEAM_VIEW)
@require_http_methods(["GET", "POST"])
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    posting = request.method == "POST"
    event = engagement.access_event(
        user=request.user,
        event_id=event_id,
        policy=policies.ANNOUNCE if posting else policies.TEAM_VIEW,
    )
    can_record = posting or engagement.may_announce(request.user, event.programme)
    form = None
    if can_record:
        team = engagement.team_profiles(event.programme)
        form = AttendanceForm(
            request.POST if posting else None,
            profiles=team,
            initial={"attendees": list(event.attendees.values_list("pk", flat=True))},
        )
        engagement.audit_attendees(user=request.user, profiles=team)
    if posting and form is not None and form.is_valid():
        try:
            engagement.event_attendance_record(
                event=event, actor=acting_user(request), profiles=form.cleaned_data["attendees"]
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Attendance recorded."))
            return redirect("workforce:event", event_id=event.pk)
    return render(
        request,
        "workforce/engagement_event.html",
        {
            "event": event,
            "form": form,
            "attended": event.attendees.count(),
            "started": event.starts_at <= timezone.now(),
        },
        status=422 if posting else 200,
    )
