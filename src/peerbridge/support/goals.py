"""Goals: a participant's goals in their own words, rated 0-10 over time (Goal-Based
Outcomes: 0 = nowhere near, 10 = reached), and closed as reached or no longer a goal.

The participant, their current peer and the programme's runners set and rate goals; a
rating records whether it came from the participant, with the peer, or with staff."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peerbridge.core.audit import Action, audit_instance
from peerbridge.core.models import User
from peerbridge.referrals.models import Enrolment
from peerbridge.support.goal_selectors import may_edit_goals, rater
from peerbridge.support.models import Goal, GoalRating

TEXT_MAX = 500
OPEN_GOALS_MAX = 10
RATING_MIN, RATING_MAX = 0, 10
S = Goal.Status


def _check_editor(actor: User, enrolment: Enrolment) -> None:
    if not may_edit_goals(actor, enrolment):
        raise PermissionDenied


def _clean_text(text: object) -> str:
    if not isinstance(text, str):
        raise ValidationError({"text": _("Write the goal as text.")})
    text = " ".join(text.split())
    if not text:
        raise ValidationError({"text": _("Write the goal in the participant's words.")})
    if len(text) > TEXT_MAX:
        message = _("Keep the goal under %(n)d characters.") % {"n": TEXT_MAX}
        raise ValidationError({"text": message})
    if "\x00" in text:
        raise ValidationError({"text": _("The goal contains characters that cannot be kept.")})
    return text


@transaction.atomic
def goal_add(*, enrolment: Enrolment, actor: User, text: Any) -> Goal:
    """Add a goal for a participant taking part in the programme."""
    _check_editor(actor, enrolment)
    enrolment = Enrolment.objects.select_for_update().select_related("person").get(pk=enrolment.pk)
    if not enrolment.is_open:
        raise ValidationError({"enrolment": _("Goals are set while the participant takes part.")})
    text = _clean_text(text)
    if Goal.objects.filter(enrolment=enrolment, status=S.ACTIVE).count() >= OPEN_GOALS_MAX:
        raise ValidationError(
            {"text": _("Close a goal before adding more than %(n)d.") % {"n": OPEN_GOALS_MAX}}
        )
    goal = Goal.objects.create(enrolment=enrolment, text=text, created_by=actor)
    audit_instance(actor=actor, action=Action.CREATE, instance=goal)
    return goal


def _clean_rating(rating: object) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int):
        raise ValidationError({"rating": _("Give a whole number from 0 to 10.")})
    if not RATING_MIN <= rating <= RATING_MAX:
        raise ValidationError({"rating": _("Give a whole number from 0 to 10.")})
    return rating


def _clean_day(goal: Goal, rated_on: object) -> date:
    if rated_on is None:
        return timezone.localdate()
    if isinstance(rated_on, datetime) or not isinstance(rated_on, date):
        raise ValidationError({"rated_on": _("Give a date.")})
    if rated_on > timezone.localdate():
        raise ValidationError({"rated_on": _("A rating cannot be in the future.")})
    if rated_on < timezone.localdate(goal.created_at):
        raise ValidationError({"rated_on": _("A rating cannot be before the goal was set.")})
    return rated_on


@transaction.atomic
def goal_rate(*, goal: Goal, actor: User, rating: Any, rated_on: Any = None) -> GoalRating:
    """Record how close the participant is to an open goal today (or on `rated_on`)."""
    goal = Goal.objects.select_for_update().select_related("enrolment__person").get(pk=goal.pk)
    _check_editor(actor, goal.enrolment)
    if goal.status != S.ACTIVE:
        raise ValidationError({"goal": _("This goal is closed: reopen it to rate it.")})
    row = GoalRating.objects.create(
        goal=goal,
        rating=_clean_rating(rating),
        rated_on=_clean_day(goal, rated_on),
        by=rater(actor, goal.enrolment),
        recorded_by=actor,
    )
    audit_instance(actor=actor, action=Action.CREATE, instance=row)
    return row


@transaction.atomic
def goal_set_status(*, goal: Goal, actor: User, status: Any) -> Goal:
    """Close a goal as reached or no longer a goal, or reopen it."""
    goal = Goal.objects.select_for_update().select_related("enrolment__person").get(pk=goal.pk)
    _check_editor(actor, goal.enrolment)
    status = getattr(status, "value", status)
    if status not in S.values:
        raise ValidationError({"status": _("Choose reached, no longer a goal, or working on it.")})
    if status == goal.status:
        raise ValidationError({"status": _("The goal is already %(s)s.") % {"s": S(status).label}})
    goal.status = status
    goal.closed_at = None if status == S.ACTIVE else timezone.now()
    goal.save(update_fields=["status", "closed_at"])
    audit_instance(actor=actor, action=Action.UPDATE, instance=goal)
    return goal
