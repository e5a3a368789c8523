"""API for goals (mounted by support/api.py): a participant's goals with their ratings,
adding a goal, rating one (0-10), and closing or reopening it. The participant, their
current peer and staff over the programme reach them; supervisors read only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peerbridge.api.pagination import Pages, paginate
from peerbridge.api.values import IsoDate, plain
from peerbridge.core.access import acting_user, api_policy
from peerbridge.support import goals, policies
from peerbridge.support.goal_selectors import (
    access_goal,
    access_goal_enrolment,
    audit_goals,
    enrolment_goals,
)
from peerbridge.support.models import Goal, GoalRating

router = Router()


Day = IsoDate


class RatingOut(Schema):
    id: int
    rating: int
    rated_on: date
    by: str
    recorded_by_id: int | None
    recorded_at: datetime


class GoalOut(Schema):
    id: int
    enrolment_id: int
    text: str
    status: str
    created_by_id: int | None
    created_at: datetime
    closed_at: datetime | None
    ratings: list[RatingOut]


class GoalPage(Schema):
    items: list[GoalOut]
    count: int
    page: int
    page_size: int


class GoalIn(Schema):
    text: str = Field(..., min_length=1, max_length=goals.TEXT_MAX)


class RatingIn(Schema):
    rating: Annotated[int, Field(ge=goals.RATING_MIN, le=goals.RATING_MAX, strict=True)]
    rated_on: Day | None = Field(None, description="Empty: today.")


class GoalStatusIn(Schema):
    status: Goal.Status


def _rating(row: GoalRating) -> dict[str, Any]:
    return {name: getattr(row, name) for name in RatingOut.model_fields}


def _goal(goal: Goal, ratings: list[GoalRating] | None = None) -> dict[str, Any]:
    shown = list(goal.ratings.all()) if ratings is None else ratings
    fields = GoalOut.model_fields.keys() - {"ratings"}
    return {name: getattr(goal, name) for name in fields} | {
        "ratings": [_rating(row) for row in shown]
    }


def _fresh(goal: Goal) -> dict[str, Any]:
    found = enrolment_goals(goal.enrolment).get(pk=goal.pk)
    return _goal(found)


@router.get("/enrolments/{enrolment_id}/goals", response=GoalPage)
@api_policy(policies.GOAL_VIEW)
def list_goals(
    request: HttpRequest, enrolment_id: int, pagination: Query[Pages.Input]
) -> dict[str, Any]:
    """The participant's goals, open ones first, each with its ratings in time order."""
    enrolment = access_goal_enrolment(request.user, enrolment_id, policies.GOAL_VIEW)
    page = paginate(enrolment_goals(enrolment), pagination)
    audit_goals(request.user, page["items"])
    return {**page, "items": [_goal(goal) for goal in page["items"]]}


@router.post("/enrolments/{enrolment_id}/goals", response={201: GoalOut})
@api_policy(policies.GOAL_EDIT)
def add_goal(request: HttpRequest, enrolment_id: int, payload: GoalIn) -> Status[dict[str, Any]]:
    enrolment = access_goal_enrolment(request.user, enrolment_id, policies.GOAL_EDIT)
    goal = goals.goal_add(enrolment=enrolment, actor=acting_user(request), text=payload.text)
    return Status(201, _goal(goal, []))


@router.get("/goals/{goal_id}", response=GoalOut)
@api_policy(policies.GOAL_VIEW)
def get_goal(request: HttpRequest, goal_id: int) -> dict[str, Any]:
    return _fresh(access_goal(request.user, goal_id, policies.GOAL_VIEW))


@router.post("/goals/{goal_id}/ratings", response={201: GoalOut})
@api_policy(policies.GOAL_EDIT)
def rate_goal(request: HttpRequest, goal_id: int, payload: RatingIn) -> Status[dict[str, Any]]:
    """Record how close the participant is to the goal (0 = nowhere near, 10 = reached);
    whether it came from the participant, with the peer or with staff follows from who
    records it."""
    goal = access_goal(request.user, goal_id, policies.GOAL_EDIT)
    goals.goal_rate(
        goal=goal, actor=acting_user(request), rating=payload.rating, rated_on=payload.rated_on
    )
    return Status(201, _fresh(goal))


@router.patch("/goals/{goal_id}", response=GoalOut)
@api_policy(policies.GOAL_EDIT)
def update_goal_status(request: HttpRequest, goal_id: int, payload: GoalStatusIn) -> dict[str, Any]:
    """Close a goal as reached or stopped (no longer a goal), or reopen it (active)."""
    goal = access_goal(request.user, goal_id, policies.GOAL_EDIT)
    status = plain(payload.status)
    goal = goals.goal_set_status(goal=goal, actor=acting_user(request), status=status)
    return _fresh(goal)
