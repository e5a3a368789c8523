"""Intake pages: self-referral, clinician referral and its closed loop, the coordinator's
queue and waiting list, one enrolment, one person."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from peerbridge.core.access import PUBLIC, acting_user, view_policy
from peerbridge.core.disclosure import SMALL_CELL
from peerbridge.core.forms import show_service_errors
from peerbridge.core.public_forms import throttled
from peerbridge.organisations.models import Programme
from peerbridge.organisations.roles import Role
from peerbridge.organisations.selectors import access_programme, programmes_in_scope, user_roles
from peerbridge.people import policies as people_policies
from peerbridge.people.models import Consent
from peerbridge.people.selectors import access_person, current_consent, person_duplicates
from peerbridge.people.services import consent_withdraw, person_update
from peerbridge.referrals import policies, selectors, services
from peerbridge.referrals.forms import (
    ClinicianReferralForm,
    ConsentWithdrawForm,
    ContactAttemptForm,
    EnrolForm,
    EnrolmentUpdateForm,
    PersonForm,
    SelfReferralForm,
    StatusForm,
)
from peerbridge.referrals.models import Enrolment, EnrolmentStatus


@view_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def self_referral(request: HttpRequest, programme_code: str) -> HttpResponse:
    programme = get_object_or_404(
        Programme, code=programme_code, status=Programme.Status.ACTIVE, self_referral_open=True
    )
    form = SelfReferralForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if form.looks_automated():
            # Tell a bot nothing: it sees the same confirmation, and nothing is saved.
            return redirect("referrals:self_referral_thanks", programme_code=programme.code)
        if throttled(
            request, prefix="selfref", scope=programme.pk, limit=settings.SELF_REFERRAL_LIMIT
        ):
            return render(
                request, "referrals/self_referral_busy.html", {"programme": programme}, status=429
            )
        try:
            services.referral_create(
                programme=programme,
                details=form.details(),
                source=Enrolment.Source.SELF,
                referred_by=None,
                kind=form.cleaned_data["kind"],
                referral_reason=form.cleaned_data["referral_reason"],
                contact_scopes=form.contact_scopes(),
                consent_method=Consent.Method.ONLINE,
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            return redirect("referrals:self_referral_thanks", programme_code=programme.code)
    return render(
        request,
        "referrals/self_referral.html",
        {"form": form, "programme": programme},
        status=422 if form.is_bound else 200,
    )


@view_policy(PUBLIC)
@require_safe
def self_referral_thanks(request: HttpRequest, programme_code: str) -> HttpResponse:
    programme = get_object_or_404(Programme, code=programme_code)
    return render(request, "referrals/self_referral_thanks.html", {"programme": programme})


@view_policy(policies.REFERRAL_CREATE)
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest) -> HttpResponse:
    programmes = programmes_in_scope(user=request.user, policy=policies.REFERRAL_CREATE).filter(
        status=Programme.Status.ACTIVE
    )
    form = ClinicianReferralForm(
        request.POST if request.method == "POST" else None, programmes=programmes
    )
    is_referrer = Role.REFERRER in user_roles(request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.referral_create(
                programme=data["programme"],
                details=form.details(),
                source=Enrolment.Source.CLINICIAN if is_referrer else Enrolment.Source.STAFF,
                referred_by=acting_user(request),
                kind=data["kind"],
                referral_reason=data["referral_reason"],
                referrer_organisation=data["referrer_organisation"],
                priority=data["priority"],
                contact_scopes=form.contact_scopes(),
                share_with_referrer=data["share_with_referrer"],
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Referral sent. The programme will be in touch."))
            if is_referrer:
                return redirect("referrals:my_referrals")
            return redirect("referrals:enrolment_detail", enrolment_id=result.enrolment.pk)
    return render(
        request,
        "referrals/referral_form.html",
        {"form": form},
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.REFERRAL_STATUS_VIEW)
@require_safe
def my_referrals(request: HttpRequest) -> HttpResponse:
    referrals = selectors.referrals_for_referrer(user=request.user)
    return render(request, "referrals/my_referrals.html", {"referrals": referrals})


@view_policy(policies.INTAKE_MANAGE)
@require_safe
def intake_overview(request: HttpRequest) -> HttpResponse:
    programmes = selectors.intake_overview(user=request.user)
    return render(request, "referrals/intake_overview.html", {"programmes": programmes})


@view_policy(policies.INTAKE_SUMMARY_VIEW)
@require_safe
def intake_summary(request: HttpRequest, programme_id: int) -> HttpResponse:
    """De-identified counts, for evaluators as for staff: no names, small cells hidden."""
    programme = access_programme(
        user=request.user, programme_id=programme_id, policy=policies.INTAKE_SUMMARY_VIEW
    )
    summary = selectors.intake_summary(programme=programme)
    return render(
        request,
        "referrals/intake_summary.html",
        {
            "programme": programme,
            "summary": summary,
            "statuses": [(s.label, summary.by_status[s.value]) for s in EnrolmentStatus],
            "sources": [(s.label, summary.by_source[s.value]) for s in Enrolment.Source],
            "threshold": SMALL_CELL,
        },
    )


def _programme_for_intake(request: HttpRequest, programme_id: int) -> Programme:
    return access_programme(
        user=request.user, programme_id=programme_id, policy=policies.INTAKE_MANAGE
    )


@view_policy(policies.INTAKE_MANAGE)
@require_safe
def intake_queue(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = _programme_for_intake(request, programme_id)
    queue = selectors.intake_queue(
        user=request.user, programme=programme, page=_page_number(request)
    )
    rows = queue.rows
    duplicates = selectors.people_with_possible_duplicates(
        user=request.user, people=[r.enrolment.person for r in rows]
    )
    return render(
        request,
        "referrals/intake_queue.html",
        {"programme": programme, "rows": rows, "queue": queue, "duplicates": duplicates},
    )


@view_policy(policies.INTAKE_MANAGE)
@require_safe
def waiting_list(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = _programme_for_intake(request, programme_id)
    queue = selectors.waiting_list(
        user=request.user, programme=programme, page=_page_number(request)
    )
    return render(
        request,
        "referrals/waiting_list.html",
        {"programme": programme, "rows": queue.rows, "queue": queue},
    )


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _may_manage(request: HttpRequest, enrolment: Enrolment) -> bool:
    return (
        programmes_in_scope(user=request.user, policy=policies.INTAKE_MANAGE)
        .filter(pk=enrolment.programme_id)
        .exists()
    )


@view_policy(policies.ENROLMENT_VIEW)
@require_safe
def enrolment_detail(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = selectors.access_enrolment(
        user=request.user, enrolment_id=enrolment_id, policy=policies.ENROLMENT_VIEW
    )
    record = selectors.enrolment_record(enrolment=enrolment)
    consent = record.consent
    manage = _may_manage(request, enrolment)
    context: dict[str, object] = {
        "enrolment": enrolment,
        "person": enrolment.person,
        "consent": consent,
        "history": record.history,
        "attempts": record.attempts,
        "failed_attempts": record.failed_attempts,
        "may_manage": manage,
        "duplicates": person_duplicates(user=request.user, person=enrolment.person)
        if manage
        else [],
    }
    if manage:
        context |= {
            "attempt_form": ContactAttemptForm(),
            "status_form": StatusForm(enrolment=enrolment),
            "update_form": EnrolmentUpdateForm(instance=enrolment),
            "withdraw_form": ConsentWithdrawForm(granted=consent.scopes if consent else []),
        }
    return render(request, "referrals/enrolment_detail.html", context)


def _managed_enrolment(request: HttpRequest, enrolment_id: int) -> Enrolment:
    return selectors.access_enrolment(
        user=request.user, enrolment_id=enrolment_id, policy=policies.INTAKE_MANAGE
    )


def _act_on_enrolment(
    request: HttpRequest,
    enrolment: Enrolment,
    form: forms.BaseForm,
    act: Callable[..., object],
    done: str,
) -> HttpResponse:
    """The small forms on the enrolment page: check the form, call the service with its
    values, say how it went, and go back to the enrolment."""
    if not form.is_valid():
        return _form_errors(request, form, enrolment)
    try:
        act(**form.cleaned_data)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("referrals:enrolment_detail", enrolment_id=enrolment.pk)


@view_policy(policies.INTAKE_MANAGE)
@require_POST
def attempt_log(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _managed_enrolment(request, enrolment_id)
    act = partial(
        services.contact_attempt_log, enrolment=enrolment, attempted_by=acting_user(request)
    )
    form = ContactAttemptForm(request.POST)
    return _act_on_enrolment(request, enrolment, form, act, _("Contact attempt logged."))


@view_policy(policies.INTAKE_MANAGE)
@require_POST
def status_change(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _managed_enrolment(request, enrolment_id)
    act = partial(
        services.enrolment_transition, enrolment=enrolment, changed_by=acting_user(request)
    )
    form = StatusForm(request.POST, enrolment=enrolment)
    return _act_on_enrolment(request, enrolment, form, act, _("Status changed."))


@view_policy(policies.INTAKE_MANAGE)
@require_POST
def enrolment_update(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _managed_enrolment(request, enrolment_id)
    form = EnrolmentUpdateForm(request.POST, instance=Enrolment.objects.get(pk=enrolment.pk))
    if not form.is_valid():
        return _form_errors(request, form, enrolment)
    services.enrolment_update(
        enrolment=enrolment, updated_by=acting_user(request), **form.cleaned_data
    )
    messages.success(request, _("Saved."))
    return redirect("referrals:enrolment_detail", enrolment_id=enrolment.pk)


def _form_errors(request: HttpRequest, form: forms.BaseForm, enrolment: Enrolment) -> HttpResponse:
    """A short action form on the enrolment page failed: show it again on its own page
    with the field errors, keeping what was typed."""
    return render(
        request,
        "referrals/action_form.html",
        {"form": form, "enrolment": enrolment, "action": request.path},
        status=422,
    )


@view_policy(policies.INTAKE_MANAGE)
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _managed_enrolment(request, enrolment_id)
    form = EnrolForm(
        request.POST if request.method == "POST" else None, programme=enrolment.programme
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.enrol_with_consent(
                enrolment=enrolment, enrolled_by=acting_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Enrolled, with consent recorded."))
            return redirect("referrals:enrolment_detail", enrolment_id=enrolment.pk)
    status = 422 if form.is_bound else 200
    context = {
        "form": form,
        "enrolment": enrolment,
        "consent_text": enrolment.programme.consent_texts.order_by("-published_at", "-id").first(),
    }
    return render(request, "referrals/enrol.html", context, status=status)


@view_policy(policies.INTAKE_MANAGE)
@require_POST
def consent_withdrawal(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = _managed_enrolment(request, enrolment_id)
    consent = current_consent(person=enrolment.person, programme_id=enrolment.programme_id)
    act = partial(
        consent_withdraw,
        person=enrolment.person,
        programme=enrolment.programme,
        recorded_by=acting_user(request),
    )
    form = ConsentWithdrawForm(request.POST, granted=consent.scopes if consent else [])
    return _act_on_enrolment(
        request, enrolment, form, act, _("Consent withdrawn. It takes effect now.")
    )


@view_policy(people_policies.PERSON_VIEW)
@require_safe
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access_person(
        user=request.user, person_id=person_id, policy=people_policies.PERSON_VIEW
    )
    enrolments = selectors.person_enrolments(user=request.user, person=person)
    return render(
        request,
        "referrals/person_detail.html",
        {
            "person": person,
            "enrolments": enrolments,
            "experiences": person.experiences.filter(
                programme_id__in=programmes_in_scope(
                    user=request.user, policy=people_policies.PERSON_VIEW
                ).values("pk")
            ).select_related("programme", "condition__parent__parent"),
            "consents": selectors.consent_history(user=request.user, person=person),
        },
    )


@view_policy(people_policies.PERSON_EDIT)
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    person = access_person(
        user=request.user, person_id=person_id, policy=people_policies.PERSON_EDIT
    )
    form = PersonForm(request.POST if request.method == "POST" else None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            person_update(person=person, updated_by=acting_user(request), **form.cleaned_data)
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("referrals:person_detail", person_id=person.pk)
    return render(
        request,
        "referrals/person_form.html",
        {"form": form, "person": person},
        status=422 if form.is_bound else 200,
    )


@view_policy(people_policies.PERSON_MERGE)
@require_POST
def person_merge(request: HttpRequest, person_id: int) -> HttpResponse:
    keep = access_person(
        user=request.user, person_id=person_id, policy=people_policies.PERSON_MERGE
    )
    duplicate = access_person(
        user=request.user,
        person_id=request.POST.get("duplicate_id"),
        policy=people_policies.PERSON_MERGE,
    )
    try:
        services.person_merge(keep=keep, duplicate=duplicate, merged_by=acting_user(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The two records are now one. The history of both is kept."))
    return redirect("referrals:person_detail", person_id=keep.pk)
