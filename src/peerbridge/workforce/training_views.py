"""Pages for the peer agreements and training: the programme's agreements and curriculum,
scheduling sessions, recording attendance, a peer's agreements and training record,
competencies, and who is overdue on ongoing training."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from peerbridge.core.access import Policy, acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.organisations.models import Programme
from peerbridge.organisations.selectors import AnyUser, access_programme, programmes_in_scope
from peerbridge.workforce import agreements as agreement_services
from peerbridge.workforce import policies, training
from peerbridge.workforce import training_selectors as selectors
from peerbridge.workforce.models import AgreementText
from peerbridge.workforce.selectors import access_profile
from peerbridge.workforce.training_forms import (
    AgreementPublishForm,
    AttendanceForm,
    CompetencyCheckForm,
    CompetencyForm,
    ModuleEditForm,
    ModuleForm,
    SessionForm,
    SignForm,
)


def _reaches(user: AnyUser, policy: Policy, programme_id: int) -> bool:
    return programmes_in_scope(user=user, policy=policy).filter(pk=programme_id).exists()


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _status(request: HttpRequest) -> int:
    """A page shown again after a post was refused."""
    return 422 if request.method == "POST" else 200


def _programme(request: HttpRequest, programme_id: int, *, write: Policy) -> Programme:
    """The programme for this page: viewing needs WORKFORCE_VIEW, posting `write`."""
    policy = write if request.method == "POST" else policies.WORKFORCE_VIEW
    return access_programme(user=request.user, programme_id=programme_id, policy=policy)


# ---------------------------------------------------------------------------------------
# Agreements


def _sign_form(data: Any, text_id: str) -> SignForm:
    """One signing form per agreement on the page, each with its own field ids."""
    return SignForm(data, initial={"text": text_id}, auto_id=f"id_sign{text_id}_%s")


@view_policy(policies.WORKFORCE_VIEW)
@require_http_methods(["GET", "POST"])
def agreements(request: HttpRequest, programme_id: int) -> HttpResponse:
    """The programme's agreements: current versions, history, who has signed; leaders
    publish a new version (every peer is then asked to sign again)."""
    programme = _programme(request, programme_id, write=policies.AGREEMENT_TEXT_EDIT)
    form = AgreementPublishForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            agreement_services.agreement_publish(
                programme=programme, actor=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Published. Every peer is asked to sign the new version."))
            return redirect("workforce:agreements", programme_id=programme.pk)
    return render(
        request,
        "workforce/agreement_list.html",
        {
            "programme": programme,
            "summaries": agreement_services.programme_agreements(programme),
            "form": form,
            "can_publish": _reaches(request.user, policies.AGREEMENT_TEXT_EDIT, programme.pk),
        },
        status=_status(request),
    )


@view_policy(policies.PROFILE_VIEW)
@require_http_methods(["GET", "POST"])
def profile_agreements(request: HttpRequest, profile_id: int) -> HttpResponse:
    """A peer's agreements, signed or not; the peer signs each by typing their name."""
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.WORKFORCE_VIEW, allow_self=True
    )
    is_self = agreement_services.may_sign(profile, request.user)
    if request.method == "POST" and not is_self:
        raise PermissionDenied  # only the peer signs their own agreements
    posted_text = request.POST.get("text", "") if request.method == "POST" else ""
    posted = _sign_form(_posted(request), posted_text if posted_text.isdigit() else "0")
    if request.method == "POST" and posted.is_valid():
        text = AgreementText.objects.filter(
            pk=posted.cleaned_data["text"], programme_id=profile.programme_id
        ).first()
        try:
            if text is None:
                raise ValidationError({"text": _("Choose one of this programme's agreements.")})
            agreement_services.agreement_sign(
                profile=profile,
                text=text,
                signed_name=posted.cleaned_data["signed_name"],
                actor=acting_user(request),
            )
        except ValidationError as error:
            show_service_errors(posted, error)
        else:
            messages.success(request, _("Signed. Thank you."))
            return redirect("workforce:profile_agreements", profile_id=profile.pk)
    current = agreement_services.profile_agreements(profile)
    rows = [
        (row, posted if posted_text == str(row.text.pk) else _sign_form(None, str(row.text.pk)))
        for row in current
    ]
    shown = {str(row.text.pk) for row in current}
    return render(
        request,
        "workforce/agreement_profile.html",
        {
            "profile": profile,
            "rows": rows,
            "is_self": is_self,
            "stray_form": posted if posted.is_bound and posted_text not in shown else None,
        },
        status=_status(request),
    )


# ---------------------------------------------------------------------------------------
# The curriculum, modules and sessions


@view_policy(policies.WORKFORCE_VIEW)
@require_http_methods(["GET", "POST"])
def curriculum(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Modules in order and the coming weeks' sessions; managers add a module."""
    programme = _programme(request, programme_id, write=policies.WORKFORCE_MANAGE)
    form = ModuleForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            training.module_create(
                programme=programme, actor=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Module added."))
            return redirect("workforce:training", programme_id=programme.pk)
    return render(
        request,
        "workforce/training_curriculum.html",
        {
            "programme": programme,
            "curriculum": selectors.curriculum(programme),
            "form": form,
            "can_manage": _reaches(request.user, policies.WORKFORCE_MANAGE, programme.pk),
        },
        status=_status(request),
    )


@view_policy(policies.WORKFORCE_MANAGE)
@require_http_methods(["GET", "POST"])
def module_edit(request: HttpRequest, module_id: int) -> HttpResponse:
    module = selectors.access_module(
        user=request.user, module_id=module_id, policy=policies.WORKFORCE_MANAGE
    )
    form = ModuleEditForm(_posted(request), initial=ModuleEditForm.initial_for(module))
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        if changes["order"] is None:
            changes["order"] = module.order
        try:
            training.module_update(module=module, actor=acting_user(request), **changes)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Module saved."))
            return redirect("workforce:training", programme_id=module.programme_id)
    return render(
        request,
        "workforce/training_module.html",
        {"module": module, "form": form, "sessions": selectors.module_sessions(module)},
        status=_status(request),
    )


@view_policy(policies.WORKFORCE_MANAGE)
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest, module_id: int) -> HttpResponse:
    """Schedule a session of a module: when, how long, who trains, how and where."""
    module = selectors.access_module(
        user=request.user, module_id=module_id, policy=policies.WORKFORCE_MANAGE
    )
    form = SessionForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            training.session_schedule(
                module=module, actor=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Session scheduled."))
            return redirect("workforce:training_module", module_id=module.pk)
    return render(
        request,
        "workforce/training_session_form.html",
        {"module": module, "form": form},
        status=_status(request),
    )


@view_policy(policies.WORKFORCE_MANAGE)
@require_http_methods(["GET", "POST"])
def session_attendance(request: HttpRequest, session_id: int) -> HttpResponse:
    """One screen: everyone expected at the session, ticked when they came."""
    session = selectors.access_session(
        user=request.user, session_id=session_id, policy=policies.WORKFORCE_MANAGE
    )
    roster = selectors.session_roster(user=request.user, session=session)
    form = AttendanceForm(
        _posted(request),
        people=[(row.person.pk, str(row.person)) for row in roster],
        initial={"present": [row.person.pk for row in roster if row.attended]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            training.attendance_save_roster(
                session=session, actor=acting_user(request), present=form.cleaned_data["present"]
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Attendance saved."))
            return redirect("workforce:training_session", session_id=session.pk)
    ticked = {str(pk) for pk in (form["present"].value() or [])}
    return render(
        request,
        "workforce/training_session.html",
        {
            "session": session,
            "module": session.module,
            "rows": [(row, str(row.person.pk) in ticked) for row in roster],
            "form": form,
        },
        status=_status(request),
    )


# ---------------------------------------------------------------------------------------
# A peer's training record, competencies, overdue training


@view_policy(policies.PROFILE_VIEW)
@require_http_methods(["GET", "POST"])
def profile_training(request: HttpRequest, profile_id: int) -> HttpResponse:
    """Required modules done or missing, optional ones, ongoing hours and competency
    checks; assessors record a check with evidence."""
    if request.method == "POST":
        profile = access_profile(
            user=request.user, profile_id=profile_id, policy=policies.COMPETENCY_ASSESS
        )
    else:
        profile = access_profile(
            user=request.user,
            profile_id=profile_id,
            policy=policies.WORKFORCE_VIEW,
            allow_self=True,
        )
    is_self = profile.person.user_id is not None and profile.person.user_id == request.user.pk
    can_assess = not is_self and _reaches(
        request.user, policies.COMPETENCY_ASSESS, profile.programme_id
    )
    form = CompetencyCheckForm(
        _posted(request), competencies=selectors.competencies_of(profile.programme)
    )
    if request.method == "POST" and form.is_valid():
        try:
            training.competency_check_record(
                profile=profile, actor=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Competency check recorded."))
            return redirect("workforce:profile_training", profile_id=profile.pk)
    return render(
        request,
        "workforce/training_profile.html",
        {
            "profile": profile,
            "record": selectors.training_record(profile),
            "form": form if can_assess else None,
            "is_self": is_self,
        },
        status=_status(request),
    )


@view_policy(policies.WORKFORCE_VIEW)
@require_http_methods(["GET", "POST"])
def competencies(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = _programme(request, programme_id, write=policies.WORKFORCE_MANAGE)
    form = CompetencyForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            training.competency_create(
                programme=programme, actor=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Competency added."))
            return redirect("workforce:competencies", programme_id=programme.pk)
    return render(
        request,
        "workforce/training_competencies.html",
        {
            "programme": programme,
            "competencies": selectors.competencies_of(programme),
            "form": form,
            "can_manage": _reaches(request.user, policies.WORKFORCE_MANAGE, programme.pk),
        },
        status=_status(request),
    )


@view_policy(policies.WORKFORCE_VIEW)
@require_safe
def training_overdue(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Available peers behind on ongoing training, and the staff's training in working
    alongside peers."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.WORKFORCE_VIEW
    )
    staff_modules, staff_rows = selectors.staff_training(user=request.user, programme=programme)
    return render(
        request,
        "workforce/training_overdue.html",
        {
            "programme": programme,
            "overdue": selectors.overdue_peers(user=request.user, programme=programme),
            "staff_modules": staff_modules,
            "staff_rows": [
                (row, list(zip(staff_modules, row.attended_on, strict=True))) for row in staff_rows
            ],
        },
    )
