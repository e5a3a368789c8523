"""Pages for certification (frameworks, a peer's decisions, decertification, appeals,
what expires soon) and supervision (assigning a supervisor, recording a session, a
session, the supervisor's page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import Policy, acting_user, view_policy
from peerbridge.core.audit import Action, audit_many
from peerbridge.core.forms import show_service_errors
from peerbridge.organisations.selectors import (
    AnyUser,
    access_organisation,
    access_programme,
    organisations_in_scope,
    programmes_in_scope,
)
from peerbridge.workforce import certification as certs
from peerbridge.workforce import certification_expiry as expiry
from peerbridge.workforce import policies
from peerbridge.workforce import supervision as sup
from peerbridge.workforce.eligibility import standing
from peerbridge.workforce.models import Certification, Decertification, PeerProfile
from peerbridge.workforce.selectors import access_profile
from peerbridge.workforce.supervision_forms import (
    AppealForm,
    CertificationDecisionForm,
    DecertificationForm,
    FrameworkForm,
    SessionForm,
    SupervisorForm,
)


def _may(user: AnyUser, policy: Policy, programme_id: int) -> bool:
    return programmes_in_scope(user=user, policy=policy).filter(pk=programme_id).exists()


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


# ---------------------------------------------------------------------------------------
# Frameworks


@view_policy(policies.WORKFORCE_VIEW)
@require_http_methods(["GET", "POST"])
def frameworks(request: HttpRequest, organisation_id: int) -> HttpResponse:
    policy = policies.FRAMEWORK_EDIT if request.method == "POST" else policies.WORKFORCE_VIEW
    organisation = access_organisation(
        user=request.user, organisation_id=organisation_id, policy=policy
    )
    may_edit = (
        organisations_in_scope(user=request.user, policy=policies.FRAMEWORK_EDIT)
        .filter(pk=organisation.pk)
        .exists()
    )
    form = FrameworkForm(_posted(request)) if may_edit else None
    if form is not None and form.is_bound and form.is_valid():
        try:
            certs.framework_create(
                organisation=organisation, actor=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Certification framework added."))
            return redirect("workforce:frameworks", organisation_id=organisation.pk)
    return render(
        request,
        "workforce/certification_frameworks.html",
        {
            "organisation": organisation,
            "frameworks": certs.frameworks_of(organisation),
            "form": form,
        },
        status=422 if form is not None and form.is_bound else 200,
    )


@view_policy(policies.FRAMEWORK_EDIT)
@require_http_methods(["GET", "POST"])
def framework_edit(request: HttpRequest, framework_id: int) -> HttpResponse:
    framework = certs.access_framework(
        user=request.user, framework_id=framework_id, policy=policies.FRAMEWORK_EDIT
    )
    form = FrameworkForm(_posted(request), instance=framework)
    if form.is_bound and form.is_valid():
        try:
            certs.framework_update(
                framework=framework, actor=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Certification framework saved."))
            return redirect("workforce:frameworks", organisation_id=framework.organisation_id)
    return render(
        request,
        "workforce/certification_framework_form.html",
        {"form": form, "framework": framework},
        status=422 if form.is_bound else 200,
    )


# ---------------------------------------------------------------------------------------
# A peer's certification


@dataclass(frozen=True)
class HistoryRow:
    entry: certs.HistoryEntry
    appeal_form: AppealForm | None
    may_decertify: bool


def _history_rows(entries: list[certs.HistoryEntry], *, is_self: bool) -> list[HistoryRow]:
    """Each decision with what the reader may do about it, decided by the rights over
    the programme that took the decision (not the one whose page this is)."""
    Appeal = Decertification.Appeal
    rows = []
    for entry in entries:
        decertification = entry.decertification
        form = None
        if decertification is not None:
            if decertification.appeal == Appeal.NONE and (is_self or entry.may_certify):
                form = AppealForm(step=certs.AppealStep.LODGE)
            elif decertification.appeal == Appeal.LODGED and entry.may_certify and not is_self:
                form = AppealForm(step=certs.AppealStep.DECIDE)
        may_decertify = (
            entry.may_certify and not is_self and entry.status == Certification.Status.CERTIFIED
        )
        rows.append(HistoryRow(entry, form, may_decertify))
    return rows


def _certification_page(
    request: HttpRequest, profile: PeerProfile, form: CertificationDecisionForm | None
) -> HttpResponse:
    is_self = profile.person.user_id == request.user.pk
    history = certs.certification_history(profile, user=request.user)
    return render(
        request,
        "workforce/certification_history.html",
        {
            "profile": profile,
            "state": standing(profile).certification,
            "rows": _history_rows(history, is_self=is_self),
            "is_self": is_self,
            "form": form,
        },
        status=422 if form is not None and form.is_bound else 200,
    )


@view_policy(policies.PROFILE_VIEW)
@require_http_methods(["GET", "POST"])
def certification(request: HttpRequest, profile_id: int) -> HttpResponse:
    """A peer's certification decisions (the peer sees their own, with the
    recommendations); leaders record a new decision here."""
    if request.method == "POST":
        profile = access_profile(user=request.user, profile_id=profile_id, policy=policies.CERTIFY)
    else:
        profile = access_profile(
            user=request.user,
            profile_id=profile_id,
            policy=policies.WORKFORCE_VIEW,
            allow_self=True,
        )
    form = None
    if profile.person.user_id == request.user.pk:
        if request.method == "POST":
            raise PermissionDenied  # leaders never decide about themselves
    elif _may(request.user, policies.CERTIFY, profile.programme_id):
        frameworks = certs.frameworks_of(profile.programme.site.organisation).filter(is_active=True)
        form = CertificationDecisionForm(_posted(request), frameworks=frameworks)
    if form is not None and form.is_bound and form.is_valid():
        try:
            certs.certification_decide(
                profile=profile, decided_by=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Certification decision recorded."))
            return redirect("workforce:certification", profile_id=profile.pk)
    return _certification_page(request, profile, form)


def _after_certification(certification: Certification) -> HttpResponse:
    profile = certs.profile_for(certification)
    if profile is None:
        return redirect("workforce:certification_overview", programme_id=certification.programme_id)
    return redirect("workforce:certification", profile_id=profile.pk)


@view_policy(policies.CERTIFY)
@require_http_methods(["GET", "POST"])
def decertify(request: HttpRequest, certification_id: int) -> HttpResponse:
    certification = certs.access_certification(
        user=request.user, certification_id=certification_id, policy=policies.CERTIFY
    )
    form = DecertificationForm(
        _posted(request),
        sessions=certs.sessions_about(certification),
        initial={"effective_on": timezone.localdate()},
    )
    if form.is_bound and form.is_valid():
        try:
            certs.decertify(
                certification=certification,
                decided_by=acting_user(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Certification withdrawn. The peer's current work is flagged for review."),
            )
            return _after_certification(certification)
    return render(
        request,
        "workforce/certification_decertify.html",
        {
            "certification": certification,
            "form": form,
            "current": certification.status == Certification.Status.CERTIFIED,
            "profile": certs.profile_for(certification),
        },
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.APPEAL)
@require_POST
def appeal(request: HttpRequest, certification_id: int) -> HttpResponse:
    """Lodge an appeal (the peer, or a leader for them) or decide it (a leader)."""
    deciding = request.POST.get("step") == certs.AppealStep.DECIDE
    form = AppealForm(
        request.POST, step=certs.AppealStep.DECIDE if deciding else certs.AppealStep.LODGE
    )
    certification = certs.access_certification(
        user=request.user,
        certification_id=certification_id,
        policy=policies.CERTIFY,
        allow_self=not deciding,
    )
    if form.is_valid():
        try:
            if deciding:
                certs.appeal_decide(
                    certification=certification,
                    decided_by=acting_user(request),
                    outcome=form.cleaned_data["outcome"],
                    notes=form.cleaned_data["notes"],
                )
            else:
                certs.appeal_lodge(
                    certification=certification,
                    lodged_by=acting_user(request),
                    grounds=form.cleaned_data["notes"],
                )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Appeal decided.") if deciding else _("Appeal lodged."))
            return _after_certification(certification)
    return render(
        request,
        "workforce/certification_appeal.html",
        {"certification": certification, "form": form, "profile": certs.profile_for(certification)},
        status=422,
    )


@view_policy(policies.WORKFORCE_VIEW)
@require_safe
def certification_overview(request: HttpRequest, programme_id: int) -> HttpResponse:
    """Certified peers expiring within 60 days (with continuing training hours), the
    expired, the decertified and those not certified."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.WORKFORCE_VIEW
    )
    return render(
        request,
        "workforce/certification_overview.html",
        {
            "programme": programme,
            "overview": expiry.certification_overview(user=request.user, programme=programme),
            "horizon": expiry.EXPIRY_HORIZON_DAYS,
        },
    )


# ---------------------------------------------------------------------------------------
# Supervision


@view_policy(policies.WORKFORCE_MANAGE)
@require_http_methods(["GET", "POST"])
def supervisor_assign(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = access_profile(
        user=request.user, profile_id=profile_id, policy=policies.WORKFORCE_MANAGE
    )
    form = SupervisorForm(
        _posted(request),
        choices=sup.supervisor_choices(profile.programme),
        initial={"supervisor": profile.supervisor_id},
    )
    if form.is_bound and form.is_valid():
        try:
            sup.supervisor_assign(
                profile=profile,
                supervisor=form.cleaned_data["supervisor"],
                assigned_by=acting_user(request),
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Supervisor saved."))
            return redirect("workforce:profile", profile_id=profile.pk)
    return render(
        request,
        "workforce/supervision_assign.html",
        {"profile": profile, "form": form},
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.SUPERVISE)
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.SUPERVISE
    )
    peers = sup.peers_for_session(programme)
    form = SessionForm(
        _posted(request), peers=peers, initial={"peers": request.GET.getlist("peer")}
    )
    if form.is_bound and form.is_valid():
        try:
            session = sup.session_record(
                programme=programme, supervisor=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Supervision session recorded."))
            return redirect("workforce:supervision", supervision_id=session.pk)
    audit_many(
        actor=request.user,
        action=Action.READ,
        object_type="people.person",
        object_ids=list(peers.values_list("person_id", flat=True)),
    )
    return render(
        request,
        "workforce/supervision_form.html",
        {"programme": programme, "form": form},
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.SUPERVISE)
@require_safe
def session_detail(request: HttpRequest, supervision_id: int) -> HttpResponse:
    session = sup.access_session(
        user=request.user, supervision_id=supervision_id, policy=policies.SUPERVISE
    )
    return render(
        request,
        "workforce/supervision_session.html",
        {
            "session": session,
            "topics": sup.topic_labels(session),
            "show_notes": sup.may_read_notes(request.user, session),
        },
    )


@view_policy(policies.SUPERVISE)
@require_safe
def supervisor_home(request: HttpRequest) -> HttpResponse:
    """The supervisor's page: supervisees (overdue supervision first) with caseload,
    supervision due, wellbeing trend and open alerts."""
    return render(
        request,
        "workforce/supervision_supervisor.html",
        {"page": sup.supervisor_page(user=request.user)},
    )
