"""The progress page, in plain language for the participant and their peer (and staff
over the programme): per questionnaire a line chart drawn in the template (an inline
SVG with a title and a table of the same numbers), what the change means, and the
participant's measures over time."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.audit import Action, audit_many
from peerbridge.outcomes import policies
from peerbridge.outcomes.models import Measure, Response
from peerbridge.outcomes.progress import (
    QuestionnaireProgress,
    change_sentence,
    number,
    participant_progress,
)
from peerbridge.outcomes.selectors import access_outcome_enrolment, outcome_enrolments

WIDTH, HEIGHT = 320, 160
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 10, 24


@dataclass(frozen=True)
class Chart:
    points: str  # an SVG polyline's points
    dots: list[tuple[float, float, str]]  # x, y and the value, for each answer
    ticks: list[tuple[float, str]]  # y and label of the lowest and highest score
    cutoff: tuple[float, str] | None  # y and label of the clinical cut-off line
    first_day: str
    last_day: str


def _y(value: float, low: float, high: float) -> float:
    inner = HEIGHT - TOP - BOTTOM
    share = 0.0 if high == low else (value - low) / (high - low)
    return round(TOP + inner * (1 - share), 1)


def score_chart(progress: QuestionnaireProgress) -> Chart:
    """The scores over time in a WIDTH x HEIGHT box, oldest on the left, evenly spaced
    (questionnaires come at timepoints, so the order matters more than the gaps)."""
    low, high = progress.low, progress.high
    count = len(progress.points)
    inner = WIDTH - LEFT - RIGHT
    step = inner / (count - 1) if count > 1 else 0.0
    dots = [
        (
            round(LEFT + (i * step if count > 1 else inner / 2), 1),
            _y(point.score, low, high),
            number(point.score),
        )
        for i, point in enumerate(progress.points)
    ]
    cutoff_value = progress.scale.change.clinical_cutoff
    cutoff = None
    if cutoff_value is not None:
        cutoff = (_y(cutoff_value, low, high), number(cutoff_value))
    return Chart(
        points=" ".join(f"{x},{y}" for x, y, _label in dots),
        dots=dots,
        ticks=[(_y(low, low, high), number(low)), (_y(high, low, high), number(high))],
        cutoff=cutoff,
        first_day=date_format(progress.first.day, "j M Y"),
        last_day=date_format(progress.latest.day, "j M Y"),
    )


@dataclass(frozen=True)
class QuestionnaireCard:
    progress: QuestionnaireProgress
    sentence: str
    chart: Chart
    title: str  # the chart's title, also its accessible name


@view_policy(policies.PROGRESS_VIEW)
@require_GET
def progress(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = access_outcome_enrolment(request.user, enrolment_id, policies.PROGRESS_VIEW)
    found = participant_progress(enrolment)
    audit_many(
        actor=request.user,
        action=Action.READ,
        object_type=Response._meta.label_lower,
        object_ids=found.response_ids,
    )
    audit_many(
        actor=request.user,
        action=Action.READ,
        object_type=Measure._meta.label_lower,
        object_ids=found.measure_ids,
    )
    person = enrolment.person
    own = request.user.is_authenticated and person.user_id == request.user.pk
    name = person.preferred_name or person.given_name
    cards = [
        QuestionnaireCard(
            progress=item,
            sentence=change_sentence(item, own=own, name=name),
            chart=score_chart(item),
            title=_("%(scale)s scores over time, from %(low)s to %(high)s")
            % {"scale": item.scale.label, "low": number(item.low), "high": number(item.high)},
        )
        for item in found.questionnaires
    ]
    return render(
        request,
        "outcomes/progress.html",
        {
            "enrolment": enrolment,
            "own": own,
            "name": name,
            "cards": cards,
            "measures": found.measures,
            "width": WIDTH,
            "height": HEIGHT,
            "left": LEFT,
            "right_edge": WIDTH - RIGHT,
            "baseline": HEIGHT - BOTTOM,
            "label_y": HEIGHT - 6,
        },
    )


@view_policy(policies.PROGRESS_VIEW)
@require_GET
def my_progress(request: HttpRequest) -> HttpResponse:
    """A participant's own progress: their latest enrolment they may see."""
    own = (
        outcome_enrolments(request.user, policies.PROGRESS_VIEW)
        .filter(person__user_id=acting_user(request).pk)
        .order_by("-received_at", "-pk")
        .first()
    )
    if own is None:
        raise Http404
    return redirect("outcomes:progress", enrolment_id=own.pk)
