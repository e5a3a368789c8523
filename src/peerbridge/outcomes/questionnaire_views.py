"""Questionnaire pages: answering from a link (no account), a participant's
questionnaires, entering answers from an interview or paper, the programme's schedule
and the deployment's licences."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from peerbridge.core.access import PUBLIC, acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.core.links import link_page
from peerbridge.core.public_forms import throttled
from peerbridge.instruments.model import Scale
from peerbridge.instruments.registry import get_instrument
from peerbridge.organisations.selectors import access_programme
from peerbridge.outcomes import licences, policies, schedules
from peerbridge.outcomes.models import Assessment, InstrumentLicence, Mode, Response, Timepoint
from peerbridge.outcomes.questionnaire_forms import (
    AssessmentNewForm,
    EntryAnswersForm,
    LicenceForm,
    LinkAnswersForm,
    TimepointForm,
)
from peerbridge.outcomes.responses import next_instrument, response_save, response_start
from peerbridge.outcomes.selectors import (
    access_assessment,
    access_outcome_enrolment,
    assessments_of,
    reaches,
)
from peerbridge.safety.configuration import safety_settings
from peerbridge.safety.crisis import crisis_lines
from peerbridge.workforce.selectors import as_pk

ANSWER_LIMIT = 60  # saves per link holder per hour: people pause and resume, bots do not stop


def _closed(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return link_page(
        render(request, "outcomes/answer_closed.html", {"reason": reason}, status=status)
    )


def _thanks(request: HttpRequest, assessment: Assessment, flagged: bool) -> HttpResponse:
    lines = crisis_lines(safety_settings(assessment.programme).crisis_resources) if flagged else []
    return link_page(
        render(request, "outcomes/answer_thanks.html", {"flagged": flagged, "crisis": lines})
    )


@view_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The participant's questionnaire, one at a time. Answers are kept on every save,
    so the same link resumes where they left off."""
    try:
        assessment = schedules.assessment_by_token(token)
    except schedules.AssessmentUnavailable as closed:
        return _closed(request, closed.reason, 404 if closed.reason == "unknown" else 200)
    code = next_instrument(assessment)
    if code is None:
        return _closed(request, "done", 200)
    instrument = get_instrument(code)
    response = Response.objects.filter(assessment=assessment, instrument=code).first()
    form = LinkAnswersForm(
        request.POST if request.method == "POST" else None,
        instrument=instrument,
        answers=response.answers if response else {},
    )
    if request.method == "POST" and form.is_valid():
        if form.looks_automated():
            return link_page(redirect("outcomes:answer", token=token))
        if throttled(request, prefix="questionnaire", limit=ANSWER_LIMIT):
            return _closed(request, "busy", 429)
        try:
            with transaction.atomic():  # a refused answer leaves nothing behind
                response = response_start(
                    assessment=assessment, instrument=code, mode=Mode.LINK, actor=None
                )
                response = response_save(
                    response=response, answers=form.answers(), complete=form.finishing, actor=None
                )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            if not form.finishing:
                messages.success(
                    request, _("Saved. Open the same link to carry on where you left off.")
                )
                return link_page(redirect("outcomes:answer", token=token))
            assessment.refresh_from_db()
            if assessment.status == Assessment.Status.COMPLETED:
                return _thanks(request, assessment, _any_safety(assessment))
            return link_page(redirect("outcomes:answer", token=token))
    position = assessment.instruments.index(code) + 1
    return link_page(
        render(
            request,
            "outcomes/answer_page.html",
            {
                "assessment": assessment,
                "instrument": instrument,
                "form": form,
                "position": position,
                "count": len(assessment.instruments),
                "closes_on": assessment.closes_on,
            },
            status=422 if form.is_bound else 200,
        )
    )


def _any_safety(assessment: Assessment) -> bool:
    return any(
        response.safety_items
        for response in Response.objects.filter(assessment=assessment).only("safety_items")
    )


@view_policy(policies.QUESTIONNAIRE_VIEW)
@require_http_methods(["GET"])
def assessments(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    user = acting_user(request)
    enrolment = access_outcome_enrolment(
        user, enrolment_id, policies.QUESTIONNAIRE_VIEW, seen_under=policies.QUESTIONNAIRE_VIEW
    )
    rows = assessments_of(enrolment)
    may_ask = reaches(user, enrolment.pk, policies.QUESTIONNAIRE_ASK) and enrolment.is_open
    return render(
        request,
        "outcomes/assessments.html",
        {"enrolment": enrolment, "rows": rows, "may_ask": may_ask},
    )


def _instrument_choices(*, needs_wording: bool = False) -> list[tuple[str, str]]:
    return [
        (instrument.code, instrument.title)
        for instrument in licences.usable_instruments(needs_wording=needs_wording)
    ]


@view_policy(policies.QUESTIONNAIRE_ASK)
@require_http_methods(["GET", "POST"])
def assessment_new(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    user = acting_user(request)
    enrolment = access_outcome_enrolment(
        user, enrolment_id, policies.QUESTIONNAIRE_ASK, seen_under=policies.QUESTIONNAIRE_VIEW
    )
    form = AssessmentNewForm(
        request.POST if request.method == "POST" else None, choices=_instrument_choices()
    )
    if request.method == "POST" and form.is_valid():
        try:
            assessment = schedules.assessment_create(
                enrolment=enrolment,
                instruments=form.cleaned_data["instruments"],
                due_on=form.cleaned_data["due_on"],
                actor=user,
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            return redirect("outcomes:assessment", assessment_id=assessment.pk)
    return render(
        request,
        "outcomes/assessment_new.html",
        {"enrolment": enrolment, "form": form},
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.QUESTIONNAIRE_VIEW)
@require_http_methods(["GET"])
def assessment(request: HttpRequest, assessment_id: int) -> HttpResponse:
    user = acting_user(request)
    found = access_assessment(user, assessment_id, policies.QUESTIONNAIRE_VIEW)
    responses = {row.instrument: row for row in found.responses.all()}
    parts = []
    for code in found.instruments:
        instrument = get_instrument(code)
        response = responses.get(code)
        parts.append(
            {
                "code": code,
                "title": instrument.title,
                "response": response,
                "scales": [_scale_row(scale, response) for scale in instrument.scales],
            }
        )
    open_here = found.enrolment_id is not None and not found.is_done
    may_ask = open_here and reaches(user, found.enrolment_id, policies.QUESTIONNAIRE_ASK)
    may_answer = open_here and reaches(user, found.enrolment_id, policies.QUESTIONNAIRE_ENTER)
    return render(
        request,
        "outcomes/assessment.html",
        {"assessment": found, "parts": parts, "may_ask": may_ask, "may_answer": may_answer},
    )


def _scale_row(scale: Scale, response: Response | None) -> dict[str, object]:
    value = (response.scores or {}).get(scale.code) if response is not None else None
    band = scale.band_for(value) if value is not None else None
    return {"label": scale.label, "value": value, "band": band.label if band else ""}


@view_policy(policies.QUESTIONNAIRE_ASK)
@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest, assessment_id: int, code: str) -> HttpResponse:
    """Answers given in an interview or on a paper form, entered by a peer or staff."""
    user = acting_user(request)
    found = access_assessment(user, assessment_id, policies.QUESTIONNAIRE_ASK)
    if code not in found.instruments:
        raise Http404
    instrument = get_instrument(code)
    response = Response.objects.filter(assessment=found, instrument=code).first()
    if response is not None and response.status == Response.Status.COMPLETE:
        messages.info(request, _("This questionnaire has already been completed."))
        return redirect("outcomes:assessment", assessment_id=found.pk)
    form = EntryAnswersForm(
        request.POST if request.method == "POST" else None,
        instrument=instrument,
        answers=response.answers if response else {},
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # a refused answer leaves nothing behind
                response = response_start(
                    assessment=found, instrument=code, mode=form.cleaned_data["mode"], actor=user
                )
                response_save(
                    response=response,
                    answers=form.answers(),
                    complete=form.finishing,
                    actor=user,
                    mode=form.cleaned_data["mode"],
                )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(
                request, _("Answers completed.") if form.finishing else _("Answers saved.")
            )
            return redirect("outcomes:assessment", assessment_id=found.pk)
    return render(
        request,
        "outcomes/enter.html",
        {"assessment": found, "instrument": instrument, "form": form},
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.QUESTIONNAIRE_ASK)
@require_POST
def link_send(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """Send the participant a fresh link (email or text, where they agreed)."""
    user = acting_user(request)
    found = access_assessment(user, assessment_id, policies.QUESTIONNAIRE_ASK)
    try:
        sent = schedules.link_send(assessment=found, actor=user)
    except ValidationError:
        messages.error(request, _("This questionnaire is no longer open."))
    else:
        if sent:
            messages.success(request, _("A new link has been sent."))
        else:
            messages.warning(
                request,
                _(
                    "They cannot be reached by email or text message: complete it with them "
                    "instead, or hand them your phone with “Answer now”."
                ),
            )
    return redirect("outcomes:assessment", assessment_id=found.pk)


@view_policy(policies.QUESTIONNAIRE_ENTER)
@require_POST
def answer_now(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """Open the questionnaire on this device: the participant signed in, or the peer
    handing over their phone. A fresh link is made (the one sent stops working)."""
    user = acting_user(request)
    found = access_assessment(user, assessment_id, policies.QUESTIONNAIRE_ENTER)
    try:
        token = schedules.link_issue(assessment=found, actor=user)
    except ValidationError:
        messages.error(request, _("This questionnaire is no longer open."))
        return redirect("outcomes:assessment", assessment_id=found.pk)
    return link_page(redirect("outcomes:answer", token=token))


@view_policy(policies.QUESTIONNAIRE_ASK)
@require_POST
def decline(request: HttpRequest, assessment_id: int) -> HttpResponse:
    user = acting_user(request)
    found = access_assessment(user, assessment_id, policies.QUESTIONNAIRE_ASK)
    try:
        schedules.assessment_decline(assessment=found, actor=user)
    except ValidationError:
        messages.error(request, _("This questionnaire is no longer open."))
    else:
        messages.success(request, _("Recorded that they would rather not answer this time."))
    return redirect("outcomes:assessment", assessment_id=found.pk)


@view_policy(policies.SCHEDULE_EDIT)
@require_http_methods(["GET"])
def schedule(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = access_programme(
        user=acting_user(request), programme_id=programme_id, policy=policies.SCHEDULE_EDIT
    )
    rows = schedules.timepoints_of(programme)
    titles = {code: get_instrument(code).title for row in rows for code in row.instruments}
    return render(
        request,
        "outcomes/schedule.html",
        {"programme": programme, "rows": rows, "titles": titles},
    )


@view_policy(policies.SCHEDULE_EDIT)
@require_http_methods(["GET", "POST"])
def timepoint_edit(request: HttpRequest, timepoint_id: int) -> HttpResponse:
    user = acting_user(request)
    found = Timepoint.objects.select_related("programme").filter(pk=as_pk(timepoint_id)).first()
    if found is None:
        raise Http404
    access_programme(user=user, programme_id=found.programme_id, policy=policies.SCHEDULE_EDIT)
    form = TimepointForm(
        request.POST if request.method == "POST" else None,
        choices=_instrument_choices(),
        initial={
            "label": found.label,
            "instruments": found.instruments,
            "window_days": found.window_days,
            "is_active": found.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            schedules.timepoint_update(
                timepoint=found,
                label=form.cleaned_data["label"],
                instruments=form.cleaned_data["instruments"],
                window_days=form.cleaned_data["window_days"],
                is_active=form.cleaned_data["is_active"],
                actor=user,
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Timepoint saved."))
            return redirect("outcomes:schedule", programme_id=found.programme_id)
    return render(
        request,
        "outcomes/timepoint_edit.html",
        {"timepoint": found, "form": form},
        status=422 if form.is_bound else 200,
    )


@view_policy(policies.LICENCE_RECORD)
@require_http_methods(["GET", "POST"])
def licence_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    needing = licences.licensed_instruments()
    form = LicenceForm(
        request.POST if request.method == "POST" else None,
        choices=[(item.code, item.title) for item in needing],
    )
    if request.method == "POST" and form.is_valid():
        try:
            licences.licence_record(
                instrument=form.cleaned_data["instrument"],
                holder=form.cleaned_data["holder"],
                reference=form.cleaned_data["reference"],
                valid_until=form.cleaned_data["valid_until"],
                actor=user,
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("Licence recorded."))
            return redirect("outcomes:licences")
    recorded = {row.instrument: row for row in InstrumentLicence.objects.all()}
    today = timezone.localdate()
    rows = [
        {
            "instrument": item,
            "licence": recorded.get(item.code),
            "in_force": bool(recorded.get(item.code) and recorded[item.code].in_force(today)),
        }
        for item in needing
    ]
    return render(
        request,
        "outcomes/licences.html",
        {"rows": rows, "form": form},
        status=422 if form.is_bound else 200,
    )
