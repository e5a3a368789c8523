"""The goals page: a participant's goals with their ratings over time (a small inline
chart and the numbers), adding a goal, rating one with a tap, and closing it. The same
page serves the participant, their peer and staff."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from peerbridge.core.access import acting_user, view_policy
from peerbridge.core.forms import show_service_errors
from peerbridge.referrals.models import Enrolment
from peerbridge.support import goals, policies
from peerbridge.support.goal_forms import RATING_CHOICES, GoalForm, GoalStatusForm, RatingForm
from peerbridge.support.goal_selectors import (
    access_goal,
    access_goal_enrolment,
    audit_goals,
    enrolment_goals,
    may_edit_goals,
)
from peerbridge.support.models import Goal, GoalRating

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 120, 40, 4


@dataclass(frozen=True)
class GoalRow:
    goal: Goal
    ratings: list[GoalRating]
    points: str  # an SVG polyline's points, empty without ratings
    dots: list[tuple[float, float]]
    summary: str  # the same in words, for screen readers and for anyone who prefers them


def chart_points(values: list[int]) -> list[tuple[float, float]]:
    """Ratings (0-10) as points in a CHART_WIDTH x CHART_HEIGHT box, oldest on the left."""
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_PAD, CHART_HEIGHT - 2 * CHART_PAD
    step = inner_w / (len(values) - 1) if len(values) > 1 else 0.0
    return [
        (
            round(CHART_PAD + (i * step if len(values) > 1 else inner_w / 2), 1),
            round(CHART_PAD + inner_h * (1 - value / goals.RATING_MAX), 1),
        )
        for i, value in enumerate(values)
    ]


def goal_row(goal: Goal) -> GoalRow:
    ratings = list(goal.ratings.all())
    values = [r.rating for r in ratings]
    points = chart_points(values)
    return GoalRow(
        goal=goal,
        ratings=ratings,
        points=" ".join(f"{x},{y}" for x, y in points),
        dots=points[-1:],
        summary=" → ".join(str(v) for v in values),
    )


def _page(
    request: HttpRequest,
    enrolment: Enrolment,
    *,
    status: int = 200,
    goal_form: BaseForm | None = None,
    failed: tuple[int, BaseForm] | None = None,
) -> HttpResponse:
    shown = list(enrolment_goals(enrolment))
    audit_goals(request.user, shown)
    editor = may_edit_goals(request.user, enrolment)
    person = enrolment.person
    return render(
        request,
        "support/goals.html",
        {
            "enrolment": enrolment,
            "name": person.preferred_name or person.given_name,
            "own": request.user.is_authenticated and person.user_id == request.user.pk,
            "rows": [goal_row(goal) for goal in shown],
            "editor": editor,
            "goal_form": goal_form or (GoalForm() if editor and enrolment.is_open else None),
            "failed_goal": failed[0] if failed else None,
            "failed_form": failed[1] if failed else None,
            "rating_choices": [n for n, _label in RATING_CHOICES],
            "width": CHART_WIDTH,
            "height": CHART_HEIGHT,
        },
        status=status,
    )


@view_policy(policies.GOAL_VIEW)
@require_http_methods(["GET", "POST"])
def goal_list(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """GET shows the goals; POST adds one."""
    if request.method != "POST":
        enrolment = access_goal_enrolment(request.user, enrolment_id, policies.GOAL_VIEW)
        return _page(request, enrolment)
    enrolment = access_goal_enrolment(request.user, enrolment_id, policies.GOAL_EDIT)
    form = GoalForm(request.POST)
    if form.is_valid():
        try:
            goals.goal_add(
                enrolment=enrolment, actor=acting_user(request), text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            messages.success(request, _("The goal is added."))
            return redirect("support:goals", enrolment_id=enrolment.pk)
    return _page(request, enrolment, status=422, goal_form=form)


def _goal_action(request: HttpRequest, goal_id: int, form: BaseForm, act: str) -> HttpResponse:
    goal = access_goal(request.user, goal_id, policies.GOAL_EDIT)
    if form.is_valid():
        try:
            if act == "rate":
                goals.goal_rate(
                    goal=goal, actor=acting_user(request), rating=form.cleaned_data["rating"]
                )
                messages.success(request, _("The rating is saved."))
            else:
                goal = goals.goal_set_status(
                    goal=goal, actor=acting_user(request), status=form.cleaned_data["status"]
                )
                messages.success(
                    request,
                    _("The goal is now: %(status)s.") % {"status": goal.get_status_display()},
                )
        except ValidationError as error:
            show_service_errors(form, error)
        else:
            url = reverse("support:goals", args=[goal.enrolment_id])
            return redirect(f"{url}#goal-{goal.pk}")
    return _page(request, goal.enrolment, status=422, failed=(goal.pk, form))


@view_policy(policies.GOAL_EDIT)
@require_POST
def goal_rate(request: HttpRequest, goal_id: int) -> HttpResponse:
    return _goal_action(request, goal_id, RatingForm(request.POST), "rate")


@view_policy(policies.GOAL_EDIT)
@require_POST
def goal_status(request: HttpRequest, goal_id: int) -> HttpResponse:
    return _goal_action(request, goal_id, GoalStatusForm(request.POST), "status")
